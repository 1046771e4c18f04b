// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vserver exec/enter: moving data between the caller and the command in the
 * guest (see join_int.h).  The command never holds a descriptor of the
 * caller's: this process reads the caller's stdin for it, and only while it
 * runs, so that nothing the caller types or feeds after the command has
 * exited can reach the guest (a background process of the command's keeps
 * the pipes, not the caller's terminal or files).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "join_int.h"

enum { PUMP_EOF, PUMP_MORE, PUMP_EMPTY };

static bool write_all(int to, const char *buf, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, n - off);

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
		off += (size_t)w;
	}
	return true;
}

/* One read from @from (non-blocking), all of it written to @to. */
static int pump(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? PUMP_EMPTY : PUMP_EOF;
	if (n == 0)
		return PUMP_EOF;
	return write_all(to, buf, (size_t)n) ? PUMP_MORE : PUMP_EOF;
}

/* What the command wrote before it exited; not what its background
 * processes may write later (they would keep us waiting). */
static void drain(int from, int to)
{
	if (from >= 0)
		while (pump(from, to) == PUMP_MORE)
			;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void winsize_copy(int master)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/* Pass what arrived on @sigfd on to @child's process group, as a terminal
 * would (it leads one, in a session of its own; if it moved, to it alone),
 * the window size to @master. */
static void forward_signals(int sigfd, pid_t child, int master)
{
	struct signalfd_siginfo si;

	while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGWINCH) {
			if (master >= 0)
				winsize_copy(master);
		} else if (si.ssi_signo != SIGCHLD && kill(-child, (int)si.ssi_signo) < 0) {
			kill(child, (int)si.ssi_signo);
		}
	}
}

static bool exited(pid_t child, int *status)
{
	return waitpid(child, status, WNOHANG) == child;
}

/* ---- pipes ---- */

/* The caller's stdin into the command's, one page at a time: the pipe holds
 * one page, so it is writable only once the command has read all of it,
 * and only then do we read the next page.  What the guest can see of the
 * caller's stdin is what the command asked for, and one page more. */
struct feed {
	int to;                     /* the pipe, -1 once closed */
	bool empty;                 /* the command took everything so far */
	char buf[4096];
	size_t len, off;
};

/* The command is gone or reads its stdin no more: what we read for it and
 * it did not take goes back to the caller's stdin if that is a file, so
 * that the caller's next command reads on where this one stopped (the
 * guest may have seen it), and we read no more of it. */
static void feed_stop(struct feed *f)
{
	struct stat st;
	int queued = 0;
	off_t unread;

	if (f->to < 0)
		return;
	if (ioctl(f->to, FIONREAD, &queued) < 0)
		queued = 0;
	unread = (off_t)(f->len - f->off) + queued;
	if (unread > 0 && fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
		lseek(STDIN_FILENO, -unread, SEEK_CUR);
	close_fd(&f->to);
}

static void feed_write(struct feed *f)
{
	ssize_t w = write(f->to, f->buf + f->off, f->len - f->off);

	if (w < 0 && errno != EAGAIN && errno != EINTR) {
		feed_stop(f);       /* EPIPE: nobody reads its stdin any more */
		return;
	}
	if (w > 0)
		f->off += (size_t)w;
	if (f->off == f->len)
		f->len = f->off = 0;
	f->empty = false;
}

static void feed_read(struct feed *f)
{
	ssize_t n = read(STDIN_FILENO, f->buf, sizeof(f->buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close_fd(&f->to);   /* end of the caller's stdin: the command's too */
		return;
	}
	f->len = (size_t)n;
	f->off = 0;
	feed_write(f);
}

int vu_relay_pipes(int in, int out, int err, pid_t child, int sigfd)
{
	struct feed f = { .to = in, .empty = true };
	int src[2] = { out, err == out ? -1 : err }, dst[2] = { STDOUT_FILENO, STDERR_FILENO };
	int status = 0;

	for (;;) {
		bool want_in = f.to >= 0 && f.empty && f.len == 0;
		struct pollfd p[5] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = f.to >= 0 && !want_in ? f.to : -1, .events = POLLOUT },
			{ .fd = want_in ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = src[0], .events = POLLIN },
			{ .fd = src[1], .events = POLLIN },
		};

		if (poll(p, 5, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & (POLLERR | POLLHUP | POLLNVAL))
			feed_stop(&f);
		else if (p[1].revents & POLLOUT) {
			f.empty = true;
			if (f.len > 0)
				feed_write(&f);
		}
		if (p[2].revents)
			feed_read(&f);
		for (int i = 0; i < 2; i++)
			if (p[3 + i].revents && pump(src[i], dst[i]) == PUMP_EOF)
				close_fd(&src[i]);   /* its end, or ours broken: it gets EPIPE */
		forward_signals(sigfd, child, -1);
		if (exited(child, &status)) {
			feed_stop(&f);
			drain(src[0], dst[0]);
			drain(src[1], dst[1]);
			goto out;
		}
	}
	feed_stop(&f);
	waitpid(child, &status, 0);
out:
	close_fd(&src[0]);
	close_fd(&src[1]);
	return status;
}

/* ---- a pty ---- */

int vu_relay_pty(int master, pid_t child, int sigfd)
{
	struct termios saved, raw;
	bool in_open = true, is_raw = false;
	int status = 0;

	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		is_raw = tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0;
	}
	fcntl(master, F_SETFL, O_NONBLOCK);
	winsize_copy(master);
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = master, .events = POLLIN },
			{ .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
		};

		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN)
			pump(master, STDOUT_FILENO);
		if (p[2].revents && pump(STDIN_FILENO, master) == PUMP_EOF)
			in_open = false;
		forward_signals(sigfd, child, master);
		if (exited(child, &status)) {
			drain(master, STDOUT_FILENO);
			goto out;
		}
		if ((p[1].revents & (POLLHUP | POLLERR)) && !(p[1].revents & POLLIN))
			break;
	}
	waitpid(child, &status, 0);
out:
	if (is_raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	return status;
}
