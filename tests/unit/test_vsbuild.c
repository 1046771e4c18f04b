// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for vserver build's container configuration
 * (tools/vserver/build_setup.c) on small trees: what it changes in a
 * sysvinit tree and what it leaves, that files are replaced and not written
 * through (a link shared with a template keeps its content), that paths
 * resolve inside the tree, systemd's machine-id.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ut_file.h"

#include "../../tools/vserver/build_int.h"

static char dir[PATH_MAX], root[PATH_MAX + 8];

static void put(const char *rel, const char *content)
{
	char p[PATH_MAX * 2];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

static char *get(const char *rel)
{
	return ut_read(root, rel);
}

static bool exists(const char *rel)
{
	char p[PATH_MAX * 2];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return lstat(p, &st) == 0;
}

static void mk(const char *rel)
{
	char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
}

static void ln(const char *target, const char *rel)
{
	char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_vsbuild.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(root, sizeof(root), "%s/root", dir);
	assert_int_equal(mkdir(root, 0755), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char inittab[] =
	"id:2:initdefault:\n"
	"\n"
	"si::sysinit:/etc/init.d/rcS\n"
	"1:2345:respawn:/sbin/getty --noclear 38400 tty1\n"
	"2:23:respawn:/sbin/getty 38400 tty2\n"
	"\n"
	"#T0:23:respawn:/sbin/getty -L ttyS0 9600 vt100\n"
	"C0:2345:respawn:/sbin/getty -8 --noclear --keep-baud console 115200\n"
	"ca::ctrlaltdel:/sbin/shutdown -t1 -a -r now\n";

static void sysv_tree(void)
{
	mk("etc");
	mk("etc/default");
	mk("etc/rcS.d");
	mk("etc/rc0.d");
	mk("etc/rc2.d");
	put("etc/inittab", inittab);
	put("etc/default/tmpfs", "#RAMLOCK=yes\n");
	put("etc/fstab", "# UNCONFIGURED FSTAB FOR BASE SYSTEM\n");
	ln("../init.d/hostname.sh", "etc/rcS.d/S01hostname.sh");
	ln("../init.d/mountkernfs.sh", "etc/rcS.d/S01mountkernfs.sh");
	ln("../init.d/checkroot.sh", "etc/rcS.d/S03checkroot.sh");
	ln("../init.d/checkroot-bootclean.sh", "etc/rcS.d/S05checkroot-bootclean.sh");
	ln("../init.d/mountall.sh", "etc/rcS.d/S06mountall.sh");
	ln("../init.d/umountfs", "etc/rc0.d/K03umountfs");
	ln("../init.d/sendsigs", "etc/rc0.d/K01sendsigs");
	ln("../init.d/bootlogs", "etc/rc2.d/S01bootlogs");
}

static void test_sysvinit(void **state)
{
	struct vu_err e;
	char *s;

	sysv_tree();
	assert_int_equal(vs_build_setup(root, "g1", true, &e), 0);
	assert_string_equal(get("etc/hostname"), "g1\n");
	s = get("etc/hosts");
	assert_non_null(strstr(s, "127.0.0.1\tlocalhost\n"));
	assert_non_null(strstr(s, "\n127.0.1.1\tg1\n"));
	assert_non_null(strstr(s, "\n::1\tlocalhost ip6-localhost ip6-loopback\n"));
	/* No machine-id where there was none and the init is not systemd. */
	assert_false(exists("etc/machine-id"));

	s = get("etc/inittab");
	assert_non_null(strstr(s, "\n#1:2345:respawn:/sbin/getty --noclear 38400 tty1\n"));
	assert_non_null(strstr(s, "\n#2:23:respawn:/sbin/getty 38400 tty2\n"));
	/* Everything else as it was: blank lines, the console, comments. */
	assert_non_null(strstr(s, "id:2:initdefault:\n\nsi::sysinit"));
	assert_non_null(strstr(s, "\nC0:2345:respawn:/sbin/getty -8 --noclear --keep-baud console"));
	assert_non_null(strstr(s, "\n#T0:23:respawn"));
	assert_non_null(strstr(s, "\nca::ctrlaltdel:"));

	s = get("etc/fstab");
	assert_null(strstr(s, "UNCONFIGURED"));
	assert_non_null(strstr(s, "\nsecurityfs /sys/kernel/security securityfs noauto 0 0\n"));
	assert_non_null(strstr(s, "\npstore /sys/fs/pstore pstore noauto 0 0\n"));
	assert_non_null(strstr(get("etc/default/tmpfs"), "\nRAMLOCK=no\n"));

	assert_false(exists("etc/rcS.d/S01hostname.sh"));
	assert_false(exists("etc/rcS.d/S03checkroot.sh"));
	assert_false(exists("etc/rcS.d/S05checkroot-bootclean.sh"));
	assert_false(exists("etc/rc0.d/K03umountfs"));
	assert_false(exists("etc/rc2.d/S01bootlogs"));
	assert_true(exists("etc/rcS.d/S01mountkernfs.sh"));
	assert_true(exists("etc/rcS.d/S06mountall.sh"));
	assert_true(exists("etc/rc0.d/K01sendsigs"));
}

/* Twice is once: no second RAMLOCK line, no double comment. */
static void test_idempotent(void **state)
{
	struct vu_err e;
	char inittab1[8192], tmpfs1[8192];

	sysv_tree();
	assert_int_equal(vs_build_setup(root, "g1", true, &e), 0);
	snprintf(inittab1, sizeof(inittab1), "%s", get("etc/inittab"));
	snprintf(tmpfs1, sizeof(tmpfs1), "%s", get("etc/default/tmpfs"));
	assert_int_equal(vs_build_setup(root, "g2", true, &e), 0);
	assert_string_equal(get("etc/inittab"), inittab1);
	assert_string_equal(get("etc/default/tmpfs"), tmpfs1);
	assert_string_equal(get("etc/hostname"), "g2\n");
}

/* A cloned root's files are links shared with the template and the store:
 * replaced, never written through.  Without @container, only the identity. */
static void test_replace_not_write(void **state)
{
	char shared[PATH_MAX + 16], p[PATH_MAX * 2];
	struct vu_err e;
	struct stat st;
	FILE *f;

	sysv_tree();
	snprintf(shared, sizeof(shared), "%s/shared", dir);
	f = fopen(shared, "w");
	assert_non_null(f);
	fputs("template\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/etc/hostname", root);
	assert_int_equal(link(shared, p), 0);
	put("etc/machine-id", "0123456789abcdef0123456789abcdef\n");
	assert_int_equal(vs_build_setup(root, "clone", false, &e), 0);
	assert_string_equal(get("etc/hostname"), "clone\n");
	f = fopen(shared, "r");
	assert_non_null(f);
	assert_non_null(fgets(p, sizeof(p), f));
	fclose(f);
	assert_string_equal(p, "template\n");
	assert_int_equal(stat(shared, &st), 0);
	assert_int_equal(st.st_nlink, 1);
	/* An existing machine-id is renewed: 32 hex digits, another one. */
	assert_int_equal(strlen(get("etc/machine-id")), 33);
	assert_int_equal(strspn(get("etc/machine-id"), "0123456789abcdef"), 32);
	assert_string_not_equal(get("etc/machine-id"), "0123456789abcdef0123456789abcdef\n");
	/* Not a container build: the init's configuration is the template's. */
	assert_string_equal(get("etc/inittab"), inittab);
	assert_true(exists("etc/rcS.d/S03checkroot.sh"));
	assert_non_null(strstr(get("etc/fstab"), "UNCONFIGURED"));
}

/* systemd: a machine-id appears, fstab has no initscripts lines. */
static void test_systemd(void **state)
{
	struct vu_err e;
	char *id;

	mk("etc");
	mk("usr");
	mk("usr/sbin");
	ln("usr/sbin", "sbin");
	ln("/lib/systemd/systemd", "usr/sbin/init");
	assert_int_equal(vs_build_setup(root, "sd", true, &e), 0);
	id = get("etc/machine-id");
	assert_non_null(id);
	assert_int_equal(strlen(id), 33);
	assert_int_equal(strspn(id, "0123456789abcdef"), 32);
	assert_null(strstr(get("etc/fstab"), "noauto"));
	assert_false(exists("etc/inittab"));
}

/* /etc a symlink out of the tree: followed inside the tree only. */
static void test_in_root(void **state)
{
	struct vu_err e;

	mk("elsewhere");
	ln("/elsewhere", "etc");
	assert_int_equal(vs_build_setup(root, "g", true, &e), 0);
	assert_string_equal(get("elsewhere/hostname"), "g\n");
	/* A tree without /etc is left alone. */
	teardown(state);
	setup(state);
	assert_int_equal(vs_build_setup(root, "g", true, &e), 0);
	assert_false(exists("etc"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sysvinit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_not_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_systemd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_root, setup, teardown),
	};

	if (geteuid() != 0) {
		printf("# skip: needs root (files are made root's)\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
