// SPDX-License-Identifier: GPL-2.0-or-later
/* The guest's file system view: see include/vsupervisor/rootfs.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "vunify/cleanup.h"
#include "vsupervisor/lxcfs.h"
#include "vsupervisor/rootfs.h"

static int openat2_(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
	struct open_how how = { .flags = flags, .resolve = resolve };

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

#define BENEATH (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

int vu_rootfs_open_beneath(int rootfd, const char *path, bool create, bool file,
			   struct vu_err *e)
{
	char buf[4096], *save = NULL, *tok, *next;
	_cleanup_close_ int cur = -1;

	if (strlen(path) >= sizeof(buf))
		return vu_err_set(e, ENAMETOOLONG, "%s", path);
	strcpy(buf, path);
	cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (cur < 0)
		return vu_err_set(e, errno, "dup");
	for (tok = strtok_r(buf, "/", &save); tok; tok = next) {
		struct stat st;
		bool last;
		int fd;

		next = strtok_r(NULL, "/", &save);
		last = next == NULL;
		if (!strcmp(tok, "..") || !strcmp(tok, "."))
			return vu_err_set(e, EINVAL, "/%s: '.' or '..' in a mount target", path);
		/* O_PATH|O_NOFOLLOW gives the symlink itself, never its target;
		 * RESOLVE_BENEATH keeps even that inside. */
		fd = openat2_(cur, tok, O_PATH | O_CLOEXEC | O_NOFOLLOW, BENEATH);
		if (fd < 0 && errno == ENOENT && create) {
			if (last && file) {
				fd = openat(cur, tok, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					    O_CLOEXEC, 0644);
				if (fd >= 0)
					close(fd);
			} else {
				fd = mkdirat(cur, tok, 0755);
			}
			if (fd < 0 && errno != EEXIST)
				return vu_err_set(e, errno, "/%s: creating %s", path, tok);
			fd = openat2_(cur, tok, O_PATH | O_CLOEXEC | O_NOFOLLOW, BENEATH);
		}
		if (fd < 0)
			return vu_err_set(e, errno, "/%s", path);
		close(cur);
		cur = fd;
		if (fstat(cur, &st) < 0)
			return vu_err_set(e, errno, "/%s", path);
		if (S_ISLNK(st.st_mode))
			return vu_err_set(e, ELOOP, "/%s: %s is a symlink in the guest (not followed)",
					  path, tok);
		if ((!last || !file) && !S_ISDIR(st.st_mode))
			return vu_err_set(e, ENOTDIR, "/%s: %s", path, tok);
		if (last && file && S_ISDIR(st.st_mode))
			return vu_err_set(e, EISDIR, "/%s", path);
	}
	return vu_steal_fd(&cur);
}

/* A new, detached mount of @fstype with @opts ("key=value" pairs, or a bare
 * key for a flag), mount attributes @attr. */
static int new_mount(const char *fstype, const char *const *opts, unsigned attr,
		     struct vu_err *e)
{
	_cleanup_close_ int fs = fsopen(fstype, FSOPEN_CLOEXEC);
	int m;

	if (fs < 0)
		return vu_err_set(e, errno, "fsopen %s", fstype);
	for (size_t i = 0; opts && opts[i]; i++) {
		char key[64];
		const char *eq = strchr(opts[i], '=');
		int r;

		if (eq) {
			snprintf(key, sizeof(key), "%.*s", (int)(eq - opts[i]), opts[i]);
			r = fsconfig(fs, FSCONFIG_SET_STRING, key, eq + 1, 0);
		} else {
			r = fsconfig(fs, FSCONFIG_SET_FLAG, opts[i], NULL, 0);
		}
		if (r < 0)
			return vu_err_set(e, errno, "%s: option %s", fstype, opts[i]);
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return vu_err_set(e, errno, "creating a %s instance", fstype);
	m = fsmount(fs, FSMOUNT_CLOEXEC, attr);
	if (m < 0)
		return vu_err_set(e, errno, "fsmount %s", fstype);
	return m;
}

/* Attach the detached mount @m onto the O_PATH descriptor @target. */
static int attach(int m, int target, const char *what, struct vu_err *e)
{
	if (move_mount(m, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return vu_err_set(e, errno, "mounting %s", what);
	return 0;
}

/* Mount a fresh @fstype on guest path @path; returns the mount's fd. */
static int mount_at(int rootfd, const char *path, const char *fstype, const char *const *opts,
		    unsigned attr, struct vu_err *e)
{
	_cleanup_close_ int target = vu_rootfs_open_beneath(rootfd, path, true, false, e);
	_cleanup_close_ int m = -1;

	if (target < 0)
		return -1;
	m = new_mount(fstype, opts, attr, e);
	if (m < 0 || attach(m, target, path, e) < 0)
		return -1;
	return vu_steal_fd(&m);
}

/* A bind clone of @src (an fd and path below it) with mount attributes. */
static int clone_tree(int dirfd, const char *path, unsigned attr_set, struct vu_err *e)
{
	_cleanup_close_ int t = open_tree(dirfd, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
					  (path[0] ? 0 : AT_EMPTY_PATH));
	struct mount_attr ma = { .attr_set = attr_set };

	if (t < 0)
		return vu_err_set(e, errno, "cloning %s", path[0] ? path : "a mount");
	if (attr_set && mount_setattr(t, "", AT_EMPTY_PATH, &ma, sizeof(ma)) < 0)
		return vu_err_set(e, errno, "setting attributes on %s", path);
	return vu_steal_fd(&t);
}

/* /proc: what a guest must not read or write although it is root. */
static int harden_proc(int procfd, struct vu_err *e)
{
	static const char *const masked_files[] = {
		"kcore", "kmsg", "keys", "key-users", "timer_list", "sched_debug",
		"latency_stats", "kpagecount", "kpageflags", "kpagecgroup", "sysrq-trigger",
	};
	static const char *const masked_dirs[] = { "acpi", "scsi", "asound", "driver" };
	static const char *const readonly[] = { "sys", "irq", "bus", "fs" };
	static const char *const tmpfs_ro[] = { "size=4k", "mode=0555", NULL };

	for (size_t i = 0; i < sizeof(masked_files) / sizeof(masked_files[0]); i++) {
		_cleanup_close_ int target = openat2_(procfd, masked_files[i],
						      O_PATH | O_CLOEXEC | O_NOFOLLOW, BENEATH);
		_cleanup_close_ int null = -1;

		if (target < 0)
			continue;   /* not on this kernel */
		null = clone_tree(AT_FDCWD, "/dev/null", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
				  MOUNT_ATTR_NOEXEC, e);
		if (null < 0 || attach(null, target, masked_files[i], e) < 0)
			return vu_err_prefix(e, "/proc");
	}
	for (size_t i = 0; i < sizeof(masked_dirs) / sizeof(masked_dirs[0]); i++) {
		_cleanup_close_ int target = openat2_(procfd, masked_dirs[i],
						      O_PATH | O_DIRECTORY | O_CLOEXEC, BENEATH);
		_cleanup_close_ int m = -1;

		if (target < 0)
			continue;
		m = new_mount("tmpfs", tmpfs_ro, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
			      MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, e);
		if (m < 0 || attach(m, target, masked_dirs[i], e) < 0)
			return vu_err_prefix(e, "/proc");
	}
	for (size_t i = 0; i < sizeof(readonly) / sizeof(readonly[0]); i++) {
		_cleanup_close_ int target = openat2_(procfd, readonly[i],
						      O_PATH | O_CLOEXEC | O_NOFOLLOW, BENEATH);
		_cleanup_close_ int ro = -1;

		if (target < 0)
			continue;
		ro = clone_tree(target, "", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
				MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, e);
		if (ro < 0 || attach(ro, target, readonly[i], e) < 0)
			return vu_err_prefix(e, "/proc");
	}
	return 0;
}

/* lxcfs's files over the guest's /proc and /sys ones (vsupervisor/lxcfs.h).
 * Each is a clone of that one file of the host's lxcfs mount: nothing else
 * of lxcfs (its cgroup tree) is reachable from the guest, and the guest,
 * without CAP_SYS_ADMIN, can neither unmount nor remount them. */
static int lxcfs_mounts(int proc, int sys, enum vu_lxcfs_mode mode, struct vu_err *e)
{
	static const char *const files[] = {
		"proc/meminfo", "proc/cpuinfo", "proc/stat", "proc/uptime", "proc/loadavg",
		"proc/diskstats", "proc/swaps", "sys/devices/system/cpu/online",
	};
	const unsigned attr = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			      MOUNT_ATTR_NOEXEC;
	_cleanup_close_ int lx = -1;
	char dir[PATH_MAX];

	if (mode == VU_LXCFS_NO)
		return 0;
	/* Probed first, under a timeout: a dead or stuck lxcfs must not hang
	 * the boot (auto: the guest gets the kernel's files, as without). */
	if (vu_lxcfs_find(dir, e) < 0 || vu_lxcfs_alive(dir, 2000, e) < 0)
		return mode == VU_LXCFS_YES ? vu_err_prefix(e, "[guest] lxcfs = yes") : 0;
	lx = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (lx < 0)
		return vu_err_set(e, errno, "lxcfs: %s", dir);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		bool in_proc = files[i][0] == 'p';
		const char *rel = files[i] + (in_proc ? 5 : 4);
		_cleanup_close_ int src = -1, target = -1, m = -1;

		/* What this lxcfs or this kernel does not have stays as it is. */
		src = openat2_(lx, files[i], O_PATH | O_CLOEXEC | O_NOFOLLOW, BENEATH);
		if (src < 0)
			continue;
		target = openat2_(in_proc ? proc : sys, rel, O_PATH | O_CLOEXEC | O_NOFOLLOW,
				  BENEATH);
		if (target < 0)
			continue;
		m = clone_tree(src, "", attr, e);
		if (m < 0 || attach(m, target, files[i], e) < 0)
			return vu_err_prefix(e, "lxcfs");
	}
	return 0;
}

static int make_dev(int rootfd, const char *console, struct vu_err *e)
{
	static const struct { const char *name; unsigned maj, min; } nodes[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	static const struct { const char *name, *target; } links[] = {
		{ "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	};
	static const char *const dev_opts[] = { "mode=0755", "size=4m", "nr_inodes=4096", NULL };
	static const char *const pts_opts[] = { "newinstance", "ptmxmode=0666", "mode=0620",
						"gid=5", NULL };
	/* tmpfs pages are charged to the guest's memory cgroup; the sizes
	 * bound a guest that has no memory limit. */
	static const char *const shm_opts[] = { "mode=1777", "size=10%", "nr_inodes=65536", NULL };
	_cleanup_close_ int dev = -1, pts = -1, shm = -1;

	dev = mount_at(rootfd, "dev", "tmpfs", dev_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, e);
	if (dev < 0)
		return -1;
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++)
		if (mknodat(dev, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].maj, nodes[i].min)) < 0)
			return vu_err_set(e, errno, "/dev/%s", nodes[i].name);
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlinkat(links[i].target, dev, links[i].name) < 0)
			return vu_err_set(e, errno, "/dev/%s", links[i].name);
	if (mkdirat(dev, "pts", 0755) < 0 || mkdirat(dev, "shm", 01777) < 0)
		return vu_err_set(e, errno, "/dev/pts, /dev/shm");
	pts = mount_at(dev, "pts", "devpts", pts_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, e);
	if (pts < 0)
		return vu_err_prefix(e, "/dev/pts");
	shm = mount_at(dev, "shm", "tmpfs", shm_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, e);
	if (shm < 0)
		return vu_err_prefix(e, "/dev/shm");
	if (console) {
		_cleanup_close_ int target = vu_rootfs_open_beneath(dev, "console", true, true, e);
		_cleanup_close_ int tty = -1;

		if (target < 0)
			return -1;
		tty = clone_tree(AT_FDCWD, console, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, e);
		if (tty < 0 || attach(tty, target, "/dev/console", e) < 0)
			return -1;
	}
	return 0;
}

static int bind_mounts(int rootfd, const struct vu_gconf *c, struct vu_err *e)
{
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct vu_gconf_mount *m = &c->mounts[i];
		unsigned attr = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				(m->readonly ? MOUNT_ATTR_RDONLY : 0);
		_cleanup_close_ int path = -1, src = -1, target = -1;
		struct stat st;

		/* The source is the administrator's (guest.conf), made a real
		 * path outside the guests' trees by vserver start: opened
		 * without symlinks, nothing can have redirected it since.  The
		 * target is in the guest's tree and resolved without symlinks. */
		path = openat2_(AT_FDCWD, m->source, O_PATH | O_CLOEXEC,
				RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
		if (path < 0)
			return vu_err_set(e, errno, "[mounts] %s: %s", m->target, m->source);
		src = clone_tree(path, "", attr, e);
		if (src < 0)
			return vu_err_prefix(e, "[mounts] %s", m->target);
		if (fstat(src, &st) < 0)
			return vu_err_set(e, errno, "%s", m->source);
		target = vu_rootfs_open_beneath(rootfd, m->target + 1, true, !S_ISDIR(st.st_mode), e);
		if (target < 0)
			return vu_err_prefix(e, "[mounts]");
		if (attach(src, target, m->target, e) < 0)
			return -1;
	}
	return 0;
}

bool vu_rootfs_init_is_systemd(const char *mnt, const char *init)
{
	static const char *const systemd[] = { "usr/lib/systemd/systemd", "lib/systemd/systemd" };
	const uint64_t in_root = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	_cleanup_close_ int root = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fd = -1;
	struct stat st, sd;

	if (root < 0)
		return false;
	fd = openat2_(root, init, O_PATH | O_CLOEXEC, in_root);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	for (size_t i = 0; i < sizeof(systemd) / sizeof(systemd[0]); i++) {
		_cleanup_close_ int s = openat2_(root, systemd[i], O_PATH | O_CLOEXEC, in_root);

		if (s >= 0 && fstat(s, &sd) == 0 && sd.st_dev == st.st_dev && sd.st_ino == st.st_ino)
			return true;
	}
	return false;
}

/* What a manager in the guest (systemd) expects to find mounted, and would
 * otherwise mount itself (it has no CAP_SYS_ADMIN to do so). */
static int manager_mounts(int sys, int run, const struct vu_rootfs_spec *s, struct vu_err *e)
{
	static const char *const lock_opts[] = { "mode=1777", "size=5m", "nr_inodes=4096", NULL };
	_cleanup_close_ int lock = -1;

	lock = mount_at(run, "lock", "tmpfs", lock_opts,
			MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, e);
	if (lock < 0)
		return vu_err_prefix(e, "/run/lock");
	/* /tmp stays on the guest's tree, as on a Debian 12 host: systemd
	 * would try (and fail) to unmount a tmpfs there at every shutdown. */
	if (s->cgroup2) {
		/* In the guest's cgroup namespace: the new mount's root is the
		 * guest's own group, nothing above it is reachable. */
		_cleanup_close_ int target = vu_rootfs_open_beneath(sys, "fs/cgroup", false, false, e);
		_cleanup_close_ int cg = -1;

		if (target < 0)
			return vu_err_prefix(e, "/sys/fs/cgroup");
		cg = new_mount("cgroup2", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			       MOUNT_ATTR_NOEXEC, e);
		if (cg < 0 || attach(cg, target, "/sys/fs/cgroup", e) < 0)
			return -1;
	}
	return 0;
}

int vu_rootfs_setup(const struct vu_rootfs_spec *s, struct vu_err *e)
{
	static const char *const run_opts[] = { "mode=0755", "size=10%", "nr_inodes=65536", NULL };
	_cleanup_close_ int root = -1, proc = -1, sys = -1, run = -1;
	struct mount_attr nodev = { .attr_set = MOUNT_ATTR_NODEV };

	/* Nothing we do here may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return vu_err_set(e, errno, "making the mounts private");
	root = open(s->mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return vu_err_set(e, errno, "%s", s->mnt);

	proc = mount_at(root, "proc", "proc", NULL,
			MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, e);
	if (proc < 0 || harden_proc(proc, e) < 0)
		return -1;
	sys = mount_at(root, "sys", "sysfs", NULL, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
		       MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, e);
	if (sys < 0)
		return -1;
	if (lxcfs_mounts(proc, sys, s->conf->lxcfs, e) < 0)
		return -1;
	if (make_dev(root, s->console, e) < 0)
		return -1;
	run = mount_at(root, "run", "tmpfs", run_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, e);
	if (run < 0 || manager_mounts(sys, run, s, e) < 0)
		return -1;
	if (bind_mounts(root, s->conf, e) < 0)
		return -1;

	/* pivot_root(".", ".") stacks the old root on top of the new one;
	 * detaching it leaves no path back to the host's tree. */
	if (fchdir(root) < 0)
		return vu_err_set(e, errno, "%s", s->mnt);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return vu_err_set(e, errno, "pivot_root to %s", s->mnt);
	if (umount2(".", MNT_DETACH) < 0)
		return vu_err_set(e, errno, "detaching the old root");
	if (chdir("/") < 0)
		return vu_err_set(e, errno, "chdir /");
	/* Device nodes on the guest's own tree stay inert, whatever it does. */
	if (mount_setattr(AT_FDCWD, "/", 0, &nodev, sizeof(nodev)) < 0)
		return vu_err_set(e, errno, "making / nodev");
	return 0;
}
