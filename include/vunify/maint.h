/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Store maintenance: vhashify gc, verify and stats.
 *
 * gc      removes the objects no guest links any more (link count 1: only
 *         the store's own name), brings the index's objects table in line
 *         with the store, and forgets guests whose directory is gone.
 *         Needs the store lock, so it never races vhashify or vclone.
 * verify  re-hashes every object and reports each whose content (or the
 *         metadata in its key) no longer matches its id -- a write from the
 *         host that bypassed vunifyfs -- or whose mark is missing or wrong.
 * stats   per guest: regular files, unified files, private and shared
 *         bytes, and the bytes its links save; and the store's totals.
 *         Sizes are apparent sizes (st_size).  A guest's saved bytes: each
 *         of its unified files of size S whose object has L links (the
 *         store's name included) saves S * (L - 2) / (L - 1), so that the
 *         guests' savings add up to what the store saves.
 */
#ifndef VUNIFY_MAINT_H
#define VUNIFY_MAINT_H

#include <stdbool.h>
#include <stdint.h>

#include "vunify/session.h"

struct vu_gc_stats {
	uint64_t objects, objects_bytes;        /* objects left */
	uint64_t removed, removed_bytes;        /* objects removed (or, dry, removable) */
	uint64_t guests_forgotten;
	uint64_t errors;
};

int vu_gc(struct vu_session *s, bool dry, struct vu_gc_stats *st, struct vu_err *e);

struct vu_verify_stats {
	uint64_t objects, bytes;
	uint64_t bad;                           /* content or key mismatch, bad mark */
	uint64_t errors;                        /* could not be read */
};

int vu_verify(struct vu_session *s, struct vu_verify_stats *st, struct vu_err *e);

struct vu_guest_stats {
	uint64_t files, unified_files;          /* regular files' names; unified: by the index */
	uint64_t shared_bytes, saved_bytes;     /* apparent sizes of the unified names */
	uint64_t private_bytes, private_inodes; /* format.h's "Private usage" */
	uint64_t foreign_marks;                 /* marked names that are no object of this store */
	uint64_t errors;
};

struct vu_store_stats {
	uint64_t objects, bytes, links;         /* links: guest links, all guests */
	uint64_t saved_bytes;
	uint64_t unreferenced, unreferenced_bytes;
};

/* Walk one guest (read only, no locks; diskusage.h's walk, any depth). */
int vu_stats_guest(struct vu_session *s, struct vu_guest *g, struct vu_guest_stats *st,
		   struct vu_err *e);
int vu_stats_store(struct vu_session *s, struct vu_store_stats *st, struct vu_err *e);
/* The guests the index knows whose directories still exist, added to the
 * session (for `stats` without guest arguments). */
int vu_stats_known_guests(struct vu_session *s, struct vu_err *e);

#endif /* VUNIFY_MAINT_H */
