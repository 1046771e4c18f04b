// SPDX-License-Identifier: GPL-2.0-or-later
/* cgroup backend detection and helpers: see include/vsupervisor/cgroup.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "vsupervisor/cgroup.h"
#include "vunify/cleanup.h"

/*
 * Exactly what the guest's own /dev needs (daemon/rootfs.c, make_dev).
 * Terminals, and why these rules do not hand the guest the host's:
 * - c 5:0 (/dev/tty) opens the opener's controlling terminal.  Every guest
 *   process descends from init (controlling terminal: the console) or from
 *   vserver exec/enter, whose process calls setsid and gets a pty of the
 *   guest's devpts or none; no guest process can have a host terminal as
 *   its controlling terminal (TIOCSCTTY needs a descriptor of it).
 * - c 5:1, the host's /dev/console, is not allowed: the guest's
 *   /dev/console is a bind mount of a pty (major 136).
 * - c 5:2 is the ptmx of the guest's own devpts instance.
 * - c 136:* cannot be narrowed: the guest's own ptys are major 136, and
 *   every devpts instance numbers its minors from 0, so the host's pts/0
 *   and the guest's pts/0 are the same number; the console pty is one too.
 *   A pty slave opens only through its own devpts instance's node (a node
 *   made elsewhere gets EIO, and mknod is not allowed here anyway), the
 *   guest mounts no devpts of the host's, so a host pty is reachable only
 *   through a descriptor of it, or /proc/PID/fd/N of a process holding
 *   one.  That is the protection: vserver exec/enter never pass one in
 *   (daemon/join.c); the supervisor's console pty is the guest's.
 */
const struct vu_cg_dev vu_cg_default_devices[] = {
	{ 'c', 1, 3, "rwm" },       /* null */
	{ 'c', 1, 5, "rwm" },       /* zero */
	{ 'c', 1, 7, "rwm" },       /* full */
	{ 'c', 1, 8, "rwm" },       /* random */
	{ 'c', 1, 9, "rwm" },       /* urandom */
	{ 'c', 5, 0, "rwm" },       /* tty */
	{ 'c', 5, 2, "rw" },        /* ptmx */
	{ 'c', 136, -1, "rw" },     /* pts: the guest's own devpts and its console */
};
const size_t vu_cg_n_default_devices =
	sizeof(vu_cg_default_devices) / sizeof(vu_cg_default_devices[0]);

int vu_cg_write(const char *dir, const char *file, const char *val, struct vu_err *e)
{
	char path[PATH_MAX + 64];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(val);
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return vu_err_set(e, errno, "%s", path);
	n = write(fd, val, len);
	if (n < 0)
		return vu_err_set(e, errno, "%s: writing '%s'", path, val);
	if ((size_t)n != len)
		return vu_err_set(e, EIO, "%s: short write", path);
	return 0;
}

int vu_cg_read(const char *dir, const char *file, char *buf, size_t len, struct vu_err *e)
{
	char path[PATH_MAX + 64];
	_cleanup_close_ int fd = -1;
	size_t off = 0;
	ssize_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return vu_err_set(e, errno, "%s", path);
	while (off + 1 < len && (n = read(fd, buf + off, len - 1 - off)) > 0)
		off += (size_t)n;
	if (n < 0)
		return vu_err_set(e, errno, "%s", path);
	buf[off] = 0;
	return 0;
}

int vu_cg_rmdir(int dirfd, const char *path, struct vu_err *e)
{
	/* The kernel may need a moment to let go of the last exited task. */
	for (int i = 0; i < 200; i++) {
		struct timespec ts = { 0, 10000000L };

		if (unlinkat(dirfd, path, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		nanosleep(&ts, NULL);
	}
	return vu_err_set(e, errno, "%s", path);
}

bool vu_cg_word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

uint64_t vu_cg_weight_to_shares(unsigned weight)
{
	/* v2 weight 100 is v1 shares 1024; both scales are linear. */
	uint64_t s = (uint64_t)weight * 1024 / 100;

	return s < 2 ? 2 : s;
}

unsigned vu_cg_weight_to_blkio(unsigned weight)
{
	/* Map 1..10000 (default 100) onto 10..1000 (default 500), piecewise
	 * linear so that the defaults meet. */
	if (weight <= 100)
		return 10 + (weight - 1) * 490 / 99;
	return 500 + (unsigned)((uint64_t)(weight - 100) * 500 / 9900);
}

unsigned vu_cg_weight_to_bfq(unsigned weight)
{
	/* Same default (100), BFQ stops at 1000. */
	return weight > 1000 ? 1000 : weight;
}

static bool is_cgroup2(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

static int open_v2(struct vu_cgroup *cg, const char *mnt, struct vu_err *e)
{
	if (!is_cgroup2(mnt))
		return vu_err_set(e, EINVAL, "%s: not a cgroup2 mount", mnt);
	if (strlen(mnt) >= sizeof(cg->hier[0]))
		return vu_err_set(e, ENAMETOOLONG, "%s", mnt);
	cg->ops = &vu_cg_v2_ops;
	snprintf(cg->hier[0], sizeof(cg->hier[0]), "%s", mnt);
	snprintf(cg->deleg, sizeof(cg->deleg), "%s", mnt);
	cg->n_hier = 1;
	return 0;
}

int vu_cg_mkparent(const struct vu_cgroup *cg, const char *root,
		   int (*level)(const char *upper, const char *dir, struct vu_err *e),
		   struct vu_err *e)
{
	char upper[PATH_MAX], dir[PATH_MAX];
	const char *p = cg->parent, *slash;

	snprintf(upper, sizeof(upper), "%s", root);
	/* One level per component: "vunify", then "vunify/KEY". */
	for (;;) {
		slash = strchr(p, '/');
		snprintf(dir, sizeof(dir), "%s/%.*s", root,
			 (int)(slash ? (size_t)(slash - cg->parent) : strlen(cg->parent)), cg->parent);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return vu_err_set(e, errno, "%s", dir);
		if (level && level(upper, dir, e) < 0)
			return -1;
		if (!slash)
			return 0;
		snprintf(upper, sizeof(upper), "%s", dir);
		p = slash + 1;
	}
}

int vu_cg_mkgroup(const struct vu_cgroup *cg, const char *root,
		  int (*level)(const char *upper, const char *dir, struct vu_err *e),
		  const char *dir, struct vu_err *e)
{
	for (int tries = 0;; tries++) {
		if (vu_cg_mkparent(cg, root, level, e) < 0)
			return -1;
		if (mkdir(dir, 0755) == 0 || errno == EEXIST)
			return 0;
		if (errno != ENOENT || tries == 3)
			return vu_err_set(e, errno, "%s", dir);
	}
}

void vu_cg_rmparent(const struct vu_cgroup *cg, const char *root)
{
	char dir[PATH_MAX];

	/* EBUSY or ENOTEMPTY: another guest of the base lives there. */
	snprintf(dir, sizeof(dir), "%s/%s", root, cg->parent);
	rmdir(dir);
}

int vu_cg_open(struct vu_cgroup *cg, const char *key, const char *name, struct vu_err *e)
{
	const char *force = getenv("VUNIFY_CGROUP");

	memset(cg, 0, sizeof(*cg));
	snprintf(cg->parent, sizeof(cg->parent), "%s/%s", VU_CG_PARENT, key);
	snprintf(cg->name, sizeof(cg->name), "%s", name);
	if (force && *force) {
		if (!strcmp(force, "v2"))
			return open_v2(cg, "/sys/fs/cgroup", e);
		if (!strncmp(force, "v2:", 3))
			return open_v2(cg, force + 3, e);
		if (!strcmp(force, "v1")) {
			cg->ops = &vu_cg_v1_ops;
			return vu_cg_v1_scan(cg, "/proc/self/mountinfo", e);
		}
		return vu_err_set(e, EINVAL, "VUNIFY_CGROUP=%s: want v1, v2 or v2:PATH", force);
	}
	if (is_cgroup2("/sys/fs/cgroup"))
		return open_v2(cg, "/sys/fs/cgroup", e);
	cg->ops = &vu_cg_v1_ops;
	if (vu_cg_v1_scan(cg, "/proc/self/mountinfo", e) == 0)
		return 0;
	/* Hybrid systems without v1 controllers: the unified hierarchy. */
	if (is_cgroup2("/sys/fs/cgroup/unified"))
		return open_v2(cg, "/sys/fs/cgroup/unified", e);
	return -1;
}
