// SPDX-License-Identifier: GPL-2.0-or-later
/* vhashify's engine, the conductor: see include/vunify/hashify.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vunify/meta.h"
#include "vunify/pool.h"
#include "vunify/size.h"
#include "hashify-int.h"

/* Groups in flight per thread: enough to keep every thread busy while the
 * main thread writes the index, few enough to bound memory. */
#define INFLIGHT_PER_THREAD 8

double vu_hashify_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct conductor {
	struct vu_hx_shared *sh;
	struct vu_hashify_stats *st;
	uint64_t files_total, bytes_total;
	double start, last_progress;
};

static void progress(struct conductor *c, bool last)
{
	const struct vu_report *r = c->sh->s->rep;
	double now = vu_hashify_now();
	struct vu_progress p = {
		.phase = c->sh->dry ? "comparing (dry run)" : "linking",
		.files = atomic_load(&c->sh->files_done),
		.bytes = atomic_load(&c->sh->bytes_done),
		.files_total = c->files_total,
		.bytes_total = c->bytes_total,
		.elapsed = now - c->start,
	};

	if (!r || !r->progress || (!last && now - c->last_progress < 0.2))
		return;
	c->last_progress = now;
	r->progress(r->arg, &p, last);
}

/* Take in what a worker did with a group: messages and counts. */
static void apply(struct conductor *c, struct vu_hx_group *g)
{
	struct vu_session *s = c->sh->s;
	struct vu_hashify_stats *st = c->st;

	for (size_t i = 0; i < g->nmsgs; i++)
		vu_report_log(s->rep, g->msgs[i].level, "%s", g->msgs[i].text);
	for (size_t i = 0; i < g->n; i++) {
		struct vu_hx_member *m = &g->m[i];

		switch (m->outcome) {
		case VU_HX_LINKED:
			st->linked_files++;
			st->linked_bytes += m->scan.stx_size;
			break;
		case VU_HX_CHANGED:
			st->changed++;
			break;
		case VU_HX_ERROR:
			st->errors++;
			break;
		default:
			break;
		}
		if (m->foreign)
			st->foreign_files++;
	}
	for (size_t i = 0; i < g->nobjs; i++) {
		if (g->objs[i].dropped)
			continue;
		st->objects_created++;
		st->objects_bytes += g->objs[i].stx.stx_size;
	}
	st->objects_created += g->virtual_objects;
	st->objects_bytes += g->virtual_bytes;
	st->hashed_files += g->hashed_files;
	st->hashed_bytes += g->hashed_bytes;
	st->read_files += g->read_files;
	st->read_bytes += g->read_bytes;
}

/* The index rows of a group: what became of each file, and its new objects. */
static int write_rows(struct conductor *c, struct vu_hx_group *g, struct vu_err *e)
{
	struct vu_session *s = c->sh->s;

	for (size_t i = 0; i < g->n; i++) {
		struct vu_hx_member *m = &g->m[i];

		if (m->outcome == VU_HX_LINKED) {
			if (vu_index_file_del(&s->index, m->guest_id, m->path, e) < 0)
				return -1;
		} else if (m->outcome == VU_HX_NONE && m->hashed) {
			if (vu_index_file_put(&s->index, m->guest_id, m->path, &m->seen,
					      c->sh->kflags, &m->id, e) < 0)
				return -1;
		}
	}
	for (size_t i = 0; i < g->nobjs; i++) {
		struct vu_hx_newobj *o = &g->objs[i];

		if (!o->dropped &&
		    vu_session_object_found(s, &o->id, o->seq, &o->stx, c->sh->kflags, e) < 0)
			return -1;
	}
	return 0;
}

/*
 * Other linkers share the index (store.h), and sqlite lets one writer in at
 * a time: rows are kept back and written in one short transaction about
 * once a second, so that the write lock is held for milliseconds, not for
 * the length of the work between rows.
 */
#define FLUSH_SECONDS 1.0
#define FLUSH_GROUPS 1024

struct backlog {
	struct vu_hx_group **g;
	size_t n, cap;
	double since;
};

static void backlog_drop(struct backlog *b)
{
	for (size_t i = 0; i < b->n; i++)
		vu_group_free(b->g[i]);
	b->n = 0;
}

static int flush(struct conductor *c, struct backlog *b, struct vu_err *e)
{
	struct vu_session *s = c->sh->s;
	int rc = -1;

	if (!c->sh->dry && (b->n || s->npending)) {
		if (vu_index_begin(&s->index, e) < 0 || vu_session_flush_objects(s, e) < 0)
			goto out;
		for (size_t i = 0; i < b->n; i++)
			if (write_rows(c, b->g[i], e) < 0)
				goto out;
		if (vu_index_commit(&s->index, e) < 0)
			goto out;
	}
	rc = 0;
out:
	backlog_drop(b);
	b->since = vu_hashify_now();
	return rc;
}

/* Keep @g for the next flush (it is freed there). */
static int backlog_add(struct conductor *c, struct backlog *b, struct vu_hx_group *g,
		       struct vu_err *e)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		void *q = realloc(b->g, cap * sizeof(*b->g));

		if (!q) {
			vu_group_free(g);
			return vu_err_set(e, ENOMEM, "vhashify");
		}
		b->g = q;
		b->cap = cap;
	}
	b->g[b->n++] = g;
	if (b->n >= FLUSH_GROUPS || vu_hashify_now() - b->since >= FLUSH_SECONDS)
		return flush(c, b, e);
	return 0;
}

/* Reading many small files is bound by the disk's latency, not by the
 * CPUs: threads mostly wait for their reads, and more reads in flight is
 * what makes it fast (measured on /usr: 4 threads per CPU ~1.8x of 1). */
static unsigned thread_count(const struct vu_hashify_opts *o)
{
	long n = o->jobs ? (long)o->jobs : 4 * sysconf(_SC_NPROCESSORS_ONLN);

	if (!o->jobs && n < 4)
		n = 4;
	if (!o->jobs && n > 32)
		n = 32;
	if (n < 1)
		n = 1;
	if (n > 256)
		n = 256;
	return (unsigned)n;
}

static int link_groups(struct conductor *c, struct vu_err *e)
{
	struct vu_hx_shared *sh = c->sh;
	unsigned n = thread_count(sh->o);
	struct vu_hx_worker *w = calloc(n, sizeof(*w));
	void **wp = calloc(n, sizeof(*wp));
	struct vu_group_iter it = { 0 };
	struct vu_pool pool;
	size_t cap = (size_t)n * INFLIGHT_PER_THREAD;
	unsigned started = 0;
	struct backlog bl = { .since = vu_hashify_now() };
	bool more = true, pool_up = false;
	int rc = -1;

	if (!w || !wp) {
		vu_err_set(e, ENOMEM, "threads");
		goto out;
	}
	for (; started < n; started++) {
		if (vu_worker_init(&w[started], sh, started, e) < 0) {
			vu_worker_fini(&w[started]);
			goto out;
		}
		wp[started] = &w[started];
	}
	if (vu_pool_start(&pool, n, cap, vu_worker_run, wp, e) < 0)
		goto out;
	pool_up = true;
	c->start = vu_hashify_now();
	for (;;) {
		struct vu_hx_group *g;

		while (more && vu_pool_inflight(&pool) < cap) {
			int r = vu_group_next(sh, &it, &g, e);

			if (r < 0)
				goto out;
			if (r == 0) {
				more = false;
				break;
			}
			vu_pool_submit(&pool, g);
		}
		if (!more && !vu_pool_inflight(&pool))
			break;
		g = vu_pool_collect(&pool, 200);
		if (g) {
			apply(c, g);
			if (backlog_add(c, &bl, g, e) < 0)
				goto out;
		} else if (vu_hashify_now() - bl.since >= FLUSH_SECONDS && flush(c, &bl, e) < 0) {
			goto out;
		}
		progress(c, false);
	}
	if (flush(c, &bl, e) < 0)
		goto out;
	progress(c, true);
	rc = 0;
out:
	backlog_drop(&bl);
	free(bl.g);
	if (pool_up) {
		struct vu_hx_group *g;

		/* On error: let the threads finish what they hold, then drop it. */
		while (vu_pool_inflight(&pool))
			if ((g = vu_pool_collect(&pool, 200)))
				vu_group_free(g);
		vu_pool_stop(&pool);
	}
	vu_group_iter_end(&it);
	for (unsigned i = 0; i < started; i++)
		vu_worker_fini(&w[i]);
	free(w);
	free(wp);
	return rc;
}

/* Rows of files that no longer are candidates (gone, or unified since). */
static int forget_stale(struct vu_session *s, struct vu_err *e)
{
	for (size_t i = 0; i < s->nguests; i++) {
		struct vu_guest *g = &s->guests[i];

		if (!g->locked || g->failed)
			continue;
		if (vu_index_forget_stale(&s->index, g->id, e) < 0 ||
		    vu_index_guest_ran(&s->index, g->id, e) < 0)
			return -1;
	}
	return 0;
}

/* A testing switch VUNIFY_TEST_*_DELAY_MS (hashify.h), strictly. */
static int test_delay(const char *name, unsigned *ms, struct vu_err *e)
{
	const char *v = getenv(name);
	uint64_t n = 0;

	if (v && vu_parse_uint(v, 0, 60000, &n) < 0)
		return vu_err_set(e, EINVAL, "%s=%s: not a number of milliseconds up to 60000",
				  name, v);
	*ms = (unsigned)n;
	return 0;
}

int vu_hashify(struct vu_session *s, const struct vu_hashify_opts *o,
	       struct vu_hashify_stats *st, struct vu_err *e)
{
	struct vu_hx_shared *sh = calloc(1, sizeof(*sh));
	struct conductor c = { .st = st };
	struct vu_scan sc;
	bool scanning = false;
	double t0 = vu_hashify_now();
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (!sh)
		return vu_err_set(e, ENOMEM, "vhashify");
	sh->s = s;
	sh->o = o;
	sh->dry = s->mode != VU_SESSION_WRITE;
	if (test_delay("VUNIFY_TEST_GROUP_DELAY_MS", &sh->test_delay_ms, e) < 0 ||
	    test_delay("VUNIFY_TEST_LINK_DELAY_MS", &sh->test_link_delay_ms, e) < 0) {
		free(sh);
		return -1;
	}
	sh->kflags = o->ignore_mtime ? VU_KEY_IGNORE_MTIME : 0;
	sh->ignore = (o->ignore_mtime ? VU_META_IGNORE_MTIME : 0) |
		     (o->strict_atime ? 0 : VU_META_IGNORE_ATIME);
	for (int i = 0; i < VU_REPLACE_LOCKS; i++)
		pthread_mutex_init(&sh->dir_locks[i], NULL);
	for (int i = 0; i < 256; i++)
		pthread_mutex_init(&sh->id_locks[i], NULL);
	c.sh = sh;
	/* Scanning and grouping write only temporary tables: a deferred
	 * transaction never takes the index's write lock, and the objects the
	 * scan finds wait for the first flush (other linkers write meanwhile). */
	s->index.deferred = true;
	s->defer_objects = true;
	if (vu_index_begin(&s->index, e) < 0 || vu_scan_begin(&sc, sh, st, e) < 0)
		goto out;
	scanning = true;
	for (uint32_t i = 0; i < s->nguests; i++) {
		struct vu_guest *g = &s->guests[i];

		if (g->failed || (!g->locked && !sh->dry))
			continue;
		if (vu_scan_guest(&sc, i, e) < 0)
			goto out;
	}
	if (s->rep && s->rep->progress) {
		struct vu_progress p = { .phase = "scanning", .files = st->scanned_files,
					 .bytes = st->scanned_bytes, .elapsed = vu_hashify_now() - t0 };

		s->rep->progress(s->rep->arg, &p, true);
	}
	if (vu_index_cand_done(&s->index, e) < 0 ||
	    vu_group_prepare(sh, &c.files_total, &c.bytes_total, e) < 0)
		goto out;
	if (vu_index_commit(&s->index, e) < 0)
		goto out;
	s->index.deferred = false;
	if (link_groups(&c, e) < 0)
		goto out;
	if (!sh->dry && (vu_index_begin(&s->index, e) < 0 || vu_session_flush_objects(s, e) < 0 ||
			 forget_stale(s, e) < 0 || vu_index_commit(&s->index, e) < 0))
		goto out;
	rc = 0;
out:
	if (scanning)
		vu_scan_end(&sc);
	s->defer_objects = false;
	/* Keep what was committed; the rest is redone next time. */
	if (rc < 0)
		vu_index_rollback(&s->index);
	vu_index_work_drop(&s->index);
	st->saved_bytes = st->linked_bytes > st->objects_bytes ? st->linked_bytes - st->objects_bytes : 0;
	st->seconds = vu_hashify_now() - t0;
	for (int i = 0; i < VU_REPLACE_LOCKS; i++)
		pthread_mutex_destroy(&sh->dir_locks[i]);
	for (int i = 0; i < 256; i++)
		pthread_mutex_destroy(&sh->id_locks[i]);
	free(sh);
	return rc;
}
