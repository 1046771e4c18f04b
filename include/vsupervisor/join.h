/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running a command in a running guest (vserver exec / enter).
 *
 * The caller gets a pidfd of the guest's init from the supervisor and
 * enters the guest's PID namespace for its children.  Everything the
 * command will get is built on the host first: its environment (a fresh
 * one, nothing of the caller's), its standard descriptors (pipes of our
 * own, or /dev/null until it opens a pty in the guest's devpts) and its
 * arguments.  Then it forks a child that is never dumpable, puts it in a
 * session of its own and executes this very program again (a sealed memfd
 * copy of /proc/self/exe, see exe_copy in daemon/join.c) with that
 * environment and those descriptors: the process that joins the guest is
 * a fresh image that never held the caller's environment, descriptors or
 * memory (see vu_join_guest_main).  Wiping the environment in place
 * (clearenv, zeroing the strings) would leave everything else of the
 * caller's process in its memory, and its environment wherever libc or we
 * copied it; a new image leaves nothing to get.  The caller moves it into
 * the guest's cgroup from the host side; it joins the guest's mount, UTS,
 * IPC, network and cgroup namespaces through the pidfd (setns), gets the
 * guest's bounding set, seccomp filter, user and capabilities, and executes
 * the command.
 *
 * The caller relays: its stdin into the command's (only while the command
 * runs), the command's output back.  With a pty (the caller's stdin is a
 * terminal) it relays between the pty's master and the caller's terminal in
 * raw mode, restored afterwards, and passes the window size on.  No
 * descriptor of the caller's ever reaches the guest.
 */
#ifndef VSUP_JOIN_H
#define VSUP_JOIN_H

#include <stdbool.h>

#include "vunify/error.h"
#include "vsupervisor/guestconf.h"
#include "vsupervisor/layout.h"

struct vu_join {
	const struct vu_layout *l;
	const struct vu_gconf *conf;
	char *const *argv;          /* NULL: the user's login shell */
	bool pty;                   /* a pty of the guest's own, else pipes */
	const char *user;           /* "USER[:GROUP]", names or numbers; NULL: root */
	const char *workdir;        /* NULL: / (a login shell: the user's home) */
	char *const *env;           /* "VAR=VAL" added to the command's environment */
	size_t n_env;
};

/* Run it; returns the status to exit with (the command's exit code, or
 * 128 + signal); -1 with @e if it could not get into the guest
 * (ECONNREFUSED/ENOENT: not running); -2 with @e if the command could not
 * be executed in the guest, e->code then being the status to exit with
 * (127: not found, 126: other). */
int vu_join_run(const struct vu_join *j, struct vu_err *e);

/* The joining process's image: vu_join_run executes the program it runs in
 * again as "PROG VU_JOIN_GUEST_ARG ..."; its main() must hand such a call
 * to vu_join_guest_main() before doing anything else.  Never returns. */
#define VU_JOIN_GUEST_ARG "--vunify-join-guest"
__attribute__((noreturn)) void vu_join_guest_main(int argc, char **argv);

#endif /* VSUP_JOIN_H */
