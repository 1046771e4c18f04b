// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vhashify, step 3: one group of candidates on one thread (see
 * include/vunify/hashify.h).
 *
 *   hash      every member whose id is not known from the index
 *   split     members by id; a lone member with no object is left alone
 *   link      for each member, find an instance of its id that looks the
 *             same (stat), has the same xattrs and, byte for byte, the same
 *             content; replace the member by a link to it (replace.h).
 *             Where none fits, the member seeds a new instance -- linked
 *             only once a twin joined it, removed again if none did.
 *
 * A dry run does the same reading and comparing, with "virtual" instances
 * that stand for the objects it would make, and changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/compare.h"
#include "vunify/meta.h"
#include "vunify/resolve.h"
#include "vunify/store.h"
#include "hashify-int.h"

#define BUFSIZE (1024 * 1024)

int vu_worker_init(struct vu_hx_worker *w, struct vu_hx_shared *sh, unsigned index,
		   struct vu_err *e)
{
	memset(w, 0, sizeof(*w));
	w->sh = sh;
	w->index = index;
	w->slot.fd = -1;
	w->bufsize = BUFSIZE;
	w->key = vu_key_new();
	w->buf_a = malloc(BUFSIZE);
	w->buf_b = malloc(BUFSIZE);
	if (!w->key || !w->buf_a || !w->buf_b)
		return vu_err_set(e, ENOMEM, "worker");
	if (!sh->dry && vu_journal_slot_new(&sh->s->journal, &w->slot, e) < 0)
		return -1;
	vu_replace_init(&w->rep, &w->slot, sh->dir_locks, index + 1);
	return 0;
}

void vu_worker_fini(struct vu_hx_worker *w)
{
	if (w->slot.fd >= 0)
		vu_journal_slot_drop(&w->sh->s->journal, &w->slot);
	vu_key_free(w->key);
	free(w->buf_a);
	free(w->buf_b);
	w->key = NULL;
	w->buf_a = w->buf_b = NULL;
}

static void msg(struct vu_hx_group *g, enum vu_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void msg(struct vu_hx_group *g, enum vu_level level, const char *fmt, ...)
{
	va_list ap;
	char *text;

	if (g->nmsgs == g->capmsgs) {
		size_t cap = g->capmsgs ? g->capmsgs * 2 : 4;
		void *p = realloc(g->msgs, cap * sizeof(*g->msgs));

		if (!p)
			return;
		g->msgs = p;
		g->capmsgs = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (!text)
		return;
	g->msgs[g->nmsgs].level = level;
	g->msgs[g->nmsgs].text = text;
	g->nmsgs++;
}

static void msg_err(struct vu_hx_group *g, const struct vu_err *e)
{
	msg(g, VU_LOG_ERROR, "%s", e->msg);
}

static const char *label(struct vu_hx_worker *w, struct vu_hx_member *m, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", w->sh->s->guests[m->gidx].label, m->path);
	return buf;
}

/* A member, open and checked. */
struct opened {
	int dirfd, fd;
	const char *name;
	char dir[PATH_MAX];
	char what[PATH_MAX + 256];
	struct statx stx;
	struct vu_xattrs x;
	bool relaxed;                /* see still_scanned() */
};

static void close_member(struct opened *o)
{
	if (o->fd >= 0)
		close(o->fd);
	if (o->dirfd >= 0)
		close(o->dirfd);
	vu_xattrs_free(&o->x);
	o->fd = o->dirfd = -1;
}

/*
 * Is the open member @o still the file @m that was scanned?  An unmarked
 * file must still have one link and the same inode, size, mtime and ctime.
 * A file with a foreign mark may have several names, each a candidate
 * (scan.c); once another of them is linked, its link count and ctime move
 * and nothing else does.  It is then taken as "relaxed": its id may be
 * stale, so it may only join an instance it is byte for byte equal to,
 * never make one (link_member()).
 */
static bool still_scanned(const struct vu_hx_member *m, struct opened *o)
{
	const struct statx *a = &o->stx, *b = &m->scan;

	if (vu_meta_unchanged(a, b))
		return a->stx_nlink == 1 || o->x.marked;
	if (!o->x.marked || !vu_meta_same_inode(a, b) || a->stx_size != b->stx_size ||
	    !vu_meta_ts_eq(&a->stx_mtime, &b->stx_mtime) || a->stx_nlink >= b->stx_nlink)
		return false;
	o->relaxed = true;
	return true;
}

/*
 * Open member @m and check that it is still the file that was scanned.
 * 0: open; 1: it changed or vanished (outcome set); -1: error (outcome set).
 */
static int open_member(struct vu_hx_worker *w, struct vu_hx_group *g, struct vu_hx_member *m,
		       struct opened *o)
{
	const struct vu_guest *gu = &w->sh->s->guests[m->gidx];
	struct vu_err e;

	o->fd = o->dirfd = -1;
	o->relaxed = false;
	memset(&o->x, 0, sizeof(o->x));
	label(w, m, o->what, sizeof(o->what));
	o->name = vu_resolve_split(m->path, o->dir, sizeof(o->dir));
	if (!o->name) {
		vu_err_set(&e, ENAMETOOLONG, "%s", o->what);
		goto error;
	}
	o->dirfd = vu_resolve_dir(gu->fd, o->dir, 0);
	if (o->dirfd < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EXDEV)
			goto changed;
		vu_err_set(&e, errno, "%s", o->what);
		goto error;
	}
	o->fd = openat(o->dirfd, o->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		       O_NOATIME | O_CLOEXEC);
	if (o->fd < 0 && errno == EPERM)
		o->fd = openat(o->dirfd, o->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
			       O_CLOEXEC);
	if (o->fd < 0) {
		if (errno == ENOENT || errno == ELOOP)
			goto changed;
		vu_err_set(&e, errno, "%s", o->what);
		goto error;
	}
	if (vu_meta_statx(o->fd, "", &o->stx) < 0) {
		vu_err_set(&e, errno, "%s", o->what);
		goto error;
	}
	if (!S_ISREG(o->stx.stx_mode) || o->stx.stx_mode != m->scan.stx_mode ||
	    o->stx.stx_uid != m->scan.stx_uid || o->stx.stx_gid != m->scan.stx_gid ||
	    vu_meta_mostly_sparse(&o->stx))
		goto changed;
	if (vu_xattrs_read_fd(o->fd, &o->x, &e, o->what) < 0)
		goto error;
	if (!still_scanned(m, o))
		goto changed;
	/* A mark on a file that is not an object of this store (those are
	 * never candidates) is foreign: the file is unified like any other,
	 * its object gets this store's mark.  A name of several was counted
	 * by the scan already. */
	if (o->x.marked && m->scan.stx_nlink == 1 && !m->foreign) {
		m->foreign = true;
		msg(g, VU_LOG_INFO, "%s: carries %s but is not an object of %s: unified as any file",
		    o->what, VU_MARK_XATTR, w->sh->s->store.path);
	}
	return 0;
changed:
	msg(g, VU_LOG_INFO, "%s: changed or vanished during the run; skipped", o->what);
	m->outcome = VU_HX_CHANGED;
	close_member(o);
	return 1;
error:
	msg_err(g, &e);
	m->outcome = VU_HX_ERROR;
	close_member(o);
	return -1;
}

static void hash_member(struct vu_hx_worker *w, struct vu_hx_group *g, struct vu_hx_member *m)
{
	struct vu_key_meta km;
	struct opened o;
	struct statx after;
	uint64_t nread = 0;
	struct vu_err e;
	int r;

	if (open_member(w, g, m, &o) != 0)
		return;
	vu_key_meta_from_statx(&km, &o.stx);
	r = vu_key_fd(w->key, o.fd, &km, &o.x, w->sh->kflags, w->buf_a, w->bufsize, &m->id,
		      &nread, &e, o.what);
	g->read_files++;
	g->read_bytes += nread;
	atomic_fetch_add(&w->sh->bytes_done, nread);
	if (r == 0 && (vu_meta_statx(o.fd, "", &after) < 0 || !vu_meta_unchanged(&after, &o.stx)))
		r = -1, e.code = ESTALE;
	if (r < 0) {
		if (e.code == ESTALE) {
			msg(g, VU_LOG_INFO, "%s: changed during the run; skipped", o.what);
			m->outcome = VU_HX_CHANGED;
		} else {
			msg_err(g, &e);
			m->outcome = VU_HX_ERROR;
		}
		close_member(&o);
		return;
	}
	m->seen = o.stx;
	m->have_id = m->hashed = true;
	g->hashed_files++;
	g->hashed_bytes += o.stx.stx_size;
	close_member(&o);
}

/* One instance of the id being linked. */
struct inst {
	unsigned seq;
	struct statx stx;
	bool real;                   /* an object in the store (else: a dry run's) */
	bool full;
	bool xattrs_loaded;
	struct vu_xattrs x;          /* real instances: the object's */
	ssize_t seed;                /* member that made it and is not linked yet */
	ssize_t origin;              /* member that made it (a dry run compares with it) */
	ssize_t newobj;              /* its entry in g->objs, if made by this group */
};

struct part {
	struct vu_hx_worker *w;
	struct vu_hx_group *g;
	struct vu_hx_member **mem;   /* members with this id */
	size_t n;
	const struct vu_id *id;
	struct inst *inst;
	size_t ninst, capinst;
	unsigned next_seq;
};

static struct inst *inst_add(struct part *p)
{
	if (p->ninst == p->capinst) {
		size_t cap = p->capinst ? p->capinst * 2 : 4;
		void *q = realloc(p->inst, cap * sizeof(*p->inst));

		if (!q)
			return NULL;
		p->inst = q;
		p->capinst = cap;
	}
	memset(&p->inst[p->ninst], 0, sizeof(*p->inst));
	p->inst[p->ninst].seed = -1;
	p->inst[p->ninst].origin = -1;
	p->inst[p->ninst].newobj = -1;
	return &p->inst[p->ninst++];
}

/* Learn the instances the store has beyond those known (numbered from 0
 * without gaps): the number found, or -1 (ENOMEM).  Asked again before a
 * new instance is made, since another linker may have made one meanwhile. */
static int probe(struct part *p)
{
	struct vu_store *s = &p->w->sh->s->store;
	int found = 0;

	for (unsigned seq = p->next_seq;; seq++) {
		struct statx stx;
		struct inst *in;

		if (vu_store_stat(s, p->id, seq, &stx) < 0) {
			p->next_seq = seq;
			return found;
		}
		found++;
		if (!S_ISREG(stx.stx_mode))
			continue;
		in = inst_add(p);
		if (!in)
			return -1;
		in->seq = seq;
		in->stx = stx;
		in->real = true;
	}
}

/* Is member @o byte for byte (and xattr for xattr) what instance @in holds?
 * 1 yes, 0 no, -1 error (reported). */
static int same_as(struct part *p, struct opened *o, struct inst *in)
{
	struct vu_hx_worker *w = p->w;
	struct vu_store *s = &w->sh->s->store;
	_cleanup_close_ int fd = -1;
	uint64_t nread = 0;
	struct vu_err e;
	int r;

	if (in->full || !vu_store_has_room(s, &in->stx) ||
	    !vu_meta_looks_same(&o->stx, &in->stx, w->sh->ignore))
		return 0;
	if (in->real) {
		fd = vu_store_open_object(s, p->id, in->seq, &e);
		if (fd < 0)
			goto error;
		if (!in->xattrs_loaded) {
			if (vu_xattrs_read_fd(fd, &in->x, &e, o->what) < 0)
				goto error;
			in->xattrs_loaded = true;
		}
		if (!vu_xattrs_equal(&o->x, &in->x))
			return 0;
	} else {
		/* A dry run's instance: compare with the member that seeded it. */
		struct vu_hx_member *sm = p->mem[in->origin];
		struct opened so;

		if (open_member(w, p->g, sm, &so) != 0)
			return 0;
		if (!vu_xattrs_equal(&o->x, &so.x)) {
			close_member(&so);
			return 0;
		}
		fd = vu_steal_fd(&so.fd);
		close_member(&so);
	}
	r = vu_compare_fds(o->fd, fd, o->stx.stx_size, w->buf_a, w->buf_b, w->bufsize, &nread,
			   &e, o->what);
	p->g->read_files++;
	p->g->read_bytes += nread;
	atomic_fetch_add(&w->sh->bytes_done, nread);
	if (r < 0)
		goto error;
	return r;
error:
	msg_err(p->g, &e);
	return -1;
}

static void record_obj(struct part *p, struct inst *in)
{
	struct vu_hx_group *g = p->g;

	if (g->nobjs == g->capobjs) {
		size_t cap = g->capobjs ? g->capobjs * 2 : 4;
		void *q = realloc(g->objs, cap * sizeof(*g->objs));

		if (!q)
			return;
		g->objs = q;
		g->capobjs = cap;
	}
	in->newobj = (ssize_t)g->nobjs;
	g->objs[g->nobjs].id = *p->id;
	g->objs[g->nobjs].seq = in->seq;
	g->objs[g->nobjs].stx = in->stx;
	g->objs[g->nobjs].dropped = false;
	g->nobjs++;
}

/* Replace the open member by a link to @in.  Returns 0 when done (outcome
 * set), 1 if @in turned out to be full. */
static int link_to(struct part *p, struct vu_hx_member *m, struct opened *o, struct inst *in)
{
	struct vu_hx_worker *w = p->w;
	struct vu_session *s = w->sh->s;
	char objname[VU_STORE_NAME_MAX], hex[VU_ID_HEXLEN + 1];
	_cleanup_close_ int pin = -1;
	struct vu_err e;
	int objdir, r;

	if (!in->real || w->sh->dry) {
		m->outcome = VU_HX_LINKED;  /* a dry run: it would be */
		return 0;
	}
	objdir = vu_store_subdir(&s->store, p->id, false, &e);
	if (objdir < 0) {
		msg_err(p->g, &e);
		m->outcome = VU_HX_ERROR;
		return 0;
	}
	vu_store_name(p->id, in->seq, objname);
	/* Another linker may be about to remove an instance it made and found
	 * no use for: pinned, it stays (store.h). */
	pin = vu_store_pin(&s->store, p->id, in->seq, &in->stx, &e);
	if (pin < 0) {
		if (errno == ESTALE) {
			in->full = true;        /* gone: out of the running */
			return 1;
		}
		msg_err(p->g, &e);
		m->outcome = VU_HX_ERROR;
		return 0;
	}
	/* Only now, and only for this change, the guest's lock: mounted in
	 * the meantime, the guest keeps its file. */
	if (vu_session_guest_hold(s, &s->guests[m->gidx], &e) < 0) {
		msg(p->g, VU_LOG_INFO, "%s: skipped: %s", o->what, e.msg);
		m->outcome = VU_HX_CHANGED;
		return 0;
	}
	if (w->sh->test_link_delay_ms)
		usleep(w->sh->test_link_delay_ms * 1000);
	r = vu_replace_link(&w->rep, s->guests[m->gidx].path, o->dirfd, o->dir, o->name, o->fd,
			    &o->stx, objdir, objname, &e, o->what);
	vu_session_guest_release(s, &s->guests[m->gidx]);
	switch (r) {
	case VU_REPLACE_DONE:
		m->outcome = VU_HX_LINKED;
		in->stx.stx_nlink++;
		vu_id_hex(p->id, hex);
		msg(p->g, VU_LOG_INFO, "%s: linked to %s%s%.0u", o->what, hex, in->seq ? "." : "",
		    in->seq);
		return 0;
	case VU_REPLACE_FULL:
		in->full = true;
		return 1;
	case VU_REPLACE_CHANGED:
		msg(p->g, VU_LOG_INFO, "%s: changed during the run; skipped", o->what);
		m->outcome = VU_HX_CHANGED;
		return 0;
	default:
		msg_err(p->g, &e);
		m->outcome = VU_HX_ERROR;
		return 0;
	}
}

/* A twin joined instance @in: link the member that seeded it, too. */
static void link_seed(struct part *p, struct inst *in)
{
	struct vu_hx_member *sm = p->mem[in->seed];
	struct opened so;
	int r;

	in->seed = -1;
	if (!in->real) {
		sm->outcome = VU_HX_LINKED;
		p->g->virtual_objects++;
		p->g->virtual_bytes += sm->scan.stx_size;
		return;
	}
	if (open_member(p->w, p->g, sm, &so) != 0)
		return;
	r = same_as(p, &so, in);
	if (r == 1)
		link_to(p, sm, &so, in);
	close_member(&so);
}

/* Make a new instance from the open member.  NULL on error (reported). */
static struct inst *make_inst(struct part *p, size_t mi, struct opened *o)
{
	struct vu_hx_worker *w = p->w;
	struct inst *in = inst_add(p);
	struct vu_err e;
	int fd;

	if (!in)
		return NULL;
	in->seed = in->origin = (ssize_t)mi;
	if (w->sh->dry) {
		in->stx = o->stx;
		in->stx.stx_nlink = 1;
		return in;
	}
	in->real = true;
	in->seq = p->next_seq;
	fd = vu_store_create(&w->sh->s->store, p->id, o->fd, &o->stx, &o->x, &in->seq, &in->stx,
			     &e, o->what);
	if (fd < 0) {
		msg_err(p->g, &e);
		p->ninst--;
		return NULL;
	}
	p->next_seq = in->seq + 1;
	/* Its xattrs are the member's: the same set, minus nothing. */
	if (vu_xattrs_read_fd(fd, &in->x, &e, o->what) == 0)
		in->xattrs_loaded = true;
	close(fd);
	record_obj(p, in);
	return in;
}

static void link_member(struct part *p, size_t mi)
{
	struct vu_hx_member *m = p->mem[mi];
	struct opened o;
	struct inst *in;

	if (m->outcome != VU_HX_NONE || open_member(p->w, p->g, m, &o) != 0)
		return;
	for (;;) {
		in = NULL;
		for (size_t i = 0; i < p->ninst; i++) {
			int r = same_as(p, &o, &p->inst[i]);

			if (r < 0) {
				m->outcome = VU_HX_ERROR;
				goto out;
			}
			if (r == 1) {
				in = &p->inst[i];
				break;
			}
		}
		if (!in) {
			if (probe(p) > 0)
				continue;       /* made by another linker meanwhile */
			break;
		}
		if (link_to(p, m, &o, in) == 0) {
			if (m->outcome == VU_HX_LINKED && in->seed >= 0 && p->mem[in->seed] != m)
				link_seed(p, in);
			goto out;
		}
		/* Full: look again, that instance is out now. */
	}
	/* Nothing fits: this member seeds a new instance -- unless its id
	 * may be stale (still_scanned()): then it changed as far as we know. */
	if (o.relaxed) {
		msg(p->g, VU_LOG_INFO, "%s: changed during the run; skipped", o.what);
		m->outcome = VU_HX_CHANGED;
		goto out;
	}
	in = make_inst(p, mi, &o);
	if (!in) {
		m->outcome = VU_HX_ERROR;
		goto out;
	}
	if (p->w->sh->o->all) {
		in->seed = -1;
		if (!in->real) {
			m->outcome = VU_HX_LINKED;
			p->g->virtual_objects++;
			p->g->virtual_bytes += o.stx.stx_size;
		} else if (same_as(p, &o, in) == 1) {
			link_to(p, m, &o, in);
		}
	}
out:
	close_member(&o);
}

static void link_partition(struct part *p)
{
	struct vu_hx_worker *w = p->w;

	if (probe(p) < 0)
		return;
	/* A lone file and no object: no twin, nothing to read. */
	if (p->n == 1 && !p->ninst && !w->sh->o->all)
		return;
	for (size_t i = 0; i < p->n; i++)
		link_member(p, i);
	/* Instances no twin joined are removed again. */
	for (size_t i = 0; i < p->ninst; i++) {
		struct inst *in = &p->inst[i];
		struct vu_err e;

		if (in->real && in->seed >= 0 && in->newobj >= 0) {
			int r = vu_store_remove_unused(&w->sh->s->store, p->id, in->seq, &in->stx, &e);

			if (r < 0)
				msg_err(p->g, &e);
			else if (r == 0)
				p->g->objs[in->newobj].dropped = true;
		}
		vu_xattrs_free(&in->x);
	}
	free(p->inst);
	p->inst = NULL;
	p->ninst = p->capinst = 0;
}

static int cmp_member_id(const void *a, const void *b)
{
	const struct vu_hx_member *x = *(struct vu_hx_member *const *)a;
	const struct vu_hx_member *y = *(struct vu_hx_member *const *)b;
	int c = vu_id_cmp(&x->id, &y->id);

	if (c)
		return c;
	return x < y ? -1 : x > y;
}

void vu_worker_run(void *worker, void *group)
{
	struct vu_hx_worker *w = worker;
	struct vu_hx_group *g = group;
	struct vu_hx_member **by_id;
	size_t n = 0;

	if (w->sh->test_delay_ms)
		usleep(w->sh->test_delay_ms * 1000);
	for (size_t i = 0; i < g->n; i++) {
		if (!g->m[i].have_id)
			hash_member(w, g, &g->m[i]);
		atomic_fetch_add(&w->sh->files_done, 1);
	}
	by_id = malloc(g->n * sizeof(*by_id));
	if (!by_id) {
		msg(g, VU_LOG_ERROR, "out of memory");
		return;
	}
	for (size_t i = 0; i < g->n; i++)
		if (g->m[i].have_id && g->m[i].outcome == VU_HX_NONE)
			by_id[n++] = &g->m[i];
	qsort(by_id, n, sizeof(*by_id), cmp_member_id);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		struct part p = { .w = w, .g = g, .mem = &by_id[i], .id = &by_id[i]->id };
		pthread_mutex_t *lock = &w->sh->id_locks[by_id[i]->id.b[1]];

		while (j < n && vu_id_eq(&by_id[j]->id, p.id))
			j++;
		p.n = j - i;
		/* One thread at a time per id: instances are made, probed
		 * and removed under this lock. */
		pthread_mutex_lock(lock);
		link_partition(&p);
		pthread_mutex_unlock(lock);
		i = j;
	}
	free(by_id);
}
