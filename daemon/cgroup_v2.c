// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cgroup v2 backend: MOUNT/PARENT/NAME, controllers enabled top-down through
 * cgroup.subtree_control, killing through cgroup.kill (Linux 5.14), devices
 * through a BPF device program (cgroup_bpfdev.c).  A limit whose controller
 * the hierarchy does not offer is an error, never silently dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vsupervisor/cgroup.h"
#include "vunify/cleanup.h"

static void parent_dir(const struct vu_cgroup *cg, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", cg->hier[0], cg->parent);
}

static void group_dir(const struct vu_cgroup *cg, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%s", cg->hier[0], cg->parent, cg->name);
}

static const char *const v2_ctls[] = { "cpu", "memory", "pids", "io", "cpuset" };

/* Enable @ctl for the children of @dir, if @dir offers it. */
static int enable(const char *dir, const char *ctl, bool *ok, struct vu_err *e)
{
	char avail[512], cur[512], val[64];

	*ok = false;
	if (vu_cg_read(dir, "cgroup.controllers", avail, sizeof(avail), e) < 0)
		return -1;
	if (!vu_cg_word_in(avail, ctl))
		return 0;
	if (vu_cg_read(dir, "cgroup.subtree_control", cur, sizeof(cur), e) < 0)
		return -1;
	*ok = true;
	if (vu_cg_word_in(cur, ctl))
		return 0;
	snprintf(val, sizeof(val), "+%s", ctl);
	return vu_cg_write(dir, "cgroup.subtree_control", val, e);
}

/* Offer @upper's controllers to its children (@dir among them): the root
 * offers to "vunify", that to "vunify/KEY", that to the guests.
 * Controllers missing at the root are reported by set_limits only if a
 * limit needs them. */
static int offer(const char *upper, const char *dir, struct vu_err *e)
{
	bool ok;

	(void)dir;
	for (size_t i = 0; i < sizeof(v2_ctls) / sizeof(v2_ctls[0]); i++)
		if (enable(upper, v2_ctls[i], &ok, e) < 0)
			return -1;
	return 0;
}

static int v2_create(struct vu_cgroup *cg, struct vu_err *e)
{
	char parent[PATH_MAX], dir[PATH_MAX];

	parent_dir(cg, parent, sizeof(parent));
	group_dir(cg, dir, sizeof(dir));
	/* KEY offers to the guest once the guest's group holds it. */
	if (vu_cg_mkgroup(cg, cg->hier[0], offer, dir, e) < 0 || offer(parent, dir, e) < 0)
		return -1;
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

static int need(const char *dir, const char *ctl, const char *what, struct vu_err *e)
{
	char avail[512];

	if (vu_cg_read(dir, "cgroup.controllers", avail, sizeof(avail), e) < 0)
		return -1;
	if (!vu_cg_word_in(avail, ctl))
		return vu_err_set(e, ENOTSUP, "%s: %s needs the cgroup v2 %s controller, "
				  "which this hierarchy does not offer", dir, what, ctl);
	return 0;
}

static bool file_exists(const char *dir, const char *file)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

static int v2_limits_io(const char *dir, const struct vu_cg_limits *l, struct vu_err *e)
{
	if (!l->io_weight && !l->n_io)
		return 0;
	if (need(dir, "io", "an I/O limit", e) < 0)
		return -1;
	if (l->io_weight) {
		bool bfq = !file_exists(dir, "io.weight");

		if (writef(dir, bfq ? "io.bfq.weight" : "io.weight", e, "default %u",
			   bfq ? vu_cg_weight_to_bfq(l->io_weight) : l->io_weight) < 0)
			return -1;
	}
	for (size_t i = 0; i < l->n_io; i++) {
		const struct vu_cg_io *io = &l->io[i];
		char val[200];
		int n = snprintf(val, sizeof(val), "%u:%u", io->major, io->minor);

		if (io->rbps)
			n += snprintf(val + n, sizeof(val) - (size_t)n, " rbps=%llu",
				      (unsigned long long)io->rbps);
		if (io->wbps)
			n += snprintf(val + n, sizeof(val) - (size_t)n, " wbps=%llu",
				      (unsigned long long)io->wbps);
		if (io->riops)
			n += snprintf(val + n, sizeof(val) - (size_t)n, " riops=%llu",
				      (unsigned long long)io->riops);
		if (io->wiops)
			snprintf(val + n, sizeof(val) - (size_t)n, " wiops=%llu",
				 (unsigned long long)io->wiops);
		if (vu_cg_write(dir, "io.max", val, e) < 0)
			return -1;
	}
	return 0;
}

static int v2_set_limits(struct vu_cgroup *cg, const struct vu_cg_limits *l, struct vu_err *e)
{
	char dir[PATH_MAX];

	group_dir(cg, dir, sizeof(dir));
	if (l->memory) {
		if (need(dir, "memory", "memory", e) < 0 ||
		    writef(dir, "memory.max", e, "%llu", (unsigned long long)l->memory) < 0)
			return -1;
		/* Swap is not a way around the limit unless allowed. */
		if (file_exists(dir, "memory.swap.max") &&
		    writef(dir, "memory.swap.max", e, "%llu",
			   (unsigned long long)l->memory_swap) < 0)
			return -1;
	}
	if ((l->cpu_weight || l->cpu_quota_us) && need(dir, "cpu", "a CPU limit", e) < 0)
		return -1;
	if (l->cpu_weight && writef(dir, "cpu.weight", e, "%u", l->cpu_weight) < 0)
		return -1;
	if (l->cpu_quota_us &&
	    writef(dir, "cpu.max", e, "%llu %llu", (unsigned long long)l->cpu_quota_us,
		   (unsigned long long)(l->cpu_period_us ? l->cpu_period_us : 100000)) < 0)
		return -1;
	if (l->pids &&
	    (need(dir, "pids", "pids", e) < 0 ||
	     writef(dir, "pids.max", e, "%llu", (unsigned long long)l->pids) < 0))
		return -1;
	return v2_limits_io(dir, l, e);
}

static int v2_set_devices(struct vu_cgroup *cg, const struct vu_cg_dev *rules, size_t n,
			  struct vu_err *e)
{
	char dir[PATH_MAX];
	_cleanup_close_ int fd = -1;

	group_dir(cg, dir, sizeof(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vu_err_set(e, errno, "%s", dir);
	if (vu_cg_bpf_devices(fd, rules, n, e) < 0)
		return vu_err_prefix(e, "%s", dir);
	return 0;
}

static int v2_attach(struct vu_cgroup *cg, pid_t pid, pid_t init, struct vu_err *e)
{
	return vu_cg_deleg_attach(cg, pid, init, e);
}

static int v2_kill_all(struct vu_cgroup *cg, struct vu_err *e)
{
	return vu_cg_deleg_kill(cg, e);
}

static int v2_stats(struct vu_cgroup *cg, struct vu_cg_stats *s, struct vu_err *e)
{
	char dir[PATH_MAX], buf[PATH_MAX + 64];

	memset(s, 0, sizeof(*s));
	group_dir(cg, dir, sizeof(dir));
	if (access(dir, F_OK) < 0)
		return vu_err_set(e, errno, "%s", dir);
	s->nprocs = vu_cg_count_tree(dir);
	if (vu_cg_read(dir, "memory.current", buf, sizeof(buf), e) == 0) {
		s->memory = strtoull(buf, NULL, 10);
		s->have_memory = true;
	}
	if (vu_cg_read(dir, "memory.max", buf, sizeof(buf), e) == 0 && strncmp(buf, "max", 3))
		s->memory_limit = strtoull(buf, NULL, 10);
	if (vu_cg_read(dir, "pids.max", buf, sizeof(buf), e) == 0 && strncmp(buf, "max", 3))
		s->pids_limit = strtoull(buf, NULL, 10);
	if (vu_cg_read(dir, "cpu.stat", buf, sizeof(buf), e) == 0) {
		const char *u = strstr(buf, "usage_usec ");

		if (u) {
			s->cpu_ns = strtoull(u + 11, NULL, 10) * 1000;
			s->have_cpu = true;
		}
	}
	return 0;
}

static int v2_destroy(struct vu_cgroup *cg, struct vu_err *e)
{
	return vu_cg_deleg_destroy(cg, e);
}

static bool v2_exists(struct vu_cgroup *cg)
{
	char dir[PATH_MAX];

	group_dir(cg, dir, sizeof(dir));
	return access(dir, F_OK) == 0;
}

const struct vu_cg_ops vu_cg_v2_ops = {
	.name = "v2",
	.create = v2_create,
	.set_limits = v2_set_limits,
	.set_devices = v2_set_devices,
	.attach = v2_attach,
	.kill_all = v2_kill_all,
	.stats = v2_stats,
	.destroy = v2_destroy,
	.exists = v2_exists,
};
