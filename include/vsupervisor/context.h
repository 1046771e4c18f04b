/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Creating a guest's security context and starting its init in it.
 *
 * The caller (the supervisor) clones the first process with new PID, mount,
 * UTS, IPC and (unless network mode host) network namespaces.  While the
 * child waits, the parent moves it into the guest's cgroup and gives it its
 * veth end; then the child unshares its cgroup namespace (rooted at the
 * guest's group), configures its network, builds its file system view and
 * pivots into it (rootfs.h), takes the console as its controlling terminal,
 * reduces its capability bounding set, loads the seccomp filter (handing
 * the reboot listener to the parent), and executes init.  Any failure before
 * the exec comes back to the parent as a message; a successful exec closes
 * the synchronisation socket, which is how the parent knows init runs.
 */
#ifndef VSUP_CONTEXT_H
#define VSUP_CONTEXT_H

#include <sys/types.h>

#include "vsupervisor/cgroup.h"
#include "vunify/error.h"
#include "vsupervisor/guestconf.h"
#include "vsupervisor/layout.h"

struct vu_ctx_spec {
	const struct vu_layout *l;
	const struct vu_gconf *conf;
	struct vu_cgroup *cg;
	const char *console_path;   /* the pty's slave, on the host */
	int console_fd;             /* an open descriptor of it */
};

struct vu_ctx {
	pid_t init_pid;             /* in the host's PID namespace */
	int pidfd;
	int notify_fd;              /* seccomp reboot listener, -1 if none */
};

/* Start init; on success *ctx describes it.  On failure nothing of the
 * context is left but the cgroup, which the caller owns. */
int vu_ctx_start(const struct vu_ctx_spec *s, struct vu_ctx *ctx, struct vu_err *e);
/* Before execve in the guest: no signal blocked or ignored, every handler
 * the default (a guest process inherits neither from vserver). */
void vu_ctx_default_signals(void);

/* Raise the calling process's oom_score_adj to 0 if it is negative: guest
 * processes must not inherit a protection meant for the host's tools. */
int vu_oom_reset(struct vu_err *e);

/* The environment init and vserver exec give guest processes. */
extern char *const vu_ctx_env_path;

#endif /* VSUP_CONTEXT_H */
