// SPDX-License-Identifier: GPL-2.0-or-later
/* Atomic replacement of a guest file by a link: see include/vunify/replace.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vunify/copy.h"
#include "vunify/format.h"
#include "vunify/meta.h"
#include "vunify/replace.h"

void vu_replace_init(struct vu_replace *r, struct vu_journal_slot *slot,
		     pthread_mutex_t *dir_locks, unsigned worker)
{
	r->slot = slot;
	r->dir_locks = dir_locks;
	snprintf(r->tag, sizeof(r->tag), "%s%xw%u", VU_TMP_TAG_HASHIFY, (unsigned)getpid(), worker);
	r->counter = 0;
}

/* The directory-time guard around one change. */
struct guard {
	pthread_mutex_t *lock;
	struct statx dir;
	bool journaled;
};

static int guard_begin(struct vu_replace *r, struct guard *g, const char *guest, int dirfd,
		       const char *dirpath, struct vu_err *e, const char *what)
{
	g->journaled = false;
	g->lock = NULL;
	if (vu_meta_statx(dirfd, "", &g->dir) < 0)
		return vu_err_set(e, errno, "%s: directory", what);
	g->lock = &r->dir_locks[g->dir.stx_ino % VU_REPLACE_LOCKS];
	pthread_mutex_lock(g->lock);
	/* Again under the lock: another thread may just have changed it. */
	if (vu_meta_statx(dirfd, "", &g->dir) < 0) {
		pthread_mutex_unlock(g->lock);
		g->lock = NULL;
		return vu_err_set(e, errno, "%s: directory", what);
	}
	if (r->slot) {
		if (vu_journal_begin(r->slot, guest, dirpath[0] ? dirpath : "/", &g->dir.stx_atime,
				     &g->dir.stx_mtime, e) < 0) {
			pthread_mutex_unlock(g->lock);
			g->lock = NULL;
			return -1;
		}
		g->journaled = true;
	}
	return 0;
}

static int guard_end(struct vu_replace *r, struct guard *g, int dirfd, struct vu_err *e,
		     const char *what)
{
	struct timespec ts[2] = { vu_meta_ts(&g->dir.stx_atime), vu_meta_ts(&g->dir.stx_mtime) };
	int rc = 0;

	if (futimens(dirfd, ts) < 0)
		rc = vu_err_set(e, errno, "%s: directory: set times", what);
	else if (g->journaled && vu_journal_end(r->slot, e) < 0)
		rc = -1;
	/* A failed restore keeps its journal record: the next run retries. */
	pthread_mutex_unlock(g->lock);
	return rc;
}

int vu_replace_link(struct vu_replace *r, const char *guest, int dirfd, const char *dirpath,
		    const char *name, int fd, const struct statx *fstx, int objdirfd,
		    const char *objname, struct vu_err *e, const char *what)
{
	char tmp[VU_TMP_PREFIX_LEN + sizeof(r->tag) + 16];
	struct guard g;
	int result = VU_REPLACE_DONE, rc;

	if (guard_begin(r, &g, guest, dirfd, dirpath, e, what) < 0)
		return -1;
	/* 1. The object under a temporary name. */
	for (;;) {
		snprintf(tmp, sizeof(tmp), "%s%s.%u", VU_TMP_PREFIX, r->tag, r->counter++);
		if (linkat(objdirfd, objname, dirfd, tmp, 0) == 0)
			break;
		if (errno == EEXIST)
			continue;
		if (errno == EMLINK) {
			result = VU_REPLACE_FULL;
			goto out;
		}
		rc = vu_err_set(e, errno, "%s: link", what);
		goto fail;
	}
	/* 2.-4. Swap it in for the file if that is still the one we compared
	 * (the copy core's swap, shared with vunifyfs's link break). */
	rc = vu_copy_swap(dirfd, tmp, name, fd, fstx, e, what);
	if (rc < 0 || rc == VU_COPY_SWAPPED_LEFT) {
		rc = -1;
		goto fail;
	}
	if (rc == VU_COPY_CHANGED)
		result = VU_REPLACE_CHANGED;
out:
	/* 5. The directory's times. */
	if (guard_end(r, &g, dirfd, e, what) < 0)
		return -1;
	return result;
fail:
	guard_end(r, &g, dirfd, e, what);
	return rc;
}

int vu_replace_unlink(struct vu_replace *r, const char *guest, int dirfd, const char *dirpath,
		      const char *name, struct vu_err *e, const char *what)
{
	struct guard g;
	int rc = 0;

	if (guard_begin(r, &g, guest, dirfd, dirpath, e, what) < 0)
		return -1;
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		rc = vu_err_set(e, errno, "%s", what);
	if (guard_end(r, &g, dirfd, e, what) < 0)
		return -1;
	return rc;
}
