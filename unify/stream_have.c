// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The have-list (format: include/vunify/stream.h): the ids of the objects
 * a receiver's store holds, sent to the sender before the stream so that
 * it leaves those objects out -- a guest cloned from a template the other
 * host has costs its private files and its manifest, not the template.
 * And the check both ends make of an object of their own store before it
 * stands for an id: its content must have that id.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "vunify/key.h"
#include "vunify/stream.h"
#include "vunify/xattr.h"

struct idlist {
	struct vu_id *v;
	size_t n, cap;
};

static int collect(void *arg, const struct vu_id *id, unsigned seq, int dirfd, const char *name)
{
	struct idlist *l = arg;

	(void)seq, (void)dirfd, (void)name;
	if (!id)
		return 0;               /* not an object */
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		struct vu_id *q = realloc(l->v, cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		l->v = q;
		l->cap = cap;
	}
	l->v[l->n++] = *id;
	return 0;
}

static int id_cmp(const void *a, const void *b)
{
	return vu_id_cmp(a, b);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int write_all(int fd, const void *p, size_t n, struct vu_err *e)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t k = write(fd, b, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return vu_err_set(e, errno, "have-list: write");
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

int vu_have_write(struct vu_store *store, int fd, struct vu_err *e)
{
	struct idlist l = { 0 };
	uint8_t head[24], tail[8];
	XXH64_state_t *h = XXH64_createState();
	size_t n = 0;
	int rc = -1, k;

	if (!h)
		return vu_err_set(e, ENOMEM, "have-list");
	/* A store not made yet holds nothing: an empty list. */
	if (store->objfd >= 0) {
		k = vu_store_walk(store, collect, &l, e);
		if (k < 0 && k != -1)
			vu_err_set(e, -k, "have-list: %s", store->path);
		if (k != 0)
			goto out;
	}
	/* Each id once (several instances of one id). */
	if (l.n)           /* qsort(NULL, 0) is undefined */
		qsort(l.v, l.n, sizeof(*l.v), id_cmp);
	for (size_t i = 0; i < l.n; i++)
		if (!n || !vu_id_eq(&l.v[n - 1], &l.v[i]))
			l.v[n++] = l.v[i];
	memcpy(head, VU_HAVE_MAGIC, 8);
	memset(head + 8, 0, 8);
	head[8] = 1;
	put64(head + 16, n);
	XXH64_reset(h, 0);
	XXH64_update(h, head, sizeof(head));
	if (n)
		XXH64_update(h, l.v, n * sizeof(*l.v));
	put64(tail, XXH64_digest(h));
	if (write_all(fd, head, sizeof(head), e) < 0 ||
	    write_all(fd, l.v, n * sizeof(*l.v), e) < 0 || write_all(fd, tail, sizeof(tail), e) < 0)
		goto out;
	rc = 0;
out:
	XXH64_freeState(h);
	free(l.v);
	return rc;
}

static int read_all(int fd, void *p, size_t n, uint64_t *off, struct vu_err *e)
{
	uint8_t *b = p;

	while (n) {
		ssize_t k = read(fd, b, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return vu_err_set(e, errno, "have-list offset %llu: read",
					  (unsigned long long)*off);
		if (k == 0)
			return vu_err_set(e, 0, "have-list offset %llu: truncated (the receiver "
					  "ended before its list did)", (unsigned long long)*off);
		b += k;
		n -= (size_t)k;
		*off += (uint64_t)k;
	}
	return 0;
}

int vu_have_read(int fd, struct vu_id **ids, size_t *n, struct vu_err *e)
{
	uint8_t head[24], tail[8];
	uint64_t off = 0, count;
	struct vu_id *v = NULL;

	*ids = NULL;
	*n = 0;
	if (read_all(fd, head, sizeof(head), &off, e) < 0)
		return -1;
	if (memcmp(head, VU_HAVE_MAGIC, 8))
		return vu_err_set(e, 0, "have-list offset 0: not a have-list (is vunify "
				  "installed on the other side?)");
	if (head[8] != 1 || memcmp(head + 9, "\0\0\0\0\0\0\0", 7))
		return vu_err_set(e, 0, "have-list offset 8: unknown version");
	count = get64(head + 16);
	if (count > VU_HAVE_MAX)
		return vu_err_set(e, 0, "have-list offset 16: %llu ids, more than %llu",
				  (unsigned long long)count, VU_HAVE_MAX);
	v = malloc(count ? count * sizeof(*v) : 1);
	if (!v)
		return vu_err_set(e, ENOMEM, "have-list");
	if (read_all(fd, v, count * sizeof(*v), &off, e) < 0 ||
	    read_all(fd, tail, sizeof(tail), &off, e) < 0)
		goto fail;
	{
		XXH64_state_t *h = XXH64_createState();
		uint64_t sum;

		if (!h) {
			vu_err_set(e, ENOMEM, "have-list");
			goto fail;
		}
		XXH64_reset(h, 0);
		XXH64_update(h, head, sizeof(head));
		XXH64_update(h, v, count * sizeof(*v));
		sum = XXH64_digest(h);
		XXH64_freeState(h);
		if (sum != get64(tail)) {
			vu_err_set(e, 0, "have-list offset %llu: checksum mismatch (damaged)",
				   (unsigned long long)(off - 8));
			goto fail;
		}
	}
	for (uint64_t i = 1; i < count; i++)
		if (vu_id_cmp(&v[i - 1], &v[i]) >= 0) {
			vu_err_set(e, 0, "have-list offset %llu: ids not in order",
				   (unsigned long long)(24 + i * sizeof(*v)));
			goto fail;
		}
	*ids = v;
	*n = (size_t)count;
	return 0;
fail:
	free(v);
	return -1;
}

bool vu_have_has(const struct vu_id *ids, size_t n, const struct vu_id *id)
{
	return n && bsearch(id, ids, n, sizeof(*ids), id_cmp) != NULL;
}

int vu_stream_object_id_ok(int fd, const struct statx *stx, const struct vu_id *id,
			   void *buf, int *flags, struct vu_err *e, const char *what)
{
	static const unsigned try_flags[] = { 0, VU_KEY_IGNORE_MTIME };
	struct vu_xattrs xa = { 0 };
	struct vu_key *k = vu_key_new();
	struct vu_key_meta m;
	struct vu_id got;
	uint64_t nread;
	int rc = -1;

	if (!k)
		return vu_err_set(e, ENOMEM, "%s", what);
	if (vu_xattrs_read_fd(fd, &xa, e, what) < 0)
		goto out;
	vu_key_meta_from_statx(&m, stx);
	rc = 0;
	for (size_t i = 0; i < sizeof(try_flags) / sizeof(try_flags[0]); i++) {
		if (vu_key_fd(k, fd, &m, &xa, try_flags[i], buf, VU_STREAM_DATA_MAX, &got,
			      &nread, e, what) < 0) {
			rc = -1;
			break;
		}
		if (vu_id_eq(&got, id)) {
			*flags = (int)try_flags[i];
			rc = 1;
			break;
		}
	}
out:
	vu_key_free(k);
	vu_xattrs_free(&xa);
	return rc;
}
