// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: the vunifyfs node table (fs/node.c), on real files. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../fs/vunifyfs.h"

static char dir[] = "/tmp/vunify-unit.XXXXXX";
static int dirfd_;

static int setup(void **state)
{
	struct rlimit rl;

	/* One descriptor per node, and test_many_nodes_grow makes 5000. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (!mkdtemp(dir))
		return -1;
	dirfd_ = open(dir, O_PATH | O_DIRECTORY);
	if (vu_table_init(dirfd_) < 0 || vu_fdc_init(dirfd_) < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		char p[128];

		snprintf(p, sizeof(p), "%s/f%d", dir, i);
		close(open(p, O_CREAT | O_WRONLY, 0644));
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* An O_PATH fd and stat of dir/name. */
static int pfd(const char *name, struct stat *st)
{
	int fd = openat(dirfd_, name, O_PATH | O_NOFOLLOW);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, st), 0);
	return fd;
}

static void test_private_one_node_per_inode(void **state)
{
	struct vu_node *root = vu_node_get(FUSE_ROOT_ID), *a, *b;
	struct stat st;

	a = vu_node_install(root, "f0", pfd("f0", &st), NULL, &st, false);
	b = vu_node_install(root, "f0-other-name", pfd("f0", &st), NULL, &st, false);
	assert_ptr_equal(a, b);                 /* same backing inode */
	assert_int_equal(a->nlookup, 2);
	assert_int_equal(a->ino_shown, st.st_ino);
	assert_int_equal(vu_node_peek_ino(root, "x", &st, false), st.st_ino);
	vu_node_forget(a, 2);                   /* freed */
}

/* A node made from a handle holds no descriptor until one is needed, and
 * is the same node as one made from a descriptor of the same inode. */
static void test_born_cold(void **state)
{
	struct vu_node *root = vu_node_get(FUSE_ROOT_ID), *a, *b;
	struct file_handle *fh = vu_fdc_handle_at(dirfd_, "f1");
	struct stat st, st2;
	int fd;

	if (!fh)
		skip();         /* no handles here (or no CAP_DAC_READ_SEARCH) */
	assert_int_equal(fstatat(dirfd_, "f1", &st, AT_SYMLINK_NOFOLLOW), 0);
	a = vu_node_install(root, "f1", -1, fh, &st, false);
	assert_non_null(a);
	assert_int_equal(a->fd, -1);
	assert_false(vu_fdc_holds_inode(a));
	b = vu_node_install(root, "f1", pfd("f1", &st2), NULL, &st2, false);
	assert_ptr_equal(a, b);
	assert_int_equal(a->nlookup, 2);
	fd = vu_node_fd(a);                     /* opened by handle */
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st2), 0);
	assert_int_equal(st2.st_ino, st.st_ino);
	vu_node_forget(a, 2);
}

static void test_unified_one_node_per_name(void **state)
{
	struct vu_node *root = vu_node_get(FUSE_ROOT_ID), *a, *b, *a2;
	struct stat st;
	uint64_t ino_a;

	a = vu_node_install(root, "f1", pfd("f1", &st), NULL, &st, true);
	b = vu_node_install(root, "f2-same-object", pfd("f1", &st), NULL, &st, true);
	assert_ptr_not_equal(a, b);             /* one node per name */
	assert_true(a->ino_shown & (1ULL << 63));
	assert_int_not_equal(a->ino_shown, b->ino_shown);
	assert_int_not_equal(a->ino_shown, st.st_ino);
	ino_a = a->ino_shown;
	a2 = vu_node_install(root, "f1", pfd("f1", &st), NULL, &st, true);
	assert_ptr_equal(a, a2);
	assert_int_equal(vu_node_peek_ino(root, "f1", &st, true), ino_a);
	assert_int_equal(root->pins, 1 + 2);    /* root's own + two names */

	/* Rename f1 -> g1: the node follows; the old key is free. */
	vu_node_moved(a, NULL, root, "f1", root, "g1", false);
	assert_string_equal(a->name, "g1");
	assert_null(vu_node_find_name(root, "f1"));
	assert_int_equal(a->ino_shown, ino_a);  /* stable across the move */

	/* Exchange g1 <-> f2-same-object: both keys swap. */
	vu_node_moved(a, b, root, "g1", root, "f2-same-object", true);
	assert_string_equal(a->name, "f2-same-object");
	assert_string_equal(b->name, "g1");
	b = vu_node_find_name(root, "g1");
	assert_non_null(b);
	vu_node_release(b);

	/* Rename over: the target goes nameless. */
	vu_node_moved(a, b, root, "f2-same-object", root, "g1", false);
	assert_string_equal(a->name, "g1");
	assert_null(b->name);
	assert_null(b->parent);

	vu_node_unnamed(a);
	assert_null(a->name);
	assert_int_equal(root->pins, 1);
	vu_node_forget(a, 2);
	vu_node_forget(b, 1);
}

static void test_privatised(void **state)
{
	struct vu_node *root = vu_node_get(FUSE_ROOT_ID), *a, *p;
	struct stat st, st2;

	a = vu_node_install(root, "f2", pfd("f2", &st), NULL, &st, true);
	pfd("f0", &st2);
	vu_node_privatised(a, &st2);
	assert_false(a->unified);
	assert_null(a->name);
	assert_int_equal(a->ino, st2.st_ino);
	/* Found by its new backing inode now, as private node. */
	p = vu_node_install(root, "anything", pfd("f0", &st2), NULL, &st2, false);
	assert_ptr_equal(a, p);
	vu_node_forget(a, 2);
}

static void test_many_nodes_grow(void **state)
{
	struct vu_node *root = vu_node_get(FUSE_ROOT_ID), *nodes[5000];
	struct stat st;
	char name[32];

	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		nodes[i] = vu_node_install(root, name, pfd("f0", &st), NULL, &st, true);
	}
	for (int i = 0; i < 5000; i++) {
		struct vu_node *n;

		snprintf(name, sizeof(name), "n%d", i);
		n = vu_node_find_name(root, name);
		assert_ptr_equal(n, nodes[i]);
		vu_node_release(n);
		vu_node_forget(nodes[i], 1);
	}
	assert_int_equal(root->pins, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_private_one_node_per_inode),
		cmocka_unit_test(test_born_cold),
		cmocka_unit_test(test_unified_one_node_per_name),
		cmocka_unit_test(test_privatised),
		cmocka_unit_test(test_many_nodes_grow),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
