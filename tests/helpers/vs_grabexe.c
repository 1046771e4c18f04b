// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vs_grabexe SECONDS MAX: run as root in a guest by tests/security/exec.t
 * while the host runs `vserver exec` of a script that starts
 * "#!/proc/self/exe", which makes the kernel run the joining process's own
 * image again, in the guest.  Polls /proc for processes whose executable
 * (/proc/PID/exe) is vserver's or a memfd, opens it O_PATH as CVE-2019-5736
 * did, waits for the process to go and reopens it for writing (writes
 * nothing).  Prints one line per process caught, at most MAX:
 *   "caught DEV:INO write OK|ERRNO seals HEX|ERRNO"
 * (DEV as in stat -c %d, INO as in stat -c %i; seals of a memfd, where
 * F_SEAL_WRITE is 0x8), then "done".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One process: 1 if caught. */
static int grab(int pid)
{
	char path[64], link[4096], self[64];
	struct stat st;
	ssize_t n;
	int fd, w;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = 0;
	if (!strstr(link, "vserver") && !strstr(link, "memfd"))
		return 0;
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	/* A running executable cannot be opened for writing (ETXTBSY). */
	for (int i = 0; i < 400 && kill(pid, 0) == 0; i++)
		usleep(5000);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	w = open(self, O_WRONLY | O_CLOEXEC);
	printf("caught %lu:%lu write %s", (unsigned long)st.st_dev, (unsigned long)st.st_ino,
	       w >= 0 ? "OK" : strerrorname_np(errno));
	if (w >= 0) {
		int seals = fcntl(w, F_GET_SEALS);

		if (seals < 0)
			printf(" seals %s", strerrorname_np(errno));
		else
			printf(" seals 0x%x", (unsigned)seals);
	}
	printf("\n");
	fflush(stdout);
	if (w >= 0)
		close(w);
	close(fd);
	return 1;
}

int main(int argc, char **argv)
{
	time_t end;
	int max, caught = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: vs_grabexe SECONDS MAX\n");
		return 2;
	}
	end = time(NULL) + atoi(argv[1]);
	max = atoi(argv[2]);
	while (time(NULL) < end && caught < max) {
		DIR *d = opendir("/proc");
		struct dirent *de;

		while (d && caught < max && (de = readdir(d))) {
			int pid = atoi(de->d_name);

			if (pid > 1 && pid != getpid())
				caught += grab(pid);
		}
		if (d)
			closedir(d);
	}
	printf("done\n");
	return 0;
}
