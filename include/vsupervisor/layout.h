/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where a guest lives.
 *
 *   BASE/store/                  the shared store (format.h)
 *   BASE/guests/NAME/root/       the guest tree (backing directory)
 *   BASE/guests/NAME/guest.conf  its configuration (guestconf.h)
 *   RUN/NAME/lock                flock(LOCK_EX) held while the guest runs
 *   RUN/NAME/sock                the supervisor's control socket
 *   RUN/NAME/state               key=value lines for status and cleanup
 *   RUN/NAME/console.log         the guest's console
 *   RUN/NAME/supervisor.log      the supervisor's and vunifyfs' messages
 *   RUN/NAME/root/               the vunifyfs mount: the guest's /
 *
 * BASE/guests/NAME is the barrier (vserver(8), BARRIER): root-owned, mode
 * 0000, so that no host user but root reaches the guest tree, where the
 * guest's root may leave setuid-root programs.
 *
 * BASE is /var/lib/vunify, or $VUNIFY_BASE, or --base.  RUN is /run/vunify,
 * or $VUNIFY_RUNDIR (for tests, so that all mounts stay below one scratch
 * directory).
 */
#ifndef VSUP_LAYOUT_H
#define VSUP_LAYOUT_H

#include <limits.h>
#include <stdbool.h>

#include "vunify/error.h"

#define VU_BASE_DEFAULT   "/var/lib/vunify"
#define VU_RUNDIR_DEFAULT "/run/vunify"

struct vu_layout {
	char name[64];
	char base[PATH_MAX];
	char store[PATH_MAX];
	char guest[PATH_MAX];       /* BASE/guests/NAME */
	char root[PATH_MAX];        /* BASE/guests/NAME/root */
	char conf[PATH_MAX];        /* BASE/guests/NAME/guest.conf */
	char run[PATH_MAX];         /* RUN/NAME */
	char lock[PATH_MAX];
	char sock[PATH_MAX];
	char state[PATH_MAX];
	char console[PATH_MAX];
	char log[PATH_MAX];
	char mnt[PATH_MAX];         /* RUN/NAME/root */
};

/* The base directory: @opt if set, else $VUNIFY_BASE, else the default;
 * made absolute. */
int vu_layout_base(char out[PATH_MAX], const char *opt, struct vu_err *e);

/* The runtime directory root ($VUNIFY_RUNDIR or /run/vunify). */
const char *vu_layout_rundir(void);

/* Fill @l for guest @name below @base.  Fails (EINVAL) for a bad name. */
int vu_layout_init(struct vu_layout *l, const char *base, const char *name, struct vu_err *e);

/* Does the guest exist (BASE/guests/NAME is a directory)? */
bool vu_layout_exists(const struct vu_layout *l);

/* Is there a barrier between host users and the guest tree?  0 if some
 * directory from / down to BASE/guests/NAME is root's and searchable by
 * neither its group nor others; else EACCES, with a message that names
 * BASE/guests/NAME and the fix. */
int vu_layout_check_barrier(const struct vu_layout *l, struct vu_err *e);

/* Create RUN/NAME (and RUN) if needed, mode 0700. */
int vu_layout_mkrun(const struct vu_layout *l, struct vu_err *e);

/* Open and lock RUN/NAME/lock (LOCK_EX|LOCK_NB).  Returns the descriptor
 * (O_CLOEXEC), or -1 with e->code EWOULDBLOCK if the guest runs. */
int vu_layout_lock(const struct vu_layout *l, struct vu_err *e);

/* True if a supervisor holds the guest's lock. */
bool vu_layout_running(const struct vu_layout *l);

#endif /* VSUP_LAYOUT_H */
