/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest's console: a pty whose slave is the guest's /dev/console (and
 * init's stdin, stdout and stderr) and whose master the supervisor drains
 * into RUN/NAME/console.log, rotated to console.log.old at 4 MiB, so that a
 * chatty guest can neither block on its console nor fill the host's /run.
 */
#ifndef VSUP_CONSOLE_H
#define VSUP_CONSOLE_H

#include <limits.h>

#include "vunify/error.h"

#define VU_CONSOLE_MAX (4u << 20)

struct vu_console {
	int master;
	int slave;                  /* kept open, so the master never sees EIO */
	char slave_path[64];
	int log;
	char log_path[PATH_MAX];
	unsigned long long written;
};

/* Open a pty and the log (the previous log becomes console.log.old). */
int vu_console_open(struct vu_console *c, const char *log_path, struct vu_err *e);

/* Move what the guest wrote into the log. */
void vu_console_pump(struct vu_console *c);

void vu_console_close(struct vu_console *c);

#endif /* VSUP_CONSOLE_H */
