// SPDX-License-Identifier: GPL-2.0-or-later
/* vserver NAME status: running or stopped, and what the guest uses. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vsupervisor/cgroup.h"
#include "vsupervisor/control.h"
#include "vunify/diskusage.h"
#include "vserver.h"

static void print_disk(struct vs *vs, const struct vu_gconf *c)
{
	char priv[32], shared[32], lim[32];
	struct vu_du du;
	struct vu_err e;

	if (vu_du_scan(vs->l.root, &du, &e) < 0) {
		printf("  disk:       %s\n", e.msg);
		return;
	}
	vs_human(du.private_bytes, priv, sizeof(priv));
	vs_human(du.shared_bytes, shared, sizeof(shared));
	/* The exact bytes too: the number `vhashify stats` and vunifyfs's
	 * usage record give (format.h, "Private usage"). */
	printf("  disk:       private %s (%llu bytes) in %llu inodes", priv,
	       (unsigned long long)du.private_bytes, (unsigned long long)du.private_inodes);
	if (c->disk) {
		vs_human(c->disk, lim, sizeof(lim));
		printf(" (limit %s", lim);
		if (c->inodes)
			printf(", %llu inodes", (unsigned long long)c->inodes);
		printf(")");
	} else if (c->inodes) {
		printf(" (limit %llu inodes)", (unsigned long long)c->inodes);
	}
	printf("; shared %s in %llu inodes\n", shared, (unsigned long long)du.shared_inodes);
}

static void print_net(const struct vu_gconf *c)
{
	static const char *const modes[] = { "none", "host", "veth", "bridge", "macvlan", "ipvlan" };
	char a[INET6_ADDRSTRLEN];

	printf("  network:    %s", modes[c->net_mode]);
	if (vu_net_has_veth(c->net_mode) || c->link[0]) {
		if (c->link[0])
			printf(" (on %s", c->link);
		else
			printf(" (host end %s", c->host_ifname);
		if (c->bridge[0])
			printf(" in bridge %s", c->bridge);
		for (size_t i = 0; i < c->n_addrs; i++) {
			inet_ntop(c->addrs[i].family, c->addrs[i].addr, a, sizeof(a));
			printf(", %s %s/%u", i ? "" : "guest", a, c->addrs[i].prefix);
		}
		printf(")");
	}
	printf("\n");
}

int vs_status(struct vs *vs)
{
	char reply[256], mem[32], lim[32], when[64];
	struct vu_cg_stats st;
	struct vu_cgroup cg;
	struct vu_gconf c;
	struct vu_err e;
	long long started = 0;
	int init = 0, r;
	const char *p;

	if (vs->argc > 1)
		return vs_failf(vs, VS_USAGE, "status: unexpected argument '%s'", vs->argv[1]);
	if ((r = vs_need_guest(vs)) != VS_OK)
		return r;
	if ((r = vs_load_conf(vs, &c)) != VS_OK)
		return r;
	if (!vu_layout_running(&vs->l) ||
	    vu_ctl_call(vs->l.sock, "info", reply, sizeof(reply), NULL, 10000, &e) < 0) {
		printf("%s: stopped\n", vs->name);
		print_net(&c);
		print_disk(vs, &c);
		vu_gconf_free(&c);
		return VS_STOPPED;
	}
	if ((p = strstr(reply, "init=")))
		init = atoi(p + 5);
	if ((p = strstr(reply, "started=")))
		started = atoll(p + 8);
	printf("%s: %s\n", vs->name, strstr(reply, "phase=stopping") ? "stopping" : "running");
	{
		time_t t = (time_t)started;
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	}
	printf("  init:       pid %d, up since %s (%lld s)\n", init, when,
	       (long long)time(NULL) - started);
	if (vu_cg_open(&cg, vs->name, &e) == 0 && cg.ops->stats(&cg, &st, &e) == 0) {
		printf("  cgroup:     %s %s/%s\n", cg.ops->name, VU_CG_PARENT, vs->name);
		printf("  processes:  %u", st.nprocs);
		if (st.pids_limit)
			printf(" (limit %llu)", (unsigned long long)st.pids_limit);
		vs_human(st.memory, mem, sizeof(mem));
		printf("\n  memory:     %s", st.have_memory ? mem : "(no memory controller)");
		if (st.memory_limit) {
			vs_human(st.memory_limit, lim, sizeof(lim));
			printf(" (limit %s)", lim);
		}
		if (st.have_cpu)
			printf("\n  cpu:        %.2f s\n", (double)st.cpu_ns / 1e9);
		else
			printf("\n  cpu:        (no cpu accounting)\n");
	} else {
		printf("  cgroup:     %s\n", e.msg);
	}
	print_net(&c);
	print_disk(vs, &c);
	vu_gconf_free(&c);
	return VS_OK;
}
