// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vs_snoop SECRET SECONDS STOPFILE: run as root in a guest by
 * tests/security/exec.t while the host runs `vserver exec` over and over
 * with SECRET in its environment.  Polls /proc for processes that were not
 * there when it started and, for each, tries to read /proc/PID/environ and
 * to PTRACE_SEIZE it (a seized process is stopped, looked at and let go).
 * Ends after SECONDS or once STOPFILE exists, printing
 *   "joining N leaks L foreign F"
 * N: processes seen while their command line still was vserver's (the
 * joining process before it executes the command: proof that the window
 * was watched); L: processes whose environment showed SECRET; F: processes
 * seized while they still ran a program that is not the guest's (vserver).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PIDS 65536

static unsigned char old[MAX_PIDS];     /* there at the start, or ourselves */
static unsigned char joining[MAX_PIDS], leaked[MAX_PIDS], foreign[MAX_PIDS];

static ssize_t slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

static bool contains(const char *buf, size_t n, const char *s)
{
	return memmem(buf, n, s, strlen(s)) != NULL;
}

static void look(int pid, const char *secret)
{
	char path[64], buf[65536], exe[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	n = slurp(path, buf, sizeof(buf));
	if (n > 0 && contains(buf, (size_t)n, "vserver"))
		joining[pid] = 1;
	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	n = slurp(path, buf, sizeof(buf));
	if (n > 0 && contains(buf, (size_t)n, secret))
		leaked[pid] = 1;
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0)
		return;
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) == 0) {
		int st;

		if (waitpid(pid, &st, __WALL) == pid && WIFSTOPPED(st)) {
			snprintf(path, sizeof(path), "/proc/%d/exe", pid);
			n = readlink(path, exe, sizeof(exe) - 1);
			if (n > 0) {
				exe[n] = 0;
				/* Not a file of the guest's: the joining process. */
				if (access(exe, F_OK) < 0 || strstr(exe, "vserver"))
					foreign[pid] = 1;
			}
			snprintf(path, sizeof(path), "/proc/%d/environ", pid);
			n = slurp(path, buf, sizeof(buf));
			if (n > 0 && contains(buf, (size_t)n, secret))
				leaked[pid] = 1;
		}
	}
	ptrace(PTRACE_DETACH, pid, 0, 0);
}

static int count(const unsigned char *set)
{
	int n = 0;

	for (int i = 0; i < MAX_PIDS; i++)
		n += set[i];
	return n;
}

static void scan(const char *secret, bool first)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	while (d && (de = readdir(d))) {
		int pid = atoi(de->d_name);

		if (pid <= 1 || pid >= MAX_PIDS)
			continue;
		if (first)
			old[pid] = 1;
		else if (!old[pid])
			look(pid, secret);
	}
	if (d)
		closedir(d);
	/* Tracees that exited while seized are ours to reap. */
	while (waitpid(-1, NULL, WNOHANG | __WALL) > 0)
		;
}

int main(int argc, char **argv)
{
	time_t end;

	if (argc != 4) {
		fprintf(stderr, "usage: vs_snoop SECRET SECONDS STOPFILE\n");
		return 2;
	}
	scan(argv[1], true);
	end = time(NULL) + atoi(argv[2]);
	while (time(NULL) < end && access(argv[3], F_OK) < 0)
		scan(argv[1], false);
	printf("joining %d leaks %d foreign %d\n", count(joining), count(leaked), count(foreign));
	return 0;
}
