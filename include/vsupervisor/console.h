/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest's console: a pty whose slave is the guest's /dev/console (and
 * init's stdin, stdout and stderr) and whose master the supervisor drains
 * into RUN/NAME/console.log, rotated to console.log.old at 4 MiB, so that a
 * chatty guest can neither block on its console nor fill the host's disk.
 * Clients attached with `vserver NAME console` get a copy of the output
 * and may type into it (vsupervisor/control.h, "console").
 */
#ifndef VSUP_CONSOLE_H
#define VSUP_CONSOLE_H

#include <limits.h>
#include <stdbool.h>

#include "vunify/error.h"

#define VU_CONSOLE_MAX (4u << 20)
#define VU_CONSOLE_CLIENTS 4
#define VU_CONSOLE_PACKET  4096     /* the largest message either way */

struct vu_console {
	int master;
	int slave;                  /* kept open, so the master never sees EIO */
	char slave_path[64];
	int log;
	char log_path[PATH_MAX];
	unsigned long long written;
	int clients[VU_CONSOLE_CLIENTS];    /* attached sockets, -1 if free */
};

/* Open a pty and the log (the previous log becomes console.log.old). */
int vu_console_open(struct vu_console *c, const char *log_path, struct vu_err *e);

/* Move what the guest wrote into the log, and to the attached clients. */
void vu_console_pump(struct vu_console *c);

/* Attach the connected socket @fd (taken over); EBUSY if all places are
 * taken. */
int vu_console_attach(struct vu_console *c, int fd, struct vu_err *e);

/* Is @fd an attached client? */
bool vu_console_attached(const struct vu_console *c, int fd);

/* Handle what attached client @fd sent: input for the guest.  Returns
 * false (and detaches it) once it has gone. */
bool vu_console_input(struct vu_console *c, int fd);

void vu_console_close(struct vu_console *c);

#endif /* VSUP_CONSOLE_H */
