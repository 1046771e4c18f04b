// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: the copy core (unify/copy.c) as vunifyfs links it: data,
 * metadata without the mark, and the swap. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../fs/vunifyfs.h"
#include "vunify/copy.h"
#include "vunify/format.h"
#include "vunify/meta.h"

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
	struct vu_err e;
	struct stat st;

	assert_int_equal(vu_copy_data(dst, src, 4 << 20, &e, "src"), 0);
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
	struct vu_err e;
	struct stat st;

	/* Keep 1 MiB + 100 bytes: a prefix, cut inside the data segment. */
	assert_int_equal(vu_copy_data(dst, src, (1 << 20) + 100, &e, "src"), 0);
	assert_int_equal(fstat(dst, &st), 0);
	assert_int_equal(st.st_size, (1 << 20) + 100);
	assert_same(src, dst, st.st_size);
	/* Keeping nothing gives an empty file. */
	assert_int_equal(ftruncate(dst, 0), 0);
	assert_int_equal(vu_copy_data(dst, src, 0, &e, "src"), 0);
	assert_int_equal(fstat(dst, &st), 0);
	assert_int_equal(st.st_size, 0);
	/* More than there is: the source changed, an error, not a bigger file. */
	assert_int_equal(vu_copy_data(dst, src, 1LL << 40, &e, "src"), -1);
	assert_int_equal(e.code, ESTALE);
	close(src);
	close(dst);
}

/* The owner, mode, xattrs and times of a marked file go onto the copy; the
 * mark never does, unless it is given as the new object's id. */
static void test_meta_without_mark(void **state)
{
	static const char id[] = "0123456789abcdef0123456789abcdef";
	int src = tmp("xs"), dst = tmp("xd"), obj = tmp("xo");
	struct timespec ts[2] = { { 1000, 5 }, { 2000, 7 } };
	struct vu_xattrs x = { 0 };
	struct statx sx, dx;
	struct vu_err e;
	char v[64];

	assert_int_equal(fsetxattr(src, "user.a", "1", 1, 0), 0);
	assert_int_equal(fsetxattr(src, "trusted.b", "22", 2, 0), 0);
	assert_int_equal(fsetxattr(src, VU_MARK_XATTR, id, 32, 0), 0);
	assert_int_equal(fchmod(src, 0751), 0);
	assert_int_equal(fchown(src, 1234, 5678), 0);
	assert_int_equal(futimens(src, ts), 0);
	assert_int_equal(vu_meta_statx(src, "", &sx), 0);
	assert_int_equal(vu_xattrs_read_fd(src, &x, &e, "src"), 0);
	assert_true(x.marked);
	assert_int_equal(vu_copy_meta_fd(dst, &sx, &x, NULL, &e, "dst"), 0);
	assert_int_equal(fgetxattr(dst, "user.a", v, sizeof(v)), 1);
	assert_int_equal(fgetxattr(dst, "trusted.b", v, sizeof(v)), 2);
	assert_int_equal(fgetxattr(dst, VU_MARK_XATTR, v, sizeof(v)), -1);
	assert_int_equal(vu_meta_statx(dst, "", &dx), 0);
	assert_int_equal(dx.stx_mode, sx.stx_mode);
	assert_int_equal(dx.stx_uid, 1234);
	assert_int_equal(dx.stx_gid, 5678);
	assert_true(vu_meta_ts_eq(&dx.stx_mtime, &sx.stx_mtime));
	assert_true(vu_meta_ts_eq(&dx.stx_atime, &sx.stx_atime));
	/* A new store object gets the id it was given. */
	assert_int_equal(vu_copy_meta_fd(obj, &sx, &x, id, &e, "obj"), 0);
	assert_int_equal(fgetxattr(obj, VU_MARK_XATTR, v, sizeof(v)), 32);
	assert_memory_equal(v, id, 32);
	vu_xattrs_free(&x);
	close(src);
	close(dst);
	close(obj);
}

static int dirfd_(void)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	assert_true(fd >= 0);
	return fd;
}

static ino_t ino_of(int dfd, const char *name)
{
	struct stat st;

	assert_int_equal(fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_ino;
}

/*
 * The swap puts the new inode in place of the name it was told about, and
 * leaves the name alone when it holds something else by then (@changed:
 * the name is replaced by another file between the stat and the swap).
 * Either way the temporary name is gone.
 */
static void swap_case(const char *name, const char *tmpname, bool changed, int want)
{
	int dfd = dirfd_(), old = tmp(name), other = -1, new;
	struct statx ox;
	struct vu_err e;
	ino_t expect;

	assert_int_equal(vu_meta_statx(old, "", &ox), 0);
	if (changed) {
		assert_int_equal(unlinkat(dfd, name, 0), 0);
		other = tmp(name);
	}
	new = tmp(tmpname);
	expect = ino_of(dfd, changed ? name : tmpname);
	assert_int_equal(vu_copy_swap(dfd, tmpname, name, old, &ox, &e, name), want);
	assert_int_equal(ino_of(dfd, name), expect);
	assert_int_equal(faccessat(dfd, tmpname, F_OK, AT_SYMLINK_NOFOLLOW), -1);
	close(old);
	if (other >= 0)
		close(other);
	close(new);
	close(dfd);
}

static void test_swap(void **state)
{
	swap_case("name", "tmpname", false, VU_COPY_SWAPPED);
}

static void test_swap_changed(void **state)
{
	swap_case("name2", "tmpname2", true, VU_COPY_CHANGED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sparse_full),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_meta_without_mark),
		cmocka_unit_test(test_swap),
		cmocka_unit_test(test_swap_changed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
