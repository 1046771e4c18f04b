/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replacing a guest file by a link to a store object, atomically and
 * without a trace a guest could see.
 *
 *   1. link the object to a temporary name in the file's directory
 *      (".vunify-tmp.h<instance>.<n>", see format.h)
 *   2. exchange it with the file's name (renameat2 RENAME_EXCHANGE): the
 *      name now is the object, the temporary name the old file
 *   3. check that the old file is the inode we compared and that it did not
 *      change meanwhile; if it did, exchange back: the guest keeps its file
 *   4. remove the temporary name
 *   5. give the directory back its atime and mtime
 *
 * Steps 2-4 are vu_copy_swap() (copy.h), which vunifyfs's link break uses
 * too.  At every moment the name refers either to the old file or to the object,
 * whose content and metadata are equal.  A process killed in between leaves
 * at most the temporary name, and a journal record (journal.h) from which
 * the next run removes it and restores the directory's times.
 *
 * Changes to one directory from several threads are serialised, so that
 * each puts back the times the directory had before any of them.
 */
#ifndef VUNIFY_REPLACE_H
#define VUNIFY_REPLACE_H

#include <pthread.h>
#include <sys/stat.h>

#include "vunify/error.h"
#include "vunify/journal.h"

#define VU_REPLACE_LOCKS 64

struct vu_replace {
	struct vu_journal_slot *slot;       /* this thread's journal slot */
	pthread_mutex_t *dir_locks;         /* VU_REPLACE_LOCKS, shared by all threads */
	char tag[32];                       /* instance tag of the temporaries */
	unsigned counter;
};

enum vu_replace_result {
	VU_REPLACE_DONE = 0,
	VU_REPLACE_CHANGED,                 /* the file changed: left as it was */
	VU_REPLACE_FULL,                    /* the object has no room for a link (EMLINK) */
};

/* Set up @r for one thread; @worker numbers the thread in the instance tag. */
void vu_replace_init(struct vu_replace *r, struct vu_journal_slot *slot,
		     pthread_mutex_t *dir_locks, unsigned worker);

/*
 * Replace NAME in @dirfd (directory DIRPATH of the guest whose top is GUEST)
 * by a link to the object OBJNAME in @objdirfd.  @fd is the file open for
 * reading and @fstx its stat when it was compared with the object.
 * Returns an enum vu_replace_result, or -1 on error.
 */
int vu_replace_link(struct vu_replace *r, const char *guest, int dirfd, const char *dirpath,
		    const char *name, int fd, const struct statx *fstx, int objdirfd,
		    const char *objname, struct vu_err *e, const char *what);

/* Remove NAME (a stray temporary, never a directory) from @dirfd, keeping
 * the directory's times. */
int vu_replace_unlink(struct vu_replace *r, const char *guest, int dirfd, const char *dirpath,
		      const char *name, struct vu_err *e, const char *what);

#endif /* VUNIFY_REPLACE_H */
