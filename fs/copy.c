// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Data and xattr copies for the link break.
 *
 * Data moves inside the kernel: a reflink (FICLONE) where the filesystem
 * shares extents (btrfs, xfs), else copy_file_range over the data segments
 * only (SEEK_DATA/SEEK_HOLE), so that sparse files stay sparse, with
 * sendfile as the fallback where copy_file_range is refused.  Never a
 * userspace read/write loop.
 */
#include <errno.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "vunify/format.h"
#include "vunifyfs.h"

/* Copy [off, end) of src to the same offsets of dst. */
static int copy_range(int src, int dst, off_t off, off_t end)
{
	static atomic_bool no_cfr;

	while (off < end) {
		size_t chunk = end - off > (1 << 30) ? (1 << 30) : (size_t)(end - off);
		off_t in = off, out = off;
		ssize_t n = -1;

		if (!atomic_load(&no_cfr)) {
			n = copy_file_range(src, &in, dst, &out, chunk, 0);
			if (n < 0 && (errno == EOPNOTSUPP || errno == ENOSYS ||
				      errno == EXDEV || errno == EINVAL)) {
				atomic_store(&no_cfr, true);
				n = -1;
			} else if (n < 0) {
				return -errno;
			}
		}
		if (n < 0) {
			if (lseek(dst, off, SEEK_SET) < 0)
				return -errno;
			in = off;
			n = sendfile(dst, src, &in, chunk);
			if (n < 0)
				return -errno;
		}
		if (n == 0)
			break;          /* the source got shorter: nothing more */
		off += n;
	}
	return 0;
}

int vu_copy_data(int src, int dst, off_t len)
{
	struct stat st;
	off_t off = 0;
	int err;

	if (fstat(src, &st) < 0)
		return -errno;
	if (len < 0 || len > st.st_size)
		len = st.st_size;

	/* A whole-file reflink costs no data blocks. */
	if (len == st.st_size && len > 0 && ioctl(dst, FICLONE, src) == 0)
		return 0;

	while (off < len) {
		off_t data = lseek(src, off, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			break;          /* only a hole is left */
		if (data < 0)
			return -errno;
		if (data >= len)
			break;
		hole = lseek(src, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		if (hole > len)
			hole = len;
		err = copy_range(src, dst, data, hole);
		if (err)
			return err;
		off = hole;
	}
	/* Trailing holes and the exact size. */
	if (ftruncate(dst, len) < 0)
		return -errno;
	return 0;
}

/* Copy every xattr but the mark; the caller has set owner and mode first
 * (chown drops security.capability, so it must come after). */
int vu_copy_xattrs(int src, int dst)
{
	char *names = NULL, *val = NULL;
	ssize_t len, vlen;
	size_t vsize = 0;
	int err = 0;

	len = flistxattr(src, NULL, 0);
	if (len <= 0) {
		err = len < 0 && errno != ENOTSUP ? -errno : 0;
		goto out;
	}
	names = malloc(len);
	if (!names) {
		err = -ENOMEM;
		goto out;
	}
	len = flistxattr(src, names, len);
	if (len < 0) {
		err = -errno;
		goto out;
	}
	for (char *name = names; name < names + len; name += strlen(name) + 1) {
		if (strcmp(name, VU_MARK_XATTR) == 0)
			continue;
		vlen = fgetxattr(src, name, NULL, 0);
		if (vlen < 0) {
			err = -errno;
			goto out;
		}
		if ((size_t)vlen > vsize) {
			char *v = realloc(val, vlen);

			if (!v) {
				err = -ENOMEM;
				goto out;
			}
			val = v;
			vsize = vlen;
		}
		vlen = fgetxattr(src, name, val, vsize);
		if (vlen < 0 || fsetxattr(dst, name, val, vlen, 0) < 0) {
			err = -errno;
			goto out;
		}
	}
out:
	free(names);
	free(val);
	return err;
}
