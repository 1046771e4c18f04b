// SPDX-License-Identifier: GPL-2.0-or-later
/* Finding and probing lxcfs: see include/vsupervisor/lxcfs.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vunify/escape.h"
#include "vsupervisor/lxcfs.h"

/* Is @dir the mount point of a fuse.lxcfs mount?  Fields of a mountinfo
 * line: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE ... */
static int is_lxcfs_mount(const char *dir, struct vu_err *e)
{
	char line[8192];
	int found = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return vu_err_set(e, errno, "/proc/self/mountinfo");
	while (fgets(line, sizeof(line), f)) {
		char mp[4096], *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		vu_unescape_mountinfo(mp);
		/* The last mount on @dir counts (a later one hides it). */
		if (!strcmp(mp, dir))
			found = !strncmp(dash + 3, "fuse.lxcfs ", 11);
	}
	fclose(f);
	return found;
}

int vu_lxcfs_find(char out[PATH_MAX], struct vu_err *e)
{
	const char *dir = getenv("VUNIFY_LXCFS");
	int r;

	if (!dir || !*dir)
		dir = VU_LXCFS_DEFAULT;
	if (strlen(dir) >= PATH_MAX || dir[0] != '/')
		return vu_err_set(e, EINVAL, "lxcfs: '%s' is not an absolute path", dir);
	r = is_lxcfs_mount(dir, e);
	if (r < 0)
		return -1;
	if (!r)
		return vu_err_set(e, ENOENT, "lxcfs: %s is not an lxcfs mount", dir);
	snprintf(out, PATH_MAX, "%s", dir);
	return 0;
}

int vu_lxcfs_alive(const char *dir, int timeout_ms, struct vu_err *e)
{
	char path[PATH_MAX + 32];
	struct pollfd p = { .events = POLLIN };
	int status = 0, r;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/proc/meminfo", dir);
	/* In a child: a FUSE read of a stopped daemon blocks for ever, and
	 * only a fatal signal ends it. */
	pid = fork();
	if (pid < 0)
		return vu_err_set(e, errno, "lxcfs: fork");
	if (pid == 0) {
		char c;
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || read(fd, &c, 1) != 1)
			_exit(errno ? (errno & 0x7f) : EIO);
		_exit(0);
	}
	p.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (p.fd >= 0) {
		r = poll(&p, 1, timeout_ms);
		close(p.fd);
	} else {
		r = -1;         /* cannot wait with a timeout: wait as long as it takes */
	}
	if (r == 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return vu_err_set(e, errno, "lxcfs: waitpid");
	if (r == 0)
		return vu_err_set(e, ETIMEDOUT, "lxcfs: %s does not answer within %d ms", path,
				  timeout_ms);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return vu_err_set(e, WIFEXITED(status) ? WEXITSTATUS(status) : EIO, "lxcfs: %s",
				  path);
	return 0;
}
