// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the cgroup backends (daemon/cgroup*.c) against fake
 * cgroupfs trees in a temporary directory: what each backend writes where,
 * and what it refuses.  The real hierarchies are exercised by
 * the tests in tests/vserver.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ut_file.h"

#include "vsupervisor/cgroup.h"

static char tmp[256];

static void put(const char *dir, const char *file, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#define get ut_read

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/test_cgroup.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	return 0;
}

static int teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_v1_scan(void **state)
{
	char mi[1024];
	struct vu_cgroup cg = { 0 };
	struct vu_err e;

	(void)state;
	snprintf(mi, sizeof(mi), "%s/mountinfo", tmp);
	put(tmp, "mountinfo",
	    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
	    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:5 - cgroup cgroup rw,cpu,cpuacct\n"
	    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
	    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
	    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
	    "42 31 0:32 /sub /mnt/memory\\040copy rw,relatime - cgroup cgroup rw,memory\n"
	    "43 31 0:39 / /sys/fs/cgroup/pids\\040x rw,relatime - cgroup cgroup rw,pids\n"
	    "44 31 0:32 / /mnt/again rw,relatime - cgroup cgroup rw,memory\n");
	assert_int_equal(vu_cg_v1_scan(&cg, mi, &e), 0);
	assert_int_equal(cg.n_hier, 4);
	assert_string_equal(cg.hier[0], "/sys/fs/cgroup/cpu,cpuacct");
	assert_string_equal(cg.hier_opts[0], "rw,cpu,cpuacct");
	assert_string_equal(cg.hier[1], "/sys/fs/cgroup/memory");
	assert_string_equal(cg.hier[2], "/sys/fs/cgroup/devices");
	assert_string_equal(cg.hier[3], "/sys/fs/cgroup/pids x");
	/* the hybrid layout's cgroup2 mount holds the delegated subtree */
	assert_string_equal(cg.deleg, "/sys/fs/cgroup/unified");

	put(tmp, "mountinfo", "41 31 0:38 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n");
	assert_int_equal(vu_cg_v1_scan(&cg, mi, &e), -1);
	assert_int_equal(e.code, ENOENT);
}

/* A fake v1 hierarchy per controller below tmp, as the kernel makes it. */
static void fake_v1(struct vu_cgroup *cg)
{
	static const char *const ctls[] = { "cpu", "memory", "pids", "devices", "blkio", "cpuset" };
	char dir[2048];

	memset(cg, 0, sizeof(*cg));
	cg->ops = &vu_cg_v1_ops;
	snprintf(cg->parent, sizeof(cg->parent), "vunify");
	snprintf(cg->name, sizeof(cg->name), "g1");
	for (size_t i = 0; i < 6; i++) {
		snprintf(cg->hier[i], sizeof(cg->hier[i]), "%s/%s", tmp, ctls[i]);
		snprintf(cg->hier_opts[i], sizeof(cg->hier_opts[i]), "rw,%s", ctls[i]);
		mkdir(cg->hier[i], 0755);
		snprintf(dir, sizeof(dir), "%s/vunify", cg->hier[i]);
		mkdir(dir, 0755);
		snprintf(dir, sizeof(dir), "%s/vunify/g1", cg->hier[i]);
		mkdir(dir, 0755);
	}
	cg->n_hier = 6;
	/* cpuset starts empty below the root, like the kernel's */
	put(cg->hier[5], "cpuset.cpus", "0-3\n");
	put(cg->hier[5], "cpuset.mems", "0\n");
	snprintf(dir, sizeof(dir), "%s/vunify", cg->hier[5]);
	put(dir, "cpuset.cpus", "\n");
	put(dir, "cpuset.mems", "\n");
	snprintf(dir, sizeof(dir), "%s/vunify/g1", cg->hier[5]);
	put(dir, "cpuset.cpus", "\n");
	put(dir, "cpuset.mems", "\n");
}

static void test_v1_backend(void **state)
{
	struct vu_cgroup cg;
	struct vu_err e;
	struct vu_cg_limits lim = {
		.memory = 256 << 20, .cpu_weight = 100, .cpu_quota_us = 50000, .pids = 77,
		.io = { { .major = 8, .minor = 0, .rbps = 1000, .wiops = 50 } }, .n_io = 1,
	};
	static const struct vu_cg_dev devs[] = { { 'c', 1, 3, "rwm" }, { 'c', 136, -1, "rw" } };
	char dir[2048];

	(void)state;
	fake_v1(&cg);
	assert_int_equal(cg.ops->create(&cg, &e), 0);
	snprintf(dir, sizeof(dir), "%s/cpuset/vunify/g1", tmp);
	assert_string_equal(get(dir, "cpuset.cpus"), "0-3\n");
	assert_string_equal(get(dir, "cpuset.mems"), "0\n");

	/* The files the kernel would have. */
	snprintf(dir, sizeof(dir), "%s/memory/vunify/g1", tmp);
	put(dir, "memory.limit_in_bytes", "");
	snprintf(dir, sizeof(dir), "%s/cpu/vunify/g1", tmp);
	put(dir, "cpu.shares", "");
	put(dir, "cpu.cfs_period_us", "");
	put(dir, "cpu.cfs_quota_us", "");
	snprintf(dir, sizeof(dir), "%s/pids/vunify/g1", tmp);
	put(dir, "pids.max", "");
	snprintf(dir, sizeof(dir), "%s/blkio/vunify/g1", tmp);
	put(dir, "blkio.throttle.read_bps_device", "");
	put(dir, "blkio.throttle.write_iops_device", "");
	assert_int_equal(cg.ops->set_limits(&cg, &lim, &e), 0);
	snprintf(dir, sizeof(dir), "%s/memory/vunify/g1", tmp);
	assert_string_equal(get(dir, "memory.limit_in_bytes"), "268435456");
	assert_null(get(dir, "memory.memsw.limit_in_bytes"));     /* no swap accounting */
	snprintf(dir, sizeof(dir), "%s/cpu/vunify/g1", tmp);
	assert_string_equal(get(dir, "cpu.shares"), "1024");
	assert_string_equal(get(dir, "cpu.cfs_period_us"), "100000");
	assert_string_equal(get(dir, "cpu.cfs_quota_us"), "50000");
	snprintf(dir, sizeof(dir), "%s/pids/vunify/g1", tmp);
	assert_string_equal(get(dir, "pids.max"), "77");
	snprintf(dir, sizeof(dir), "%s/blkio/vunify/g1", tmp);
	assert_string_equal(get(dir, "blkio.throttle.read_bps_device"), "8:0 1000");
	assert_string_equal(get(dir, "blkio.throttle.write_iops_device"), "8:0 50");

	/* io_weight without a weight file: refused, not ignored. */
	lim = (struct vu_cg_limits){ .io_weight = 100 };
	assert_int_equal(cg.ops->set_limits(&cg, &lim, &e), -1);
	assert_int_equal(e.code, ENOTSUP);
	assert_non_null(strstr(e.msg, "blkio.weight"));

	/* Devices: deny all first, then allow each (the fake file keeps the last). */
	snprintf(dir, sizeof(dir), "%s/devices/vunify/g1", tmp);
	put(dir, "devices.deny", "");
	put(dir, "devices.allow", "");
	assert_int_equal(cg.ops->set_devices(&cg, devs, 2, &e), 0);
	assert_string_equal(get(dir, "devices.deny"), "a");
	assert_string_equal(get(dir, "devices.allow"), "c 136:* rw");

	/* Attach writes the pid to every hierarchy. */
	for (size_t h = 0; h < cg.n_hier; h++) {
		snprintf(dir, sizeof(dir), "%s/vunify/g1", cg.hier[h]);
		put(dir, "cgroup.procs", "");
	}
	assert_int_equal(cg.ops->attach(&cg, 4242, 0, &e), 0);
	for (size_t h = 0; h < cg.n_hier; h++) {
		snprintf(dir, sizeof(dir), "%s/vunify/g1", cg.hier[h]);
		assert_string_equal(get(dir, "cgroup.procs"), "4242");
	}
	assert_true(cg.ops->exists(&cg));
}

static void test_v1_missing_controller(void **state)
{
	struct vu_cgroup cg;
	struct vu_err e;
	struct vu_cg_limits lim = { .pids = 5 };

	(void)state;
	fake_v1(&cg);
	cg.n_hier = 2;      /* cpu and memory only */
	assert_int_equal(cg.ops->set_limits(&cg, &lim, &e), -1);
	assert_int_equal(e.code, ENOTSUP);
	assert_string_equal(e.msg, "the cgroup v1 pids controller is not mounted: "
			    "Operation not supported");
}

static void test_v2_backend(void **state)
{
	struct vu_cgroup cg = { .ops = &vu_cg_v2_ops };
	struct vu_err e;
	struct vu_cg_limits lim = {
		.memory = 64 << 20, .cpu_weight = 250, .cpu_quota_us = 20000, .cpu_period_us = 40000,
		.pids = 99, .io_weight = 300,
		.io = { { .major = 254, .minor = 0, .rbps = 1 << 20, .wiops = 10 } }, .n_io = 1,
	};
	char dir[2048];

	(void)state;
	snprintf(cg.parent, sizeof(cg.parent), "vunify");
	snprintf(cg.name, sizeof(cg.name), "g2");
	snprintf(cg.hier[0], sizeof(cg.hier[0]), "%s/v2", tmp);
	cg.n_hier = 1;
	mkdir(cg.hier[0], 0755);
	snprintf(dir, sizeof(dir), "%s/vunify", cg.hier[0]);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/vunify/g2", cg.hier[0]);
	mkdir(dir, 0755);
	put(dir, "cgroup.controllers", "cpu memory pids io\n");
	put(dir, "memory.swap.max", "");
	put(dir, "io.bfq.weight", "");
	put(dir, "memory.max", "");
	put(dir, "cpu.weight", "");
	put(dir, "cpu.max", "");
	put(dir, "pids.max", "");
	put(dir, "io.max", "");
	assert_int_equal(cg.ops->set_limits(&cg, &lim, &e), 0);
	assert_string_equal(get(dir, "memory.max"), "67108864");
	assert_string_equal(get(dir, "memory.swap.max"), "0");
	assert_string_equal(get(dir, "cpu.weight"), "250");
	assert_string_equal(get(dir, "cpu.max"), "20000 40000");
	assert_string_equal(get(dir, "pids.max"), "99");
	assert_string_equal(get(dir, "io.bfq.weight"), "default 300");
	assert_string_equal(get(dir, "io.max"), "254:0 rbps=1048576 wiops=10");

	/* A limit without its controller is an error naming it. */
	put(dir, "cgroup.controllers", "cpu io\n");
	lim = (struct vu_cg_limits){ .pids = 5 };
	assert_int_equal(cg.ops->set_limits(&cg, &lim, &e), -1);
	assert_int_equal(e.code, ENOTSUP);
	assert_non_null(strstr(e.msg, "pids needs the cgroup v2 pids controller"));

	/* create enables the controllers top-down, those offered only. */
	put(cg.hier[0], "cgroup.controllers", "cpu memory pids\n");
	put(cg.hier[0], "cgroup.subtree_control", "");
	snprintf(dir, sizeof(dir), "%s/vunify", cg.hier[0]);
	put(dir, "cgroup.controllers", "memory\n");
	put(dir, "cgroup.subtree_control", "");
	assert_int_equal(cg.ops->create(&cg, &e), 0);
	/* the fake file keeps the last write, over the longer earlier ones */
	assert_memory_equal(get(cg.hier[0], "cgroup.subtree_control"), "+pidsry", 7);
	assert_string_equal(get(dir, "cgroup.subtree_control"), "+memory");

	/* create makes the delegated subtree: NAME bounded, its controllers
	 * offered to NAME/payload, where the guest's processes go */
	snprintf(dir, sizeof(dir), "%s/vunify/g2", cg.hier[0]);
	put(dir, "cgroup.max.descendants", "");
	put(dir, "cgroup.max.depth", "");
	put(dir, "cgroup.controllers", "pids\n");
	put(dir, "cgroup.subtree_control", "");
	put(cg.hier[0], "cgroup.subtree_control", "");
	assert_string_equal(cg.deleg, "");
	snprintf(cg.deleg, sizeof(cg.deleg), "%s", cg.hier[0]);
	assert_int_equal(cg.ops->create(&cg, &e), 0);
	assert_string_equal(get(dir, "cgroup.max.descendants"), "4096");
	assert_string_equal(get(dir, "cgroup.max.depth"), "32");
	assert_string_equal(get(dir, "cgroup.subtree_control"), "+pids");

	/* attach: into payload; a joining process whose guest's init is
	 * not below payload (here: this test itself) goes there too */
	snprintf(dir, sizeof(dir), "%s/vunify/g2/payload", cg.hier[0]);
	put(dir, "cgroup.procs", "");
	assert_int_equal(cg.ops->attach(&cg, 77, 0, &e), 0);
	assert_string_equal(get(dir, "cgroup.procs"), "77");
	assert_int_equal(cg.ops->attach(&cg, 78, getpid(), &e), 0);
	assert_string_equal(get(dir, "cgroup.procs"), "78");
	assert_int_equal(vu_cg_count_tree(dir), 1);
	assert_true(cg.ops->exists(&cg));
}

/* destroy removes the guest's groups children first, and only those. */
static void test_destroy_tree(void **state)
{
	static const char *const tree[] = {
		"vunify", "vunify/keep", "vunify/g", "vunify/g/payload",
		"vunify/g/payload/system.slice", "vunify/g/payload/system.slice/a.service",
		"vunify/g/payload/init.scope",
	};
	char dir[2048];
	struct vu_err e;

	(void)state;
	for (size_t i = 0; i < sizeof(tree) / sizeof(tree[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", tmp, tree[i]);
		assert_int_equal(mkdir(dir, 0755), 0);
	}
	snprintf(dir, sizeof(dir), "%s/vunify/g", tmp);
	assert_int_equal(vu_cg_destroy_tree(dir, &e), 0);
	assert_int_equal(access(dir, F_OK), -1);
	/* gone already: fine */
	assert_int_equal(vu_cg_destroy_tree(dir, &e), 0);
	snprintf(dir, sizeof(dir), "%s/vunify/keep", tmp);
	assert_int_equal(access(dir, F_OK), 0);
}

static char levels[256];

static int record_level(const char *upper, const char *dir, struct vu_err *e)
{
	(void)e;
	snprintf(levels + strlen(levels), sizeof(levels) - strlen(levels), "%s>%s;",
		 upper + strlen(tmp), dir + strlen(tmp));
	return 0;
}

/* PARENT is made level by level, each prepared from the one above it, and
 * two bases' parents are two groups. */
static void test_mkparent(void **state)
{
	struct vu_cgroup cg = { .parent = "vunify/b-0a1b2c3d" };
	char dir[2048];
	struct vu_err e;

	(void)state;
	levels[0] = 0;
	assert_int_equal(vu_cg_mkparent(&cg, tmp, record_level, &e), 0);
	assert_string_equal(levels, ">/vunify;/vunify>/vunify/b-0a1b2c3d;");
	snprintf(dir, sizeof(dir), "%s/vunify/b-0a1b2c3d", tmp);
	assert_int_equal(access(dir, F_OK), 0);
	/* again: reused, prepared again (a value a crash left unset) */
	levels[0] = 0;
	assert_int_equal(vu_cg_mkparent(&cg, tmp, record_level, &e), 0);
	assert_string_equal(levels, ">/vunify;/vunify>/vunify/b-0a1b2c3d;");
	/* the base's level goes with its last guest, not before */
	snprintf(dir, sizeof(dir), "%s/vunify/b-0a1b2c3d/g", tmp);
	assert_int_equal(vu_cg_mkgroup(&cg, tmp, NULL, dir, &e), 0);
	vu_cg_rmparent(&cg, tmp);
	assert_int_equal(access(dir, F_OK), 0);
	assert_int_equal(rmdir(dir), 0);
	vu_cg_rmparent(&cg, tmp);
	snprintf(dir, sizeof(dir), "%s/vunify/b-0a1b2c3d", tmp);
	assert_int_equal(access(dir, F_OK), -1);
	snprintf(dir, sizeof(dir), "%s/vunify", tmp);
	assert_int_equal(access(dir, F_OK), 0);
	/* a failing level stops there */
	snprintf(dir, sizeof(dir), "%s/nothere", tmp);
	assert_int_equal(vu_cg_mkparent(&cg, dir, NULL, &e), -1);
	assert_int_equal(e.code, ENOENT);
}

static void test_weights(void **state)
{
	(void)state;
	assert_int_equal(vu_cg_weight_to_shares(100), 1024);
	assert_int_equal(vu_cg_weight_to_shares(1), 10);
	assert_int_equal(vu_cg_weight_to_shares(10000), 102400);
	assert_int_equal(vu_cg_weight_to_blkio(1), 10);
	assert_int_equal(vu_cg_weight_to_blkio(100), 500);
	assert_int_equal(vu_cg_weight_to_blkio(10000), 1000);
	assert_int_equal(vu_cg_weight_to_bfq(100), 100);
	assert_int_equal(vu_cg_weight_to_bfq(5000), 1000);
	for (unsigned w = 1; w < 10000; w++)
		assert_true(vu_cg_weight_to_blkio(w) <= vu_cg_weight_to_blkio(w + 1));
}

static void test_detect(void **state)
{
	struct vu_cgroup cg;
	struct vu_err e;

	(void)state;
	setenv("VUNIFY_CGROUP", "v3", 1);
	assert_int_equal(vu_cg_open(&cg, "k", "x", &e), -1);
	assert_string_equal(e.msg, "VUNIFY_CGROUP=v3: want v1, v2 or v2:PATH: Invalid argument");
	setenv("VUNIFY_CGROUP", "v2:/tmp", 1);
	assert_int_equal(vu_cg_open(&cg, "k", "x", &e), -1);
	assert_string_equal(e.msg, "/tmp: not a cgroup2 mount: Invalid argument");
	unsetenv("VUNIFY_CGROUP");
	/* On any machine with cgroups, something is found. */
	if (access("/sys/fs/cgroup", F_OK) == 0) {
		assert_int_equal(vu_cg_open(&cg, "k", "x", &e), 0);
		assert_non_null(cg.ops);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v1_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_missing_controller, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkparent, setup, teardown),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_detect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
