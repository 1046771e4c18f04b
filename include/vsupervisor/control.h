/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The supervisor's control socket (RUN/NAME/sock, AF_UNIX SOCK_SEQPACKET,
 * mode 0600) and its state file (RUN/NAME/state).
 *
 * Requests, one message each, answered with "ok ..." or "err ERRNO MSG":
 *   info          "ok init=PID supervisor=PID started=EPOCH phase=running"
 *   pidfd         "ok PID" with a pidfd of init (SCM_RIGHTS): vserver exec
 *                 and enter join the guest's namespaces through it
 *   stop SECONDS  answered once the guest is down and everything is torn
 *                 down: "ok stopped"
 *   console       "ok"; from then on the connection is the guest's console:
 *                 each message the client sends is input to it, and what
 *                 the guest writes comes back in messages (dropped for a
 *                 client too slow to take it: the guest never waits)
 */
#ifndef VSUP_CONTROL_H
#define VSUP_CONTROL_H

#include <stdbool.h>
#include <sys/types.h>

#include "vunify/error.h"
#include "vsupervisor/guestconf.h"

struct vu_state {
	pid_t supervisor;
	pid_t init;                 /* host PID of the guest's init */
	pid_t fs;                   /* vunifyfs, 0 if the mount was not ours */
	long long started;          /* seconds since the epoch */
	char cgroup[8];             /* "v1" or "v2" */
	char host_ifname[VU_IFNAMSIZ];
	bool own_mount;
	bool nat;                   /* the guest has an nftables table */
};

int vu_state_write(const char *path, const struct vu_state *s, struct vu_err *e);
int vu_state_read(const char *path, struct vu_state *s, struct vu_err *e);

/* Listen on @path (replacing a stale socket).  Non-blocking, O_CLOEXEC. */
int vu_ctl_listen(const char *path, struct vu_err *e);

/* Send @req to the supervisor behind @path and wait (-1: forever) for the
 * reply; a passed descriptor goes to *fd if @fd is not NULL.  An "err"
 * reply becomes a -1 return with its errno and message.  ECONNREFUSED or
 * ENOENT: no supervisor. */
int vu_ctl_call(const char *path, const char *req, char *reply, size_t len, int *fd,
		int timeout_ms, struct vu_err *e);

/* As vu_ctl_call() without a reply or descriptor, but the connection stays
 * open: returned after an "ok" (for "console"), or -1. */
int vu_ctl_session(const char *path, const char *req, int timeout_ms, struct vu_err *e);

/* A request as the supervisor reads it (see the top of this file). */
enum vu_ctl_req { VU_CTL_UNKNOWN, VU_CTL_INFO, VU_CTL_PIDFD, VU_CTL_STOP, VU_CTL_CONSOLE };

/* What @req asks; for VU_CTL_STOP, *seconds gets its timeout (decimal
 * digits only, at most UINT_MAX: anything else is VU_CTL_UNKNOWN). */
enum vu_ctl_req vu_ctl_request(const char *req, unsigned *seconds);

#endif /* VSUP_CONTROL_H */
