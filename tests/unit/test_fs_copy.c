// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: data and xattr copies of the link break (fs/copy.c). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../fs/vunifyfs.h"
#include "vunify/format.h"

static char dir[] = "/tmp/vunify-unit.XXXXXX";

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static int tmp(const char *name)
{
	char p[128];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_CREAT | O_RDWR | O_TRUNC, 0644);
	assert_true(fd >= 0);
	return fd;
}

/* A file of 4 MiB: hole, 64 KiB of data at 1 MiB, hole, 4 KiB at 3 MiB. */
static int sparse_src(void)
{
	int fd = tmp("src");
	char buf[65536];

	memset(buf, 'a', sizeof(buf));
	assert_int_equal(ftruncate(fd, 4 << 20), 0);
	assert_int_equal(pwrite(fd, buf, sizeof(buf), 1 << 20), sizeof(buf));
	assert_int_equal(pwrite(fd, buf, 4096, 3 << 20), 4096);
	fsync(fd);
	return fd;
}

static void assert_same(int a, int b, off_t len)
{
	char x[65536], y[65536];

	for (off_t off = 0; off < len; off += sizeof(x)) {
		size_t want = len - off < (off_t)sizeof(x) ? (size_t)(len - off) : sizeof(x);
		ssize_t n = pread(a, x, want, off), m = pread(b, y, want, off);

		assert_int_equal(n, m);
		assert_memory_equal(x, y, n);
	}
}

static void test_sparse_full(void **state)
{
	int src = sparse_src(), dst = tmp("dst");
	struct stat st;

	assert_int_equal(vu_copy_data(src, dst, -1), 0);
	assert_int_equal(fstat(dst, &st), 0);
	assert_int_equal(st.st_size, 4 << 20);
	/* Holes kept: far less than 4 MiB allocated (ext4 or a reflink). */
	assert_true(st.st_blocks * 512 < (1 << 20));
	assert_same(src, dst, st.st_size);
	close(src);
	close(dst);
}

static void test_partial(void **state)
{
	int src = sparse_src(), dst = tmp("dst2");
	struct stat st;

	/* Keep 1 MiB + 100 bytes: a prefix, cut inside the data segment. */
	assert_int_equal(vu_copy_data(src, dst, (1 << 20) + 100), 0);
	assert_int_equal(fstat(dst, &st), 0);
	assert_int_equal(st.st_size, (1 << 20) + 100);
	assert_same(src, dst, st.st_size);
	/* Keeping nothing gives an empty file; more than there is, all. */
	assert_int_equal(vu_copy_data(src, dst, 0), 0);
	assert_int_equal(fstat(dst, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(vu_copy_data(src, dst, 1LL << 40), 0);
	assert_int_equal(fstat(dst, &st), 0);
	assert_int_equal(st.st_size, 4 << 20);
	close(src);
	close(dst);
}

static void test_xattrs_without_mark(void **state)
{
	int src = tmp("xs"), dst = tmp("xd");
	char v[64];

	assert_int_equal(fsetxattr(src, "user.a", "1", 1, 0), 0);
	assert_int_equal(fsetxattr(src, "trusted.b", "22", 2, 0), 0);
	assert_int_equal(fsetxattr(src, VU_MARK_XATTR, "0123456789abcdef0123456789abcdef", 32, 0), 0);
	assert_int_equal(vu_copy_xattrs(src, dst), 0);
	assert_int_equal(fgetxattr(dst, "user.a", v, sizeof(v)), 1);
	assert_int_equal(fgetxattr(dst, "trusted.b", v, sizeof(v)), 2);
	assert_int_equal(fgetxattr(dst, VU_MARK_XATTR, v, sizeof(v)), -1);
	close(src);
	close(dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sparse_full),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_xattrs_without_mark),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
