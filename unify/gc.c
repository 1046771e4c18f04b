// SPDX-License-Identifier: GPL-2.0-or-later
/* vhashify gc: see include/vunify/maint.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vunify/maint.h"
#include "vunify/meta.h"

struct gc {
	struct vu_session *s;
	struct vu_gc_stats *st;
	bool dry;
	struct vu_err err;
};

static int gc_one(void *arg, const struct vu_id *id, unsigned seq, int dirfd, const char *name)
{
	struct gc *gc = arg;
	struct vu_session *s = gc->s;
	char hex[VU_ID_HEXLEN + 1];
	struct statx stx;
	unsigned kflags = VU_KFLAGS_UNKNOWN;

	if (!id) {
		vu_report_log(s->rep, VU_LOG_WARN, "%s/%s/.../%s: not an object; left alone",
			      s->store.path, VU_STORE_OBJECTS, name);
		return 0;
	}
	vu_id_hex(id, hex);
	if (vu_meta_statx(dirfd, name, &stx) < 0) {
		if (errno == ENOENT)
			return 0;
		vu_report_log(s->rep, VU_LOG_ERROR, "%s/%s/%.2s/%s: %s", s->store.path,
			      VU_STORE_OBJECTS, hex, name, strerror(errno));
		gc->st->errors++;
		return 0;
	}
	if (!S_ISREG(stx.stx_mode))
		return 0;
	if (stx.stx_nlink <= 1) {
		/* Only the store's name: no guest links it, nobody can reach it. */
		if (!gc->dry && unlinkat(dirfd, name, 0) < 0) {
			vu_report_log(s->rep, VU_LOG_ERROR, "%s/%s/%.2s/%s: %s", s->store.path,
				      VU_STORE_OBJECTS, hex, name, strerror(errno));
			gc->st->errors++;
			return 0;
		}
		vu_report_log(s->rep, VU_LOG_INFO, "%s%s/%.2s/%s: %s", gc->dry ? "would remove " : "removed ",
			      VU_STORE_OBJECTS, hex, name, "no guest links it");
		gc->st->removed++;
		gc->st->removed_bytes += stx.stx_size;
		if (!gc->dry && vu_index_object_del(&s->index, id, seq, &gc->err) < 0)
			return -1;
		return 0;
	}
	gc->st->objects++;
	gc->st->objects_bytes += stx.stx_size;
	if (gc->dry)
		return 0;
	/* Keep the index row in line (its key flags too, if it knew them). */
	if (vu_index_object_kflags(&s->index, id, seq, &kflags, &gc->err) < 0)
		return -1;
	if (vu_index_object_put(&s->index, id, seq, &stx, kflags, &gc->err) < 0)
		return -1;
	if (vu_index_gc_seen(&s->index, id, seq, &gc->err) < 0)
		return -1;
	return vu_index_tick(&s->index, &gc->err);
}

struct gone {
	struct vu_session *s;
	int64_t *id;
	size_t n, cap;
};

static int note_gone(void *arg, int64_t id, const char *path, struct vu_err *e)
{
	struct gone *g = arg;
	struct stat sb;

	(void)e;
	if (stat(path, &sb) == 0 || errno != ENOENT)
		return 0;
	if (g->n == g->cap) {
		void *p = realloc(g->id, (g->cap = g->cap ? g->cap * 2 : 16) * sizeof(*g->id));

		if (!p)
			return 1;       /* the rest next time */
		g->id = p;
	}
	g->id[g->n++] = id;
	vu_report_log(g->s->rep, VU_LOG_INFO, "%s: gone; forgotten", path);
	return 0;
}

/* Guests whose top directory no longer exists. */
static int forget_guests(struct gc *gc)
{
	struct gone g = { .s = gc->s };
	int r = 0;

	/* Collect first: no deletes while the guests are read. */
	if (vu_index_guests_each(&gc->s->index, note_gone, &g, &gc->err) < 0)
		r = -1;
	for (size_t i = 0; !r && i < g.n; i++) {
		if (vu_index_guest_forget(&gc->s->index, g.id[i], &gc->err) < 0)
			r = -1;
		else
			gc->st->guests_forgotten++;
	}
	free(g.id);
	return r;
}

int vu_gc(struct vu_session *s, bool dry, struct vu_gc_stats *st, struct vu_err *e)
{
	struct gc gc = { .s = s, .st = st, .dry = dry };
	int rc;

	memset(st, 0, sizeof(*st));
	if (!dry) {
		if (vu_index_begin(&s->index, e) < 0 || vu_index_gc_begin(&s->index, e) < 0)
			return -1;
	}
	rc = vu_store_walk(&s->store, gc_one, &gc, e);
	if (!dry && rc)
		vu_index_gc_end(&s->index);
	if (rc) {
		if (rc < 0 && gc.err.msg[0])
			*e = gc.err;
		return -1;
	}
	if (dry)
		return 0;
	if (vu_index_gc_forget_unseen(&s->index, e) < 0)
		return -1;
	if (forget_guests(&gc) < 0) {
		*e = gc.err;
		return -1;
	}
	return vu_index_commit(&s->index, e);
}
