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
 * "vunify/KEY", KEY the guest's base (vsupervisor/layout.h): guests of the
 * same name in two bases never share a group.  Everything is written to
 * cgroupfs directly.
 *
 * Delegation.  A guest also gets a cgroup2 subtree of its own, the
 * "delegated" one: the v2 backend's hierarchy, or on a v1 host the cgroup2
 * mount beside the controllers (the hybrid layout's /sys/fs/cgroup/unified),
 * if there is one.  There the guest's processes live in PARENT/NAME/payload,
 * the root of the guest's cgroup namespace, mounted read-write at the
 * guest's /sys/fs/cgroup; a manager inside (systemd) makes its own groups
 * below it.  NAME holds the limits and bounds the number and depth of the
 * guest's groups; the guest cannot write to it.  Processes joining the guest
 * (vserver exec) go where its init is, if that is below payload.
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
#define VU_CG_PAYLOAD  "payload"
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
	/* Move @pid into the guest's groups; @init > 0: a process joining the
	 * running guest whose init is @init (see Delegation). */
	int (*attach)(struct vu_cgroup *cg, pid_t pid, pid_t init, struct vu_err *e);
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
	char parent[80];            /* "vunify/KEY" */
	char name[64];
	/* v1: one directory per hierarchy (mount point of the controllers)
	 * v2: hier[0] is the cgroup2 mount. */
	char hier[VU_CG_MAX_HIER][PATH_MAX / 4];
	char hier_opts[VU_CG_MAX_HIER][128];   /* v1: the controllers, "cpu,cpuacct" */
	size_t n_hier;
	char deleg[PATH_MAX / 4];   /* the cgroup2 mount of the delegated subtree, or "" */
};

extern const struct vu_cg_ops vu_cg_v1_ops;
extern const struct vu_cg_ops vu_cg_v2_ops;

/* Detect the backend and fill @cg for guest @name of the base whose key
 * is @key (nothing is created). */
int vu_cg_open(struct vu_cgroup *cg, const char *key, const char *name, struct vu_err *e);

/* Make the levels of @cg->parent below the hierarchy root @root ("vunify",
 * then "vunify/KEY"), existing ones reused; @level(@upper, @dir, @e), if
 * set, prepares each after it is made (cpuset values, controllers). */
int vu_cg_mkparent(const struct vu_cgroup *cg, const char *root,
		   int (*level)(const char *upper, const char *dir, struct vu_err *e),
		   struct vu_err *e);

/* vu_cg_mkparent, then the guest's group @dir (below it); made again if
 * another guest's stop removed the then empty "vunify/KEY" in between. */
int vu_cg_mkgroup(const struct vu_cgroup *cg, const char *root,
		  int (*level)(const char *upper, const char *dir, struct vu_err *e),
		  const char *dir, struct vu_err *e);

/* Remove "vunify/KEY" below @root if no guest of the base is left in it
 * (a base's level does not outlive its guests: a test base each run). */
void vu_cg_rmparent(const struct vu_cgroup *cg, const char *root);

/* Parse a mountinfo stream for cgroup v1 hierarchies into @cg (exposed for
 * the unit tests). */
int vu_cg_v1_scan(struct vu_cgroup *cg, const char *mountinfo, struct vu_err *e);

/* The delegated subtree (daemon/cgroup_deleg.c); each is a no-op if
 * @cg->deleg is empty.  The backends call them. */
int vu_cg_deleg_create(const struct vu_cgroup *cg, struct vu_err *e);
int vu_cg_deleg_attach(const struct vu_cgroup *cg, pid_t pid, pid_t init, struct vu_err *e);
int vu_cg_deleg_kill(const struct vu_cgroup *cg, struct vu_err *e);
int vu_cg_deleg_destroy(const struct vu_cgroup *cg, struct vu_err *e);
bool vu_cg_deleg_exists(const struct vu_cgroup *cg);
/* Remove the cgroup2 group @dir and every group below it, children first. */
int vu_cg_destroy_tree(const char *dir, struct vu_err *e);
/* Remove the (empty) group @path (below @dirfd, or AT_FDCWD), waiting up to
 * 2 s while the kernel still counts an exited task in it (EBUSY); a group
 * that is gone already is fine. */
int vu_cg_rmdir(int dirfd, const char *path, struct vu_err *e);
/* Is @word one of the space-separated words of @list (cgroup.controllers,
 * cgroup.subtree_control)? */
bool vu_cg_word_in(const char *list, const char *word);
/* Processes in the cgroup2 group @dir and below it. */
unsigned vu_cg_count_tree(const char *dir);

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
