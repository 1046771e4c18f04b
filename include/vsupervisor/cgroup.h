/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A guest's control group, on cgroup v1 or v2 behind one small interface.
 *
 * The backend is picked at run time: v2 if /sys/fs/cgroup is a cgroup2
 * mount, v1 if v1 controllers are mounted (each controller's hierarchy under
 * its mount point, found in /proc/self/mountinfo).  $VUNIFY_CGROUP overrides
 * it: "v1", "v2", or "v2:/path/to/a/cgroup2/mount" (used by the tests to run
 * the v2 backend on a machine whose controllers are on v1).
 *
 * The guest's group is PARENT/NAME in every hierarchy, PARENT being
 * "vunify".  Everything is written to cgroupfs directly.
 */
#ifndef VSUP_CGROUP_H
#define VSUP_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vunify/error.h"

#define VU_CG_PARENT   "vunify"
#define VU_CG_MAX_HIER 12

/* Limits, already resolved (devices as numbers); 0 means "not set". */
struct vu_cg_io {
	unsigned major, minor;
	uint64_t rbps, wbps, riops, wiops;
};

struct vu_cg_limits {
	uint64_t memory;
	uint64_t memory_swap;       /* swap allowed on top of memory */
	bool memory_swap_set;
	unsigned cpu_weight;        /* 1..10000 (v2 scale) */
	uint64_t cpu_quota_us, cpu_period_us;
	uint64_t pids;
	unsigned io_weight;         /* 1..10000 */
	struct vu_cg_io io[16];
	size_t n_io;
};

/* One device access rule: type 'c' or 'b', -1 for "any" major/minor,
 * access a combination of 'r', 'w', 'm'. */
struct vu_cg_dev {
	char type;
	int major, minor;
	const char *access;
};

struct vu_cg_stats {
	bool have_memory, have_cpu; /* the controllers were there to ask */
	unsigned nprocs;
	uint64_t memory;            /* bytes in use */
	uint64_t memory_limit;      /* 0 if none */
	uint64_t cpu_ns;            /* CPU time used */
	uint64_t pids_limit;        /* 0 if none */
};

struct vu_cgroup;

struct vu_cg_ops {
	const char *name;           /* "v1" or "v2" */
	/* Make the group (and PARENT); an existing one is reused. */
	int (*create)(struct vu_cgroup *cg, struct vu_err *e);
	int (*set_limits)(struct vu_cgroup *cg, const struct vu_cg_limits *l, struct vu_err *e);
	/* Deny every device but @rules. */
	int (*set_devices)(struct vu_cgroup *cg, const struct vu_cg_dev *rules, size_t n,
			   struct vu_err *e);
	/* Move process @pid (its whole thread group) into the group. */
	int (*attach)(struct vu_cgroup *cg, pid_t pid, struct vu_err *e);
	/* SIGKILL every process in the group and wait until it is empty. */
	int (*kill_all)(struct vu_cgroup *cg, struct vu_err *e);
	int (*stats)(struct vu_cgroup *cg, struct vu_cg_stats *s, struct vu_err *e);
	/* Remove the group; ENOENT if it did not exist is not an error. */
	int (*destroy)(struct vu_cgroup *cg, struct vu_err *e);
	/* Does the group exist? */
	bool (*exists)(struct vu_cgroup *cg);
};

struct vu_cgroup {
	const struct vu_cg_ops *ops;
	char name[64];
	/* v1: one directory per hierarchy (mount point of the controllers)
	 * v2: hier[0] is the cgroup2 mount. */
	char hier[VU_CG_MAX_HIER][PATH_MAX / 4];
	char hier_opts[VU_CG_MAX_HIER][128];   /* v1: the controllers, "cpu,cpuacct" */
	size_t n_hier;
};

extern const struct vu_cg_ops vu_cg_v1_ops;
extern const struct vu_cg_ops vu_cg_v2_ops;

/* Detect the backend and fill @cg for guest @name (nothing is created). */
int vu_cg_open(struct vu_cgroup *cg, const char *name, struct vu_err *e);

/* Parse a mountinfo stream for cgroup v1 hierarchies into @cg (exposed for
 * the unit tests). */
int vu_cg_v1_scan(struct vu_cgroup *cg, const char *mountinfo, struct vu_err *e);

/* The devices every guest gets (null, zero, full, random, urandom, tty,
 * ptmx, pts; the console is a pty).  See daemon/cgroup.c. */
extern const struct vu_cg_dev vu_cg_default_devices[];
extern const size_t vu_cg_n_default_devices;

/* cgroup v2 device filter: load a BPF_PROG_TYPE_CGROUP_DEVICE program for
 * @rules and attach it to the group directory @cgfd. */
int vu_cg_bpf_devices(int cgfd, const struct vu_cg_dev *rules, size_t n, struct vu_err *e);

/* Small file helpers shared by the backends. */
int vu_cg_write(const char *dir, const char *file, const char *val, struct vu_err *e);
int vu_cg_read(const char *dir, const char *file, char *buf, size_t len, struct vu_err *e);

/* v1 cpu.shares for a v2 weight (1..10000 -> 2..262144, 100 -> 1024). */
uint64_t vu_cg_weight_to_shares(unsigned weight);
/* v1 blkio.weight (CFQ: 10..1000) for a v2 io weight (1..10000, 100 -> 500). */
unsigned vu_cg_weight_to_blkio(unsigned weight);
/* BFQ's weight (1..1000, default 100) for a v2 io weight. */
unsigned vu_cg_weight_to_bfq(unsigned weight);

#endif /* VSUP_CGROUP_H */
