// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the object store (unify/store.c, unify/copy.c): layout and
 * names, objects made as new inodes with the source's data, holes,
 * metadata, xattrs and the mark, instance numbering, the link limit
 * switch, the writer lock, the walk.  Needs root (trusted.* xattrs).
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
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "vunify/format.h"
#include "vunify/meta.h"
#include "vunify/store.h"

static char tmpdir[] = "/tmp/vu-test-store.XXXXXX";
static char storepath[512];

static struct vu_id test_id(uint8_t first)
{
	struct vu_id id;

	for (int i = 0; i < 16; i++)
		id.b[i] = (uint8_t)(first + i);
	return id;
}

static void test_names(void **state)
{
	struct vu_id id = test_id(0xab), back;
	char name[VU_STORE_NAME_MAX];
	unsigned seq;

	(void)state;
	vu_store_name(&id, 0, name);
	assert_string_equal(name, "acadaeafb0b1b2b3b4b5b6b7b8b9ba");
	assert_int_equal(vu_store_parse_name("ab", name, &back, &seq), 0);
	assert_true(vu_id_eq(&id, &back));
	assert_int_equal(seq, 0);
	vu_store_name(&id, 12, name);
	assert_string_equal(name, "acadaeafb0b1b2b3b4b5b6b7b8b9ba.12");
	assert_int_equal(vu_store_parse_name("ab", name, &back, &seq), 0);
	assert_int_equal(seq, 12);
	assert_int_equal(vu_store_parse_name("ab", "acadaeafb0b1b2b3b4b5b6b7b8b9ba.0", &back, &seq), -1);
	assert_int_equal(vu_store_parse_name("ab", "acadaeafb0b1b2b3b4b5b6b7b8b9ba.x", &back, &seq), -1);
	assert_int_equal(vu_store_parse_name("ab", "acadaeafb0b1b2b3b4b5b6b7b8b9b", &back, &seq), -1);
	assert_int_equal(vu_store_parse_name("AB", "acadaeafb0b1b2b3b4b5b6b7b8b9ba", &back, &seq), -1);
	assert_int_equal(vu_store_parse_name("ab", ".vunify-tmp.h1.2", &back, &seq), -1);
}

static void test_open(void **state)
{
	struct vu_store s;
	struct vu_err e;
	struct stat st;
	char path[600];

	(void)state;
	assert_int_equal(vu_store_open(&s, storepath, true, &e), 0);
	assert_int_equal(stat(storepath, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/objects", storepath);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	vu_store_close(&s);
	/* A store others could enter is refused. */
	assert_int_equal(chmod(storepath, 0750), 0);
	assert_int_equal(vu_store_open(&s, storepath, true, &e), -1);
	assert_non_null(strstr(e.msg, "must be mode 0700"));
	vu_store_close(&s);
	assert_int_equal(chmod(storepath, 0700), 0);
}

static void test_lock(void **state)
{
	struct vu_store a, b, c;
	struct vu_err e;

	(void)state;
	assert_int_equal(vu_store_open(&a, storepath, true, &e), 0);
	assert_int_equal(vu_store_open(&b, storepath, true, &e), 0);
	assert_int_equal(vu_store_open(&c, storepath, true, &e), 0);
	/* Linkers share the store; gc waits for all of them to end. */
	assert_int_equal(vu_store_lock(&a, VU_STORE_LINKER, &e), 0);
	assert_int_equal(vu_store_lock(&b, VU_STORE_LINKER, &e), 0);
	assert_int_equal(vu_store_lock(&c, VU_STORE_EXCLUSIVE, &e), -1);
	assert_non_null(strstr(e.msg, "store in use by vhashify or vclone"));
	vu_store_close(&a);
	vu_store_close(&b);
	assert_int_equal(vu_store_open(&a, storepath, true, &e), 0);
	assert_int_equal(vu_store_lock(&c, VU_STORE_EXCLUSIVE, &e), 0);
	assert_int_equal(vu_store_lock(&a, VU_STORE_LINKER, &e), -1);
	assert_non_null(strstr(e.msg, "store in use by vhashify gc"));
	vu_store_close(&c);
	vu_store_close(&a);
}

static int make_source(struct statx *stx)
{
	char path[600];
	struct timespec ts[2] = { { 1500000000, 123456789 }, { 1400000000, 987654321 } };
	int fd;

	snprintf(path, sizeof(path), "%s/source", tmpdir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "head", 4, 0), 4);
	assert_int_equal(pwrite(fd, "tail", 4, 32 << 20), 4);
	assert_int_equal(fchown(fd, 1234, 5678), 0);
	assert_int_equal(fchmod(fd, 02751), 0);
	assert_int_equal(fsetxattr(fd, "user.colour", "blue", 4, 0), 0);
	assert_int_equal(fsetxattr(fd, "trusted.other", "x", 1, 0), 0);
	assert_int_equal(futimens(fd, ts), 0);
	assert_int_equal(vu_meta_statx(fd, "", stx), 0);
	return fd;
}

static void test_create(void **state)
{
	struct vu_store s;
	struct vu_err e;
	struct vu_id id = test_id(0x10);
	struct statx src, obj, again;
	struct vu_xattrs x, ox;
	char hex[VU_ID_HEXLEN + 1], mark[64], buf[8], linkpath[600];
	unsigned seq = 0;
	int sfd, ofd, pin;
	ssize_t n;

	(void)state;
	snprintf(linkpath, sizeof(linkpath), "%s/guest-link", tmpdir);
	assert_int_equal(vu_store_open(&s, storepath, true, &e), 0);
	sfd = make_source(&src);
	assert_int_equal(vu_xattrs_read_fd(sfd, &x, &e, "source"), 0);
	ofd = vu_store_create(&s, &id, sfd, &src, &x, &seq, &obj, &e, "source");
	assert_true(ofd >= 0);
	assert_int_equal(seq, 0);
	/* A new inode, with everything a guest sees equal. */
	assert_false(vu_meta_same_inode(&src, &obj));
	assert_true(vu_meta_looks_same(&src, &obj, 0));
	assert_int_equal(obj.stx_nlink, 1);
	assert_true(obj.stx_blocks < 200);              /* holes stayed holes */
	assert_int_equal(pread(ofd, buf, 4, 32 << 20), 4);
	assert_memory_equal(buf, "tail", 4);
	/* Its xattrs: the source's, plus the mark with its id. */
	assert_int_equal(vu_xattrs_read_fd(ofd, &ox, &e, "object"), 0);
	assert_true(vu_xattrs_equal(&x, &ox));
	assert_true(ox.marked);
	vu_id_hex(&id, hex);
	n = fgetxattr(ofd, VU_MARK_XATTR, mark, sizeof(mark));
	assert_int_equal(n, VU_ID_HEXLEN);
	assert_memory_equal(mark, hex, VU_ID_HEXLEN);
	assert_int_equal(vu_store_stat(&s, &id, 0, &again), 0);
	assert_true(vu_meta_same_inode(&obj, &again));
	vu_xattrs_free(&ox);
	close(ofd);
	/* The name is taken: the next instance. */
	seq = 0;
	ofd = vu_store_create(&s, &id, sfd, &src, &x, &seq, &obj, &e, "source");
	assert_true(ofd >= 0);
	assert_int_equal(seq, 1);
	close(ofd);
	assert_int_equal(vu_store_stat(&s, &id, 1, &again), 0);
	assert_int_equal(vu_store_stat(&s, &id, 2, &again), -1);
	assert_int_equal(errno, ENOENT);
	/* Pinned by a linker, or linked to, an unused instance stays. */
	pin = vu_store_pin(&s, &id, 1, &again, &e);
	assert_true(pin >= 0);
	assert_int_equal(vu_store_remove_unused(&s, &id, 1, &again, &e), 1);
	assert_int_equal(linkat(pin, "", AT_FDCWD, linkpath, AT_EMPTY_PATH), 0);
	close(pin);
	assert_int_equal(vu_store_remove_unused(&s, &id, 1, &again, &e), 1);
	assert_int_equal(unlink(linkpath), 0);
	/* Only the instance it made: not a new one under the same name. */
	assert_int_equal(vu_store_remove_unused(&s, &id, 1, &src, &e), 1);
	assert_int_equal(vu_store_remove_unused(&s, &id, 1, &again, &e), 0);
	assert_int_equal(vu_store_stat(&s, &id, 1, &again), -1);
	/* Removed: a linker that compared with it finds it gone. */
	assert_int_equal(vu_store_pin(&s, &id, 1, &again, &e), -1);
	assert_int_equal(errno, ESTALE);
	vu_xattrs_free(&x);
	close(sfd);
	vu_store_close(&s);
}

static int count(void *arg, const struct vu_id *id, unsigned seq, int dirfd, const char *name)
{
	int *n = arg;

	(void)seq; (void)dirfd; (void)name;
	n[id ? 0 : 1]++;
	return 0;
}

static void test_walk_and_room(void **state)
{
	struct vu_store s;
	struct vu_err e;
	struct statx stx;
	int n[2] = { 0, 0 };
	char path[700];

	(void)state;
	assert_int_equal(vu_store_open(&s, storepath, true, &e), 0);
	snprintf(path, sizeof(path), "%s/objects/10/stray", storepath);
	close(open(path, O_WRONLY | O_CREAT, 0600));
	assert_int_equal(vu_store_walk(&s, count, n, &e), 0);
	assert_int_equal(n[0], 1);      /* test_create's instance 0 */
	assert_int_equal(n[1], 1);      /* and the stray file */
	memset(&stx, 0, sizeof(stx));
	stx.stx_nlink = 1000;
	assert_true(vu_store_has_room(&s, &stx));
	vu_store_close(&s);
	setenv("VUNIFY_LINK_MAX", "3", 1);
	assert_int_equal(vu_store_open(&s, storepath, true, &e), 0);
	stx.stx_nlink = 2;
	assert_true(vu_store_has_room(&s, &stx));
	stx.stx_nlink = 3;
	assert_false(vu_store_has_room(&s, &stx));
	vu_store_close(&s);
	setenv("VUNIFY_LINK_MAX", "1", 1);
	assert_int_equal(vu_store_open(&s, storepath, true, &e), -1);
	assert_non_null(strstr(e.msg, "VUNIFY_LINK_MAX"));
	vu_store_close(&s);
	unsetenv("VUNIFY_LINK_MAX");
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(storepath, sizeof(storepath), "%s/store", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_walk_and_room),
	};

	if (geteuid() != 0) {
		printf("skip: needs root (trusted.* xattrs, chown)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
