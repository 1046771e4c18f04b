// SPDX-License-Identifier: GPL-2.0-or-later
/* vserver list [-l] [--json]: every guest below BASE/guests, one line each
 * (lxc-ls -f, vserver-stat), or one JSON document. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vunify/escape.h"
#include "overview.h"
#include "vserver.h"

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int only_guests(const struct dirent *d)
{
	return d->d_type == DT_DIR && vu_guest_name_valid(d->d_name);
}

static void print_line(const struct vs_info *i, bool lng)
{
	char up[32] = "-", procs[16] = "-", mem[32] = "-", cpu[32] = "-";
	char addrs[256], priv[32] = "-", shared[32] = "-", init[16] = "-";
	bool cg = i->state != VS_ST_STOPPED && i->have_cg;

	if (i->state != VS_ST_STOPPED && i->uptime >= 0)
		vs_duration(i->uptime, up, sizeof(up));
	if (cg) {
		snprintf(procs, sizeof(procs), "%u", i->st.nprocs);
		if (i->st.have_memory)
			vs_human(i->st.memory, mem, sizeof(mem));
		if (i->st.have_cpu && i->st.cpu_ns < 60000000000ull)
			snprintf(cpu, sizeof(cpu), "%.2fs", (double)i->st.cpu_ns / 1e9);
		else if (i->st.have_cpu)
			vs_duration((long long)(i->st.cpu_ns / 1000000000ull), cpu, sizeof(cpu));
	}
	if (i->c.net_mode == VU_NET_HOST && i->conf_ok)
		snprintf(addrs, sizeof(addrs), "(host)");
	else
		vs_info_addrs(i, ",", false, addrs, sizeof(addrs));
	printf("%-20s %-8s %-7s %5s %7s %8s", i->l->name, vs_info_state(i), up, procs, mem, cpu);
	if (lng) {
		if (i->have_du) {
			vs_human(i->du.private_bytes, priv, sizeof(priv));
			vs_human(i->du.shared_bytes, shared, sizeof(shared));
		}
		if (i->state != VS_ST_STOPPED && i->init > 0)
			snprintf(init, sizeof(init), "%d", (int)i->init);
		printf(" %7s %7s %-7s %-5s %-20s", priv, shared, init, vs_info_net_mode(i),
		       i->conf_ok ? i->c.hostname : "(bad guest.conf)");
	}
	printf(" %s\n", addrs);
}

int vs_list(struct vs *vs)
{
	bool json = false, lng = false;
	struct dirent **names;
	struct vs_json j;
	char dir[4200];
	int n;

	for (int k = 1; k < vs->argc; k++) {
		if (!strcmp(vs->argv[k], "--json"))
			json = true;
		else if (!strcmp(vs->argv[k], "-l") || !strcmp(vs->argv[k], "--long"))
			lng = true;
		else
			return vs_failf(vs, VS_USAGE, "list: unexpected argument '%s'", vs->argv[k]);
	}
	snprintf(dir, sizeof(dir), "%s/guests", vs->base);
	n = scandir(dir, &names, only_guests, by_name);
	if (n < 0 && errno != ENOENT)
		return vs_failf(vs, VS_FAIL, "%s: %s", dir, strerror(errno));
	if (json) {
		vs_json_begin(&j, stdout);
		vs_json_open(&j, NULL, '{');
		vs_json_open(&j, "guests", '[');
	} else {
		printf("%-20s %-8s %-7s %5s %7s %8s", "NAME", "STATE", "UPTIME", "PROCS", "MEMORY",
		       "CPU");
		if (lng)
			printf(" %7s %7s %-7s %-5s %-20s", "PRIVATE", "SHARED", "INIT", "NET",
			       "HOSTNAME");
		printf(" %s\n", "ADDRESSES");
	}
	for (int k = 0; k < n; k++) {
		struct vu_layout l;
		struct vs_info i;
		struct vu_err e;

		if (vu_layout_init(&l, vs->base, names[k]->d_name, &e) == 0) {
			vs_info_gather(&l, lng ? VS_INFO_DISK : 0, &i);
			if (json)
				vs_info_json(&j, NULL, &i);
			else
				print_line(&i, lng);
			vs_info_free(&i);
		}
		free(names[k]);
	}
	if (n >= 0)
		free(names);
	if (json) {
		vs_json_close(&j, ']');
		vs_json_close(&j, '}');
		vs_json_end(&j);
	}
	return VS_OK;
}
