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

int vu_compare_fds(int a, int b, uint64_t size, void *ba, void *bb, size_t bufsize,
		   uint64_t *nread, struct vu_err *e, const char *what)
{
	uint64_t off = 0;
	char extra;

	*nread = 0;
	posix_fadvise(a, 0, 0, POSIX_FADV_SEQUENTIAL);
	posix_fadvise(b, 0, 0, POSIX_FADV_SEQUENTIAL);
	while (off < size) {
		size_t want = size - off < bufsize ? size - off : bufsize;
		ssize_t na = read_full(a, ba, want, off), nb;

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
