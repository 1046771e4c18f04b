// SPDX-License-Identifier: GPL-2.0-or-later
/* Lookups that stay inside a guest tree: see include/vunify/resolve.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/resolve.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOATIME)

static int have_openat2 = 1;

/* The fallback: one O_NOFOLLOW component at a time, each checked to stay on
 * the top's device. */
static int walk_components(int topfd, const char *path, int flags)
{
	_cleanup_close_ int fd = fcntl(topfd, F_DUPFD_CLOEXEC, 3);
	struct stat top, st;
	char comp[256];

	if (fd < 0 || fstat(topfd, &top) < 0)
		return -1;
	while (*path) {
		size_t n;
		int next;

		while (*path == '/')
			path++;
		n = strcspn(path, "/");
		if (!n)
			break;
		if (n >= sizeof(comp)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, path, n);
		comp[n] = 0;
		path += n;
		if (!strcmp(comp, "..") || !strcmp(comp, ".")) {
			errno = EXDEV;
			return -1;
		}
		next = openat(fd, comp, flags | O_NOFOLLOW);
		if (next < 0)
			return -1;
		close(fd);
		fd = next;
		if (fstat(fd, &st) < 0)
			return -1;
		if (st.st_dev != top.st_dev) {
			errno = EXDEV;
			return -1;
		}
	}
	return vu_steal_fd(&fd);
}

int vu_resolve_dir(int topfd, const char *path, int extra)
{
	struct open_how how = {
		.flags = DIR_FLAGS | extra,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	const char *rel = path;

	while (*rel == '/')
		rel++;
	if (!*rel)
		rel = ".";
	if (__atomic_load_n(&have_openat2, __ATOMIC_RELAXED)) {
		long fd;

		do
			fd = syscall(SYS_openat2, topfd, rel, &how, sizeof(how));
		while (fd < 0 && errno == EAGAIN);
		if (fd >= 0 || errno != ENOSYS)
			return (int)fd;
		__atomic_store_n(&have_openat2, 0, __ATOMIC_RELAXED);
	}
	return walk_components(topfd, rel, DIR_FLAGS | extra);
}

const char *vu_resolve_split(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash) {
		if (size < 1)
			return NULL;
		dir[0] = 0;
		return path;
	}
	n = slash - path;
	if (n >= size)
		return NULL;
	memcpy(dir, path, n);
	dir[n] = 0;
	return slash + 1;
}
