// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Helper programs of vserver build.  A build may run for minutes; ^C or a
 * SIGTERM must end it with nothing left behind, so vserver catches those
 * signals and passes them on to the helper's process group (debootstrap
 * is a shell script: its dpkg and chroot children must end too, not write
 * on into a tree being removed; from a terminal they get ^C themselves),
 * and build.c cleans up once the helper has exited.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build_int.h"

volatile sig_atomic_t vs_build_signal;
static volatile pid_t child;     /* negative: its process group */

static void on_signal(int sig)
{
	int saved = errno;

	vs_build_signal = sig;
	if (child != 0)
		kill(child, sig);
	errno = saved;
}

void vs_build_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static bool try_dir(const char *dir, const char *name, char out[PATH_MAX])
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	return n > 0 && n < PATH_MAX && dir[0] == '/' && access(out, X_OK) == 0;
}

int vs_build_find(const char *name, bool self_dir, char out[PATH_MAX])
{
	char self[PATH_MAX], *path, *copy, *save = NULL;
	ssize_t n;

	if (self_dir) {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0) {
			self[n] = 0;
			if (try_dir(dirname(self), name, out))
				return 0;
		}
	}
	path = getenv("PATH");
	copy = strdup(path ? path : "/usr/bin:/bin");
	for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save))
		if (try_dir(d, name, out)) {
			free(copy);
			return 0;
		}
	free(copy);
	return -1;
}

int vs_build_run(char *const argv[], const char *log, struct vu_err *e)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	/* In the foreground of a terminal, the helper stays in our process
	 * group: ^C reaches all of it, and programs that check whether they
	 * run in the background (wget then writes ./wget-log) see they do
	 * not.  Otherwise a group of its own, which our handler signals. */
	bool own_group = tcgetpgrp(STDERR_FILENO) != getpgrp();
	sigset_t block, old;
	int status, fd = -1;
	pid_t pid;

	if (vs_build_signal)
		return vu_err_set(e, 0, "interrupted");
	if (log) {
		fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return vu_err_set(e, errno, "%s", log);
	}
	fflush(NULL);
	/* The handler must see the child's pid as soon as it exists. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid = fork();
	if (pid == 0) {
		/* exec resets the caught signals to their defaults. */
		if (own_group)
			setpgid(0, 0);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (fd >= 0 && (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0))
			_exit(127);
		execv(argv[0], argv);
		fprintf(stderr, "vserver: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid > 0) {
		if (own_group)
			setpgid(pid, pid);      /* also here: whoever runs first */
		child = own_group ? -pid : pid;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (fd >= 0)
		close(fd);
	if (pid < 0)
		return vu_err_set(e, errno, "fork");
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			child = 0;
			return vu_err_set(e, errno, "waitpid %s", name);
		}
	}
	child = 0;
	if (vs_build_signal) {
		/* Whatever of the helper's outlived it. */
		if (own_group)
			kill(-pid, SIGKILL);
		return vu_err_set(e, 0, "interrupted (%s)", strsignal(vs_build_signal));
	}
	if (WIFSIGNALED(status))
		return vu_err_set(e, 0, "%s killed by signal %d", name, WTERMSIG(status));
	if (WEXITSTATUS(status))
		return vu_err_set(e, 0, "%s failed (exit %d)", name, WEXITSTATUS(status));
	return 0;
}
