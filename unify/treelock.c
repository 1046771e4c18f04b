// SPDX-License-Identifier: GPL-2.0-or-later
/* The locks above a guest directory: see include/vunify/treelock.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/escape.h"
#include "vunify/size.h"
#include "vunify/treelock.h"

/* More is a loop we failed to see, or a tree nobody has. */
#define TREELOCK_MAX 4096

static int dir_statx(int fd, struct statx *stx)
{
	return statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
		     STATX_BASIC_STATS | STATX_MNT_ID, stx);
}

static bool same_dir(const struct statx *a, const struct statx *b)
{
	return a->stx_ino == b->stx_ino && a->stx_dev_major == b->stx_dev_major &&
	       a->stx_dev_minor == b->stx_dev_minor;
}

/* The path of an open descriptor, for messages only. */
static void fd_path(int fd, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size - 1);
	if (n < 0)
		n = snprintf(buf, size, "(directory above)") < 0 ? 0 : (ssize_t)strlen(buf);
	buf[n] = 0;
}

/* Already held (a bind mount can show one directory twice)? */
static bool held(const struct vu_treelock *t, const struct statx *stx)
{
	for (size_t i = 0; i < t->n; i++) {
		struct statx h;

		if (dir_statx(t->fds[i], &h) == 0 && same_dir(&h, stx))
			return true;
	}
	return false;
}

/* Lock @fd shared and keep it in @t (which then owns it).  0, or -1 with
 * the error set (the descriptor is closed). */
static int hold(struct vu_treelock *t, int fd, const char *label, struct vu_err *e)
{
	char path[PATH_MAX];

	if (t->n == TREELOCK_MAX) {
		close(fd);
		return vu_err_set(e, ELOOP, "%s: the directories above it", label);
	}
	if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		int err = errno;

		fd_path(fd, path, sizeof(path));
		close(fd);
		if (err == EWOULDBLOCK)
			return vu_err_set(e, 0, "%s: inside the guest %s, which is in use (mounted by "
					  "vunifyfs, or being changed by vhashify or vclone)", label, path);
		return vu_err_set(e, err, "%s: lock %s", label, path);
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		int *p = realloc(t->fds, cap * sizeof(*p));

		if (!p) {
			close(fd);
			return vu_err_set(e, ENOMEM, "%s", label);
		}
		t->fds = p;
		t->cap = cap;
	}
	t->fds[t->n++] = fd;
	return 0;
}

struct mnt {
	unsigned id;
	char dev[32];
	char root[PATH_MAX];
	char point[PATH_MAX];
};

static bool mnt_parse(char *line, struct mnt *m)
{
	char *save = NULL, *f[5];
	uint64_t id;

	for (int i = 0; i < 5; i++) {
		f[i] = strtok_r(i ? NULL : line, " ", &save);
		if (!f[i])
			return false;
	}
	if (vu_parse_uint(f[0], 0, UINT_MAX, &id) < 0)
		return false;
	m->id = (unsigned)id;
	snprintf(m->dev, sizeof(m->dev), "%s", f[2]);
	vu_unescape_mountinfo(f[3]);
	vu_unescape_mountinfo(f[4]);
	snprintf(m->root, sizeof(m->root), "%s", f[3]);
	snprintf(m->point, sizeof(m->point), "%s", f[4]);
	return true;
}

/* Is @prefix, a path within a filesystem, @path or above it? */
static bool fs_within(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (!strcmp(prefix, "/"))
		return true;
	return !strncmp(path, prefix, n) && (path[n] == '/' || path[n] == 0);
}

/*
 * @cur is the root of mount @mnt_id showing the subtree ROOT of its
 * filesystem (a bind mount).  Open ROOT's parent in that filesystem through
 * some other mount of it, checked to hold @cur under ROOT's last name.
 * Returns the descriptor, or -1 if there is none to reach (the filesystem
 * root itself, or no mount of the parent in our namespace).
 */
static int fs_parent(const struct statx *cur)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ struct mnt *self = calloc(1, sizeof(*self));
	_cleanup_free_ struct mnt *m = calloc(1, sizeof(*m));
	_cleanup_free_ char *line = NULL;
	char parent[PATH_MAX], path[2 * PATH_MAX];
	const char *base;
	size_t cap = 0;
	bool found = false;

	if (!f || !self || !m)
		return -1;
	while (getline(&line, &cap, f) > 0)
		if (mnt_parse(line, self) && self->id == cur->stx_mnt_id) {
			found = true;
			break;
		}
	if (!found || !strcmp(self->root, "/"))
		return -1;
	snprintf(parent, sizeof(parent), "%s", self->root);
	base = strrchr(self->root, '/') + 1;
	*strrchr(parent, '/') = 0;
	if (!parent[0])
		strcpy(parent, "/");
	rewind(f);
	while (getline(&line, &cap, f) > 0) {
		int fd;
		struct statx stx;
		size_t qn;

		if (!mnt_parse(line, m) || m->id == self->id || strcmp(m->dev, self->dev) ||
		    !fs_within(parent, m->root))
			continue;
		qn = strcmp(m->root, "/") ? strlen(m->root) : 0;
		snprintf(path, sizeof(path), "%s%s", m->point, parent + qn);
		fd = open(path[0] ? path : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (statx(fd, base, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS, &stx) == 0 &&
		    same_dir(&stx, cur))
			return fd;
		close(fd);
	}
	return -1;
}

/* Lock everything above @fd (which the caller keeps). */
static int lock_above(struct vu_treelock *t, int fd, const char *label, unsigned depth,
		      struct vu_err *e)
{
	_cleanup_close_ int cur = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	if (cur < 0)
		return vu_err_set(e, errno, "%s", label);
	if (depth > 64)
		return vu_err_set(e, ELOOP, "%s: the directories above it", label);
	for (;;) {
		struct statx here, up;
		int pfd, held_fd;

		if (dir_statx(cur, &here) < 0)
			return vu_err_set(e, errno, "%s: the directories above it", label);
		/* A bind mount of a subtree: its own filesystem's parents too. */
		if ((here.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
		    (here.stx_attributes & STATX_ATTR_MOUNT_ROOT) && (here.stx_mask & STATX_MNT_ID)) {
			int ffd = fs_parent(&here);

			if (ffd >= 0) {
				struct statx fst;

				if (dir_statx(ffd, &fst) < 0 || held(t, &fst)) {
					close(ffd);
				} else {
					held_fd = ffd;
					if (hold(t, held_fd, label, e) < 0 ||
					    lock_above(t, held_fd, label, depth + 1, e) < 0)
						return -1;
				}
			}
		}
		pfd = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd < 0)
			return vu_err_set(e, errno, "%s: the directories above it", label);
		if (dir_statx(pfd, &up) < 0) {
			close(pfd);
			return vu_err_set(e, errno, "%s: the directories above it", label);
		}
		if (same_dir(&up, &here)) {
			close(pfd);         /* the root: ".." is itself */
			return 0;
		}
		close(cur);
		cur = pfd;
		if (held(t, &up))
			continue;
		held_fd = fcntl(pfd, F_DUPFD_CLOEXEC, 3);
		if (held_fd < 0)
			return vu_err_set(e, errno, "%s", label);
		if (hold(t, held_fd, label, e) < 0)
			return -1;
	}
}

bool vu_treelock_holds(const struct vu_treelock *t, const struct statx *dir)
{
	return held(t, dir);
}

int vu_treelock_above(struct vu_treelock *t, int dirfd, const char *label, struct vu_err *e)
{
	return lock_above(t, dirfd, label, 0, e);
}

int vu_treelock_dir(struct vu_treelock *t, int dirfd, const char *label, struct vu_err *e)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);

	if (fd < 0)
		return vu_err_set(e, errno, "%s", label);
	if (hold(t, fd, label, e) < 0)
		return -1;
	return lock_above(t, dirfd, label, 0, e);
}

void vu_treelock_release(struct vu_treelock *t)
{
	for (size_t i = 0; i < t->n; i++)
		close(t->fds[i]);
	free(t->fds);
	t->fds = NULL;
	t->n = t->cap = 0;
}
