// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vs_probe: run inside a guest by the vserver tests; tries one thing a
 * guest must (or must not) be able to do.  Prints "ok" and exits 0 if the
 * attempt succeeded, prints the errno name (EPERM, ...) and exits 1 if it
 * failed, so that tests/lib.sh's t_errno can check the exact refusal.
 *
 *   vs_probe mount | umount PATH | insmod | settime | adjtime | sethostname
 *   vs_probe mknod-disk|mknod-char PATH MAJ MIN | open PATH | mkdir PATH
 *   vs_probe kill PID | signal0 PID | ptrace PID
 *   vs_probe chroot-escape MARKER | fchdir-escape MARKER | proc-escape MARKER
 *   vs_probe open-by-handle | unshare-user | setns PATH | bpf | keyctl
 *   vs_probe tiocsti | write PATH TEXT | reboot | perf | userfaultfd
 *   vs_probe memhog MIB | caps
 *   vs_probe sendfrom SRC DST (a UDP datagram from IPv4 SRC, bound with
 *            IP_FREEBIND, to DST port 9) | transparent (IP_TRANSPARENT)
 *
 * The *-escape probes try to leave the guest's root and then look for
 * MARKER, a path that exists only on the host: "ok" means it escaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/reboot.h>

static int fail(void)
{
	int e = errno;

	printf("%s\n", strerrorname_np(e) ? strerrorname_np(e) : "EUNKNOWN");
	return 1;
}

static int ok(void)
{
	printf("ok\n");
	return 0;
}

static int check(long r)
{
	return r < 0 ? fail() : ok();
}

/* After an escape attempt: can we see the host-only MARKER? */
static int marker_visible(const char *marker)
{
	struct stat st;

	if (stat(marker, &st) == 0)
		return ok();
	errno = ENOENT;
	return fail();
}

static int escape_chroot(const char *marker, bool use_fd)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY);

	mkdir("/tmp/vs_probe_jail", 0700);
	if (chroot("/tmp/vs_probe_jail") < 0)
		return fail();
	if (use_fd && fchdir(fd) < 0)
		return fail();
	for (int i = 0; i < 256; i++)
		if (chdir("..") < 0)
			return fail();
	if (chroot(".") < 0)
		return fail();
	return marker_visible(marker);
}

static int escape_proc(const char *marker)
{
	char path[4096];

	snprintf(path, sizeof(path), "/proc/1/root%s", marker);
	if (access(path, F_OK) == 0)
		return ok();
	snprintf(path, sizeof(path), "/proc/1/root/../../..%s", marker);
	if (access(path, F_OK) == 0)
		return ok();
	snprintf(path, sizeof(path), "/proc/self/cwd/../../../..%s", marker);
	return access(path, F_OK) == 0 ? ok() : (errno = ENOENT, fail());
}

/* The "shocker" attack: a file handle for inode 2, the root directory of
 * most ext* file systems, opened relative to any descriptor on the mount. */
static int open_by_handle(void)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[8];
	} h;
	uint32_t ino = 2, gen = 0;
	int mfd = open("/", O_RDONLY | O_DIRECTORY);

	h.fh.handle_bytes = 8;
	h.fh.handle_type = 1;   /* FILEID_INO32_GEN */
	memcpy(h.fh.f_handle, &ino, 4);
	memcpy(h.fh.f_handle + 4, &gen, 4);
	return check(open_by_handle_at(mfd, &h.fh, O_RDONLY));
}

static int memhog(long mib)
{
	for (long i = 0; i < mib; i++) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (p == MAP_FAILED)
			return fail();
		memset(p, 0x5a, 1 << 20);
	}
	return ok();
}

static int caps(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapBnd:", 7) || !strncmp(line, "CapEff:", 7))
			fputs(line, stdout);
	return 0;
}

/* IP_FREEBIND needs no privilege and lets a socket bind to any address;
 * what must still stop a guest is the route lookup, which takes a source
 * only if it is one of the namespace's own addresses. */
static int sendfrom(const char *src, const char *dst)
{
	struct sockaddr_in s = { .sin_family = AF_INET }, d = { .sin_family = AF_INET,
								.sin_port = htons(9) };
	int one = 1, fd;

	if (inet_pton(AF_INET, src, &s.sin_addr) != 1 || inet_pton(AF_INET, dst, &d.sin_addr) != 1) {
		errno = EINVAL;
		return fail();
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&s, sizeof(s)) < 0)
		return fail();
	return check(sendto(fd, "x", 1, 0, (struct sockaddr *)&d, sizeof(d)));
}

static int transparent(void)
{
	int one = 1, fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		return fail();
	return check(setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof(one)));
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	const char *a = argc > 2 ? argv[2] : "";

	if (!strcmp(m, "mount"))
		return check(mount("none", "/tmp", "tmpfs", 0, NULL));
	if (!strcmp(m, "umount"))
		return check(umount2(a, MNT_DETACH));
	if (!strcmp(m, "insmod"))
		return check(syscall(SYS_init_module, "", 0, ""));
	if (!strcmp(m, "finsmod"))
		return check(syscall(SYS_finit_module, 0, "", 0));
	if (!strcmp(m, "settime")) {
		struct timeval tv;

		gettimeofday(&tv, NULL);
		return check(settimeofday(&tv, NULL));
	}
	if (!strcmp(m, "clock_settime")) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		return check(clock_settime(CLOCK_REALTIME, &ts));
	}
	if (!strcmp(m, "adjtime")) {
		struct timex tx = { .modes = ADJ_OFFSET, .offset = 1000 };

		return check(adjtimex(&tx));
	}
	if (!strcmp(m, "sethostname"))
		return check(sethostname("pwned", 5));
	if (!strcmp(m, "mknod-disk") && argc > 4)
		return check(mknod(a, S_IFBLK | 0600, makedev(atoi(argv[3]), atoi(argv[4]))));
	if (!strcmp(m, "mknod-char") && argc > 4)
		return check(mknod(a, S_IFCHR | 0600, makedev(atoi(argv[3]), atoi(argv[4]))));
	if (!strcmp(m, "open"))
		return check(open(a, O_RDONLY));
	if (!strcmp(m, "mkdir"))
		return check(mkdir(a, 0755));
	if (!strcmp(m, "kill"))
		return check(kill(atoi(a), SIGKILL));
	if (!strcmp(m, "signal0"))
		return check(kill(atoi(a), 0));
	if (!strcmp(m, "ptrace"))
		return check(ptrace(PTRACE_ATTACH, atoi(a), NULL, NULL));
	if (!strcmp(m, "chroot-escape"))
		return escape_chroot(a, false);
	if (!strcmp(m, "fchdir-escape"))
		return escape_chroot(a, true);
	if (!strcmp(m, "proc-escape"))
		return escape_proc(a);
	if (!strcmp(m, "open-by-handle"))
		return open_by_handle();
	if (!strcmp(m, "unshare-user"))
		return check(unshare(CLONE_NEWUSER));
	if (!strcmp(m, "unshare-ns"))
		return check(unshare(CLONE_NEWNS));
	if (!strcmp(m, "setns"))
		return check(setns(open(a, O_RDONLY), 0));
	if (!strcmp(m, "bpf"))
		return check(syscall(SYS_bpf, 0, NULL, 0));
	if (!strcmp(m, "keyctl"))
		return check(syscall(SYS_keyctl, 0, 0, 0, 0, 0));
	if (!strcmp(m, "perf"))
		return check(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
	if (!strcmp(m, "userfaultfd"))
		return check(syscall(SYS_userfaultfd, 0));
	if (!strcmp(m, "tiocsti")) {
		char c = 'x';

		return check(ioctl(0, TIOCSTI, &c));
	}
	if (!strcmp(m, "tiocsti-hi")) {
		char c = 'x';

		/* High bits set in the request: the kernel truncates to 32. */
		return check(syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI | (1UL << 32), &c));
	}
	if (!strcmp(m, "write") && argc > 3) {
		int fd = open(a, O_WRONLY);

		if (fd < 0)
			return fail();
		return check(write(fd, argv[3], strlen(argv[3])));
	}
	if (!strcmp(m, "reboot"))
		return check(syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
				     LINUX_REBOOT_CMD_CAD_OFF, NULL));
	if (!strcmp(m, "memhog"))
		return memhog(atol(a));
	if (!strcmp(m, "caps"))
		return caps();
	if (!strcmp(m, "sendfrom") && argc > 3)
		return sendfrom(a, argv[3]);
	if (!strcmp(m, "transparent"))
		return transparent();
	fprintf(stderr, "vs_probe: unknown probe '%s'\n", m);
	return 2;
}
