/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where a guest lives.
 *
 *   BASE/store/                  the shared store (format.h)
 *   BASE/guests/NAME/root/       the guest tree (backing directory)
 *   BASE/guests/NAME/guest.conf  its configuration (guestconf.h)
 *   RUN/KEY/NAME/lock            flock(LOCK_EX) held while the guest runs
 *   RUN/KEY/NAME/sock            the supervisor's control socket
 *   RUN/KEY/NAME/state           key=value lines for status and cleanup
 *   RUN/KEY/NAME/root/           the vunifyfs mount: the guest's /
 *   LOG/KEY/NAME/console.log     the guest's console
 *   LOG/KEY/NAME/supervisor.log  the supervisor's and vunifyfs' messages
 *
 * KEY names the base, so that two bases may hold guests of the same name
 * and never touch each other's: every host-wide name of a running guest
 * (runtime directory, cgroup vunify/KEY/NAME, the mark on its veth) comes
 * from KEY or from the base hash it is made of.  KEY is the base's last
 * component (at most 16 characters of [A-Za-z0-9._-], others as '_') and
 * the first 8 hex digits of the 64-bit FNV-1a hash of the base's real path:
 * "vunify-5c1f0e2a" for /var/lib/vunify.  `vserver info` prints it.
 *
 * BASE/guests/NAME is the barrier (vserver(8), BARRIER): root-owned, mode
 * 0000, so that no host user but root reaches the guest tree, where the
 * guest's root may leave setuid-root programs.
 *
 * BASE is /var/lib/vunify, or $VUNIFY_BASE, or --base.  RUN is /run/vunify,
 * or $VUNIFY_RUNDIR (for tests, so that all mounts stay below one scratch
 * directory).  LOG is /var/log/vunify (logs outlive a host's reboot, /run
 * does not), or $VUNIFY_LOGDIR.
 */
#ifndef VSUP_LAYOUT_H
#define VSUP_LAYOUT_H

#include <limits.h>
#include <stdbool.h>

#include "vunify/error.h"

#define VU_BASE_DEFAULT   "/var/lib/vunify"
#define VU_RUNDIR_DEFAULT "/run/vunify"
#define VU_LOGDIR_DEFAULT "/var/log/vunify"

#define VU_LAYOUT_KEYSZ 40

struct vu_layout {
	char name[64];
	char key[VU_LAYOUT_KEYSZ];  /* the base's, see above */
	char base[PATH_MAX];
	char store[PATH_MAX];
	char guest[PATH_MAX];       /* BASE/guests/NAME */
	char root[PATH_MAX];        /* BASE/guests/NAME/root */
	char conf[PATH_MAX];        /* BASE/guests/NAME/guest.conf */
	char run[PATH_MAX];         /* RUN/KEY/NAME */
	char lock[PATH_MAX];
	char sock[PATH_MAX];
	char state[PATH_MAX];
	char console[PATH_MAX];
	char log[PATH_MAX];
	char mnt[PATH_MAX];         /* RUN/KEY/NAME/root */
	char logdir[PATH_MAX];      /* LOG/KEY/NAME */
};

/* The base directory: @opt if set, else $VUNIFY_BASE, else the default;
 * made absolute. */
int vu_layout_base(char out[PATH_MAX], const char *opt, struct vu_err *e);

/* The runtime directory root ($VUNIFY_RUNDIR or /run/vunify). */
const char *vu_layout_rundir(void);

/* The log directory root ($VUNIFY_LOGDIR or /var/log/vunify). */
const char *vu_layout_logdir(void);

/* The 64-bit FNV-1a hash of @base's real path (of @base as given if it
 * cannot be resolved): two spellings of one base (a symlink, "..") agree. */
unsigned long long vu_layout_base_hash(const char *base);

/* KEY for @base (see above). */
void vu_layout_key(const char *base, char out[VU_LAYOUT_KEYSZ]);

/* Fill @l for guest @name below @base.  Fails (EINVAL) for a bad name. */
int vu_layout_init(struct vu_layout *l, const char *base, const char *name, struct vu_err *e);

/* Does the guest exist (BASE/guests/NAME is a directory)? */
bool vu_layout_exists(const struct vu_layout *l);

/* Is there a barrier between host users and the guest tree?  0 if some
 * directory from / down to BASE/guests/NAME is root's and searchable by
 * neither its group nor others; else EACCES, with a message that names
 * BASE/guests/NAME and the fix. */
int vu_layout_check_barrier(const struct vu_layout *l, struct vu_err *e);

/* Create RUN/KEY/NAME and LOG/KEY/NAME (and the levels above them) if
 * needed, mode 0700. */
int vu_layout_mkrun(const struct vu_layout *l, struct vu_err *e);

/* Open and lock RUN/NAME/lock (LOCK_EX|LOCK_NB).  Returns the descriptor
 * (O_CLOEXEC), or -1 with e->code EWOULDBLOCK if the guest runs. */
int vu_layout_lock(const struct vu_layout *l, struct vu_err *e);

/* True if a supervisor holds the guest's lock. */
bool vu_layout_running(const struct vu_layout *l);

#endif /* VSUP_LAYOUT_H */
