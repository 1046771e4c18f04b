// SPDX-License-Identifier: GPL-2.0-or-later
/* Byte-for-byte comparison: see include/vunify/compare.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "vunify/compare.h"

/* Read exactly @len bytes at @off unless the file ends first. */
static ssize_t read_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, off + got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

/* Where the next data of @fd at or after @off starts (@size if none, or if
 * the filesystem cannot tell: then @off, everything is data). */
static uint64_t next_data(int fd, uint64_t off, uint64_t size)
{
	off_t d = lseek(fd, (off_t)off, SEEK_DATA);

	if (d < 0)
		return errno == ENXIO ? size : off;
	return (uint64_t)d < size ? (uint64_t)d : size;
}

int vu_compare_fds(int a, int b, uint64_t size, void *ba, void *bb, size_t bufsize,
		   uint64_t *nread, struct vu_err *e, const char *what)
{
	uint64_t off = 0;
	char extra;

	*nread = 0;
	posix_fadvise(a, 0, 0, POSIX_FADV_SEQUENTIAL);
	posix_fadvise(b, 0, 0, POSIX_FADV_SEQUENTIAL);
	while (off < size) {
		size_t want;
		ssize_t na, nb;
		uint64_t da = next_data(a, off, size), db = next_data(b, off, size);

		/* A hole in both reads as zeros in both: nothing to read. */
		off = da < db ? da : db;
		if (off >= size)
			break;
		want = size - off < bufsize ? size - off : bufsize;
		na = read_full(a, ba, want, off);
		if (na < 0)
			return vu_err_set(e, errno, "%s", what);
		nb = read_full(b, bb, want, off);
		if (nb < 0)
			return vu_err_set(e, errno, "%s: object", what);
		*nread += na;
		if (na != nb || (size_t)na != want || memcmp(ba, bb, want))
			return 0;
		off += want;
	}
	/* Neither may be longer than @size. */
	if (read_full(a, &extra, 1, size) != 0 || read_full(b, &extra, 1, size) != 0)
		return 0;
	return 1;
}
