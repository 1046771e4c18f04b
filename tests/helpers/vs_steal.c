// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vs_steal OUT SECONDS: run in a guest, in the background of a command that
 * `vserver exec` started, by tests/security/exec.t.  Waits until its parent
 * (the command) has exited, then for SECONDS tries what a guest root process
 * could do to the descriptors the command was given: reopen fd 0, 1 and 2 of
 * every process it can see through /proc/PID/fd/N for reading (what it reads
 * is appended to OUT), for writing (appends "PWNED") and with O_TRUNC.  At
 * the end it writes OUT.done: "reopened N" (how many opens succeeded).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void steal_read(const char *path, int out)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	char buf[65536];
	size_t total = 0;
	ssize_t n;

	if (fd < 0)
		return;
	while (total < (16u << 20) && (n = read(fd, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n)
			break;
		total += (size_t)n;
	}
	close(fd);
}

static int try_all(const char *pid, int out)
{
	int opened = 0;

	for (int n = 0; n < 3; n++) {
		char path[320];
		int fd;

		snprintf(path, sizeof(path), "/proc/%s/fd/%d", pid, n);
		if (access(path, F_OK) < 0)
			continue;
		steal_read(path, out);
		fd = open(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0) {
			opened++;
			if (write(fd, "PWNED\n", 6) < 0)
				(void)0;    /* a pipe nobody reads: nothing gained */
			close(fd);
		}
		fd = open(path, O_WRONLY | O_TRUNC | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0) {
			opened++;
			close(fd);
		}
	}
	return opened;
}

int main(int argc, char **argv)
{
	char done[4096];
	int out, opened = 0;
	time_t end;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: vs_steal OUT SECONDS\n");
		return 2;
	}
	/* A pipe nobody reads is no reason to stop trying the others. */
	signal(SIGPIPE, SIG_IGN);
	out = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (out < 0) {
		perror(argv[1]);
		return 1;
	}
	/* Only after the command is gone (we are the guest's init's then):
	 * what it writes while it runs is its output, which the caller asked
	 * for. */
	for (int i = 0; i < 1000 && getppid() != 1; i++)
		usleep(10000);
	end = time(NULL) + atoi(argv[2]);
	while (time(NULL) < end) {
		DIR *d = opendir("/proc");
		struct dirent *de;

		while (d && (de = readdir(d)))
			if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
				opened += try_all(de->d_name, out);
		if (d)
			closedir(d);
		usleep(10000);
	}
	snprintf(done, sizeof(done), "%s.done", argv[1]);
	f = fopen(done, "w");
	if (!f)
		return 1;
	fprintf(f, "reopened %d\n", opened);
	return fclose(f) == 0 ? 0 : 1;
}
