// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * uh_mkfiles DIR N SIZE [START]: make N regular files DIR/f0 .. DIR/fN-1
 * of SIZE (>= 20) bytes, all with the same mode (0644), owner and
 * timestamps (2020-01-01), so that they are twins for vhashify.  With
 * START, file fI gets distinct content instead (the number START + I in its
 * first 20 bytes): candidates that must never be linked together, and that
 * another call with the same START reproduces exactly.  Fast enough for the tens
 * of thousands of files a link-limit test needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec ts[2] = { { 1577836800, 123456789 }, { 1577836800, 123456789 } };
	unsigned long n, size;
	unsigned long start = 0;
	int distinct, dfd;
	char *buf;

	if (argc < 4) {
		fprintf(stderr, "usage: uh_mkfiles DIR N SIZE [DISTINCT]\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	size = strtoul(argv[3], NULL, 10);
	distinct = argc > 4;
	if (distinct)
		start = strtoul(argv[4], NULL, 10);
	buf = malloc(size + 32);
	if (!buf)
		return 2;
	for (unsigned long i = 0; i < size + 32; i++)
		buf[i] = (char)('a' + i % 26);
	if (mkdir(argv[1], 0755) < 0 && errno != EEXIST)
		return perror(argv[1]), free(buf), 1;
	dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return perror(argv[1]), free(buf), 1;
	for (unsigned long i = 0; i < n; i++) {
		char name[32];
		int fd;

		snprintf(name, sizeof(name), "f%lu", i);
		if (distinct)
			snprintf(buf, 21, "%020lu", start + i);
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, buf, size) != (ssize_t)size || fchmod(fd, 0644) < 0 ||
		    futimens(fd, ts) < 0 || close(fd) < 0)
			return perror(name), free(buf), 1;
	}
	free(buf);
	return 0;
}
