// SPDX-License-Identifier: GPL-2.0-or-later
/* The guest's vunifyfs mount: see include/vsupervisor/guestfs.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/escape.h"
#include "vsupervisor/guestfs.h"

int vu_guestfs_find(char out[PATH_MAX], struct vu_err *e)
{
	char self[PATH_MAX], *path, *save = NULL;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	_cleanup_free_ char *copy = NULL;

	if (n > 0) {
		self[n] = 0;
		snprintf(out, PATH_MAX, "%s/vunifyfs", dirname(self));
		if (access(out, X_OK) == 0)
			return 0;
	}
	path = getenv("PATH");
	copy = strdup(path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	if (!copy)
		return vu_err_set(e, ENOMEM, "PATH");
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, PATH_MAX, "%s/vunifyfs", dir);
		if (dir[0] == '/' && access(out, X_OK) == 0)
			return 0;
	}
	return vu_err_set(e, ENOENT, "vunifyfs: not found next to this program nor in $PATH");
}

void vu_guestfs_options(const char *name, const struct vu_gconf *c, char *buf, size_t len)
{
	/* fsname: the guest's mount table shows this, not the host's path of
	 * its tree; nodev: device nodes in the tree stay inert. */
	size_t n = (size_t)snprintf(buf, len, "fsname=vunify:%s,nodev", name);

	if (c->disk)
		n += (size_t)snprintf(buf + n, len - n, "%sspace=%llu", n ? "," : "",
				      (unsigned long long)c->disk);
	if (c->inodes && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%sinodes=%llu", n ? "," : "",
				      (unsigned long long)c->inodes);
	if (c->disk_reserved >= 0 && n < len)
		snprintf(buf + n, len - n, "%sreserved=%d", n ? "," : "", c->disk_reserved);
}

bool vu_guestfs_mounted(const char *mnt, char *type, size_t len)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	bool found = false;

	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *tok, *mp = NULL, *sep = strstr(line, " - ");
		int i = 0;

		if (!sep)
			continue;
		*sep = 0;
		for (tok = strtok_r(line, " ", &save); tok && i < 5; tok = strtok_r(NULL, " ", &save))
			if (++i == 5)
				mp = tok;
		if (!mp)
			continue;
		vu_unescape_mountinfo(mp);
		if (strcmp(mp, mnt))
			continue;
		/* The last mount on the point wins: keep reading. */
		found = true;
		if (type) {
			char *fst = strtok_r(sep + 3, " ", &save);

			snprintf(type, len, "%s", fst ? fst : "");
		}
	}
	return found;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

pid_t vu_guestfs_spawn(const char *bin, const char *opts, const char *root, const char *mnt,
		  int logfd, struct vu_err *e)
{
	char *argv[8];
	int argc = 0, status;
	pid_t pid;

	argv[argc++] = (char *)"vunifyfs";
	argv[argc++] = (char *)"-f";
	if (opts && *opts) {
		argv[argc++] = (char *)"-o";
		argv[argc++] = (char *)opts;
	}
	argv[argc++] = (char *)root;
	argv[argc++] = (char *)mnt;
	argv[argc] = NULL;

	pid = fork();
	if (pid < 0)
		return vu_err_set(e, errno, "fork");
	if (pid == 0) {
		sigset_t none;
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (null >= 0)
			dup2(null, 0);
		if (logfd >= 0) {
			dup2(logfd, 1);
			dup2(logfd, 2);
		}
		execv(bin, argv);
		dprintf(2, "vunifyfs: executing %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	for (int i = 0; i < 3000; i++) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			if (WIFEXITED(status))
				return vu_err_set(e, 0, "vunifyfs %s %s exited with status %d", root,
						  mnt, WEXITSTATUS(status));
			return vu_err_set(e, 0, "vunifyfs %s %s was killed by signal %d", root, mnt,
					  WTERMSIG(status));
		}
		if (vu_guestfs_mounted(mnt, NULL, 0))
			return pid;
		nap_ms(i < 100 ? 2 : 10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return vu_err_set(e, ETIMEDOUT, "vunifyfs %s %s: not mounted after 30 s", root, mnt);
}

int vu_guestfs_umount(const char *mnt, struct vu_err *e)
{
	for (int i = 0; i < 50; i++) {
		if (!vu_guestfs_mounted(mnt, NULL, 0))
			return 0;
		if (umount2(mnt, UMOUNT_NOFOLLOW) == 0)
			continue;
		if (errno == EINVAL || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		nap_ms(20);
	}
	if (vu_guestfs_mounted(mnt, NULL, 0) && umount2(mnt, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
		return vu_err_set(e, errno, "umount %s", mnt);
	return 0;
}
