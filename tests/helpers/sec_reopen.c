// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sec_reopen: reach a file's inode without a name lookup, then try to write
 * it -- the attacks of tests/security/store.t.  Each prints "wrote" if the
 * write went through, or the errno name of the step that failed, and exits
 * 0 either way (the test decides which outcome is allowed); exit 2 means
 * the attack itself could not be set up.
 *
 *   sec_reopen fd PATH [PRE]      open O_RDONLY, PRE, reopen /proc/self/fd/N O_RDWR, write
 *   sec_reopen opath PATH [PRE]   the same from an O_PATH descriptor
 *   sec_reopen fdpass PATH [PRE]  a child opens O_RDONLY and passes the fd over a
 *                                 unix socket; the receiver does PRE and the reopen
 *   sec_reopen mapfiles PATH [PRE] map PROT_READ/MAP_SHARED, PRE, open the mapping's
 *                                 /proc/self/map_files entry O_RDWR, write
 *   sec_reopen meta PATH [PRE]    through /proc/self/fd/N of an O_RDONLY fd: chmod,
 *                                 truncate, setxattr, utimes, fchmod, a hardlink
 *                                 written through ("changed N" and errnos)
 *
 * PRE, done between the first open and the attack:
 *   unlink            unlink PATH
 *   rename:NEW        rename PATH to NEW
 *   write:OTHER       append a line to OTHER through its name (a second name
 *                     of the same inode, or PATH itself: the link break)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#define PAYLOAD "PWNED\n"

static const char *errname(int e)
{
	static char buf[32];

	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case EBADF: return "EBADF";
	case EACCES: return "EACCES";
	case EROFS: return "EROFS";
	case ESTALE: return "ESTALE";
	case EDQUOT: return "EDQUOT";
	case ETXTBSY: return "ETXTBSY";
	case EINVAL: return "EINVAL";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENXIO: return "ENXIO";
	}
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

static void die(const char *what)
{
	fprintf(stderr, "sec_reopen: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void pre(const char *path, const char *action)
{
	int fd;

	if (!action)
		return;
	if (!strcmp(action, "unlink")) {
		if (unlink(path) < 0)
			die(path);
	} else if (!strncmp(action, "rename:", 7)) {
		if (rename(path, action + 7) < 0)
			die(action + 7);
	} else if (!strncmp(action, "write:", 6)) {
		fd = open(action + 6, O_WRONLY | O_APPEND);
		if (fd < 0 || write(fd, "private\n", 8) != 8 || close(fd) < 0)
			die(action + 6);
	} else {
		fprintf(stderr, "sec_reopen: unknown PRE '%s'\n", action);
		exit(2);
	}
}

/* Open the magic link @link read-write and write to it. */
static int attack_link(const char *link)
{
	int fd = open(link, O_RDWR);

	if (fd < 0) {
		printf("%s\n", errname(errno));
		return 0;
	}
	if (write(fd, PAYLOAD, strlen(PAYLOAD)) != (ssize_t)strlen(PAYLOAD)) {
		printf("%s\n", errname(errno));
		close(fd);
		return 0;
	}
	/* Through a writable shared mapping too: the kernel must not let it
	 * reach the object either. */
	void *p = mmap(NULL, 6, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p != MAP_FAILED) {
		memcpy(p, "PWNED!", 6);
		msync(p, 6, MS_SYNC);
		munmap(p, 6);
	}
	if (close(fd) < 0) {
		printf("%s\n", errname(errno));
		return 0;
	}
	printf("wrote\n");
	return 0;
}

static int attack_fd(int fd)
{
	char link[64];

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	return attack_link(link);
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { "x", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], b;
	struct iovec iov = { &b, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &mh, 0) != 1 || !(c = CMSG_FIRSTHDR(&mh)) ||
	    c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static int do_fdpass(const char *path, const char *action)
{
	int sv[2], fd, status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		die("socketpair");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		fd = open(path, O_RDONLY);
		if (fd < 0 || send_fd(sv[1], fd) < 0)
			_exit(2);
		_exit(0);
	}
	fd = recv_fd(sv[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) || fd < 0)
		die("receiving the descriptor");
	/* The descriptor itself is read-only: a direct write must fail. */
	if (write(fd, PAYLOAD, 1) >= 0) {
		printf("wrote\n");
		return 0;
	}
	pre(path, action);
	return attack_fd(fd);
}

static int do_mapfiles(const char *path, const char *action)
{
	char link[128];
	void *p;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die(path);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	close(fd);
	pre(path, action);
	/* /proc/self/map_files names a mapping by its address range. */
	snprintf(link, sizeof(link), "/proc/self/map_files/%lx-%lx", (unsigned long)p,
		 (unsigned long)p + 4096);
	return attack_link(link);
}

/* Metadata changes through the magic link of a read-only descriptor. */
static int do_meta(const char *path, const char *action)
{
	struct timespec ts[2] = { { 1, 0 }, { 1, 0 } };
	char link[64];
	int fd = open(path, O_RDONLY), changed = 0;

	if (fd < 0)
		die(path);
	pre(path, action);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if (chmod(link, 04777) == 0)
		changed++;
	else
		printf("chmod %s\n", errname(errno));
	if (truncate(link, 1) == 0)
		changed++;
	else
		printf("truncate %s\n", errname(errno));
	if (setxattr(link, "user.pwned", "1", 1, 0) == 0)
		changed++;
	else
		printf("setxattr %s\n", errname(errno));
	if (utimensat(AT_FDCWD, link, ts, 0) == 0)
		changed++;
	else
		printf("utimes %s\n", errname(errno));
	if (fchmod(fd, 04777) == 0)
		changed++;
	else
		printf("fchmod %s\n", errname(errno));
	/* A new name for the inode behind the descriptor, then a write
	 * through that name. */
	if (linkat(AT_FDCWD, link, AT_FDCWD, "sec_reopen.linked", AT_SYMLINK_FOLLOW) == 0) {
		int w = open("sec_reopen.linked", O_WRONLY | O_APPEND);

		if (w >= 0 && write(w, PAYLOAD, strlen(PAYLOAD)) > 0)
			changed++;
		if (w >= 0)
			close(w);
		unlink("sec_reopen.linked");
	} else {
		printf("link %s\n", errname(errno));
	}
	printf("changed %d\n", changed);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd, *path, *action;
	int fd;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: sec_reopen fd|opath|fdpass|mapfiles|meta PATH [PRE]\n");
		return 2;
	}
	cmd = argv[1];
	path = argv[2];
	action = argc > 3 ? argv[3] : NULL;
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(cmd, "fd") || !strcmp(cmd, "opath")) {
		fd = open(path, !strcmp(cmd, "fd") ? O_RDONLY : O_PATH);
		if (fd < 0)
			die(path);
		pre(path, action);
		return attack_fd(fd);
	}
	if (!strcmp(cmd, "fdpass"))
		return do_fdpass(path, action);
	if (!strcmp(cmd, "mapfiles"))
		return do_mapfiles(path, action);
	if (!strcmp(cmd, "meta"))
		return do_meta(path, action);
	fprintf(stderr, "sec_reopen: unknown command '%s'\n", cmd);
	return 2;
}
