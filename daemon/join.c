// SPDX-License-Identifier: GPL-2.0-or-later
/* Run a command in a running guest: see include/vunify/join.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "vunify/cgroup.h"
#include "vunify/cleanup.h"
#include "vunify/context.h"
#include "vunify/control.h"
#include "vunify/fdpass.h"
#include "vunify/join.h"
#include "vunify/secpolicy.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* ---- the child, in the guest ---- */

static __attribute__((noreturn)) void child_fail(int sync, const struct vu_err *e, int status)
{
	char msg[sizeof(e->msg) + 16];
	int n = snprintf(msg, sizeof(msg), "E%d %s", e->code, e->msg);

	vu_msg_send(sync, msg, (size_t)n, -1);
	_exit(status);
}

/* Root's home and shell from the guest's /etc/passwd (read in the guest,
 * with the guest's privileges only). */
static void root_shell(char *shell, size_t slen, char *home, size_t hlen)
{
	_cleanup_close_ int fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	_cleanup_fclose_ FILE *f = NULL;
	char line[1024];
	struct stat st;

	snprintf(shell, slen, "/bin/sh");
	snprintf(home, hlen, "/root");
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	f = fdopen(vu_steal_fd(&fd), "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *fields[7], *p = line;
		int n = 0;

		line[strcspn(line, "\n")] = 0;
		/* strsep keeps empty fields; strtok would not */
		while (n < 7 && (fields[n] = strsep(&p, ":")))
			n++;
		if (n == 7 && fields[2][0] == '0' && fields[2][1] == 0) {
			if (fields[5][0] == '/')
				snprintf(home, hlen, "%s", fields[5]);
			if (fields[6][0] == '/' && access(fields[6], X_OK) == 0)
				snprintf(shell, slen, "%s", fields[6]);
			return;
		}
	}
}

static void set_env(const char *term, const char *home)
{
	clearenv();
	putenv(vu_ctx_env_path);
	setenv("HOME", home, 1);
	setenv("container", "vunify", 1);
	if (term)
		setenv("TERM", term, 1);
	setenv("USER", "root", 1);
	setenv("LOGNAME", "root", 1);
}

static int child_pty(int sync, struct vu_err *e)
{
	int master, slave;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return vu_err_set(e, errno, "the guest's /dev/ptmx");
	if (unlockpt(master) < 0)
		return vu_err_set(e, errno, "unlockpt");
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave < 0)
		return vu_err_set(e, errno, "opening the pty");
	if (vu_msg_send(sync, "M", 1, master) < 0)
		return vu_err_set(e, errno, "passing the pty");
	close(master);
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return vu_err_set(e, errno, "making the pty the controlling terminal");
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return vu_err_set(e, errno, "dup2");
	if (slave > 2)
		close(slave);
	return 0;
}

static __attribute__((noreturn)) void child_main(const struct vu_join *j, int pidfd, int sync,
						 const char *term)
{
	uint64_t caps = vu_caps_of(j->conf);
	struct vu_err e = { 0 };
	char shell[256], home[256], argv0[260], go;
	char *login[] = { argv0, NULL };
	char *const *argv = j->argv;
	sigset_t none;

	if (read(sync, &go, 1) != 1)
		_exit(126);
	if (vu_oom_reset(&e) < 0)
		child_fail(sync, &e, 126);
	if (setns(pidfd, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
		  CLONE_NEWCGROUP) < 0) {
		vu_err_set(&e, errno, "joining the guest's namespaces");
		child_fail(sync, &e, 126);
	}
	close(pidfd);
	if (chdir("/") < 0) {
		vu_err_set(&e, errno, "chdir /");
		child_fail(sync, &e, 126);
	}
	if (j->pty && child_pty(sync, &e) < 0)
		child_fail(sync, &e, 126);
	if (sync > 3)
		close_range(3, (unsigned)sync - 1, 0);
	close_range((unsigned)sync + 1, ~0U, 0);
	if (vu_caps_bound(caps, &e) < 0 || (j->conf->seccomp && vu_scmp_load(NULL, &e) < 0) ||
	    vu_caps_set(caps, &e) < 0)
		child_fail(sync, &e, 126);

	root_shell(shell, sizeof(shell), home, sizeof(home));
	set_env(term, home);
	if (!argv) {
		const char *base = strrchr(shell, '/');

		snprintf(argv0, sizeof(argv0), "-%s", base ? base + 1 : shell);
		argv = login;
		if (chdir(home) < 0 && chdir("/") < 0)
			_exit(126);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	if (argv == login)
		execl(shell, argv0, (char *)NULL);
	else
		execvp(argv[0], argv);
	vu_err_set(&e, errno, "%s", argv == login ? shell : argv[0]);
	child_fail(sync, &e, errno == ENOENT ? 127 : 126);
}

/* ---- the caller ---- */

struct relay {
	int master;
	bool raw;
	struct termios saved;
};

static void relay_restore(struct relay *r)
{
	if (r->raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &r->saved);
	r->raw = false;
}

static void winsize_copy(int master)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

static bool copy(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 && (errno == EAGAIN || errno == EINTR);
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd p = { .fd = to, .events = POLLOUT };

				poll(&p, 1, 1000);
				continue;
			}
			return false;
		}
		off += w;
	}
	return true;
}

/* Relay until the child is gone; returns its wait status. */
static int relay_run(struct relay *r, pid_t child, int sigfd)
{
	bool in_open = true;
	int status = 0;

	fcntl(r->master, F_SETFL, O_NONBLOCK);
	winsize_copy(r->master);
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = r->master, .events = POLLIN },
			{ .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
		};
		struct signalfd_siginfo si;

		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN)
			copy(r->master, STDOUT_FILENO);
		if (p[2].revents & (POLLIN | POLLHUP))
			in_open = copy(STDIN_FILENO, r->master);
		while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGWINCH)
				winsize_copy(r->master);
			else if (si.ssi_signo != SIGCHLD)
				kill(child, (int)si.ssi_signo);
		}
		if (waitpid(child, &status, WNOHANG) == child) {
			/* Whatever it wrote last, then done (background jobs in
			 * the guest may hold the pty open: don't wait for them). */
			while (copy(r->master, STDOUT_FILENO))
				;
			return status;
		}
		if ((p[1].revents & (POLLHUP | POLLERR)) && !(p[1].revents & POLLIN))
			break;
	}
	waitpid(child, &status, 0);
	return status;
}

static int wait_plain(pid_t child, int sigfd)
{
	struct signalfd_siginfo si;
	int status;

	for (;;) {
		struct pollfd p = { .fd = sigfd, .events = POLLIN };

		if (waitpid(child, &status, WNOHANG) == child)
			return status;
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		while (read(sigfd, &si, sizeof(si)) == sizeof(si))
			if (si.ssi_signo != SIGCHLD && si.ssi_signo != SIGINT &&
			    si.ssi_signo != SIGQUIT && si.ssi_signo != SIGWINCH)
				kill(child, (int)si.ssi_signo);   /* the terminal's go to both */
	}
	waitpid(child, &status, 0);
	return status;
}

/* Wait for the child's exec (EOF) or failure; collect the pty master. */
static int await_child(int sync, int *master, struct vu_err *e)
{
	for (;;) {
		char msg[1200];
		int fd;
		ssize_t n = vu_msg_recv(sync, msg, sizeof(msg), &fd);

		if (n < 0)
			return vu_err_set(e, errno, "talking to the guest process");
		if (n == 0)
			return 0;
		if (msg[0] == 'M' && fd >= 0) {
			*master = fd;
			continue;
		}
		if (fd >= 0)
			close(fd);
		if (msg[0] == 'E') {
			char *sp = strchr(msg, ' ');

			snprintf(e->msg, sizeof(e->msg), "%s", sp ? sp + 1 : "failed");
			e->code = atoi(msg + 1);
			return -1;
		}
	}
}

int vu_join_run(const struct vu_join *j, struct vu_err *e)
{
	char reply[256];
	_cleanup_close_ int pidfd = -1, sigfd = -1;
	int sv[2] = { -1, -1 }, status = 0, ret = -1;
	struct relay r = { .master = -1 };
	struct vu_cgroup cg;
	sigset_t set, old;
	const char *term = getenv("TERM");
	pid_t child;

	if (vu_ctl_call(j->l->sock, "pidfd", reply, sizeof(reply), &pidfd, 10000, e) < 0)
		return -1;
	if (pidfd < 0)
		return vu_err_set(e, EPROTO, "%s: no pidfd from the supervisor", j->l->sock);
	if (vu_cg_open(&cg, j->l->name, e) < 0)
		return -1;
	if (setns(pidfd, CLONE_NEWPID) < 0)
		return vu_err_set(e, errno, "joining the guest's PID namespace");

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0)
		return vu_err_set(e, errno, "sigprocmask");
	sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigfd < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		vu_err_set(e, errno, "signalfd/socketpair");
		goto out;
	}
	fflush(NULL);
	child = fork();
	if (child < 0) {
		vu_err_set(e, errno, "fork");
		goto out;
	}
	if (child == 0) {
		close(sv[0]);
		child_main(j, pidfd, sv[1], term);
	}
	close(sv[1]);
	sv[1] = -1;
	if (cg.ops->attach(&cg, child, e) < 0 || write(sv[0], "g", 1) != 1) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
		goto out;
	}
	if (await_child(sv[0], &r.master, e) < 0) {
		waitpid(child, &status, 0);
		e->code = WIFEXITED(status) ? WEXITSTATUS(status) : 126;
		ret = -2;           /* the command's own failure: exit with e->code */
		goto out;
	}
	if (r.master >= 0) {
		if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &r.saved) == 0) {
			struct termios raw = r.saved;

			cfmakeraw(&raw);
			r.raw = tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0;
		}
		status = relay_run(&r, child, sigfd);
		relay_restore(&r);
	} else {
		status = wait_plain(child, sigfd);
	}
	ret = WIFEXITED(status) ? WEXITSTATUS(status) :
	      WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
out:
	if (r.master >= 0)
		close(r.master);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}
