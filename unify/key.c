// SPDX-License-Identifier: GPL-2.0-or-later
/* Object ids: see include/vunify/key.h for the exact byte stream. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <xxhash.h>

#include "vunify/key.h"

#define KEY_MAGIC "vunify-key-1"

struct vu_key {
	XXH3_state_t *st;
};

static unsigned key_bits = 128;

int vu_key_init(struct vu_err *e)
{
	const char *s = getenv("VUNIFY_HASH_BITS");
	char *end;
	long v;

	key_bits = 128;
	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > 128)
		return vu_err_set(e, 0, "VUNIFY_HASH_BITS=%s: not a number of bits from 1 to 128", s);
	key_bits = (unsigned)v;
	return 0;
}

unsigned vu_key_bits(void)
{
	return key_bits;
}

void vu_key_meta_from_statx(struct vu_key_meta *m, const struct statx *stx)
{
	m->size = stx->stx_size;
	m->mode = stx->stx_mode;
	m->uid = stx->stx_uid;
	m->gid = stx->stx_gid;
	m->mtime_sec = stx->stx_mtime.tv_sec;
	m->mtime_nsec = stx->stx_mtime.tv_nsec;
}

struct vu_key *vu_key_new(void)
{
	struct vu_key *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->st = XXH3_createState();
	if (!k->st) {
		free(k);
		errno = ENOMEM;
		return NULL;
	}
	return k;
}

void vu_key_free(struct vu_key *k)
{
	if (!k)
		return;
	XXH3_freeState(k->st);
	free(k);
}

static void put32(struct vu_key *k, uint32_t v)
{
	uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };

	XXH3_128bits_update(k->st, b, sizeof(b));
}

static void put64(struct vu_key *k, uint64_t v)
{
	put32(k, (uint32_t)v);
	put32(k, (uint32_t)(v >> 32));
}

void vu_key_begin(struct vu_key *k, const struct vu_key_meta *m,
		  const struct vu_xattrs *x, unsigned flags)
{
	bool mt = !(flags & VU_KEY_IGNORE_MTIME);

	XXH3_128bits_reset(k->st);
	XXH3_128bits_update(k->st, KEY_MAGIC, strlen(KEY_MAGIC));
	put32(k, flags);
	put64(k, m->size);
	put32(k, m->mode);
	put32(k, m->uid);
	put32(k, m->gid);
	put64(k, mt ? (uint64_t)m->mtime_sec : 0);
	put32(k, mt ? m->mtime_nsec : 0);
	put32(k, x ? (uint32_t)x->n : 0);
	for (size_t i = 0; x && i < x->n; i++) {
		size_t nl = strlen(x->v[i].name);

		put32(k, (uint32_t)nl);
		XXH3_128bits_update(k->st, x->v[i].name, nl);
		put32(k, (uint32_t)x->v[i].len);
		XXH3_128bits_update(k->st, x->v[i].value, x->v[i].len);
	}
}

void vu_key_update(struct vu_key *k, const void *buf, size_t len)
{
	XXH3_128bits_update(k->st, buf, len);
}

void vu_key_final(struct vu_key *k, struct vu_id *id)
{
	XXH128_hash_t h = XXH3_128bits_digest(k->st);
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, h);
	memcpy(id->b, c.digest, sizeof(id->b));
	/* The testing switch: keep only the first key_bits bits. */
	for (unsigned bit = key_bits; bit < 128; bit++)
		id->b[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
}

int vu_key_fd(struct vu_key *k, int fd, const struct vu_key_meta *m,
	      const struct vu_xattrs *x, unsigned flags, void *buf, size_t bufsize,
	      struct vu_id *id, uint64_t *nread, struct vu_err *e, const char *what)
{
	uint64_t off = 0;

	*nread = 0;
	vu_key_begin(k, m, x, flags);
	/* Large sequential reads; tell the kernel so it reads ahead far. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (;;) {
		ssize_t n = pread(fd, buf, bufsize, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vu_err_set(e, errno, "%s", what);
		if (n == 0)
			break;
		vu_key_update(k, buf, n);
		off += n;
		*nread = off;
		if (off > m->size)
			break;
	}
	if (off != m->size)
		return vu_err_set(e, ESTALE, "%s: changed while it was read", what);
	vu_key_final(k, id);
	return 0;
}

void vu_id_hex(const struct vu_id *id, char out[VU_ID_HEXLEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[id->b[i] >> 4];
		out[2 * i + 1] = hex[id->b[i] & 15];
	}
	out[VU_ID_HEXLEN] = 0;
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

int vu_id_parse(const char *hex, size_t len, struct vu_id *id)
{
	if (!vu_id_valid(hex, len))
		return -1;
	for (int i = 0; i < 16; i++)
		id->b[i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
	return 0;
}

bool vu_id_eq(const struct vu_id *a, const struct vu_id *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

int vu_id_cmp(const struct vu_id *a, const struct vu_id *b)
{
	return memcmp(a->b, b->b, sizeof(a->b));
}
