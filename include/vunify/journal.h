/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The directory-time journal.
 *
 * Replacing a file by a link (or removing a stray temporary) changes its
 * directory's mtime, which a guest would see.  So every such change is
 * wrapped: note the directory's times in a journal slot, change it, set the
 * times back, clear the slot.  A process that is killed in between leaves
 * the slot set, and the next vhashify (before it touches anything else)
 * finishes the job: it removes the stray temporaries from that directory
 * (under that guest's lock, which the dead process held for the change)
 * and restores its times.
 *
 * Each worker thread owns one slot, a small file STORE/journal/sPID.N that
 * holds at most one record (written with one pwrite at offset 0), so the
 * journal never grows.  A process removes its slot files when it ends.
 * Linkers run side by side (store.h), so a slot is flock'd by its owner for
 * its whole life, and a replay takes only slots nobody holds: those of
 * processes that died.
 */
#ifndef VUNIFY_JOURNAL_H
#define VUNIFY_JOURNAL_H

#include <stdbool.h>
#include <sys/stat.h>

#include "vunify/error.h"
#include "vunify/store.h"

struct vu_journal {
	int dirfd;                   /* STORE/journal */
	char *path;
};

struct vu_journal_slot {
	int fd;
	char name[48];
};

int vu_journal_open(struct vu_journal *j, struct vu_store *s, struct vu_err *e);
void vu_journal_close(struct vu_journal *j);

int vu_journal_slot_new(struct vu_journal *j, struct vu_journal_slot *slot, struct vu_err *e);
/* Remove the slot (its record must be cleared). */
void vu_journal_slot_drop(struct vu_journal *j, struct vu_journal_slot *slot);

/* Note that directory DIR of guest GUEST (absolute host path of its top)
 * is about to change, and the times to give back to it. */
int vu_journal_begin(struct vu_journal_slot *slot, const char *guest, const char *dir,
		     const struct statx_timestamp *atime, const struct statx_timestamp *mtime,
		     struct vu_err *e);
/* The directory has its times back. */
int vu_journal_end(struct vu_journal_slot *slot, struct vu_err *e);

/* For every slot file left by a process that ended without clearing it,
 * call @fn with its record; a slot whose @fn returns 0 is removed, others
 * stay for the next run.  Empty slots are removed. */
typedef int (*vu_journal_fn)(void *arg, const char *guest, const char *dir,
			     const struct statx_timestamp *atime,
			     const struct statx_timestamp *mtime);
int vu_journal_replay(struct vu_journal *j, vu_journal_fn fn, void *arg, struct vu_err *e);

#endif /* VUNIFY_JOURNAL_H */
