// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guest's own cgroup2 subtree: see "Delegation" in
 * include/vsupervisor/cgroup.h.
 *
 * Layout on the cgroup2 mount M:  M/vunify/NAME          the host's: limits
 *                                 M/vunify/NAME/payload  the guest's root
 * The guest's cgroup namespace is rooted at payload, so the files it may
 * write (its own cgroup.procs, subtree_control, its limits) are all below
 * NAME, and whatever it writes there is bounded by NAME's limits, which it
 * cannot reach.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vsupervisor/cgroup.h"
#include "vunify/cleanup.h"

/* Bounds on what a guest may make of its subtree (kernel memory). */
#define DELEG_MAX_DESCENDANTS "4096"
#define DELEG_MAX_DEPTH       "32"

static void group_dir(const struct vu_cgroup *cg, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%s", cg->deleg, cg->parent, cg->name);
}

static void payload_dir(const struct vu_cgroup *cg, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%s/%s", cg->deleg, cg->parent, cg->name, VU_CG_PAYLOAD);
}

/* Hand every controller NAME has on to payload, so that the guest's own
 * manager (systemd) can use them in its subtree. */
static int offer_all(const char *dir, struct vu_err *e)
{
	char avail[512], *save = NULL, val[80];
	char cur[512];

	if (vu_cg_read(dir, "cgroup.controllers", avail, sizeof(avail), e) < 0 ||
	    vu_cg_read(dir, "cgroup.subtree_control", cur, sizeof(cur), e) < 0)
		return -1;
	for (char *c = strtok_r(avail, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
		if (vu_cg_word_in(cur, c))
			continue;
		snprintf(val, sizeof(val), "+%s", c);
		if (vu_cg_write(dir, "cgroup.subtree_control", val, e) < 0)
			return -1;
	}
	return 0;
}

int vu_cg_deleg_create(const struct vu_cgroup *cg, struct vu_err *e)
{
	char dir[PATH_MAX];

	if (!cg->deleg[0])
		return 0;
	group_dir(cg, dir, sizeof(dir));
	if (vu_cg_mkgroup(cg, cg->deleg, NULL, dir, e) < 0)
		return -1;
	if (vu_cg_write(dir, "cgroup.max.descendants", DELEG_MAX_DESCENDANTS, e) < 0 ||
	    vu_cg_write(dir, "cgroup.max.depth", DELEG_MAX_DEPTH, e) < 0 ||
	    offer_all(dir, e) < 0)
		return -1;
	payload_dir(cg, dir, sizeof(dir));
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return vu_err_set(e, errno, "%s", dir);
	return 0;
}

/* Does @path have a "." or ".." component? */
static bool has_dot_part(const char *path)
{
	for (const char *p = path; *p; p++)
		if (p[0] == '.' && (p == path || p[-1] == '/') &&
		    (p[1] == 0 || p[1] == '/' || (p[1] == '.' && (p[2] == 0 || p[2] == '/'))))
			return true;
	return false;
}

/*
 * Where a process joining the running guest goes: the group of the guest's
 * init, if that is inside payload (the guest's manager may have moved init
 * to a leaf such as /init.scope, and once it offers controllers to its
 * children, payload itself cannot take processes).  The path comes from
 * /proc/INIT/cgroup, i.e. from names the guest chose: it must lie below
 * payload and contain no "." or ".." component.
 */
static int join_dir(const struct vu_cgroup *cg, pid_t init, char *buf, size_t len)
{
	char path[64], prefix[PATH_MAX], *line = NULL, *rel;
	_cleanup_fclose_ FILE *f = NULL;
	size_t cap = 0, n;
	int found = -1;

	payload_dir(cg, buf, len);
	if (init <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)init);
	f = fopen(path, "re");
	if (!f)
		return 0;
	snprintf(prefix, sizeof(prefix), "/%s/%s/%s", cg->parent, cg->name, VU_CG_PAYLOAD);
	n = strlen(prefix);
	while (found < 0 && getline(&line, &cap, f) > 0) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		rel = line + 3;
		if (strncmp(rel, prefix, n) || (rel[n] && rel[n] != '/') || has_dot_part(rel))
			break;
		if (strlen(cg->deleg) + strlen(rel) < len) {
			memcpy(buf, cg->deleg, strlen(cg->deleg));
			memcpy(buf + strlen(cg->deleg), rel, strlen(rel) + 1);
		}
		found = 0;
	}
	free(line);
	return 0;
}

int vu_cg_deleg_attach(const struct vu_cgroup *cg, pid_t pid, pid_t init, struct vu_err *e)
{
	char dir[PATH_MAX], val[32];
	struct vu_err ignored;

	if (!cg->deleg[0])
		return 0;
	join_dir(cg, init, dir, sizeof(dir));
	snprintf(val, sizeof(val), "%d", (int)pid);
	if (vu_cg_write(dir, "cgroup.procs", val, &ignored) == 0)
		return 0;
	/* The init's group may just have gone away or become inner. */
	payload_dir(cg, dir, sizeof(dir));
	return vu_cg_write(dir, "cgroup.procs", val, e);
}

/*
 * Wait up to @ms until no process is left in @dir's subtree ("populated 0"
 * in cgroup.events).  The kernel raises POLLPRI on the file when that
 * changes, and only a read through the polled descriptor re-arms it: read
 * through another one, the poll returns at once for ever and the wait
 * spins through its budget in milliseconds (a loaded host then saw
 * "processes survive" while they were still exiting).  Hence the deadline
 * in time, the pread on the same descriptor, and a nap if a poll returns
 * without a change.
 */
static bool wait_unpopulated(const char *dir, int ms)
{
	char path[PATH_MAX + 64], buf[256];
	_cleanup_close_ int fd = -1;
	struct timespec start, now;

	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT;     /* the group is gone, and its members */
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLPRI };
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		long left;

		if (n < 0)
			return false;
		buf[n] = 0;
		if (strstr(buf, "populated 0"))
			return true;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = ms - ((now.tv_sec - start.tv_sec) * 1000 +
			     (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0)
			return false;
		if (poll(&p, 1, left < 100 ? (int)left : 100) != 0) {
			struct timespec nap = { 0, 1000000L };

			nanosleep(&nap, NULL);
		}
	}
}

int vu_cg_deleg_kill(const struct vu_cgroup *cg, struct vu_err *e)
{
	char dir[PATH_MAX];

	if (!cg->deleg[0])
		return 0;
	group_dir(cg, dir, sizeof(dir));
	if (access(dir, F_OK) < 0)
		return 0;
	/* cgroup.kill covers the whole subtree, frozen members included. */
	if (vu_cg_write(dir, "cgroup.kill", "1", e) < 0)
		return -1;
	if (!wait_unpopulated(dir, 10000))
		return vu_err_set(e, EBUSY, "%s: processes survive cgroup.kill", dir);
	return 0;
}

/* Remove @dir and every group below it, children first.  The guest made
 * the names; cgroupfs has no symlinks and we go by directory fds. */
static int remove_tree(int parent, const char *name, unsigned depth, struct vu_err *e)
{
	_cleanup_close_ int fd = -1;
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (depth > 64)
		return vu_err_set(e, ELOOP, "%s: cgroup tree too deep", name);
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : vu_err_set(e, errno, "%s", name);
	d = fdopendir(fd);
	if (!d)
		return vu_err_set(e, errno, "%s", name);
	fd = -1;   /* the DIR owns it */
	while (r == 0 && (de = readdir(d)))
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = remove_tree(dirfd(d), de->d_name, depth + 1, e);
	closedir(d);
	if (r < 0)
		return -1;
	return vu_cg_rmdir(parent, name, e);
}

int vu_cg_destroy_tree(const char *dir, struct vu_err *e)
{
	char parent[PATH_MAX];
	const char *slash = strrchr(dir, '/');
	_cleanup_close_ int pfd = -1;

	if (!slash || slash == dir || (size_t)(slash - dir) >= sizeof(parent))
		return vu_err_set(e, EINVAL, "%s: not a cgroup path", dir);
	snprintf(parent, sizeof(parent), "%.*s", (int)(slash - dir), dir);
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return errno == ENOENT ? 0 : vu_err_set(e, errno, "%s", parent);
	if (remove_tree(pfd, slash + 1, 0, e) < 0)
		return vu_err_prefix(e, "%s", dir);
	return 0;
}

int vu_cg_deleg_destroy(const struct vu_cgroup *cg, struct vu_err *e)
{
	char dir[PATH_MAX];

	if (!cg->deleg[0])
		return 0;
	group_dir(cg, dir, sizeof(dir));
	if (vu_cg_destroy_tree(dir, e) < 0)
		return -1;
	vu_cg_rmparent(cg, cg->deleg);
	return 0;
}

bool vu_cg_deleg_exists(const struct vu_cgroup *cg)
{
	char dir[PATH_MAX];

	if (!cg->deleg[0])
		return false;
	group_dir(cg, dir, sizeof(dir));
	return access(dir, F_OK) == 0;
}

/* Members of @dir and of every group below it. */
static unsigned count_tree(int parent, const char *name, unsigned depth)
{
	_cleanup_close_ int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					O_CLOEXEC);
	_cleanup_fclose_ FILE *f = NULL;
	unsigned n = 0;
	struct dirent *de;
	DIR *d;
	int procs, pid;

	if (fd < 0 || depth > 64)
		return 0;
	procs = openat(fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	if (procs >= 0 && (f = fdopen(procs, "re")) == NULL)
		close(procs);
	while (f && fscanf(f, "%d", &pid) == 1)
		n++;
	d = fdopendir(fd);
	if (!d)
		return n;
	fd = -1;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n += count_tree(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	return n;
}

unsigned vu_cg_count_tree(const char *dir)
{
	return count_tree(AT_FDCWD, dir, 0);
}
