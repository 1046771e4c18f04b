/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vhashify's engine: unify the identical files of the session's guests.
 *
 * 1. Scan: walk every locked guest (walk.h), apply the exclude rules and
 *    --min-size, and note each candidate -- a private regular file with one
 *    link that is not mostly holes (vu_meta_mostly_sparse) -- in a
 *    temporary table.  Files that are already links to an
 *    object are recognised by their inode number and never opened; files
 *    the guest hardlinked itself are left alone.  Stray temporaries of an
 *    interrupted run are removed.
 * 2. Group: candidates (and existing objects) with equal size, mode, owner
 *    and mtime (and atime with @strict_atime) are put together by sqlite (sorting on disk, so memory
 *    stays bounded); a candidate alone in its group can have no twin and is
 *    never read (unless @all).  A file whose stat is unchanged since it was
 *    last hashed takes its id from the index without being read.
 * 3. Link, group by group, on @jobs threads: hash what needs it, split the
 *    group by id, and replace each file by a link to an object instance
 *    whose content (byte for byte), xattrs and visible stat are equal
 *    (replace.h), making a new instance (store.h) where none fits.
 *
 * Linkers run side by side (store.h): the index's write lock is taken only
 * for short bursts, the store lock is shared, and each guest is locked only
 * for each single change.
 *
 * Testing switches: VUNIFY_TEST_GROUP_DELAY_MS=N makes every linking thread
 * sleep N ms before each group, so that a test can act while a run is under
 * way; VUNIFY_TEST_LINK_DELAY_MS=N makes it sleep N ms before each link,
 * with the guest locked and the file compared (after the object exists), so
 * that a test can change the file in the window the link's own checks
 * guard (replace.h).  Both take 0 to 60000; anything else is an error.
 *
 * Memory: the inode set of the objects (objset.h, <= 32 MB per million
 * objects), sqlite's cache (32 MB), one 1 MiB buffer pair per thread, and
 * the groups in flight; nothing grows with the number of files scanned.
 */
#ifndef VUNIFY_HASHIFY_H
#define VUNIFY_HASHIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "vunify/error.h"
#include "vunify/exclude.h"
#include "vunify/session.h"

struct vu_hashify_opts {
	const struct vu_exclude *ex; /* NULL: every path included */
	uint64_t min_size;           /* smaller files are never unified */
	unsigned jobs;               /* threads; 0: 4 per CPU (4 to 32) */
	bool ignore_mtime;           /* link files whose mtime differs (ids ignore it) */
	bool strict_atime;           /* link only files whose atime is equal (atime
	                              * is not identity: by default it is ignored) */
	bool all;                    /* make every candidate a link, twin or not */
};

struct vu_hashify_stats {
	uint64_t scanned_files, scanned_bytes;  /* regular files not excluded */
	uint64_t linked_files, linked_bytes;    /* replaced by links this run */
	uint64_t saved_bytes;                   /* linked_bytes - new object bytes */
	uint64_t objects_created, objects_bytes;
	uint64_t errors;                        /* files or guests that failed */
	uint64_t changed;                       /* changed or vanished meanwhile: skipped */
	uint64_t unified_files;                 /* already links to objects */
	uint64_t hardlinked_files;              /* the guest's own hardlinks: left alone */
	uint64_t foreign_files;                 /* marked, but not objects of this store */
	uint64_t candidates;                    /* files that might have a twin */
	uint64_t hashed_files, hashed_bytes;    /* ids computed this run */
	uint64_t read_files, read_bytes;        /* guest file contents read (hash, compare) */
	uint64_t temporaries_removed;
	uint64_t sparse_files;                  /* mostly holes: left alone */
	double seconds;
};

/* Run over the session's guests that are locked (or all, in a dry run)
 * and not failed.  File-level trouble is counted in @st and reported
 * through the session's report callbacks; -1 only if the run could not go
 * on (the index failed). */
int vu_hashify(struct vu_session *s, const struct vu_hashify_opts *o,
	       struct vu_hashify_stats *st, struct vu_err *e);

#endif /* VUNIFY_HASHIFY_H */
