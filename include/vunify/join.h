/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running a command in a running guest (vserver exec / enter).
 *
 * The caller gets a pidfd of the guest's init from the supervisor, enters
 * the guest's PID namespace for its children and forks; the child is moved
 * into the guest's cgroup (by the parent, from the host side), then joins
 * the guest's mount, UTS, IPC, network and cgroup namespaces through the
 * pidfd (setns), and gets the guest's capability bounding set and seccomp
 * filter before it executes the command with a clean environment.  With a
 * pty, the child opens it in the guest's own devpts and the parent relays
 * between it and the caller's terminal (raw mode), so the guest never holds
 * a descriptor of the host's terminal.  Without, the caller's stdin,
 * stdout and stderr are the command's (TIOCSTI is refused by the filter).
 */
#ifndef VUNIFY_JOIN_H
#define VUNIFY_JOIN_H

#include <stdbool.h>

#include "vunify/error.h"
#include "vunify/guestconf.h"
#include "vunify/layout.h"

struct vu_join {
	const struct vu_layout *l;
	const struct vu_gconf *conf;
	char *const *argv;          /* NULL: root's login shell */
	bool pty;
};

/* Run it; returns the status to exit with (the command's exit code, or
 * 128 + signal); -1 with @e if it could not get into the guest
 * (ECONNREFUSED/ENOENT: not running); -2 with @e if the command could not
 * be executed in the guest, e->code then being the status to exit with
 * (127: not found, 126: other). */
int vu_join_run(const struct vu_join *j, struct vu_err *e);

#endif /* VUNIFY_JOIN_H */
