// SPDX-License-Identifier: GPL-2.0-or-later
/* The guest overview shared by list and status: see overview.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vsupervisor/control.h"
#include "overview.h"

/* Is the guest's /proc/meminfo an lxcfs file?  Read from its init's
 * mountinfo (the kernel's account of the guest's mounts, not anything the
 * guest wrote): field 5 is the mount point, the fstype follows " - ". */
static int guest_has_lxcfs(pid_t init)
{
	char path[64], line[4096];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)init);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char mp[4096], *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		if (!strcmp(mp, "/proc/meminfo") && !strncmp(dash + 3, "fuse.lxcfs ", 11))
			found = 1;
	}
	fclose(f);
	return found;
}

static void ask_supervisor(struct vs_info *i)
{
	char reply[256];
	struct vu_err e;
	const char *p;

	if (vu_ctl_call(i->l->sock, "info", reply, sizeof(reply), NULL, 10000, &e) < 0) {
		/* A supervisor that does not answer is no running guest
		 * (status has always said "stopped" then). */
		i->state = VS_ST_STOPPED;
		return;
	}
	if ((p = strstr(reply, "init=")))
		i->init = atoi(p + 5);
	if ((p = strstr(reply, "started=")))
		i->started = atoll(p + 8);
	if (strstr(reply, "phase=stopping"))
		i->state = VS_ST_STOPPING;
}

void vs_info_gather(const struct vu_layout *l, unsigned flags, struct vs_info *i)
{
	struct vu_state s;
	struct vu_cgroup cg;
	struct vu_err e;

	memset(i, 0, sizeof(*i));
	i->l = l;
	i->uptime = -1;
	i->lxcfs = -1;
	vu_gconf_defaults(&i->c, l->name);
	i->conf_ok = vu_gconf_load(&i->c, l->conf, &e) == 0;
	if (!i->conf_ok) {
		snprintf(i->conf_err, sizeof(i->conf_err), "%s", e.msg);
		vu_gconf_free(&i->c);
		vu_gconf_defaults(&i->c, l->name);
	} else if (i->c.net_mode == VU_NET_VETH && !i->c.host_ifname[0]) {
		vu_gconf_default_host_ifname(l->name, i->c.host_ifname);
	}
	i->state = vu_layout_running(l) ? VS_ST_RUNNING : VS_ST_STOPPED;
	if (i->state == VS_ST_RUNNING && vu_state_read(l->state, &s, &e) == 0) {
		i->init = s.init;
		i->started = s.started;
	}
	if (i->state == VS_ST_RUNNING && (flags & VS_INFO_ASK))
		ask_supervisor(i);
	if (i->state != VS_ST_STOPPED) {
		if (i->started > 0) {
			i->uptime = (long long)time(NULL) - i->started;
			if (i->uptime < 0)
				i->uptime = 0;  /* the clock was set back */
		}
		if (vu_cg_open(&cg, l->key, l->name, &e) == 0 && cg.ops->stats(&cg, &i->st, &e) == 0) {
			i->have_cg = true;
			snprintf(i->cg_backend, sizeof(i->cg_backend), "%s", cg.ops->name);
		} else {
			snprintf(i->cg_err, sizeof(i->cg_err), "%s", e.msg);
		}
		if (i->init > 0)
			i->lxcfs = guest_has_lxcfs(i->init);
	}
	if (flags & VS_INFO_DISK) {
		if (vu_du_scan(l->root, &i->du, &e) == 0)
			i->have_du = true;
		else
			snprintf(i->du_err, sizeof(i->du_err), "%s", e.msg);
	}
}

void vs_info_free(struct vs_info *i)
{
	vu_gconf_free(&i->c);
}

const char *vs_info_state(const struct vs_info *i)
{
	static const char *const names[] = { "stopped", "running", "stopping" };

	return names[i->state];
}

const char *vs_info_net_mode(const struct vs_info *i)
{
	static const char *const modes[] = {
		[VU_NET_NONE] = "none", [VU_NET_HOST] = "host", [VU_NET_VETH] = "veth",
		[VU_NET_BRIDGE] = "bridge", [VU_NET_MACVLAN] = "macvlan", [VU_NET_IPVLAN] = "ipvlan",
	};

	return i->conf_ok && (size_t)i->c.net_mode < sizeof(modes) / sizeof(modes[0]) &&
	       modes[i->c.net_mode] ? modes[i->c.net_mode] : "?";
}

void vs_info_addrs(const struct vs_info *i, const char *sep, bool prefix, char *buf, size_t len)
{
	size_t off = 0;

	snprintf(buf, len, "-");
	for (size_t k = 0; i->conf_ok && k < i->c.n_addrs && off < len; k++) {
		char a[INET6_ADDRSTRLEN];
		int n;

		inet_ntop(i->c.addrs[k].family, i->c.addrs[k].addr, a, sizeof(a));
		if (prefix)
			n = snprintf(buf + off, len - off, "%s%s/%u", k ? sep : "", a,
				     i->c.addrs[k].prefix);
		else
			n = snprintf(buf + off, len - off, "%s%s", k ? sep : "", a);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

void vs_duration(long long s, char *buf, size_t len)
{
	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

/* An integer member, or null if @known is false. */
static void u64_or_null(struct vs_json *j, const char *key, bool known, uint64_t v)
{
	if (known)
		vs_json_u64(j, key, v);
	else
		vs_json_null(j, key);
}

static void str_or_null(struct vs_json *j, const char *key, const char *s)
{
	if (s && *s)
		vs_json_str(j, key, s);
	else
		vs_json_null(j, key);
}

void vs_info_json(struct vs_json *j, const char *key, const struct vs_info *i)
{
	bool up = i->state != VS_ST_STOPPED, cg = up && i->have_cg;
	uint64_t mem_limit = cg ? i->st.memory_limit : i->c.memory;
	uint64_t pids_limit = cg ? i->st.pids_limit : i->c.pids;

	vs_json_open(j, key, '{');
	vs_json_str(j, "name", i->l->name);
	vs_json_str(j, "state", vs_info_state(i));
	str_or_null(j, "hostname", i->conf_ok ? i->c.hostname : NULL);
	str_or_null(j, "config_error", i->conf_ok ? NULL : i->conf_err);
	u64_or_null(j, "init_pid", up && i->init > 0, (uint64_t)i->init);
	u64_or_null(j, "started", up && i->started > 0, (uint64_t)i->started);
	u64_or_null(j, "uptime_s", up && i->uptime >= 0, (uint64_t)i->uptime);
	str_or_null(j, "cgroup", cg ? i->cg_backend : NULL);
	u64_or_null(j, "processes", cg, i->st.nprocs);
	u64_or_null(j, "processes_limit", pids_limit > 0, pids_limit);
	u64_or_null(j, "memory_bytes", cg && i->st.have_memory, i->st.memory);
	u64_or_null(j, "memory_limit_bytes", mem_limit > 0, mem_limit);
	u64_or_null(j, "cpu_ns", cg && i->st.have_cpu, i->st.cpu_ns);
	str_or_null(j, "net_mode", i->conf_ok ? vs_info_net_mode(i) : NULL);
	if (i->conf_ok) {
		vs_json_open(j, "addresses", '[');
		for (size_t k = 0; k < i->c.n_addrs; k++) {
			char a[INET6_ADDRSTRLEN + 8];

			inet_ntop(i->c.addrs[k].family, i->c.addrs[k].addr, a, INET6_ADDRSTRLEN);
			snprintf(a + strlen(a), sizeof(a) - strlen(a), "/%u", i->c.addrs[k].prefix);
			vs_json_str(j, NULL, a);
		}
		vs_json_close(j, ']');
	} else {
		vs_json_null(j, "addresses");
	}
	u64_or_null(j, "disk_private_bytes", i->have_du, i->du.private_bytes);
	u64_or_null(j, "disk_private_inodes", i->have_du, i->du.private_inodes);
	u64_or_null(j, "disk_shared_bytes", i->have_du, i->du.shared_bytes);
	u64_or_null(j, "disk_shared_inodes", i->have_du, i->du.shared_inodes);
	u64_or_null(j, "disk_limit_bytes", i->conf_ok && i->c.disk, i->c.disk);
	u64_or_null(j, "inodes_limit", i->conf_ok && i->c.inodes, i->c.inodes);
	if (up && i->lxcfs >= 0)
		vs_json_bool(j, "lxcfs", i->lxcfs == 1);
	else
		vs_json_null(j, "lxcfs");
	vs_json_close(j, '}');
}
