// SPDX-License-Identifier: GPL-2.0-or-later
/* vhashify verify: see include/vunify/maint.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/key.h"
#include "vunify/maint.h"
#include "vunify/meta.h"
#include "vunify/xattr.h"

#define BUFSIZE (1024 * 1024)

struct verify {
	struct vu_session *s;
	struct vu_verify_stats *st;
	struct vu_key *key;
	void *buf;
	struct vu_err err;
};

/* The id of the open object under key flags @kflags. */
static int key_of(struct verify *v, int fd, const struct statx *stx, const struct vu_xattrs *x,
		  unsigned kflags, struct vu_id *id, const char *what)
{
	struct vu_key_meta m;
	uint64_t n;

	vu_key_meta_from_statx(&m, stx);
	return vu_key_fd(v->key, fd, &m, x, kflags, v->buf, BUFSIZE, id, &n, &v->err, what);
}

static int verify_one(void *arg, const struct vu_id *id, unsigned seq, int dirfd, const char *name)
{
	struct verify *v = arg;
	struct vu_session *s = v->s;
	_cleanup_close_ int fd = -1;
	char hex[VU_ID_HEXLEN + 1], what[4096];
	struct vu_xattrs x = { 0 };
	struct vu_id got;
	struct statx stx;
	unsigned kflags;
	int known, r;

	if (!id)
		return 0;
	vu_id_hex(id, hex);
	snprintf(what, sizeof(what), "%s/%s/%.2s/%s", s->store.path, VU_STORE_OBJECTS, hex, name);
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOATIME | O_CLOEXEC);
	if (fd < 0 || vu_meta_statx(fd, "", &stx) < 0) {
		vu_report_log(s->rep, VU_LOG_ERROR, "%s: %s", what, strerror(errno));
		v->st->errors++;
		return 0;
	}
	if (!S_ISREG(stx.stx_mode))
		return 0;
	v->st->objects++;
	v->st->bytes += stx.stx_size;
	if (vu_xattrs_read_fd(fd, &x, &v->err, what) < 0) {
		vu_report_err(s->rep, VU_LOG_ERROR, &v->err);
		v->st->errors++;
		return 0;
	}
	if (!x.marked || x.mark_len != VU_ID_HEXLEN || memcmp(x.mark, hex, VU_ID_HEXLEN)) {
		vu_report_log(s->rep, VU_LOG_ERROR, "%s: %s is %s", what, VU_MARK_XATTR,
			      x.marked ? "not its id" : "missing");
		v->st->bad++;
		goto out;
	}
	known = vu_index_object_kflags(&s->index, id, seq, &kflags, &v->err);
	if (known < 0) {
		vu_report_err(s->rep, VU_LOG_ERROR, &v->err);
		v->st->errors++;
		goto out;
	}
	/* Key flags not known (object found on disk): either will do. */
	r = key_of(v, fd, &stx, &x, known ? kflags : 0, &got, what);
	if (r == 0 && !vu_id_eq(&got, id) && !known)
		r = key_of(v, fd, &stx, &x, VU_KEY_IGNORE_MTIME, &got, what);
	if (r < 0) {
		vu_report_err(s->rep, VU_LOG_ERROR, &v->err);
		v->st->errors++;
		goto out;
	}
	if (!vu_id_eq(&got, id)) {
		vu_report_log(s->rep, VU_LOG_ERROR, "%s: content no longer matches its id "
			      "(written from the host, bypassing vunifyfs?)", what);
		v->st->bad++;
	} else {
		vu_report_log(s->rep, VU_LOG_DEBUG, "%s: ok", what);
	}
out:
	vu_xattrs_free(&x);
	return 0;
}

int vu_verify(struct vu_session *s, struct vu_verify_stats *st, struct vu_err *e)
{
	struct verify v = { .s = s, .st = st };
	int rc;

	memset(st, 0, sizeof(*st));
	v.key = vu_key_new();
	v.buf = malloc(BUFSIZE);
	if (!v.key || !v.buf) {
		vu_key_free(v.key);
		free(v.buf);
		return vu_err_set(e, ENOMEM, "verify");
	}
	rc = vu_store_walk(&s->store, verify_one, &v, e);
	vu_key_free(v.key);
	free(v.buf);
	return rc ? -1 : 0;
}
