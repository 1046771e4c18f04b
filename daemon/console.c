// SPDX-License-Identifier: GPL-2.0-or-later
/* The guest console: see include/vsupervisor/console.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "vsupervisor/console.h"

static int open_log(struct vu_console *c, struct vu_err *e)
{
	struct stat st;

	c->log = open(c->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (c->log < 0)
		return vu_err_set(e, errno, "%s", c->log_path);
	c->written = fstat(c->log, &st) == 0 ? (unsigned long long)st.st_size : 0;
	return 0;
}

static void rotate(struct vu_console *c)
{
	char old[PATH_MAX + 8];
	struct vu_err e;

	snprintf(old, sizeof(old), "%s.old", c->log_path);
	if (c->log >= 0)
		close(c->log);
	c->log = -1;
	rename(c->log_path, old);
	open_log(c, &e);
}

int vu_console_open(struct vu_console *c, const char *log_path, struct vu_err *e)
{
	struct winsize ws = { .ws_row = 25, .ws_col = 80 };
	struct termios t;

	c->master = c->slave = c->log = -1;
	c->written = 0;
	for (size_t i = 0; i < VU_CONSOLE_CLIENTS; i++)
		c->clients[i] = -1;
	snprintf(c->log_path, sizeof(c->log_path), "%s", log_path);
	c->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (c->master < 0)
		return vu_err_set(e, errno, "/dev/ptmx");
	if (grantpt(c->master) < 0 || unlockpt(c->master) < 0 ||
	    ptsname_r(c->master, c->slave_path, sizeof(c->slave_path)) != 0) {
		vu_err_set(e, errno, "allocating the console pty");
		goto fail;
	}
	c->slave = open(c->slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (c->slave < 0) {
		vu_err_set(e, errno, "%s", c->slave_path);
		goto fail;
	}
	/* A log, not a terminal: no echo of what nobody typed, plain "\n". */
	if (tcgetattr(c->slave, &t) == 0) {
		t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		t.c_oflag &= ~(tcflag_t)ONLCR;
		tcsetattr(c->slave, TCSANOW, &t);
	}
	ioctl(c->slave, TIOCSWINSZ, &ws);
	fcntl(c->master, F_SETFL, O_NONBLOCK);
	rotate(c);
	if (c->log < 0 && open_log(c, e) < 0)
		goto fail;
	return 0;
fail:
	vu_console_close(c);
	return -1;
}

static void detach(struct vu_console *c, size_t i)
{
	close(c->clients[i]);
	c->clients[i] = -1;
}

/* A copy for each attached client, never waiting for one: a full socket
 * (a slow terminal) loses this piece; a closed one is detached. */
static void copy_to_clients(struct vu_console *c, const char *buf, size_t n)
{
	for (size_t i = 0; i < VU_CONSOLE_CLIENTS; i++) {
		if (c->clients[i] < 0)
			continue;
		for (size_t off = 0; off < n; off += VU_CONSOLE_PACKET) {
			size_t len = n - off < VU_CONSOLE_PACKET ? n - off : VU_CONSOLE_PACKET;

			if (send(c->clients[i], buf + off, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					detach(c, i);
				break;
			}
		}
	}
}

void vu_console_pump(struct vu_console *c)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(c->master, buf, sizeof(buf))) > 0) {
		if (c->written + (size_t)n > VU_CONSOLE_MAX)
			rotate(c);
		if (c->log >= 0 && write(c->log, buf, (size_t)n) == n)
			c->written += (size_t)n;
		copy_to_clients(c, buf, (size_t)n);
	}
}

int vu_console_attach(struct vu_console *c, int fd, struct vu_err *e)
{
	for (size_t i = 0; i < VU_CONSOLE_CLIENTS; i++) {
		if (c->clients[i] < 0) {
			c->clients[i] = fd;
			return 0;
		}
	}
	close(fd);
	return vu_err_set(e, EBUSY, "%d clients are attached already", VU_CONSOLE_CLIENTS);
}

bool vu_console_attached(const struct vu_console *c, int fd)
{
	for (size_t i = 0; i < VU_CONSOLE_CLIENTS; i++)
		if (fd >= 0 && c->clients[i] == fd)
			return true;
	return false;
}

bool vu_console_input(struct vu_console *c, int fd)
{
	char buf[VU_CONSOLE_PACKET];
	size_t i;
	ssize_t n;

	for (i = 0; i < VU_CONSOLE_CLIENTS && c->clients[i] != fd; i++)
		;
	if (i == VU_CONSOLE_CLIENTS)
		return false;
	/* Descriptors sent along are refused by the socket's own rule (no
	 * SCM_RIGHTS asked for): recv() drops them. */
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0) {
		detach(c, i);
		return false;
	}
	/* Typing into a full console loses keys, as on a real one; the
	 * supervisor never waits for the guest to read. */
	n = write(c->master, buf, (size_t)n);
	(void)n;
	return true;
}

void vu_console_close(struct vu_console *c)
{
	for (size_t i = 0; i < VU_CONSOLE_CLIENTS; i++)
		if (c->clients[i] >= 0)
			detach(c, i);
	if (c->master >= 0)
		close(c->master);
	if (c->slave >= 0)
		close(c->slave);
	if (c->log >= 0)
		close(c->log);
	c->master = c->slave = c->log = -1;
}
