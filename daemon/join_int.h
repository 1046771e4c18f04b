/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Between vu_join_run (the caller, daemon/join.c) and the image it executes
 * to join the guest (daemon/join_guest.c).
 *
 * The joining image's arguments:
 *   PROG VU_JOIN_GUEST_ARG CAPS FLAGS USER WORKDIR -- [COMMAND ARG...]
 * CAPS the guest's capability set in hex; FLAGS any of 's' (load the
 * seccomp filter), 'p' (open a pty in the guest's devpts), 'l' (no
 * command: the user's login shell); USER and WORKDIR may be empty (root;
 * the default directory).  Its descriptors: 0-2 the command's, 3 a pidfd of
 * the guest's init, 4 the socket to the caller, nothing else.
 *
 * On the socket: the caller sends "g" once the process is in the guest's
 * cgroup; the joining process may send "M" with the pty's master, and
 * "E<status> <message>" if it fails (then exits with <status>).  End of
 * file without "E" means the command was executed.
 */
#ifndef VUNIFY_JOIN_INT_H
#define VUNIFY_JOIN_INT_H

#define VU_JOIN_FD_PIDFD 3
#define VU_JOIN_FD_SYNC 4
#define VU_JOIN_NFDS 5

enum {
	VU_JOIN_ARG_CAPS = 2,
	VU_JOIN_ARG_FLAGS,
	VU_JOIN_ARG_USER,
	VU_JOIN_ARG_WORKDIR,
	VU_JOIN_ARG_DASHDASH,
	VU_JOIN_ARG_COMMAND,
};

#include <stdbool.h>
#include <sys/types.h>

/* The relays (daemon/join_relay.c): both return the command's wait status
 * once it has exited; signals that arrive on @sigfd are passed on to it.
 * Pipes: the caller's stdin goes to @in one page at a time, read only when
 * the command has taken all of the last one and only while it runs (then
 * what it did not take is given back to a seekable stdin); @out and @err
 * (may be the same pipe) go to our stdout and stderr.  Closes @in, @out
 * and @err. */
int vu_relay_pipes(int in, int out, int err, pid_t child, int sigfd);
/* A pty: between @master and the caller's terminal (raw mode if stdin is
 * one, restored before returning), passing the window size on. */
int vu_relay_pty(int master, pid_t child, int sigfd);

#endif /* VUNIFY_JOIN_INT_H */
