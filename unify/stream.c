// SPDX-License-Identifier: GPL-2.0-or-later
/* The guest stream's records: see include/vunify/stream.h for the format. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "vunify/stream.h"

/* --- payload encoding --- */

void vu_sbuf_reset(struct vu_sbuf *b)
{
	b->len = 0;
	b->oom = false;
}

void vu_sbuf_free(struct vu_sbuf *b)
{
	free(b->p);
	*b = (struct vu_sbuf){ 0 };
}

void vu_sbuf_raw(struct vu_sbuf *b, const void *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *q;

		while (cap < b->len + n)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q) {
			b->oom = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

void vu_sbuf_u32(struct vu_sbuf *b, uint32_t v)
{
	uint8_t x[4] = { v, v >> 8, v >> 16, v >> 24 };

	vu_sbuf_raw(b, x, sizeof(x));
}

void vu_sbuf_u64(struct vu_sbuf *b, uint64_t v)
{
	vu_sbuf_u32(b, (uint32_t)v);
	vu_sbuf_u32(b, (uint32_t)(v >> 32));
}

void vu_sbuf_str(struct vu_sbuf *b, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		b->oom = true;
		return;
	}
	vu_sbuf_u32(b, (uint32_t)n);
	vu_sbuf_raw(b, p, n);
}

/* --- payload decoding --- */

const void *vu_scur_raw(struct vu_scur *c, size_t n)
{
	const void *p;

	if (c->bad || n > c->len - c->pos) {
		c->bad = true;
		return NULL;
	}
	p = c->p + c->pos;
	c->pos += n;
	return p;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t vu_scur_u32(struct vu_scur *c)
{
	const uint8_t *p = vu_scur_raw(c, 4);

	return p ? get32(p) : 0;
}

uint64_t vu_scur_u64(struct vu_scur *c)
{
	const uint8_t *p = vu_scur_raw(c, 8);

	return p ? (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32 : 0;
}

const void *vu_scur_str(struct vu_scur *c, size_t max, size_t *n)
{
	uint32_t len = vu_scur_u32(c);

	*n = 0;
	if (c->bad || len > max) {
		c->bad = true;
		return NULL;
	}
	*n = len;
	return vu_scur_raw(c, len);
}

bool vu_scur_done(const struct vu_scur *c)
{
	return !c->bad && c->pos == c->len;
}

/* --- writing records --- */

static int write_all(struct vu_swriter *w, const void *p, size_t n, struct vu_err *e)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t k = write(w->fd, b, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return vu_err_set(e, errno, "stream offset %llu: write",
					  (unsigned long long)w->off);
		b += k;
		n -= (size_t)k;
		w->off += (uint64_t)k;
	}
	return 0;
}

int vu_swriter_start(struct vu_swriter *w, int fd, struct vu_err *e)
{
	return vu_swriter_start_flags(w, fd, 0, e);
}

int vu_swriter_start_flags(struct vu_swriter *w, int fd, uint32_t flags, struct vu_err *e)
{
	/* A stream that uses nothing of version 2 is written as version 1,
	 * which every receiver reads. */
	uint32_t version = flags ? VU_STREAM_VERSION : 1;
	uint8_t h[VU_STREAM_HEADER_LEN];
	uint64_t sum;

	*w = (struct vu_swriter){ .fd = fd };
	memcpy(h, VU_STREAM_MAGIC, 8);
	for (int i = 0; i < 4; i++) {
		h[8 + i] = (uint8_t)(version >> (8 * i));
		h[12 + i] = (uint8_t)(flags >> (8 * i));
	}
	sum = XXH64(h, 16, 0);
	for (int i = 0; i < 8; i++)
		h[16 + i] = (uint8_t)(sum >> (8 * i));
	return write_all(w, h, sizeof(h), e);
}

int vu_swriter_put(struct vu_swriter *w, uint32_t type, const void *p, size_t len,
		   struct vu_err *e)
{
	struct vu_sbuf *f = &w->frame;

	if (len > VU_STREAM_PAYLOAD_MAX)
		return vu_err_set(e, EMSGSIZE, "stream offset %llu: record of %zu bytes",
				  (unsigned long long)w->off, len);
	vu_sbuf_reset(f);
	vu_sbuf_u32(f, type);
	vu_sbuf_u32(f, (uint32_t)len);
	vu_sbuf_raw(f, p, len);
	if (f->oom)
		return vu_err_set(e, ENOMEM, "stream record");
	vu_sbuf_u64(f, XXH64(f->p, f->len, w->off));
	if (f->oom)
		return vu_err_set(e, ENOMEM, "stream record");
	w->records++;
	if (write_all(w, f->p, f->len, e) < 0)
		return -1;
	if (w->progress)
		w->progress(w->progress_arg, w->off);
	return 0;
}

void vu_swriter_free(struct vu_swriter *w)
{
	vu_sbuf_free(&w->frame);
}

/* --- reading records --- */

/* Read exactly @n bytes: 1, or 0 at the end of the stream before any of
 * them, or -1 (a short read is "truncated"). */
static int read_all(struct vu_sreader *r, void *p, size_t n, bool inside, struct vu_err *e)
{
	uint8_t *b = p;
	size_t got = 0;

	while (got < n) {
		ssize_t k;

		if (r->stop && *r->stop)
			return vu_err_set(e, EINTR, "stream offset %llu: interrupted",
					  (unsigned long long)r->off);
		k = read(r->fd, b + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return vu_err_set(e, errno, "stream offset %llu: read",
					  (unsigned long long)r->off);
		if (k == 0) {
			if (got == 0 && !inside)
				return 0;
			return vu_err_set(e, 0, "stream offset %llu: truncated (the stream ends "
					  "inside a record that began at offset %llu)",
					  (unsigned long long)r->off, (unsigned long long)r->rec_off);
		}
		got += (size_t)k;
		r->off += (uint64_t)k;
	}
	return 1;
}

int vu_sreader_start(struct vu_sreader *r, int fd, volatile sig_atomic_t *stop,
		     struct vu_err *e)
{
	uint8_t h[VU_STREAM_HEADER_LEN];
	uint64_t sum = 0;
	uint32_t version;
	int k;

	*r = (struct vu_sreader){ .fd = fd, .stop = stop };
	r->buf = malloc(VU_STREAM_PAYLOAD_MAX + 16);
	if (!r->buf)
		return vu_err_set(e, ENOMEM, "stream buffer");
	k = read_all(r, h, sizeof(h), false, e);
	if (k == 0)
		return vu_err_set(e, 0, "stream offset 0: empty stream");
	if (k < 0)
		return -1;
	if (memcmp(h, VU_STREAM_MAGIC, 8))
		return vu_err_set(e, 0, "stream offset 0: not a vunify guest stream");
	for (int i = 0; i < 8; i++)
		sum |= (uint64_t)h[16 + i] << (8 * i);
	if (sum != XXH64(h, 16, 0))
		return vu_err_set(e, 0, "stream offset 8: header checksum mismatch");
	version = get32(h + 8);
	if (version < 1 || version > VU_STREAM_VERSION)
		return vu_err_set(e, 0, "stream offset 8: format version %u (this vunify reads "
				  "1 to %u)", version, VU_STREAM_VERSION);
	r->version = version;
	r->flags = get32(h + 12);
	/* Version 1 has no flags; version 2 only those it defines. */
	if ((version == 1 && r->flags) || (r->flags & ~VU_STREAM_H_KNOWN))
		return vu_err_set(e, 0, "stream offset 12: unknown flags 0x%x", r->flags);
	return 0;
}

int vu_sreader_next(struct vu_sreader *r, uint32_t *type, struct vu_scur *c, struct vu_err *e)
{
	uint8_t *b = r->buf;
	uint64_t sum = 0;
	uint32_t len;
	int k;

	r->rec_off = r->off;
	k = read_all(r, b, 8, false, e);
	if (k <= 0)
		return k;
	*type = get32(b);
	len = get32(b + 4);
	if (len > VU_STREAM_PAYLOAD_MAX)
		return vu_err_set(e, 0, "stream offset %llu: record length %u out of bounds",
				  (unsigned long long)r->rec_off, len);
	if (read_all(r, b + 8, (size_t)len + 8, true, e) < 0)
		return -1;
	for (int i = 0; i < 8; i++)
		sum |= (uint64_t)b[8 + len + i] << (8 * i);
	if (sum != XXH64(b, 8 + (size_t)len, r->rec_off))
		return vu_err_set(e, 0, "stream offset %llu: record checksum mismatch (damaged)",
				  (unsigned long long)r->rec_off);
	*c = (struct vu_scur){ .p = b + 8, .len = len };
	r->records++;
	return 1;
}

int vu_sreader_end(struct vu_sreader *r, struct vu_err *e)
{
	uint8_t b;
	ssize_t k;

	do
		k = read(r->fd, &b, 1);
	while (k < 0 && errno == EINTR && !(r->stop && *r->stop));
	if (k < 0)
		return vu_err_set(e, errno, "stream offset %llu: read", (unsigned long long)r->off);
	if (k > 0)
		return vu_err_set(e, 0, "stream offset %llu: data after the end of the stream",
				  (unsigned long long)r->off);
	return 0;
}

void vu_sreader_free(struct vu_sreader *r)
{
	free(r->buf);
	r->buf = NULL;
}
