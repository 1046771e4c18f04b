/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vserver: one file per command (start.c, stop.c, ...), dispatched by main.c. */
#ifndef VSERVER_H
#define VSERVER_H

#include <stdbool.h>

#include "vunify/error.h"
#include "vsupervisor/guestconf.h"
#include "vsupervisor/layout.h"

/* Exit codes, as util-vserver's. */
enum {
	VS_OK = 0,
	VS_FAIL = 1,
	VS_USAGE = 2,
	VS_STOPPED = 3,
	VS_NOGUEST = 5,
};

struct vs {
	const char *prog;           /* "vserver" */
	char base[4096];
	const char *name;           /* guest, NULL for list */
	struct vu_layout l;
	int argc;                   /* the command's arguments, argv[0] the verb */
	char **argv;
};

/* One function per command. */
int vs_start(struct vs *vs);
int vs_stop(struct vs *vs);
int vs_restart(struct vs *vs);
int vs_enter(struct vs *vs);
int vs_console(struct vs *vs);
int vs_exec(struct vs *vs);
int vs_running(struct vs *vs);
int vs_status(struct vs *vs);
int vs_list(struct vs *vs);
int vs_show_info(struct vs *vs);
int vs_build(struct vs *vs);
int vs_delete(struct vs *vs);
int vs_snapshot(struct vs *vs);
int vs_send(struct vs *vs);
int vs_receive(struct vs *vs);
int vs_migrate(struct vs *vs);
/* all.c: vserver --all start|stop|status (vs->name is NULL). */
int vs_all(struct vs *vs);

struct vu_join;
/* exec.c: run @j (its layout and configuration filled in here) in the guest. */
int vs_join(struct vs *vs, struct vu_join *j);
/* exec.c: parse -u USER[:GROUP] -w DIR -e VAR=VAL (exec, enter) into @j,
 * the -e values into @env (room for argc); optind is then the first
 * argument after them.  VS_OK or VS_USAGE (printed). */
int vs_join_opts(struct vs *vs, const char *verb, struct vu_join *j, char **env);

/* delete.c: remove a directory tree safely (no symlinks, no mounts). */
int vs_rmtree(const char *path, struct vu_err *e);

/* common.c */
/* Print "vserver: NAME: MSG" and return @code. */
int vs_fail(struct vs *vs, int code, const struct vu_err *e);
int vs_failf(struct vs *vs, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* VS_NOGUEST (with a message) unless the guest exists. */
int vs_need_guest(struct vs *vs);
/* Load guest.conf (defaults first). */
int vs_load_conf(struct vs *vs, struct vu_gconf *c);
/* Remove leftovers of a supervisor that died, if the guest is not running.
 * Takes the lock itself; *locked tells whether it could. */
int vs_cleanup_stale(struct vs *vs, struct vu_err *e);
/* Stop the guest: 0, VS_STOPPED if it was not running, or VS_FAIL. */
int vs_do_stop(struct vs *vs, long timeout);
/* Parse "--timeout S" / "-t S" style options shared by stop and restart;
 * returns -1 (and prints) on a usage error.  *timeout < 0: the config's. */
int vs_parse_timeout(struct vs *vs, long *timeout);
/* Human-readable size: "1.5G". */
void vs_human(unsigned long long bytes, char *buf, size_t len);

#endif /* VSERVER_H */
