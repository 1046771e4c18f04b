// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * uh_rchar OUTFILE CMD [ARGS...]: run CMD, then write the bytes it read
 * through read(2)-like calls ("rchar" of /proc/PID/io, all its threads) to
 * OUTFILE.  The count is taken from the zombie, before it is reaped, so it
 * covers the whole run.  Exits with CMD's status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char path[64], line[256];
	unsigned long long rchar = 0;
	siginfo_t si;
	FILE *f, *out;
	pid_t pid;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: uh_rchar OUTFILE CMD [ARGS...]\n");
		return 2;
	}
	pid = fork();
	if (pid < 0)
		return perror("fork"), 2;
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) < 0)
		return perror("waitid"), 2;
	snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return perror(path), 2;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "rchar: %llu", &rchar) == 1)
			break;
	fclose(f);
	if (waitpid(pid, &status, 0) < 0)
		return perror("waitpid"), 2;
	out = fopen(argv[1], "w");
	if (!out)
		return perror(argv[1]), 2;
	fprintf(out, "%llu\n", rchar);
	fclose(out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
