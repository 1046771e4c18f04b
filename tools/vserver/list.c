// SPDX-License-Identifier: GPL-2.0-or-later
/* vserver list: every guest below BASE/guests, one line each. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsupervisor/control.h"
#include "vserver.h"

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int only_guests(const struct dirent *d)
{
	return d->d_type == DT_DIR && vu_guest_name_valid(d->d_name);
}

int vs_list(struct vs *vs)
{
	static const char *const modes[] = { "none", "host", "veth", "bridge", "macvlan", "ipvlan" };
	char dir[4200];
	struct dirent **names;
	int n;

	if (vs->argc > 1)
		return vs_failf(vs, VS_USAGE, "list: unexpected argument '%s'", vs->argv[1]);
	snprintf(dir, sizeof(dir), "%s/guests", vs->base);
	n = scandir(dir, &names, only_guests, by_name);
	if (n < 0) {
		if (errno == ENOENT)
			return VS_OK;
		return vs_failf(vs, VS_FAIL, "%s: %s", dir, strerror(errno));
	}
	printf("%-20s %-8s %-8s %-6s %s\n", "NAME", "STATE", "INIT", "NET", "HOSTNAME");
	for (int i = 0; i < n; i++) {
		struct vu_layout l;
		struct vu_gconf c;
		struct vu_state st;
		struct vu_err e;
		bool ok, running;
		char init[16] = "-";

		if (vu_layout_init(&l, vs->base, names[i]->d_name, &e) < 0) {
			free(names[i]);
			continue;
		}
		vu_gconf_defaults(&c, names[i]->d_name);
		ok = vu_gconf_load(&c, l.conf, &e) == 0;
		running = vu_layout_running(&l);
		if (running && vu_state_read(l.state, &st, &e) == 0 && st.init > 0)
			snprintf(init, sizeof(init), "%d", (int)st.init);
		printf("%-20s %-8s %-8s %-6s %s\n", names[i]->d_name,
		       running ? "running" : "stopped", init, ok ? modes[c.net_mode] : "?",
		       ok ? c.hostname : "(bad guest.conf)");
		vu_gconf_free(&c);
		free(names[i]);
	}
	free(names);
	return VS_OK;
}
