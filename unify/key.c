// SPDX-License-Identifier: GPL-2.0-or-later
/* Object ids: see include/vunify/key.h for the exact byte stream. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "vunify/key.h"
#include "vunify/size.h"

#define KEY_MAGIC "vunify-key-1"

struct vu_key {
	XXH3_state_t *st;
};

static unsigned key_bits = 128;

int vu_key_init(struct vu_err *e)
{
	const char *s = getenv("VUNIFY_HASH_BITS");
	uint64_t v;

	key_bits = 128;
	if (!s || !*s)
		return 0;
	if (vu_parse_uint(s, 1, 128, &v) < 0)
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

/* Feed @len zero bytes: a hole, hashed without reading it. */
static void key_zeros(struct vu_key *k, uint64_t len)
{
	static const uint8_t zeros[64 * 1024];

	while (len) {
		size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);

		XXH3_128bits_update(k->st, zeros, n);
		len -= n;
	}
}

/*
 * The next data from @off on: its start in *@data and the hole after it in
 * *@hole (both at most @size).  Where the filesystem cannot say
 * (SEEK_DATA unsupported), everything is data.  -1 on error.
 */
static int next_extent(int fd, uint64_t off, uint64_t size, uint64_t *data, uint64_t *hole)
{
	off_t d = lseek(fd, (off_t)off, SEEK_DATA), h;
	struct stat sb;

	if (d < 0 && errno == ENXIO) {
		/* A hole up to the end -- or a file that ended early: never
		 * hash zeros for what is not there. */
		if (fstat(fd, &sb) < 0)
			return -1;
		if ((uint64_t)sb.st_size < size) {
			errno = ESTALE;
			return -1;
		}
		*data = *hole = size;
		return 0;
	}
	if (d < 0 && (errno == EINVAL || errno == EOPNOTSUPP)) {
		*data = off;
		*hole = size;
		return 0;
	}
	if (d < 0)
		return -1;
	h = lseek(fd, d, SEEK_HOLE);
	if (h < 0 && errno != ENXIO)
		return -1;
	*data = (uint64_t)d < size ? (uint64_t)d : size;
	*hole = h < 0 || (uint64_t)h > size ? size : (uint64_t)h;
	return 0;
}

/* Hash [@off, @end) of @fd, which the filesystem says is data.  1 if the
 * file ended early (it shrank: the caller says ESTALE), -1 on error. */
static int key_read(struct vu_key *k, int fd, uint64_t off, uint64_t end, void *buf,
		    size_t bufsize, uint64_t *nread)
{
	while (off < end) {
		size_t want = end - off < bufsize ? (size_t)(end - off) : bufsize;
		ssize_t n = pread(fd, buf, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 1;
		vu_key_update(k, buf, (size_t)n);
		off += (uint64_t)n;
		*nread += (uint64_t)n;
	}
	return 0;
}

int vu_key_fd(struct vu_key *k, int fd, const struct vu_key_meta *m,
	      const struct vu_xattrs *x, unsigned flags, void *buf, size_t bufsize,
	      struct vu_id *id, uint64_t *nread, struct vu_err *e, const char *what)
{
	uint64_t off = 0, data, hole;
	struct stat sb;
	char extra;
	ssize_t n;

	*nread = 0;
	vu_key_begin(k, m, x, flags);
	/* Large sequential reads; tell the kernel so it reads ahead far. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	/* Holes are hashed as the zeros they read as, without reading them:
	 * the id is that of the same bytes written out, and a hole costs no
	 * reads (SEEK_DATA/SEEK_HOLE). */
	while (off < m->size) {
		int r;

		if (next_extent(fd, off, m->size, &data, &hole) < 0)
			return errno == ESTALE ? vu_err_set(e, ESTALE, "%s: changed while it was read",
							    what) : vu_err_set(e, errno, "%s", what);
		key_zeros(k, data - off);
		off = data;
		if (off >= m->size)
			break;
		r = key_read(k, fd, off, hole, buf, bufsize, nread);
		if (r < 0)
			return vu_err_set(e, errno, "%s", what);
		if (r > 0 || hole <= off)
			return vu_err_set(e, ESTALE, "%s: changed while it was read", what);
		off = hole;
	}
	/* Exactly m->size bytes: a hole up to the end (SEEK_DATA: ENXIO)
	 * looks the same as a file that ends early, so ask its size; and
	 * nothing beyond. */
	if (fstat(fd, &sb) < 0)
		return vu_err_set(e, errno, "%s", what);
	do
		n = pread(fd, &extra, 1, (off_t)m->size);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return vu_err_set(e, errno, "%s", what);
	if (n != 0 || (uint64_t)sb.st_size != m->size)
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
