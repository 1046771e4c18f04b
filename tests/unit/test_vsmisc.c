// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the smaller pieces behind vserver: the guest layout, mount
 * targets opened without following symlinks, descriptor passing, the state
 * file, capability sets, vunifyfs options, the disk usage scan, the reboot
 * commands the seccomp filter hands to the supervisor.
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
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/reboot.h>

#include <cmocka.h>

#include "vsupervisor/control.h"
#include "vunify/diskusage.h"
#include "vsupervisor/fdpass.h"
#include "vsupervisor/guestfs.h"
#include "vsupervisor/layout.h"
#include "vsupervisor/rootfs.h"
#include "vsupervisor/secpolicy.h"

static char tmp[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/test_vsmisc.XXXXXX");
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

static void test_layout(void **state)
{
	char key[VU_LAYOUT_KEYSZ];
	struct vu_layout l;
	struct vu_err e;
	char base[PATH_MAX];

	(void)state;
	setenv("VUNIFY_RUNDIR", "/run/x", 1);
	assert_int_equal(vu_layout_init(&l, "/b", "g1", &e), 0);
	assert_string_equal(l.root, "/b/guests/g1/root");
	assert_string_equal(l.conf, "/b/guests/g1/guest.conf");
	assert_string_equal(l.store, "/b/store");
	/* KEY: the base's name and its path's FNV-1a (a contract: scripts
	 * and the veth marks of running guests depend on it). */
	assert_string_equal(l.key, "b-07d66407");
	assert_string_equal(l.run, "/run/x/b-07d66407/g1");
	assert_string_equal(l.mnt, "/run/x/b-07d66407/g1/root");
	assert_string_equal(l.sock, "/run/x/b-07d66407/g1/sock");
	/* logs outside RUN: they outlive a host's reboot */
	setenv("VUNIFY_LOGDIR", "/log/y", 1);
	assert_int_equal(vu_layout_init(&l, "/b", "g1", &e), 0);
	assert_string_equal(l.console, "/log/y/b-07d66407/g1/console.log");
	assert_string_equal(l.log, "/log/y/b-07d66407/g1/supervisor.log");
	unsetenv("VUNIFY_LOGDIR");
	unsetenv("VUNIFY_RUNDIR");
	assert_int_equal(vu_layout_init(&l, "/var/lib/vunify", "g1", &e), 0);
	assert_string_equal(l.run, "/run/vunify/vunify-0120983f/g1");
	assert_string_equal(l.logdir, "/var/log/vunify/vunify-0120983f/g1");
	/* two bases, two keys; odd characters never reach a path */
	vu_layout_key("/srv/a base", key);
	assert_string_equal(key, "a_base-dd439d5f");
	vu_layout_key("/", key);
	assert_string_equal(key, "base-af63a24c");
	vu_layout_key("/srv/a-very-long-base-name-indeed", key);
	assert_string_equal(key, "a-very-long-base-12c27df6");
	assert_int_equal(vu_layout_init(&l, "/b", "../x", &e), -1);
	assert_int_equal(e.code, EINVAL);

	unsetenv("VUNIFY_BASE");
	assert_int_equal(vu_layout_base(base, NULL, &e), 0);
	assert_string_equal(base, "/var/lib/vunify");
	setenv("VUNIFY_BASE", "/srv/vu//", 1);
	assert_int_equal(vu_layout_base(base, NULL, &e), 0);
	assert_string_equal(base, "/srv/vu");
	assert_int_equal(vu_layout_base(base, "/opt/b", &e), 0);
	assert_string_equal(base, "/opt/b");
	unsetenv("VUNIFY_BASE");
}

static void test_lock(void **state)
{
	struct vu_layout l;
	struct vu_err e;
	int fd;

	(void)state;
	setenv("VUNIFY_RUNDIR", tmp, 1);
	setenv("VUNIFY_LOGDIR", tmp, 1);
	assert_int_equal(vu_layout_init(&l, tmp, "g1", &e), 0);
	assert_false(vu_layout_running(&l));
	assert_int_equal(vu_layout_mkrun(&l, &e), 0);
	fd = vu_layout_lock(&l, &e);
	assert_true(fd >= 0);
	assert_true(vu_layout_running(&l));
	assert_int_equal(vu_layout_lock(&l, &e), -1);
	assert_int_equal(e.code, EWOULDBLOCK);
	close(fd);
	assert_false(vu_layout_running(&l));
	unsetenv("VUNIFY_RUNDIR");
	unsetenv("VUNIFY_LOGDIR");
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void test_open_beneath(void **state)
{
	struct vu_err e;
	struct stat st;
	char path[512];
	int root, fd;

	(void)state;
	assert_int_equal(sh("cd %s && mkdir -p r/etc r/outside-target && ln -s /etc r/hostetc && "
			    "ln -s ../outside-target r/etc/rel && touch r/etc/file", tmp), 0);
	snprintf(path, sizeof(path), "%s/r", tmp);
	root = open(path, O_PATH | O_DIRECTORY);
	assert_true(root >= 0);

	/* A plain directory, and a missing one created on the way. */
	fd = vu_rootfs_open_beneath(root, "etc", false, false, &e);
	assert_true(fd >= 0);
	close(fd);
	fd = vu_rootfs_open_beneath(root, "srv/a/b", true, false, &e);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	close(fd);
	/* A missing file created as a file. */
	fd = vu_rootfs_open_beneath(root, "etc/newfile", true, true, &e);
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/r/etc/newfile", tmp);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));

	/* Symlinks are refused, as the last component or on the way,
	 * absolute or relative, and nothing is created behind them. */
	assert_int_equal(vu_rootfs_open_beneath(root, "hostetc", true, false, &e), -1);
	assert_int_equal(e.code, ELOOP);
	assert_string_equal(e.msg, "/hostetc: hostetc is a symlink in the guest (not followed): "
			    "Too many levels of symbolic links");
	assert_int_equal(vu_rootfs_open_beneath(root, "hostetc/x", true, false, &e), -1);
	assert_int_equal(e.code, ELOOP);
	assert_int_equal(vu_rootfs_open_beneath(root, "etc/rel/x", true, false, &e), -1);
	assert_int_equal(e.code, ELOOP);
	snprintf(path, sizeof(path), "%s/r/outside-target/x", tmp);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(vu_rootfs_open_beneath(root, "etc/../..", false, false, &e), -1);
	assert_int_equal(e.code, EINVAL);
	/* Types must fit. */
	assert_int_equal(vu_rootfs_open_beneath(root, "etc/file/x", true, false, &e), -1);
	assert_int_equal(e.code, ENOTDIR);
	assert_int_equal(vu_rootfs_open_beneath(root, "etc", true, true, &e), -1);
	assert_int_equal(e.code, EISDIR);
	close(root);
}

static void test_fdpass(void **state)
{
	char buf[64];
	int sv[2], fd, p[2];
	ssize_t n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(vu_msg_send(sv[0], "hello", 5, p[1]), 0);
	assert_int_equal(vu_msg_send(sv[0], "plain", 5, -1), 0);
	n = vu_msg_recv(sv[1], buf, sizeof(buf), &fd);
	assert_int_equal(n, 5);
	assert_string_equal(buf, "hello");
	assert_true(fd >= 0 && fd != p[1]);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(write(fd, "x", 1), 1);
	assert_int_equal(read(p[0], buf, 1), 1);
	close(fd);
	n = vu_msg_recv(sv[1], buf, sizeof(buf), &fd);
	assert_int_equal(n, 5);
	assert_int_equal(fd, -1);
	close(sv[0]);
	assert_int_equal(vu_msg_recv(sv[1], buf, sizeof(buf), &fd), 0);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
}

/* Errors on the wire: one encoding for every daemon channel (fdpass.h). */
static void test_wire_err(void **state)
{
	static const struct { const char *msg; int code; const char *text; } cases[] = {
		{ "err 2 /g1/etc: No such file or directory", 2, "/g1/etc: No such file or directory" },
		{ "err 3 the guest is stopping", 3, "the guest is stopping" },
		{ "err 22", 22, "failed" },
		{ "err 0 said nothing", EIO, "said nothing" },        /* never success */
		{ "err x what", EIO, "failed" },
		{ "err 99999999999 big", EIO, "big" },
		{ "err -5 neg", EIO, "failed" },
	};
	static const char *const not_err[] = { "ok 12", "ok stopped", "N", "E2 old", "error 2 x", "" };
	struct vu_err e;
	char buf[64], msg[64];
	int sv[2], fd;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(vu_msg_err_parse(cases[i].msg, &e), 1);
		assert_int_equal(e.code, cases[i].code);
		assert_string_equal(e.msg, cases[i].text);
	}
	for (size_t i = 0; i < sizeof(not_err) / sizeof(not_err[0]); i++)
		assert_int_equal(vu_msg_err_parse(not_err[i], &e), 0);
	/* What is written is read back; a long message is cut, not overrun. */
	assert_int_equal(vu_msg_err_format(buf, sizeof(buf), 13, "denied"), 13);
	assert_string_equal(buf, "err 13 denied");
	memset(msg, 'm', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = 0;
	assert_int_equal(vu_msg_err_format(buf, 16, 5, msg), 15);
	assert_string_equal(buf, "err 5 mmmmmmmmm");
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(vu_msg_send_err(sv[0], ENOSPC, "disk full"), 0);
	assert_int_equal(vu_msg_recv(sv[1], buf, sizeof(buf), &fd), 16);
	assert_int_equal(vu_msg_err_parse(buf, &e), 1);
	assert_int_equal(e.code, ENOSPC);
	assert_string_equal(e.msg, "disk full");
	close(sv[0]);
	close(sv[1]);
}

static void test_state(void **state)
{
	struct vu_state a = { .supervisor = 10, .init = 11, .fs = 12, .started = 1234567890123LL,
			      .cgroup = "v2", .host_ifname = "vu-g1", .own_mount = true }, b;
	struct vu_err e;
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/state", tmp);
	assert_int_equal(vu_state_write(path, &a, &e), 0);
	assert_int_equal(vu_state_read(path, &b, &e), 0);
	assert_int_equal(b.supervisor, 10);
	assert_int_equal(b.init, 11);
	assert_int_equal(b.fs, 12);
	assert_int_equal(b.started, 1234567890123LL);
	assert_string_equal(b.cgroup, "v2");
	assert_string_equal(b.host_ifname, "vu-g1");
	assert_true(b.own_mount);
	assert_false(b.nat);
	a.nat = true;
	assert_int_equal(vu_state_write(path, &a, &e), 0);
	assert_int_equal(vu_state_read(path, &b, &e), 0);
	assert_true(b.nat);
	snprintf(path, sizeof(path), "%s/nothing", tmp);
	assert_int_equal(vu_state_read(path, &b, &e), -1);
	assert_int_equal(e.code, ENOENT);
	/* A damaged file is an error, not pid 0 or a wrapped pid. */
	static const char *const damaged[] = {
		"supervisor=12x\n", "init=-1\n", "fs=4294967308\n", "init=\n", "started=1e9\n",
		"own_mount=2\n", "nat=2\n",
	};
	for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/damaged", tmp);
		assert_non_null(f = fopen(path, "w"));
		fputs(damaged[i], f);
		fclose(f);
		assert_int_equal(vu_state_read(path, &b, &e), -1);
		assert_int_equal(e.code, EINVAL);
	}
}

static void test_caps(void **state)
{
	struct vu_gconf c;
	char buf[512];

	(void)state;
	vu_gconf_defaults(&c, "g");
	vu_caps_format(vu_caps_of(&c), buf, sizeof(buf));
	assert_string_equal(buf, "chown,dac_override,fowner,fsetid,kill,setgid,setuid,setpcap,"
			    "net_bind_service,net_raw,sys_chroot,audit_write,setfcap");
	/* SYS_MODULE, SYS_RAWIO, SYS_RESOURCE, SYS_TIME, SYS_BOOT, MAC_ADMIN,
	 * MAC_OVERRIDE, SYSLOG, DAC_READ_SEARCH, SYS_PTRACE, MKNOD, NET_ADMIN,
	 * SYS_ADMIN: never in the default. */
	for (int bad = 0; bad < 64; bad++) {
		static const int never[] = { 21, 16, 17, 25, 22, 33, 32, 34, 2, 19, 27, 12, 24 };

		for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
			if (bad == never[i])
				assert_false(vu_caps_default(VU_NET_NONE) & (1ull << bad));
	}
	c.net_mode = VU_NET_HOST;
	assert_false(vu_caps_of(&c) & (1ull << 13));     /* no NET_RAW on the host's stack */
	/* ... nor on a link shared with neighbours; a veth of its own keeps it. */
	assert_false(vu_caps_default(VU_NET_BRIDGE) & (1ull << 13));
	assert_false(vu_caps_default(VU_NET_MACVLAN) & (1ull << 13));
	assert_false(vu_caps_default(VU_NET_IPVLAN) & (1ull << 13));
	assert_true(vu_caps_default(VU_NET_VETH) & (1ull << 13));
	c.cap_keep = 1ull << 12;
	c.cap_drop = 1ull << 0;
	assert_true(vu_caps_of(&c) & (1ull << 12));
	assert_false(vu_caps_of(&c) & (1ull << 0));
}

static void test_fs_options(void **state)
{
	struct vu_gconf c;
	char buf[256];

	(void)state;
	vu_gconf_defaults(&c, "g");
	vu_guestfs_options("g", &c, buf, sizeof(buf));
	assert_string_equal(buf, "fsname=vunify:g,nodev");
	c.disk = 1ull << 30;
	c.inodes = 5000;
	c.disk_reserved = 5;
	vu_guestfs_options("g", &c, buf, sizeof(buf));
	assert_string_equal(buf, "fsname=vunify:g,nodev,space=1073741824,inodes=5000,reserved=5");
}

/* The control socket in a runtime directory deeper than sun_path allows
 * (RUN/KEY/NAME with a long base and name): listened on and reached
 * through its directory; requests parsed strictly. */
static void test_control(void **state)
{
	char dir[512], sock[600], reply[64], req[64];
	unsigned secs = 0;
	struct vu_err e;
	int lfd, c, s, got;
	pid_t pid;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/%0100d", tmp, 0);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	assert_true(strlen(sock) > 108);
	lfd = vu_ctl_listen(sock, &e);
	assert_true(lfd >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };

		for (int i = 0; i < 2; i++) {
			poll(&p, 1, 5000);
			c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0 || vu_msg_recv(c, req, sizeof(req), &got) <= 0)
				_exit(1);
			vu_msg_send(c, "ok fine", 7, -1);
			if (i == 1 && (recv(c, req, sizeof(req), 0) != 5 || memcmp(req, "typed", 5)))
				_exit(2);
			close(c);
		}
		_exit(0);
	}
	assert_int_equal(vu_ctl_call(sock, "info", reply, sizeof(reply), NULL, 5000, &e), 0);
	assert_string_equal(reply, "ok fine");
	s = vu_ctl_session(sock, "console", 5000, &e);
	assert_true(s >= 0);
	assert_int_equal(send(s, "typed", 5, 0), 5);
	assert_int_equal(waitpid(pid, &c, 0), pid);
	assert_true(WIFEXITED(c) && WEXITSTATUS(c) == 0);
	close(s);
	close(lfd);
	unlink(sock);
	rmdir(dir);

	assert_int_equal(vu_ctl_request("console", &secs), VU_CTL_CONSOLE);
	assert_int_equal(vu_ctl_request("console ", &secs), VU_CTL_UNKNOWN);
	assert_int_equal(vu_ctl_request("stop 7", &secs), VU_CTL_STOP);
	assert_int_equal(secs, 7);
	assert_int_equal(vu_ctl_request("stop -1", &secs), VU_CTL_UNKNOWN);
}

static void test_reboot_cmds(void **state)
{
	bool restart;

	(void)state;
	assert_true(vu_scmp_is_reboot_cmd(LINUX_REBOOT_CMD_RESTART, &restart));
	assert_true(restart);
	assert_true(vu_scmp_is_reboot_cmd(LINUX_REBOOT_CMD_RESTART2, &restart));
	assert_true(restart);
	assert_true(vu_scmp_is_reboot_cmd(LINUX_REBOOT_CMD_POWER_OFF, &restart));
	assert_false(restart);
	assert_true(vu_scmp_is_reboot_cmd(LINUX_REBOOT_CMD_HALT, &restart));
	assert_false(restart);
	assert_false(vu_scmp_is_reboot_cmd(LINUX_REBOOT_CMD_CAD_OFF, &restart));
	assert_false(vu_scmp_is_reboot_cmd(LINUX_REBOOT_CMD_KEXEC, &restart));
	/* the kernel takes the command as 32 bits */
	assert_true(vu_scmp_is_reboot_cmd((1ull << 32) | LINUX_REBOOT_CMD_HALT, &restart));
}

static void test_diskusage(void **state)
{
	struct vu_du du;
	struct vu_err e;
	char root[512], obj[600];

	(void)state;
	snprintf(root, sizeof(root), "%s/g", tmp);
	/* private: the top g, a, b (hardlinked to a: one inode), dir d; shared:
	 * s1 and s2, two names of one marked store object, and lone, marked
	 * with one name (format.h: any marked inode is shared); a symlink
	 * pointing out. */
	assert_int_equal(sh("cd %s && mkdir -p g/d store && head -c 100000 /dev/urandom > g/a && "
			    "ln g/a g/d/b && head -c 50000 /dev/urandom > store/obj && "
			    "ln store/obj g/s1 && ln store/obj g/d/s2 && ln -s / g/d/up && "
			    "echo x > g/lone", tmp), 0);
	snprintf(obj, sizeof(obj), "%s/store/obj", tmp);
	if (setxattr(obj, "trusted.vunify", "0123456789abcdef0123456789abcdef", 32, 0) < 0)
		skip();     /* needs root and a file system with trusted xattrs */
	snprintf(obj, sizeof(obj), "%s/g/lone", tmp);
	assert_int_equal(setxattr(obj, "trusted.vunify", "x", 1, 0), 0);
	assert_int_equal(vu_du_scan(root, &du, &e), 0);
	assert_int_equal(du.private_inodes, 4);      /* g, a(=b), d, up */
	assert_int_equal(du.shared_inodes, 2);       /* obj, lone */
	assert_true(du.private_bytes >= 100000);
	assert_true(du.shared_bytes >= 50000 && du.shared_bytes < 100000);
	assert_int_equal(vu_du_scan("/nonexistent/x", &du, &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_beneath, setup, teardown),
		cmocka_unit_test(test_fdpass),
		cmocka_unit_test_setup_teardown(test_control, setup, teardown),
		cmocka_unit_test(test_wire_err),
		cmocka_unit_test_setup_teardown(test_state, setup, teardown),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_fs_options),
		cmocka_unit_test(test_reboot_cmds),
		cmocka_unit_test_setup_teardown(test_diskusage, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
