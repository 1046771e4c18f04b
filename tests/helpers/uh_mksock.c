// SPDX-License-Identifier: GPL-2.0-or-later
/* uh_mksock PATH: leave a unix socket inode at PATH (for tree-copy tests). */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof(a.sun_path)) {
		fprintf(stderr, "usage: uh_mksock PATH (shorter than %zu)\n", sizeof(a.sun_path));
		return 2;
	}
	strcpy(a.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return perror(argv[1]), 1;
	close(fd);
	return 0;
}
