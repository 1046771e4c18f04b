/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vclone's engine: a new guest tree from a template, made of links.
 *
 * The template (SOURCE) must be a locked session guest that was just
 * hashified with `all` (hashify.h): every eligible file of it is then an
 * object, and the copy gets one more link to that object instead of the
 * data.  Everything else is copied exactly: directories, symlinks, device
 * nodes, fifos, sockets, excluded and small files (data by FICLONE or
 * copy_file_range, holes kept), with owner, mode, xattrs (POSIX ACLs and
 * capabilities too) and nanosecond atime and mtime; hardlink groups stay
 * groups.  Paths the rules skip ("~/path") are left out; stray temporaries
 * and whatever is mounted inside the template are not copied (a mount
 * point becomes an empty directory).
 *
 * The copy is built under a temporary name next to NEW (.BASE.vclone-*,
 * flock'ed while it is built) and renamed to NEW (which must not exist)
 * only when complete: NEW is never half made.  If anything fails, the
 * temporary tree is removed and NEW not created; what a killed vclone left
 * is removed by the next vclone of the same NEW.
 */
#ifndef VUNIFY_CLONE_H
#define VUNIFY_CLONE_H

#include <stdint.h>

#include "vunify/exclude.h"
#include "vunify/session.h"

struct vu_clone_opts {
	const struct vu_exclude *ex;
	uint64_t min_size;
};

struct vu_clone_stats {
	uint64_t files, bytes;                  /* regular files in the copy */
	uint64_t linked_files, linked_bytes;    /* links to objects */
	uint64_t copied_files, copied_bytes;    /* real copies */
	uint64_t dirs, symlinks, specials;
	uint64_t errors;
	double seconds;
};

/* Check that NEW can be made: it does not exist, its parent does, on the
 * store's filesystem and mount.  Errors here are the caller's. */
int vu_clone_check(struct vu_session *s, const char *newpath, struct vu_err *e);

int vu_clone(struct vu_session *s, struct vu_guest *src, const char *newpath,
	     const struct vu_clone_opts *o, struct vu_clone_stats *st, struct vu_err *e);

#endif /* VUNIFY_CLONE_H */
