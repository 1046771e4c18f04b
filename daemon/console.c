// SPDX-License-Identifier: GPL-2.0-or-later
/* The guest console: see include/vsupervisor/console.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

void vu_console_pump(struct vu_console *c)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(c->master, buf, sizeof(buf))) > 0) {
		if (c->written + (size_t)n > VU_CONSOLE_MAX)
			rotate(c);
		if (c->log >= 0 && write(c->log, buf, (size_t)n) == n)
			c->written += (size_t)n;
	}
}

void vu_console_close(struct vu_console *c)
{
	if (c->master >= 0)
		close(c->master);
	if (c->slave >= 0)
		close(c->slave);
	if (c->log >= 0)
		close(c->log);
	c->master = c->slave = c->log = -1;
}
