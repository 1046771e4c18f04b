/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What `vserver list` and `vserver NAME status` show: gathered once per
 * guest here, printed as text or JSON by both commands (vserver(8), JSON
 * OUTPUT, documents every key).
 */
#ifndef VS_OVERVIEW_H
#define VS_OVERVIEW_H

#include <stdbool.h>
#include <sys/types.h>

#include "vsupervisor/cgroup.h"
#include "vsupervisor/guestconf.h"
#include "vsupervisor/layout.h"
#include "vunify/diskusage.h"
#include "json.h"

enum vs_run_state { VS_ST_STOPPED, VS_ST_RUNNING, VS_ST_STOPPING };

enum {
	VS_INFO_DISK = 1,           /* scan the tree for the disk usage (slow) */
	VS_INFO_ASK = 2,            /* ask the supervisor (its phase, init) */
};

struct vs_info {
	const struct vu_layout *l;
	enum vs_run_state state;
	bool conf_ok;
	struct vu_gconf c;          /* defaults if !conf_ok */
	char conf_err[1024];
	pid_t init;                 /* 0: unknown */
	long long started;          /* seconds since the epoch, 0: unknown */
	long long uptime;           /* seconds, -1: unknown */
	bool have_cg;               /* st and cg_backend are valid */
	char cg_backend[8];
	struct vu_cg_stats st;
	char cg_err[1024];
	bool have_du;
	struct vu_du du;
	char du_err[1024];
	int lxcfs;                  /* the guest's /proc/meminfo is lxcfs: 1, 0, -1 unknown */
};

/* Fill @i for the guest of @l; never fails (what cannot be known is
 * marked so, with the reason in *_err). */
void vs_info_gather(const struct vu_layout *l, unsigned flags, struct vs_info *i);
void vs_info_free(struct vs_info *i);

const char *vs_info_state(const struct vs_info *i);
const char *vs_info_net_mode(const struct vs_info *i);
/* The guest's configured addresses, "ADDR/PREFIX" joined by @sep, or "-". */
void vs_info_addrs(const struct vs_info *i, const char *sep, bool prefix, char *buf, size_t len);
/* "3d04h", "2h05m", "4m09s", "12s". */
void vs_duration(long long s, char *buf, size_t len);

/* @i as one JSON object (member @key of the enclosing one, or NULL). */
void vs_info_json(struct vs_json *j, const char *key, const struct vs_info *i);

#endif /* VS_OVERVIEW_H */
