// SPDX-License-Identifier: GPL-2.0-or-later
/* Tree removal: see include/vunify/rmtree.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vunify/rmtree.h"

int vu_rmtree_at(int dirfd, const char *name)
{
	struct stat top, st;
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	if (unlinkat(dirfd, name, 0) == 0)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return errno == ENOENT ? 0 : -1;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(dirfd, &top) < 0 || fstat(fd, &st) < 0 || st.st_dev != top.st_dev) {
		close(fd);
		errno = EXDEV;
		return -1;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((errno = 0, de = readdir(d)))
		if (!(de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2]))) &&
		    vu_rmtree_at(fd, de->d_name) < 0)
			rc = -1;
	if (errno)
		rc = -1;
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		rc = -1;
	return rc;
}
