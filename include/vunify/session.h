/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A session: one store, its index, and the guests a command works on, with
 * the locks that make it safe to change them.
 *
 * Opening a session for writing takes the store lock (STORE/lock), opens
 * the index, and finishes what an interrupted run left (journal.h).
 * Guests are checked first (vu_session_guest_add: exists, is a directory,
 * same filesystem and mount as the store, not nested with the store), then
 * locked (vu_session_guest_lock: the guest lock of format.h; fails if
 * vunifyfs has the guest mounted).
 *
 * A guest's lock need not be held while nothing changes it: a caller may
 * let it go (vu_session_guest_release) once the guest is admitted, and take
 * it again around each change (vu_session_guest_hold), so that scanning and
 * hashing -- which only read -- never keep a guest from being mounted.
 * Holds nest (threads share them); the flock is taken by the first and
 * dropped by the last.  The shared locks above the guest (treelock.h) stay
 * for the whole session: a guest containing it must not be mounted.
 */
#ifndef VUNIFY_SESSION_H
#define VUNIFY_SESSION_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "vunify/error.h"
#include "vunify/index.h"
#include "vunify/journal.h"
#include "vunify/objset.h"
#include "vunify/report.h"
#include "vunify/store.h"
#include "vunify/treelock.h"

struct vu_guest {
	char *label;                 /* as the user named it, for messages */
	char *path;                  /* canonical absolute path */
	int fd;                      /* its top directory; holds the guest lock */
	struct vu_treelock above;    /* shared locks above it (treelock.h) */
	int64_t id;                  /* in the index */
	struct statx stx;
	bool locked;                 /* admitted: its lock was free, and is ours
					to take (see vu_session_guest_hold) */
	unsigned holds;              /* the flock is held while > 0 */
	bool failed;                 /* a guest-wide error: left alone */
};

struct vu_session_obj {
	struct vu_id id;
	unsigned seq, kflags;
	struct statx stx;
};

enum vu_session_mode {
	VU_SESSION_WRITE,            /* change guests and the store */
	VU_SESSION_READ,             /* look only (stats, verify); no locks */
	VU_SESSION_DRY_RUN,          /* as WRITE, but change nothing */
};

struct vu_session {
	enum vu_session_mode mode;
	enum vu_store_lock_mode lock_mode;   /* for WRITE; set between begin and start */
	struct vu_store store;
	struct vu_index index;
	struct vu_journal journal;
	struct vu_objset objects;    /* inode numbers of all objects */
	struct vu_session_obj *pending;  /* found, for the index's next write */
	size_t npending, cappending;
	bool defer_objects;          /* object_found keeps them in pending */
	struct vu_guest *guests;
	size_t nguests;
	const struct vu_report *rep;
	bool store_absent;           /* a store not made yet (made by start, unless dry) */
	bool index_pending;          /* between begin and start */
	pthread_mutex_t guests_mu;   /* the guests' holds */
};

/* Open in two steps, so that guests can be checked (vu_session_guest_add)
 * before anything is created: begin looks at the store (or, if it does not
 * exist yet, at the directory it would be made in) and changes nothing;
 * start makes the store if need be, takes the store lock, opens the index
 * and finishes an interrupted run. */
int vu_session_begin(struct vu_session *s, const char *store, enum vu_session_mode mode,
		     const struct vu_report *rep, struct vu_err *e);
int vu_session_start(struct vu_session *s, struct vu_err *e);
/* Both in one. */
int vu_session_open(struct vu_session *s, const char *store, enum vu_session_mode mode,
		    const struct vu_report *rep, struct vu_err *e);
void vu_session_close(struct vu_session *s);

/* Check GUEST and add it (not yet locked).  Every error here is the
 * caller's: a missing path, not a directory, another filesystem. */
int vu_session_guest_add(struct vu_session *s, const char *guest, struct vu_err *e);
/* Take @g's guest lock and the shared locks above it (treelock.h: it may
 * be a directory inside a guest in use), and register it in the index. */
int vu_session_guest_lock(struct vu_session *s, struct vu_guest *g, struct vu_err *e);

/* Take @g's lock (again) before changing it: 0, or -1 if it is in use now
 * (mounted meanwhile).  Each hold drops vunifyfs's usage record, which is
 * stale once we change the tree (format.h). */
int vu_session_guest_hold(struct vu_session *s, struct vu_guest *g, struct vu_err *e);
void vu_session_guest_release(struct vu_session *s, struct vu_guest *g);

/* Register an object instance found on disk (inode set at once; index
 * now, or, with defer_objects, at the next vu_session_flush_objects). */
int vu_session_object_found(struct vu_session *s, const struct vu_id *id, unsigned seq,
			    const struct statx *stx, unsigned kflags, struct vu_err *e);
/* What a regular file with more than one link is to this store. */
enum vu_linked {
	VU_LINKED_OBJECT,            /* an object of this store (registered) */
	VU_LINKED_BY_GUEST,          /* a hardlink the guest made itself */
	VU_LINKED_FOREIGN,           /* marked, but not an object of this store */
	VU_LINKED_GONE,              /* removed meanwhile */
};
/* Classify @name in @dirfd (stat @stx): by the inode set, or else by its
 * mark and the store (an object the index lost, or one another linker made
 * since this session began).  -1 with @e set ("open: ..." or the mark's
 * name and the cause; the caller prefixes the path). */
int vu_session_classify_linked(struct vu_session *s, int dirfd, const char *name,
			       const struct statx *stx, struct vu_err *e);
/* Write the objects kept back (in the caller's index transaction). */
int vu_session_flush_objects(struct vu_session *s, struct vu_err *e);

#define VU_KFLAGS_UNKNOWN (~0u)

#endif /* VUNIFY_SESSION_H */
