// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vunifyfs: mount one guest tree with copy-on-write for unified files.
 *
 * main() checks everything that can be checked before mounting, so that a
 * bad invocation gets one clear line and a non-zero exit instead of a
 * half-working mount, then mounts, daemonizes and serves.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <syslog.h>
#include <unistd.h>

#include "options.h"
#include "vunify/escape.h"
#include "vunify/format.h"
#include "vunify/version.h"
#include "vunifyfs.h"

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("vunifyfs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Open @path as a directory (O_PATH), or die naming it and the cause. */
static int open_dir(const char *path)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	return fd;
}

static bool is_mount_root(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, 0, &stx) < 0)
		return false;
	return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* MAJOR:MINOR of the filesystem mounted at @path, from mountinfo (never
 * stat a FUSE mount whose daemon may not be serving yet). */
static int mount_dev(const char *path, char *dev, size_t len)
{
	char line[8192], mdev[64], mpt[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %63s %*s %4095s", mdev, mpt) != 2)
			continue;
		/* A mount point with a space in its name is "\040" there. */
		vu_unescape_mountinfo(mpt);
		if (strcmp(mpt, path) == 0) {
			snprintf(dev, len, "%s", mdev);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/*
 * Refuse a mount point that is GUEST_DIR or anywhere below it: the guest
 * would see itself, and every lookup through the mount would loop back into
 * it (`vunifyfs / /mnt`).  Compared by inode, walking up from the mount
 * point with "..", so that symlinks and a GUEST_DIR of "/" cannot hide it,
 * nor can a bind mount of the guest (its root is the guest's inode).
 */
static void check_mountpoint(int mnt_fd, const char *guest, const char *mnt)
{
	struct statx g, cur, up;
	int fd, pfd;

	if (statx(vu_fs.root_fd, "", AT_EMPTY_PATH, STATX_INO, &g) < 0)
		die("%s: %s", guest, strerror(errno));
	fd = fcntl(mnt_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		die("%s: %s", mnt, strerror(errno));
	for (;;) {
		if (statx(fd, "", AT_EMPTY_PATH | AT_NO_AUTOMOUNT, STATX_INO, &cur) < 0)
			die("%s: %s", mnt, strerror(errno));
		if (cur.stx_ino == g.stx_ino && cur.stx_dev_major == g.stx_dev_major &&
		    cur.stx_dev_minor == g.stx_dev_minor)
			die("%s: mount point inside GUEST_DIR %s (the guest would see itself)", mnt,
			    guest);
		pfd = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (pfd < 0)
			die("%s: %s", mnt, strerror(errno));
		if (statx(pfd, "", AT_EMPTY_PATH | AT_NO_AUTOMOUNT, STATX_INO, &up) < 0)
			die("%s: %s", mnt, strerror(errno));
		close(fd);
		fd = pfd;
		if (up.stx_ino == cur.stx_ino && up.stx_dev_major == cur.stx_dev_major &&
		    up.stx_dev_minor == cur.stx_dev_minor)
			break;              /* the root: ".." is itself */
	}
	close(fd);
}

static void check_guest(const struct vu_opts *o, const char *guest, const char *mnt)
{
	char probe[64];

	snprintf(probe, sizeof(probe), "/proc/self/fd/%d", vu_fs.root_fd);
	if (getxattr(probe, VU_MARK_XATTR, NULL, 0) < 0 && errno != ENODATA)
		die("%s: no trusted xattrs on this filesystem (%s); vunify needs them for its mark",
		    guest, strerror(errno));
	/* The guest lock: one writer of a guest tree at a time (format.h). */
	vu_fs.lock_fd = open(guest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (vu_fs.lock_fd < 0)
		die("%s: %s", guest, strerror(errno));
	/* A vunifyfs that was just unmounted may still be on its way out:
	 * give the lock a few seconds before calling the guest busy. */
	for (int i = 0; flock(vu_fs.lock_fd, LOCK_EX | LOCK_NB) < 0; i++) {
		if (errno != EWOULDBLOCK)
			die("%s: %s", guest, strerror(errno));
		if (i == 60)
			die("%s: in use (mounted by another vunifyfs, or vhashify or vclone is "
			    "changing it or a directory inside it)", guest);
		usleep(50000);
	}
	(void)o;
}

/*
 * Descriptors: the guest's open files, and one O_PATH descriptor per inode
 * in use (fdcache.c closes cold ones, or, where inodes cannot be opened by
 * handle, keeps one per inode the kernel caches).  Take as much as the
 * system allows (fs.nr_open, which needs CAP_SYS_RESOURCE), else the hard
 * limit, and say so if that is little.
 */
static void raise_fd_limit(void)
{
	unsigned long nr_open = 0;
	struct rlimit rl;
	FILE *f;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	f = fopen("/proc/sys/fs/nr_open", "re");
	if (f) {
		if (fscanf(f, "%lu", &nr_open) != 1)
			nr_open = 0;
		fclose(f);
	}
	if (nr_open > rl.rlim_max) {
		struct rlimit want = { nr_open, nr_open };

		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			return;
	}
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < 4096)
		vu_log(LOG_WARNING, "the open-file limit is %lu: the guest can keep about half "
		       "that many files open at once before it gets EMFILE (raise LimitNOFILE or "
		       "ulimit -Hn, or give vunifyfs CAP_SYS_RESOURCE)", (unsigned long)rl.rlim_cur);
}

static void make_tmp_tag(void)
{
	unsigned char r[8];

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		die("getrandom: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(r); i++)
		sprintf(vu_fs.tmp_tag + 2 * i, "%02x", r[i]);
}

static void vu_init(void *userdata, struct fuse_conn_info *conn)
{
	/* Permissions are checked by the kernel, ACLs included; umask and
	 * default ACLs are applied by the backing filesystem (creds.c). */
	conn->want |= FUSE_CAP_POSIX_ACL | FUSE_CAP_DONT_MASK;
	/* Not the old HANDLE_KILLPRIV (drop on every write, even root's):
	 * where the kernel offers HANDLE_KILLPRIV_V2, passthrough.c asks for
	 * it instead, and attr.c drops privileges on the kernel's word;
	 * elsewhere the kernel drops them itself through setattr. */
	conn->want &= ~FUSE_CAP_HANDLE_KILLPRIV;
	/* Every directory listing also looks its entries up, so inode numbers
	 * in readdir agree with stat (unified names have their own). */
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
	/* No OPENDIR and RELEASEDIR round trips (dirstream.c). */
	if (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT) {
		conn->want |= FUSE_CAP_NO_OPENDIR_SUPPORT;
		vu_fs.no_opendir = true;
	}
	/* Without passthrough the kernel's writeback cache measures best
	 * (bench/); with it, the page cache is the backing file's. */
	/* Under a space limit a write must fail before anything is cached,
	 * so no writeback cache then. */
	if ((vu_fs.pt_mode == VU_PT_OFF || !vu_pt_offered_at_init()) && !vu_usage.space &&
	    (conn->capable & FUSE_CAP_WRITEBACK_CACHE)) {
		conn->want |= FUSE_CAP_WRITEBACK_CACHE;
		vu_fs.writeback = true;
	} else {
		conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	}
	conn->time_gran = 1;
}

/*
 * Serve the INIT request now, in the foreground, so that the mount is
 * ready when vunifyfs returns and a passthrough problem is reported to the
 * user rather than to syslog.
 */
static void serve_init(struct fuse_session *se, const char *mnt)
{
	struct fuse_buf buf = { 0 };
	int res = fuse_session_receive_buf(se, &buf);

	if (res <= 0) {
		umount2(mnt, MNT_DETACH);
		die("%s: no INIT from the kernel: %s", mnt, strerror(res < 0 ? -res : EIO));
	}
	fuse_session_process_buf(se, &buf);
	/* This thread reads no more requests: INIT is over (fdcache.c). */
	vu_fdc_request_end();
	free(buf.mem);
}

/* Test-only switches from the environment (vunifyfs.8, TESTING): they
 * take away protections, so say so loudly. */
static void test_switches(void)
{
	const char *delay;

	vu_fs.test_no_break = getenv("VUNIFYFS_TEST_NO_BREAK") != NULL;
	vu_fs.test_no_guard = getenv("VUNIFYFS_TEST_NO_GUARD") != NULL;
	vu_fs.test_fake_break = getenv("VUNIFYFS_TEST_FAKE_BREAK") != NULL;
	delay = getenv("VUNIFYFS_TEST_SETTLE_DELAY_MS");
	if (delay) {
		unsigned long ms = strtoul(delay, NULL, 10);

		vu_fs.test_settle_delay_ms = ms > 10000 ? 10000 : (unsigned int)ms;
	}
	if (vu_fs.test_no_break)
		vu_log(LOG_WARNING, "TEST ONLY: VUNIFYFS_TEST_NO_BREAK: opens for writing do "
		       "not break links");
	if (vu_fs.test_no_guard)
		vu_log(LOG_WARNING, "TEST ONLY: VUNIFYFS_TEST_NO_GUARD: store objects are "
		       "registered for passthrough without the guard");
	if (vu_fs.test_fake_break)
		vu_log(LOG_WARNING, "TEST ONLY: VUNIFYFS_TEST_FAKE_BREAK: the link break at "
		       "open does nothing and reports success");
	if (vu_fs.test_settle_delay_ms)
		vu_log(LOG_WARNING, "TEST ONLY: VUNIFYFS_TEST_SETTLE_DELAY_MS: a dying node "
		       "waits %u ms before it is written back and counted",
		       vu_fs.test_settle_delay_ms);
}

static void setup_passthrough(const char *mnt)
{
	int err;

	if (vu_fs.pt_mode == VU_PT_OFF)
		return;
	err = vu_pt_probe(vu_fs.root_fd);
	/* Without Landlock nothing in the kernel would keep a passthrough
	 * open of a store object read-only (guard.c). */
	if (!err && !vu_fs.test_no_guard && vu_guard_abi() < 0)
		err = -ENOKEY;
	if (!err) {
		atomic_store(&vu_fs.passthrough, true);
		return;
	}
	if (vu_fs.pt_mode == VU_PT_ON) {
		umount2(mnt, MNT_DETACH);
		if (err == -EOPNOTSUPP)
			die("passthrough=on: the kernel does not offer FUSE passthrough "
			    "(needs Linux 6.9 or later with CONFIG_FUSE_PASSTHROUGH)");
		if (err == -ENOKEY)
			die("passthrough=on: the kernel has no Landlock (CONFIG_SECURITY_LANDLOCK, "
			    "lsm=landlock), which keeps store objects read-only under passthrough");
		die("passthrough=on: the kernel refuses backing files: %s", strerror(-err));
	}
	vu_log(LOG_INFO, "passthrough not used: %s", err == -EOPNOTSUPP ?
	       "the kernel does not offer it" : err == -ENOKEY ?
	       "the kernel has no Landlock to keep store objects read-only" : strerror(-err));
}

static int ready_fd = -1;      /* to the waiting parent, until daemon_ready() */

/*
 * As fuse_daemonize(), except that the parent waits until the daemon says
 * it is ready (daemon_ready()), after starting the threads that cannot be
 * started before the fork (the ring's among them): the mount is all there
 * when vunifyfs returns, and a failure still reaches the terminal and the
 * exit status.
 */
static int daemonize(void)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		char status = 1;

		close(p[1]);
		if (read(p[0], &status, 1) != 1)
			status = 1;     /* the daemon died before it was ready */
		_exit(status);
	}
	close(p[0]);
	ready_fd = p[1];
	if (setsid() < 0 || chdir("/") < 0)
		return -1;
	return 0;
}

/* Tell the waiting parent (if any) how it went: 0 ready, else failed. */
static void daemon_ready(char status)
{
	int fd;

	if (ready_fd < 0)
		return;
	/* From now on nobody reads our output. */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if (write(ready_fd, &status, 1) != 1)
		vu_log(LOG_WARNING, "telling the mount command we are ready: %s",
		       strerror(errno));
	close(ready_fd);
	ready_fd = -1;
}

/*
 * FUSE over io_uring: the kernel's offer was taken at INIT (uring.c); see
 * now, in the foreground, that the ring will work, so that uring=on can
 * refuse with the reason on the user's terminal.
 */
static bool setup_uring(const char *mnt, const struct vu_opts *o)
{
	int err;

	if (!o->uring || !strcmp(o->uring, "off"))
		return false;
	err = vu_uring_probe(fuse_session_fd(vu_fs.se));
	if (!err)
		return true;
	if (!strcmp(o->uring, "on")) {
		umount2(mnt, MNT_DETACH);
		die("uring=on: %s", vu_uring_why(err));
	}
	if (o->debug)
		vu_log(LOG_INFO, "FUSE over io_uring not used: %s", vu_uring_why(err));
	return false;
}

/* Stacking depth of the backing files as the kernel counts it: ours plus
 * one if GUEST_DIR is itself on a stacking filesystem. */
static unsigned int backing_depth(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs) == 0 && (sfs.f_type == OVERLAYFS_SUPER_MAGIC ||
				       sfs.f_type == FUSE_SUPER_MAGIC))
		return 2;
	return 1;
}

static int serve(struct fuse_session *se, const struct vu_opts *o)
{
	struct fuse_loop_config *cfg;
	int ret;

	if (o->single)
		return fuse_session_loop(se);
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	/* One /dev/fuse descriptor per thread: no shared read queue. */
	fuse_loop_cfg_set_clone_fd(cfg, 1);
	if (o->threads)
		fuse_loop_cfg_set_max_threads(cfg, o->threads);
	ret = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return ret;
}

int main(int argc, char **argv)
{
	struct fuse_lowlevel_ops ops = { .init = vu_init };
	char *fuse_argv[] = { argv[0], "-d", NULL };
	struct fuse_args fargs = FUSE_ARGS_INIT(1, fuse_argv);
	char guest[PATH_MAX], mnt[PATH_MAX], data[256], dev[64] = "";
	struct fuse_session *se;
	struct vu_opts o;
	int devfd, mnt_fd, ret;
	bool use_uring;

	if (vu_opts_parse(argc, argv, &o) < 0) {
		fprintf(stderr, "vunifyfs: %s (see vunifyfs --help)\n", o.error);
		vu_opts_free(&o);
		return 2;
	}
	if (o.help || o.version) {
		if (o.help)
			vu_opts_usage(stdout);
		else
			printf("vunifyfs %s (libfuse %d)\n", VUNIFY_VERSION, fuse_version());
		vu_opts_free(&o);
		return 0;
	}
	if (o.stats) {
		ret = vu_stats_query(o.guest, stdout);
		vu_opts_free(&o);
		return ret < 0 ? 1 : 0;
	}
	if (geteuid() != 0)
		die("must run as root (trusted xattrs, mounting, and acting for every guest user)");

	vu_fs.root_fd = open_dir(o.guest);
	mnt_fd = open_dir(o.mountpoint);
	if (!realpath(o.guest, guest))
		die("%s: %s", o.guest, strerror(errno));
	if (!realpath(o.mountpoint, mnt))
		die("%s: %s", o.mountpoint, strerror(errno));
	if (is_mount_root(mnt_fd))
		die("%s: already a mount point", mnt);
	check_mountpoint(mnt_fd, guest, mnt);
	close(mnt_fd);
	check_guest(&o, guest, mnt);

	vu_fs.readonly = o.mountflags & MS_RDONLY;
	test_switches();
	vu_fs.pt_mode = !o.passthrough || !strcmp(o.passthrough, "auto") ? VU_PT_AUTO :
			!strcmp(o.passthrough, "on") ? VU_PT_ON : VU_PT_OFF;
	vu_fs.pt_depth = backing_depth(vu_fs.root_fd);
	vu_fs.timeout = o.timeout;
	vu_fs.debug = o.debug;
	make_tmp_tag();
	vu_stats_init();
	raise_fd_limit();
	/* Creation modes come with the caller's umask applied per thread. */
	umask(0);
	if (vu_table_init(vu_fs.root_fd) < 0 || vu_fdc_init(vu_fs.root_fd) < 0)
		die("out of memory");
	vu_usage.space = o.space_bytes;
	vu_usage.inode_limit = o.inodes;
	vu_usage.reserved_pct = o.reserved < 0 ? 0 : o.reserved;
	vu_usage.enabled = vu_usage.space || vu_usage.inode_limit;
	/* Counting (if it must) happens here, in the foreground, with
	 * progress on stderr, before anything is mounted. */
	{
		int err = vu_usage_start(o.rescan);
		struct stat rst;

		if (err)
			die("%s: counting the guest's usage: %s", guest, strerror(-err));
		if (fstat(vu_fs.root_fd, &rst) == 0)
			vu_usage_adopt(vu_fs.root, -1, &rst);
	}

	vu_ops_dir(&ops);
	vu_ops_file(&ops);
	vu_ops_attr(&ops);
	fargs.argc = o.debug ? 2 : 1;
	se = fuse_session_new(&fargs, &ops, sizeof(ops), NULL);
	/* fuse_session_new replaced fargs by a copy it allocated. */
	fuse_opt_free_args(&fargs);
	if (!se)
		die("cannot create the FUSE session");
	vu_fs.se = se;
	if (fuse_set_signal_handlers(se) < 0)
		die("cannot set signal handlers");

	devfd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (devfd < 0)
		die("/dev/fuse: %s", strerror(errno));
	snprintf(data, sizeof(data),
		 "fd=%d,rootmode=%o,user_id=0,group_id=0,default_permissions,allow_other", devfd,
		 S_IFDIR);
	if (o.max_read)
		snprintf(data + strlen(data), sizeof(data) - strlen(data), ",max_read=%u",
			 o.max_read);
	{
		char type[64];

		snprintf(type, sizeof(type), "fuse.%s", o.subtype ? o.subtype : "vunifyfs");
		if (mount(o.fsname ? o.fsname : guest, mnt, type, o.mountflags, data) < 0)
			die("%s: mount: %s", mnt, strerror(errno));
	}
	mount_dev(mnt, dev, sizeof(dev));
	if (vu_kio_setup(se, devfd) < 0) {
		umount2(mnt, MNT_DETACH);
		die("cannot attach to /dev/fuse");
	}
	vu_uring_set_mode(!o.uring || !strcmp(o.uring, "off") ? VU_URING_OFF :
			  !strcmp(o.uring, "on") ? VU_URING_ON : VU_URING_AUTO);
	serve_init(se, mnt);
	setup_passthrough(mnt);
	use_uring = setup_uring(mnt, &o);
	if (!o.foreground) {
		vu_log_to_syslog();
		if (daemonize() < 0) {
			umount2(mnt, MNT_DETACH);
			die("cannot daemonize: %s", strerror(errno));
		}
	}

	/* /proc/self resolves when opened: after the fork of daemonizing. */
	vu_fs.proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (vu_fs.proc_fd < 0) {
		vu_log(LOG_ERR, "/proc/self/fd: %s", strerror(errno));
		umount2(mnt, MNT_DETACH);
		return 1;
	}
	if (vu_notify_start() < 0) {
		vu_log(LOG_ERR, "cannot start the notifier thread");
		umount2(mnt, MNT_DETACH);
		return 1;
	}
	/* Threads do not survive daemonizing: the guard starts here, before
	 * the first request is served. */
	if (atomic_load(&vu_fs.passthrough) && !vu_fs.test_no_guard) {
		int err = vu_guard_start();

		if (err) {
			atomic_store(&vu_fs.passthrough, false);
			vu_log(LOG_WARNING, "passthrough not used: cannot start the guard of "
			       "store objects: %s", strerror(-err));
		}
	}
	/* Under a space limit, private files keep passthrough where the
	 * kernel lets us judge each write (wgate.c). */
	if (vu_usage.space && atomic_load(&vu_fs.passthrough) && !vu_fs.readonly) {
		int err = vu_wgate_start();

		if (err)
			vu_log(LOG_INFO, "space=: writes to private files are served by vunifyfs, "
			       "not passthrough: no fanotify pre-content events here (%s)",
			       strerror(-err));
	}
	/* Threads do not survive daemonizing either. */
	{
		int err = vu_stats_start(dev);

		if (err)
			vu_log(LOG_WARNING, "no request counters for vunifyfs --stats: %s",
			       strerror(-err));
	}
	/* Threads do not survive daemonizing: the ring's start here.  The
	 * probe passed, so a failure now is unexpected: uring=on still
	 * refuses (the caller is waiting, daemonize()), auto serves on. */
	if (use_uring) {
		int err = vu_uring_start(fuse_session_fd(se),
					 o.single ? 1 : o.threads ? o.threads : 10);

		if (err && !strcmp(o.uring, "on")) {
			umount2(mnt, MNT_DETACH);
			fprintf(stderr, "vunifyfs: uring=on: registering the ring: %s\n",
				strerror(-err));
			daemon_ready(1);
			return 1;
		}
		if (err && o.debug)
			vu_log(LOG_INFO, "FUSE over io_uring not used: registering the ring: %s",
			       strerror(-err));
	}
	daemon_ready(0);
	ret = serve(se, &o);
	vu_uring_stop();
	vu_stats_stop();
	vu_guard_stop();
	vu_wgate_stop();
	vu_notify_stop();
	vu_dir_park_drop_all();
	/* Unmounted or stopped by a signal: either way the counters are
	 * complete now.  (kill -9 leaves the record dirty: recount.) */
	vu_usage_stop();

	/* Ended by a signal rather than by umount: take the mount down. */
	if (ret > 0) {
		char now[64] = "";

		if (mount_dev(mnt, now, sizeof(now)) && strcmp(now, dev) == 0)
			umount2(mnt, MNT_DETACH | UMOUNT_NOFOLLOW);
	}
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	vu_opts_free(&o);
	return ret < 0 ? 1 : 0;
}
