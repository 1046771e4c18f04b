// SPDX-License-Identifier: GPL-2.0-or-later
/* Private and shared disk use of a guest tree: see include/vunify/diskusage.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "vunify/diskusage.h"
#include "vunify/format.h"

/* Inodes with several names, so that each is counted once. */
struct inoset {
	ino_t *slot;
	size_t cap, n;
};

static bool inoset_add(struct inoset *s, ino_t ino)
{
	size_t i;

	if (s->n * 2 >= s->cap) {
		struct inoset bigger = { .cap = s->cap ? s->cap * 2 : 1024 };

		bigger.slot = calloc(bigger.cap, sizeof(ino_t));
		if (!bigger.slot)
			return true;    /* out of memory: count it, at worst twice */
		for (i = 0; i < s->cap; i++)
			if (s->slot[i])
				inoset_add(&bigger, s->slot[i]);
		free(s->slot);
		*s = bigger;
	}
	for (i = (size_t)(ino * 0x9e3779b97f4a7c15ull) & (s->cap - 1); s->slot[i];
	     i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == ino)
			return false;
	s->slot[i] = ino;
	s->n++;
	return true;
}

/* Does @name carry the mark?  Looked at through an O_PATH descriptor, so
 * that nothing in the tree is ever opened for reading: a name swapped for a
 * FIFO or a device node since the stat costs nothing. */
static bool marked(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	char path[64];
	struct stat st;
	bool r = false;

	if (fd < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		r = getxattr(path, VU_MARK_XATTR, NULL, 0) >= 0;
	close(fd);
	return r;
}

static int walk(int dirfd, dev_t dev, struct inoset *seen, struct vu_du *du, int depth,
		struct vu_err *e)
{
	DIR *d;
	struct dirent *de;

	if (depth > 512)
		return 0;
	d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return vu_err_set(e, errno, "fdopendir");
	}
	while ((de = readdir(d))) {
		struct stat st;
		bool shared = false;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
			continue;
		if (st.st_nlink > 1 && !S_ISDIR(st.st_mode)) {
			if (!inoset_add(seen, st.st_ino))
				continue;
			shared = S_ISREG(st.st_mode) && marked(dirfd, de->d_name);
		}
		if (shared) {
			du->shared_bytes += (uint64_t)st.st_blocks * 512;
			du->shared_inodes++;
		} else {
			du->private_bytes += (uint64_t)st.st_blocks * 512;
			du->private_inodes++;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					 O_CLOEXEC);

			if (sub >= 0 && walk(sub, dev, seen, du, depth + 1, e) < 0) {
				closedir(d);
				return -1;
			}
		}
	}
	closedir(d);
	return 0;
}

int vu_du_scan(const char *root, struct vu_du *du, struct vu_err *e)
{
	struct inoset seen = { 0 };
	struct stat st;
	int fd, r;

	memset(du, 0, sizeof(*du));
	fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vu_err_set(e, errno, "%s", root);
	if (fstat(fd, &st) < 0) {
		close(fd);
		return vu_err_set(e, errno, "%s", root);
	}
	r = walk(fd, st.st_dev, &seen, du, 0, e);
	free(seen.slot);
	if (r < 0)
		return vu_err_prefix(e, "%s", root);
	return 0;
}
