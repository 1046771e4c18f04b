// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cgroup v1 backend: one directory PARENT/NAME in every mounted controller
 * hierarchy (cpu, cpuacct, cpuset, memory, devices, freezer, blkio, pids, and
 * whatever is co-mounted with them).  Killing uses the freezer: freeze,
 * SIGKILL every member, thaw, repeat until empty, so that a fork bomb cannot
 * outrun the kill loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vsupervisor/cgroup.h"
#include "vunify/cleanup.h"
#include "vunify/escape.h"

/* Controllers we use; a hierarchy without any of them is left alone. */
static const char *const wanted[] = {
	"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids",
};

static bool opts_have(const char *opts, const char *ctl)
{
	size_t n = strlen(ctl);

	for (const char *p = opts; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && !strncmp(p, ctl, n))
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

int vu_cg_v1_scan(struct vu_cgroup *cg, const char *mountinfo, struct vu_err *e)
{
	_cleanup_fclose_ FILE *f = fopen(mountinfo, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	cg->n_hier = 0;
	cg->deleg[0] = 0;
	if (!f)
		return vu_err_set(e, errno, "%s", mountinfo);
	while (getline(&line, &cap, f) > 0) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SRC SUPEROPTS */
		char *fields[6], *save = NULL, *sep, *fstype, *superopts, *tok;
		size_t i = 0;
		bool use = false;

		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = 0;
		fstype = strtok_r(sep + 3, " \n", &save);
		(void)strtok_r(NULL, " \n", &save);
		superopts = strtok_r(NULL, " \n", &save);
		if (!fstype || !superopts || (strcmp(fstype, "cgroup") && strcmp(fstype, "cgroup2")))
			continue;
		save = NULL;
		for (tok = strtok_r(line, " ", &save); tok && i < 6; tok = strtok_r(NULL, " ", &save))
			fields[i++] = tok;
		if (i < 5 || strcmp(fields[3], "/"))
			continue;   /* only whole hierarchies, not bind mounts of a subtree */
		if (!strcmp(fstype, "cgroup2")) {
			/* The hybrid layout's unified hierarchy: the guest's own subtree. */
			vu_unescape_mountinfo(fields[4]);
			if (!cg->deleg[0] && strlen(fields[4]) < sizeof(cg->deleg))
				snprintf(cg->deleg, sizeof(cg->deleg), "%s", fields[4]);
			continue;
		}
		for (size_t w = 0; w < sizeof(wanted) / sizeof(wanted[0]); w++)
			use |= opts_have(superopts, wanted[w]);
		if (!use)
			continue;
		vu_unescape_mountinfo(fields[4]);
		/* The same hierarchy may be mounted twice; keep the first. */
		for (size_t h = 0; h < cg->n_hier; h++)
			if (!strcmp(cg->hier_opts[h], superopts))
				use = false;
		if (!use || cg->n_hier == VU_CG_MAX_HIER ||
		    strlen(fields[4]) >= sizeof(cg->hier[0]))
			continue;
		snprintf(cg->hier[cg->n_hier], sizeof(cg->hier[0]), "%s", fields[4]);
		snprintf(cg->hier_opts[cg->n_hier], sizeof(cg->hier_opts[0]), "%s", superopts);
		cg->n_hier++;
	}
	if (cg->n_hier == 0)
		return vu_err_set(e, ENOENT, "no cgroup v1 controllers are mounted");
	return 0;
}

/* The hierarchy holding controller @ctl, or -1. */
static int hier_of(const struct vu_cgroup *cg, const char *ctl)
{
	for (size_t h = 0; h < cg->n_hier; h++)
		if (opts_have(cg->hier_opts[h], ctl))
			return (int)h;
	return -1;
}

static void group_dir(const struct vu_cgroup *cg, size_t h, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%s", cg->hier[h], cg->parent, cg->name);
}

static int ctl_dir(const struct vu_cgroup *cg, const char *ctl, char *buf, size_t len,
		   struct vu_err *e)
{
	int h = hier_of(cg, ctl);

	if (h < 0)
		return vu_err_set(e, ENOTSUP, "the cgroup v1 %s controller is not mounted", ctl);
	group_dir(cg, (size_t)h, buf, len);
	return 0;
}

/* cpuset groups start with no CPUs and no memory nodes: copy the parent's. */
static int cpuset_inherit(const char *parent, const char *child, struct vu_err *e)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	char val[4096], cur[4096];

	for (size_t i = 0; i < 2; i++) {
		if (vu_cg_read(child, files[i], cur, sizeof(cur), e) < 0)
			return -1;
		if (cur[0] && cur[0] != '\n')
			continue;
		if (vu_cg_read(parent, files[i], val, sizeof(val), e) < 0 ||
		    vu_cg_write(child, files[i], val, e) < 0)
			return -1;
	}
	return 0;
}

static int v1_create(struct vu_cgroup *cg, struct vu_err *e)
{
	char parent[PATH_MAX], dir[PATH_MAX];

	for (size_t h = 0; h < cg->n_hier; h++) {
		bool cpuset = opts_have(cg->hier_opts[h], "cpuset");

		snprintf(parent, sizeof(parent), "%s/%s", cg->hier[h], cg->parent);
		group_dir(cg, h, dir, sizeof(dir));
		if (vu_cg_mkgroup(cg, cg->hier[h], cpuset ? cpuset_inherit : NULL, dir, e) < 0)
			return -1;
		if (cpuset && cpuset_inherit(parent, dir, e) < 0)
			return -1;
	}
	return vu_cg_deleg_create(cg, e);
}

static int writef(const char *dir, const char *file, struct vu_err *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int writef(const char *dir, const char *file, struct vu_err *e, const char *fmt, ...)
{
	char val[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	return vu_cg_write(dir, file, val, e);
}

static bool file_exists(const char *dir, const char *file)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

static int v1_limits_io(struct vu_cgroup *cg, const struct vu_cg_limits *l, struct vu_err *e)
{
	static const char *const files[] = {
		"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
	};
	char dir[PATH_MAX];

	if (!l->io_weight && !l->n_io)
		return 0;
	if (ctl_dir(cg, "blkio", dir, sizeof(dir), e) < 0)
		return -1;
	if (l->io_weight) {
		const char *f = file_exists(dir, "blkio.weight") ? "blkio.weight" :
				file_exists(dir, "blkio.bfq.weight") ? "blkio.bfq.weight" : NULL;

		if (!f)
			return vu_err_set(e, ENOTSUP, "%s: io_weight needs blkio.weight or "
					  "blkio.bfq.weight (CFQ or BFQ)", dir);
		/* CFQ's scale is 10..1000 around 500, BFQ's 1..1000 around 100. */
		unsigned w = !strcmp(f, "blkio.weight") ? vu_cg_weight_to_blkio(l->io_weight) :
			     vu_cg_weight_to_bfq(l->io_weight);

		if (writef(dir, f, e, "%u", w) < 0)
			return -1;
	}
	for (size_t i = 0; i < l->n_io; i++) {
		const struct vu_cg_io *io = &l->io[i];
		uint64_t v[4] = { io->rbps, io->wbps, io->riops, io->wiops };

		for (size_t k = 0; k < 4; k++)
			if (v[k] && writef(dir, files[k], e, "%u:%u %llu", io->major, io->minor,
					   (unsigned long long)v[k]) < 0)
				return -1;
	}
	return 0;
}

static int v1_set_limits(struct vu_cgroup *cg, const struct vu_cg_limits *l, struct vu_err *e)
{
	char dir[PATH_MAX];

	if (l->memory) {
		if (ctl_dir(cg, "memory", dir, sizeof(dir), e) < 0 ||
		    writef(dir, "memory.limit_in_bytes", e, "%llu",
			   (unsigned long long)l->memory) < 0)
			return -1;
		/* Without swap accounting memsw does not exist; then swap cannot
		 * be limited, and there is none to limit on such hosts anyway. */
		if (file_exists(dir, "memory.memsw.limit_in_bytes") &&
		    writef(dir, "memory.memsw.limit_in_bytes", e, "%llu",
			   (unsigned long long)(l->memory + l->memory_swap)) < 0)
			return -1;
	}
	if (l->cpu_weight &&
	    (ctl_dir(cg, "cpu", dir, sizeof(dir), e) < 0 ||
	     writef(dir, "cpu.shares", e, "%llu",
		    (unsigned long long)vu_cg_weight_to_shares(l->cpu_weight)) < 0))
		return -1;
	if (l->cpu_quota_us &&
	    (ctl_dir(cg, "cpu", dir, sizeof(dir), e) < 0 ||
	     writef(dir, "cpu.cfs_period_us", e, "%llu",
		    (unsigned long long)(l->cpu_period_us ? l->cpu_period_us : 100000)) < 0 ||
	     writef(dir, "cpu.cfs_quota_us", e, "%llu", (unsigned long long)l->cpu_quota_us) < 0))
		return -1;
	if (l->pids &&
	    (ctl_dir(cg, "pids", dir, sizeof(dir), e) < 0 ||
	     writef(dir, "pids.max", e, "%llu", (unsigned long long)l->pids) < 0))
		return -1;
	return v1_limits_io(cg, l, e);
}

static int v1_set_devices(struct vu_cgroup *cg, const struct vu_cg_dev *rules, size_t n,
			  struct vu_err *e)
{
	char dir[PATH_MAX], maj[16], min[16];

	if (ctl_dir(cg, "devices", dir, sizeof(dir), e) < 0 ||
	    vu_cg_write(dir, "devices.deny", "a", e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct vu_cg_dev *r = &rules[i];

		if (r->major < 0)
			snprintf(maj, sizeof(maj), "*");
		else
			snprintf(maj, sizeof(maj), "%d", r->major);
		if (r->minor < 0)
			snprintf(min, sizeof(min), "*");
		else
			snprintf(min, sizeof(min), "%d", r->minor);
		if (writef(dir, "devices.allow", e, "%c %s:%s %s", r->type, maj, min, r->access) < 0)
			return -1;
	}
	return 0;
}

static int v1_attach(struct vu_cgroup *cg, pid_t pid, pid_t init, struct vu_err *e)
{
	char dir[PATH_MAX];

	for (size_t h = 0; h < cg->n_hier; h++) {
		group_dir(cg, h, dir, sizeof(dir));
		if (writef(dir, "cgroup.procs", e, "%d", (int)pid) < 0)
			return -1;
	}
	return vu_cg_deleg_attach(cg, pid, init, e);
}

/* Count (and with @sig, signal) the members of the freezer group. */
static int for_members(const char *dir, int sig, unsigned *count, struct vu_err *e)
{
	char path[PATH_MAX + 64];
	_cleanup_fclose_ FILE *f = NULL;
	int pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	*count = 0;
	if (!f)
		return errno == ENOENT ? 0 : vu_err_set(e, errno, "%s", path);
	while (fscanf(f, "%d", &pid) == 1) {
		(*count)++;
		if (sig && kill(pid, sig) < 0 && errno != ESRCH)
			return vu_err_set(e, errno, "kill %d", pid);
	}
	return 0;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int freezer_state(const char *dir, const char *state, struct vu_err *e)
{
	char cur[64];

	if (vu_cg_write(dir, "freezer.state", state, e) < 0)
		return -1;
	/* FREEZING can take a moment (tasks in uninterruptible sleep). */
	for (int i = 0; i < 100 && !strcmp(state, "FROZEN"); i++) {
		if (vu_cg_read(dir, "freezer.state", cur, sizeof(cur), e) < 0)
			return -1;
		if (!strncmp(cur, "FROZEN", 6))
			break;
		nap_ms(5);
	}
	return 0;
}

static int v1_kill_all(struct vu_cgroup *cg, struct vu_err *e)
{
	char dir[PATH_MAX], any[PATH_MAX];
	int hf = hier_of(cg, "freezer");
	unsigned n = 0;

	/* Without a freezer, any hierarchy lists the members. */
	group_dir(cg, hf >= 0 ? (size_t)hf : 0, dir, sizeof(dir));
	snprintf(any, sizeof(any), "%s", dir);
	if (vu_cg_deleg_kill(cg, e) < 0)
		return -1;
	if (access(dir, F_OK) < 0)
		return 0;
	for (int round = 0; round < 2000; round++) {
		if (hf >= 0 && freezer_state(dir, "FROZEN", e) < 0)
			return -1;
		if (for_members(any, SIGKILL, &n, e) < 0)
			return -1;
		/* Frozen tasks die once thawed: SIGKILL is pending. */
		if (hf >= 0 && freezer_state(dir, "THAWED", e) < 0)
			return -1;
		if (n == 0)
			return 0;
		nap_ms(round < 20 ? 2 : 10);
		if (for_members(any, 0, &n, e) < 0)
			return -1;
		if (n == 0)
			return 0;
	}
	return vu_err_set(e, EBUSY, "%s: %u processes survive SIGKILL", dir, n);
}

static int read_u64(const char *dir, const char *file, uint64_t *v)
{
	struct vu_err e;
	char buf[64];

	if (vu_cg_read(dir, file, buf, sizeof(buf), &e) < 0)
		return -1;
	*v = strtoull(buf, NULL, 10);
	return 0;
}

static int v1_stats(struct vu_cgroup *cg, struct vu_cg_stats *s, struct vu_err *e)
{
	char dir[PATH_MAX], buf[64];
	uint64_t v;

	memset(s, 0, sizeof(*s));
	group_dir(cg, 0, dir, sizeof(dir));
	if (for_members(dir, 0, &s->nprocs, e) < 0)
		return -1;
	if (ctl_dir(cg, "memory", dir, sizeof(dir), e) == 0) {
		s->have_memory = read_u64(dir, "memory.usage_in_bytes", &s->memory) == 0;
		/* "No limit" reads as a huge page-rounded number. */
		if (read_u64(dir, "memory.limit_in_bytes", &v) == 0 && v < (UINT64_C(1) << 62))
			s->memory_limit = v;
	}
	if (ctl_dir(cg, "cpuacct", dir, sizeof(dir), e) == 0)
		s->have_cpu = read_u64(dir, "cpuacct.usage", &s->cpu_ns) == 0;
	if (ctl_dir(cg, "pids", dir, sizeof(dir), e) == 0 &&
	    vu_cg_read(dir, "pids.max", buf, sizeof(buf), e) == 0 && strncmp(buf, "max", 3))
		s->pids_limit = strtoull(buf, NULL, 10);
	return 0;
}

static int v1_destroy(struct vu_cgroup *cg, struct vu_err *e)
{
	struct vu_err later;
	char dir[PATH_MAX];
	int ret = 0;

	for (size_t h = 0; h < cg->n_hier; h++) {
		group_dir(cg, h, dir, sizeof(dir));
		/* Every hierarchy is tried; the first failure is the one told. */
		if (vu_cg_rmdir(AT_FDCWD, dir, ret == 0 ? e : &later) < 0)
			ret = -1;
		else
			vu_cg_rmparent(cg, cg->hier[h]);
	}
	if (ret == 0)
		ret = vu_cg_deleg_destroy(cg, e);
	return ret;
}

static bool v1_exists(struct vu_cgroup *cg)
{
	char dir[PATH_MAX];

	for (size_t h = 0; h < cg->n_hier; h++) {
		group_dir(cg, h, dir, sizeof(dir));
		if (access(dir, F_OK) == 0)
			return true;
	}
	return vu_cg_deleg_exists(cg);
}

const struct vu_cg_ops vu_cg_v1_ops = {
	.name = "v1",
	.create = v1_create,
	.set_limits = v1_set_limits,
	.set_devices = v1_set_devices,
	.attach = v1_attach,
	.kill_all = v1_kill_all,
	.stats = v1_stats,
	.destroy = v1_destroy,
	.exists = v1_exists,
};
