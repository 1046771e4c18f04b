// SPDX-License-Identifier: GPL-2.0-or-later
/* vserver NAME status [--json]: running or stopped, and what the guest uses. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vsupervisor/lxcfs.h"
#include "overview.h"
#include "vserver.h"

static void print_disk(const struct vs_info *i)
{
	char priv[32], shared[32], lim[32];
	const struct vu_gconf *c = &i->c;

	if (!i->have_du) {
		printf("  disk:       %s\n", i->du_err);
		return;
	}
	vs_human(i->du.private_bytes, priv, sizeof(priv));
	vs_human(i->du.shared_bytes, shared, sizeof(shared));
	/* The exact bytes too: the number `vhashify stats` and vunifyfs's
	 * usage record give (format.h, "Private usage"). */
	printf("  disk:       private %s (%llu bytes) in %llu inodes", priv,
	       (unsigned long long)i->du.private_bytes, (unsigned long long)i->du.private_inodes);
	if (c->disk) {
		vs_human(c->disk, lim, sizeof(lim));
		printf(" (limit %s", lim);
		if (c->inodes)
			printf(", %llu inodes", (unsigned long long)c->inodes);
		printf(")");
	} else if (c->inodes) {
		printf(" (limit %llu inodes)", (unsigned long long)c->inodes);
	}
	printf("; shared %s in %llu inodes\n", shared, (unsigned long long)i->du.shared_inodes);
}

static void print_net(const struct vs_info *i)
{
	char a[256];

	printf("  network:    %s", vs_info_net_mode(i));
	if (i->conf_ok && (vu_net_has_veth(i->c.net_mode) || i->c.link[0])) {
		vs_info_addrs(i, ", ", true, a, sizeof(a));
		if (i->c.link[0])
			printf(" (on %s", i->c.link);
		else
			printf(" (host end %s", i->c.host_ifname);
		if (i->c.bridge[0])
			printf(" in bridge %s", i->c.bridge);
		printf(", guest %s)", a);
		if (i->c.nat)
			printf(", nat%s", i->c.n_publish ? ", published ports" : "");
	}
	printf("\n");
}

static void print_cgroup(const struct vs_info *i)
{
	const struct vu_cg_stats *st = &i->st;
	char mem[32], lim[32];

	if (!i->have_cg) {
		printf("  cgroup:     %s\n", i->cg_err);
		return;
	}
	printf("  cgroup:     %s %s/%s/%s\n", i->cg_backend, VU_CG_PARENT, i->l->key, i->l->name);
	printf("  processes:  %u", st->nprocs);
	if (st->pids_limit)
		printf(" (limit %llu)", (unsigned long long)st->pids_limit);
	vs_human(st->memory, mem, sizeof(mem));
	printf("\n  memory:     %s", st->have_memory ? mem : "(no memory controller)");
	if (st->memory_limit) {
		vs_human(st->memory_limit, lim, sizeof(lim));
		printf(" (limit %s)", lim);
	}
	if (st->have_cpu)
		printf("\n  cpu:        %.2f s\n", (double)st->cpu_ns / 1e9);
	else
		printf("\n  cpu:        (no cpu accounting)\n");
}

/* What /proc in the guest tells about memory and CPUs (vserver(8), LXCFS). */
static void print_lxcfs(const struct vs_info *i)
{
	static const char host[] = "/proc shows the host's memory and CPUs";
	char dir[4096];
	struct vu_err e;

	printf("  lxcfs:      ");
	if (i->lxcfs == 1)
		printf("/proc shows the guest's own memory, CPUs and uptime\n");
	else if (i->c.lxcfs == VU_LXCFS_NO)
		printf("not used ([guest] lxcfs = no); %s\n", host);
	else if (vu_lxcfs_find(dir, &e) < 0)
		printf("not mounted; %s\n", host);
	else if (i->state != VS_ST_STOPPED)
		printf("not used by this guest (started before lxcfs was, or it did not "
		       "answer); %s\n", host);
	else
		printf("mounted at %s, used from the next start\n", dir);
}

int vs_status(struct vs *vs)
{
	struct vs_info i;
	bool json = false;
	int r;

	for (int k = 1; k < vs->argc; k++) {
		if (!strcmp(vs->argv[k], "--json"))
			json = true;
		else
			return vs_failf(vs, VS_USAGE, "status: unexpected argument '%s'",
					vs->argv[k]);
	}
	if ((r = vs_need_guest(vs)) != VS_OK)
		return r;
	vs_info_gather(&vs->l, VS_INFO_DISK | VS_INFO_ASK, &i);
	if (!i.conf_ok) {
		/* As before: a guest.conf that does not load is an error
		 * (the JSON still says so, in config_error). */
		if (json) {
			struct vs_json j;

			vs_json_begin(&j, stdout);
			vs_info_json(&j, NULL, &i);
			vs_json_end(&j);
		}
		r = vs_failf(vs, VS_FAIL, "%s", i.conf_err);   /* escaped there */
		vs_info_free(&i);
		return r;
	}
	if (json) {
		struct vs_json j;

		vs_json_begin(&j, stdout);
		vs_info_json(&j, NULL, &i);
		vs_json_end(&j);
	} else if (i.state == VS_ST_STOPPED) {
		printf("%s: stopped\n", vs->name);
		print_net(&i);
		print_disk(&i);
		print_lxcfs(&i);
	} else {
		char when[64] = "?";
		time_t t = (time_t)i.started;
		struct tm tm;

		if (localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		printf("%s: %s\n", vs->name, vs_info_state(&i));
		printf("  init:       pid %d, up since %s (%lld s)\n", (int)i.init, when, i.uptime);
		print_cgroup(&i);
		print_net(&i);
		print_disk(&i);
		print_lxcfs(&i);
	}
	r = i.state == VS_ST_STOPPED ? VS_STOPPED : VS_OK;
	vs_info_free(&i);
	return r;
}
