// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vhashify, step 1: walk the guests and note the candidates (see
 * include/vunify/hashify.h).  The candidates go to a temporary sqlite
 * table of the index (vu_index_cand_add()), so that memory does not grow with the number of files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/format.h"
#include "vunify/meta.h"
#include "vunify/walk.h"
#include "hashify-int.h"

int vu_scan_begin(struct vu_scan *sc, struct vu_hx_shared *sh, struct vu_hashify_stats *st,
		  struct vu_err *e)
{
	struct vu_index *ix = &sh->s->index;

	memset(sc, 0, sizeof(*sc));
	sc->s = sh->s;
	sc->o = sh->o;
	sc->st = st;
	sc->ignore = sh->ignore;
	sc->dry = sh->dry;
	sc->slot.fd = -1;
	sc->start = vu_hashify_now();
	if (vu_index_cand_begin(ix, e) < 0)
		return -1;
	if (!sc->dry && vu_journal_slot_new(&sc->s->journal, &sc->slot, e) < 0)
		return -1;
	vu_replace_init(&sc->rep, &sc->slot, sh->dir_locks, 0);
	return 0;
}

void vu_scan_end(struct vu_scan *sc)
{
	vu_index_cand_end(&sc->s->index);
	if (sc->slot.fd >= 0)
		vu_journal_slot_drop(&sc->s->journal, &sc->slot);
}

static void progress(struct vu_scan *sc, bool last)
{
	const struct vu_report *r = sc->s->rep;
	double now = vu_hashify_now();
	struct vu_progress p = {
		.phase = "scanning",
		.files = sc->st->scanned_files,
		.bytes = sc->st->scanned_bytes,
		.elapsed = now - sc->start,
	};

	if (!r || !r->progress || (!last && now - sc->last_progress < 0.2))
		return;
	sc->last_progress = now;
	r->progress(r->arg, &p, last);
}

static int add_candidate(struct vu_scan *sc, const struct vu_walk_entry *ent);

/* A file with more than one link that is not a known object.  -1 only if
 * the run cannot go on (sc->err set). */
static int classify_linked(struct vu_scan *sc, const struct vu_walk_entry *ent)
{
	struct vu_err e;

	switch (vu_session_classify_linked(sc->s, ent->dirfd, ent->name, ent->stx, &e)) {
	case VU_LINKED_OBJECT:
		sc->st->unified_files++;
		break;
	case VU_LINKED_BY_GUEST:
		sc->st->hardlinked_files++;
		vu_report_log(sc->s->rep, VU_LOG_DEBUG, "%s%s: hardlinked by the guest, left alone",
			      sc->g->label, ent->path);
		break;
	case VU_LINKED_FOREIGN:
		/* The mark of another store (a tree copied with cp -a from a
		 * guest of it): each name was a unified file of its own there,
		 * never a hardlink the guest made (vunifyfs breaks a shared
		 * file before it links it), so each name is a candidate like
		 * any unmarked file.  Its claimed id is never used: the file
		 * is hashed, and linked after a byte-for-byte comparison. */
		sc->st->foreign_files++;
		vu_report_log(sc->s->rep, VU_LOG_INFO,
			      "%s%s: carries %s but is not an object of %s: unified as any file",
			      sc->g->label, ent->path, VU_MARK_XATTR, sc->s->store.path);
		return add_candidate(sc, ent);
	case VU_LINKED_GONE:
		break;
	default:
		vu_err_prefix(&e, "%s%s", sc->g->label, ent->path);
		vu_report_err(sc->s->rep, VU_LOG_ERROR, &e);
		sc->st->errors++;
		break;
	}
	return 0;
}

static int add_candidate(struct vu_scan *sc, const struct vu_walk_entry *ent)
{
	const struct statx *x = ent->stx;
	int64_t gkey = vu_group_key(x->stx_size, x->stx_mode, x->stx_uid, x->stx_gid,
				    vu_meta_ns(&x->stx_mtime), vu_meta_ns(&x->stx_atime), sc->ignore);

	if (vu_index_cand_add(&sc->s->index, sc->gidx, sc->g->id, ent->path, ent->pathlen, x, gkey,
			      &sc->err) < 0)
		return -1;
	sc->st->candidates++;
	return vu_index_tick(&sc->s->index, &sc->err);
}

static int remove_stray(struct vu_scan *sc, const struct vu_walk_entry *ent)
{
	char label[4096 + 256];
	size_t dl = ent->pathlen - strlen(ent->name) - 1;
	char *dir = strndup(ent->path, dl);
	struct vu_err e;
	int r;

	if (!dir)
		return 0;
	snprintf(label, sizeof(label), "%s%s", sc->g->label, ent->path);
	/* A change: under the guest's lock.  Mounted meanwhile, vunifyfs
	 * hides the temporary and removes it itself. */
	if (vu_session_guest_hold(sc->s, sc->g, &e) < 0) {
		free(dir);
		vu_report_log(sc->s->rep, VU_LOG_INFO, "%s: not removed: %s", label, e.msg);
		return 0;
	}
	r = vu_replace_unlink(&sc->rep, sc->g->path, ent->dirfd, dir, ent->name, &e, label);
	vu_session_guest_release(sc->s, sc->g);
	free(dir);
	if (r < 0) {
		vu_report_err(sc->s->rep, VU_LOG_ERROR, &e);
		sc->st->errors++;
		return 0;
	}
	sc->st->temporaries_removed++;
	vu_report_log(sc->s->rep, VU_LOG_INFO, "%s: removed a temporary left by an interrupted run",
		      label);
	return 0;
}

static int scan_entry(void *arg, const struct vu_walk_entry *ent, void **data)
{
	struct vu_scan *sc = arg;
	const struct statx *x = ent->stx;

	if (ent->reserved) {
		if (S_ISDIR(x->stx_mode)) {
			vu_report_log(sc->s->rep, VU_LOG_WARN, "%s%s: a directory with a reserved name; "
				      "left alone", sc->g->label, ent->path);
			return VU_WALK_NEXT;
		}
		return sc->dry ? VU_WALK_NEXT : remove_stray(sc, ent);
	}
	if (ent->mount_point) {
		vu_report_log(sc->s->rep, VU_LOG_INFO, "%s%s: a mount point; not entered",
			      sc->g->label, ent->path);
		return VU_WALK_NEXT;
	}
	if (S_ISDIR(x->stx_mode)) {
		if (vu_ex_included(ent->decision) ||
		    (sc->o->ex && vu_exclude_may_include_below(sc->o->ex, ent->path)))
			return VU_WALK_DESCEND;
		return VU_WALK_NEXT;
	}
	if (!S_ISREG(x->stx_mode) || !vu_ex_included(ent->decision))
		return VU_WALK_NEXT;
	sc->st->scanned_files++;
	sc->st->scanned_bytes += x->stx_size;
	progress(sc, false);
	if (x->stx_size < sc->o->min_size)
		return VU_WALK_NEXT;
	if (x->stx_nlink == 1 && vu_meta_mostly_sparse(x)) {
		sc->st->sparse_files++;
		vu_report_log(sc->s->rep, VU_LOG_INFO, "%s%s: mostly holes (%llu of %llu bytes "
			      "allocated); not unified", sc->g->label, ent->path,
			      (unsigned long long)x->stx_blocks * 512, (unsigned long long)x->stx_size);
		return VU_WALK_NEXT;
	}
	if (x->stx_nlink > 1) {
		if (vu_objset_has(&sc->s->objects, x->stx_ino))
			sc->st->unified_files++;
		else if (classify_linked(sc, ent) < 0) {
			sc->fatal = true;
			return VU_WALK_STOP;
		}
		return VU_WALK_NEXT;
	}
	if (add_candidate(sc, ent) < 0) {
		sc->fatal = true;
		return VU_WALK_STOP;
	}
	return VU_WALK_NEXT;
}

static void scan_error(void *arg, const struct vu_err *e)
{
	struct vu_scan *sc = arg;

	vu_report_err(sc->s->rep, VU_LOG_ERROR, e);
	sc->st->errors++;
}

int vu_scan_guest(struct vu_scan *sc, uint32_t gidx, struct vu_err *e)
{
	static const struct vu_walk_ops ops = { .entry = scan_entry, .error = scan_error };
	struct vu_walk_entry top = { 0 };
	int r;

	sc->g = &sc->s->guests[gidx];
	sc->gidx = gidx;
	(void)top;
	r = vu_walk(sc->g->fd, sc->g->label, sc->o->ex, &ops, sc, NULL, e);
	progress(sc, false);
	if (sc->fatal) {
		*e = sc->err;
		return -1;
	}
	if (r < 0) {
		/* The walk could not start: a guest-wide error. */
		sc->g->failed = true;
		vu_report_err(sc->s->rep, VU_LOG_ERROR, e);
		sc->st->errors++;
	}
	return 0;
}
