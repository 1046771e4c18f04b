// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sec_fill: write into files no name shows -- the disk-limit attacks of
 * tests/security/quota.t.  Writes BYTES in 1 MiB chunks of non-zero data,
 * stops at the first error, prints "BYTES_WRITTEN ERRNO_NAME|ok" and then,
 * if asked, holds the file open until a line arrives on stdin.
 *
 *   sec_fill unlinked PATH BYTES [hold]   create PATH, unlink it, write
 *   sec_fill tmpfile DIR BYTES [hold|link:NAME]
 *                                          O_TMPFILE in DIR, write, optionally
 *                                          link it in as DIR/NAME (prints
 *                                          "link ok" or "link ERRNO")
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *errname(int e)
{
	return e == EDQUOT ? "EDQUOT" : e == ENOSPC ? "ENOSPC" : strerror(e);
}

static long long fill(int fd, long long bytes, int *err)
{
	static char chunk[1 << 20];
	long long done = 0;

	memset(chunk, 'v', sizeof(chunk));
	*err = 0;
	while (done < bytes) {
		size_t n = bytes - done < (long long)sizeof(chunk) ? (size_t)(bytes - done) : sizeof(chunk);
		ssize_t w = write(fd, chunk, n);

		if (w < 0) {
			*err = errno;
			break;
		}
		done += w;
	}
	/* Data the kernel still caches counts once it is written back. */
	if (!*err && fsync(fd) < 0)
		*err = errno;
	return done;
}

int main(int argc, char **argv)
{
	char link[64], line[16];
	long long bytes, done;
	int fd, err;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: sec_fill unlinked|tmpfile PATH BYTES [hold|link:NAME]\n");
		return 2;
	}
	bytes = atoll(argv[3]);
	if (!strcmp(argv[1], "unlinked")) {
		fd = open(argv[2], O_RDWR | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || unlink(argv[2]) < 0) {
			perror(argv[2]);
			return 2;
		}
	} else if (!strcmp(argv[1], "tmpfile")) {
		fd = open(argv[2], O_RDWR | O_TMPFILE, 0644);
		if (fd < 0) {
			printf("0 %s\n", errname(errno));
			return 0;
		}
	} else {
		fprintf(stderr, "sec_fill: unknown command '%s'\n", argv[1]);
		return 2;
	}
	done = fill(fd, bytes, &err);
	printf("%lld %s\n", done, err ? errname(err) : "ok");
	fflush(stdout);
	if (argc == 5 && !strncmp(argv[4], "link:", 5)) {
		char dst[4096];

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		snprintf(dst, sizeof(dst), "%s/%s", argv[2], argv[4] + 5);
		if (linkat(AT_FDCWD, link, AT_FDCWD, dst, AT_SYMLINK_FOLLOW) < 0)
			printf("link %s\n", errname(errno));
		else
			printf("link ok\n");
	} else if (argc == 5 && !strcmp(argv[4], "hold")) {
		if (!fgets(line, sizeof(line), stdin))
			line[0] = 0;
	}
	close(fd);
	return 0;
}
