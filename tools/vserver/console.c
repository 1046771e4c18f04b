// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vserver NAME console: attach to the guest's console (its /dev/console,
 * where init and a console getty write).  Ctrl-] detaches; so does the end
 * of standard input when it is not a terminal.  The guest's output is
 * copied as it is, escape sequences included, as any console client does.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "vsupervisor/console.h"
#include "vsupervisor/control.h"
#include "vunify/cleanup.h"
#include "vserver.h"

#define DETACH_KEY 0x1d         /* Ctrl-], as telnet and virsh console */

static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
	stop_sig = sig;
}

static bool write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		buf += w;
		n -= (size_t)w;
	}
	return true;
}

/* The guest's console is a log first (no ONLCR): on a raw terminal, a bare
 * "\n" becomes "\r\n" so that lines start at the left. */
static bool show(const char *buf, size_t n, bool raw, char *last)
{
	size_t from = 0;

	for (size_t i = 0; raw && i < n; i++) {
		char prev = i ? buf[i - 1] : *last;

		if (buf[i] != '\n' || prev == '\r')
			continue;
		if (!write_all(STDOUT_FILENO, buf + from, i - from) ||
		    !write_all(STDOUT_FILENO, "\r", 1))
			return false;
		from = i;
	}
	if (n)
		*last = buf[n - 1];
	return write_all(STDOUT_FILENO, buf + from, n - from);
}

/* Relay until detached (0), the guest went away (1) or a signal (2). */
static int relay(int sock, bool raw)
{
	char buf[VU_CONSOLE_PACKET], last = 0;
	struct pollfd p[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = sock, .events = POLLIN },
	};
	ssize_t n;

	while (!stop_sig) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (p[1].revents) {
			n = recv(sock, buf, sizeof(buf), 0);
			if (n <= 0 || !show(buf, (size_t)n, raw, &last))
				return 1;
		}
		if (p[0].revents) {
			char *key;

			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return 0;
			key = memchr(buf, DETACH_KEY, (size_t)n);
			if (key)
				n = key - buf;
			if (n > 0 && send(sock, buf, (size_t)n, MSG_NOSIGNAL) < 0)
				return 1;
			if (key)
				return 0;
		}
	}
	return 2;
}

int vs_console(struct vs *vs)
{
	struct sigaction sa = { .sa_handler = on_stop };
	_cleanup_close_ int sock = -1;
	struct termios saved, t;
	bool raw = false;
	struct vu_err e;
	int r;

	if (vs->argc > 1)
		return vs_failf(vs, VS_USAGE, "console: unexpected argument '%s'", vs->argv[1]);
	if ((r = vs_need_guest(vs)) != VS_OK)
		return r;
	if (!vu_layout_running(&vs->l))
		return vs_failf(vs, VS_STOPPED, "not running");
	sock = vu_ctl_session(vs->l.sock, "console", 10000, &e);
	if (sock < 0)
		return vs_fail(vs, e.code == ECONNREFUSED || e.code == ENOENT ||
			       e.code == ESRCH ? VS_STOPPED : VS_FAIL, &e);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		fprintf(stderr, "Attached to %s's console; Ctrl-] detaches.\r\n", vs->name);
		t = saved;
		cfmakeraw(&t);
		raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
	}
	r = relay(sock, raw);
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (r == 1) {
		fprintf(stderr, "%s%s: %s: the guest's console went away\n", raw ? "\r\n" : "",
			vs->prog, vs->name);
		return VS_STOPPED;
	}
	if (raw)
		fprintf(stderr, "\r\nDetached from %s's console.\n", vs->name);
	return r == 2 ? 128 + stop_sig : VS_OK;
}
