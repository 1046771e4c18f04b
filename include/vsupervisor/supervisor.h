/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-guest supervisor.
 *
 * `vserver NAME start` takes the guest's lock and forks the supervisor,
 * which keeps the lock (that is what "running" means) and:
 *
 *   1. forks a watchdog: a small host process that blocks on a pipe from
 *      the supervisor and, should the supervisor die (kill -9 included),
 *      kills the guest's cgroup, unmounts its root and removes its state;
 *   2. runs vunifyfs in the foreground as a child (its death is a SIGCHLD:
 *      the supervisor then kills the guest; an existing vunifyfs mount is
 *      reused and watched by a monitor process instead);
 *   3. creates the cgroup (limits, device list) and starts init in a new
 *      context (context.h), init having PR_SET_PDEATHSIG(SIGKILL);
 *   4. reports "init runs" to vserver start, which returns;
 *   5. serves the control socket (control.h), drains the console into the
 *      log, reaps init, answers init's reboot(2) (a halt stops the guest, a
 *      restart restarts it), and stops the guest on request or SIGTERM: the
 *      stop signal to init, --timeout seconds, then SIGKILL to the whole
 *      cgroup;
 *   6. once init is gone: kills what is left in the cgroup, removes it,
 *      deletes the host's veth end, unmounts the root, removes state and
 *      socket, tells the watchdog all is well, and exits.
 *
 * The supervisor is this library running in a process forked from vserver
 * (not a separate program): it inherits the parsed configuration and the
 * lock from `vserver start`, so there is nothing to re-read or re-check.
 */
#ifndef VSUP_SUPERVISOR_H
#define VSUP_SUPERVISOR_H

#include <sys/types.h>

#include "vsupervisor/cgroup.h"
#include "vunify/error.h"
#include "vsupervisor/guestconf.h"
#include "vsupervisor/layout.h"

/* Start the guest (the caller holds @lock_fd, see vu_layout_lock()): fork
 * the supervisor and wait until init runs.  *init_pid is its host PID. */
int vu_sup_start(const struct vu_layout *l, struct vu_gconf *conf, int lock_fd,
		 pid_t *init_pid, struct vu_err *e);

/* Remove what a dead supervisor left behind (cgroup and its processes,
 * mount, veth, socket, state).  The caller holds the lock. */
int vu_sup_cleanup(const struct vu_layout *l, struct vu_err *e);

/* What vu_sup_cleanup() and the watchdog do. */
struct vu_teardown {
	const struct vu_layout *l;
	struct vu_cgroup *cg;
	const char *host_ifname;    /* "" or NULL: no veth */
	bool umount;                /* unmount RUN/NAME/root */
	bool nat;                   /* delete the guest's nftables table */
};
int vu_teardown(const struct vu_teardown *t, struct vu_err *e);

/* Fork the watchdog; *wfd is the pipe to it: write 'q' and close it when
 * the supervisor ends normally. */
pid_t vu_watchdog_spawn(const struct vu_teardown *t, int keep_fd, int *wfd, struct vu_err *e);

#endif /* VSUP_SUPERVISOR_H */
