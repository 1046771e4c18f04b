// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vutest: the system calls the filesystem tests need and the shell lacks.
 * Each subcommand does one thing; on failure it prints the errno name
 * (e.g. "EPERM") on stdout and exits 1, so tests can match exact errors.
 *
 *   vutest open PATH FLAGS [MODE]        FLAGS: rdonly|wronly|rdwr + |trunc|creat|excl|append|tmpfile|noatime
 *   vutest write PATH OFFSET DATA        pwrite DATA at OFFSET (open O_WRONLY)
 *   vutest append PATH DATA              write with O_APPEND
 *   vutest writez PATH OFFSET LEN        pwrite LEN bytes of 'x' at OFFSET, in one call
 *   vutest rename2 OLD NEW noreplace|exchange|none
 *   vutest tmpfile DIR DATA [LINKNAME]   O_TMPFILE, write, optionally link it in
 *   vutest fallocate PATH MODE OFF LEN   MODE: 0|keep|punch|zero
 *   vutest segments PATH                 data segments "start-end ..." (SEEK_DATA/HOLE)
 *   vutest mmapwrite PATH OFF DATA       MAP_SHARED write through a writable mapping
 *   vutest mmapread PATH                 print the content through a MAP_SHARED read mapping
 *   vutest hold PATH                     open O_RDONLY, print content, then on each
 *                                        stdin line pread the same fd again and print
 *   vutest socket PATH                   bind a unix socket there
 *   vutest dirino DIR                    "NAME D_INO" for each entry (getdents)
 *   vutest dirrr BUFSIZE DIR...          list the DIRs at once, round robin, one
 *                                        getdents64 of BUFSIZE bytes each turn:
 *                                        "INDEX NAME" per entry
 *   vutest dirresume DIR K               read K entries, telldir, closedir; open
 *                                        again, seekdir there, read the rest: NAMEs
 *   vutest copyrange SRC DST             copy_file_range all of SRC to DST
 *   vutest ftruncate PATH SIZE           open O_WRONLY, ftruncate
 *   vutest futimens PATH ASEC ANSEC MSEC MNSEC
 *   vutest setxattr PATH NAME VALUE [create|replace]
 *   vutest getxattr PATH NAME
 *   vutest removexattr PATH NAME
 *   vutest mkdir PATH
 *   vutest symlink TARGET PATH
 *   vutest link OLD NEW
 *   vutest mknod PATH chr|blk|fifo MAJOR MINOR
 *   vutest swaprace DIR SECONDS          symlink-swap escape race (see containment.t)
 *   vutest fdcount PID                   number of open descriptors of PID
 *   vutest cachestat PATH                pages of PATH's own mapping in the page cache
 *   vutest precontent PATH               can fanotify watch PATH for pre-content events?
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static const char *errname(int e)
{
	static const struct { int e; const char *n; } names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EIO, "EIO" }, { EBADF, "EBADF" },
		{ EACCES, "EACCES" }, { EEXIST, "EEXIST" }, { EXDEV, "EXDEV" },
		{ ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" }, { EINVAL, "EINVAL" },
		{ ENOSPC, "ENOSPC" }, { EROFS, "EROFS" }, { EMLINK, "EMLINK" },
		{ ENODATA, "ENODATA" }, { EOPNOTSUPP, "EOPNOTSUPP" }, { ELOOP, "ELOOP" },
		{ ENOTEMPTY, "ENOTEMPTY" }, { EDQUOT, "EDQUOT" }, { ENXIO, "ENXIO" },
		{ ETXTBSY, "ETXTBSY" }, { EFBIG, "EFBIG" }, { ERANGE, "ERANGE" },
		{ ENAMETOOLONG, "ENAMETOOLONG" }, { ENOSYS, "ENOSYS" }, { EBUSY, "EBUSY" },
	};
	static char buf[32];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == e)
			return names[i].n;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static int fail(void)
{
	printf("%s\n", errname(errno));
	return 1;
}

static int parse_flags(const char *s)
{
	int f = 0;
	char *dup = strdup(s), *save = NULL;

	for (char *t = strtok_r(dup, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
		if (!strcmp(t, "rdonly")) f |= O_RDONLY;
		else if (!strcmp(t, "wronly")) f |= O_WRONLY;
		else if (!strcmp(t, "rdwr")) f |= O_RDWR;
		else if (!strcmp(t, "trunc")) f |= O_TRUNC;
		else if (!strcmp(t, "creat")) f |= O_CREAT;
		else if (!strcmp(t, "excl")) f |= O_EXCL;
		else if (!strcmp(t, "append")) f |= O_APPEND;
		else if (!strcmp(t, "tmpfile")) f |= O_TMPFILE;
		else if (!strcmp(t, "noatime")) f |= O_NOATIME;
		else if (!strcmp(t, "nofollow")) f |= O_NOFOLLOW;
		else if (!strcmp(t, "directory")) f |= O_DIRECTORY;
		else { fprintf(stderr, "vutest: bad flag %s\n", t); exit(2); }
	}
	free(dup);
	return f;
}

static int print_fd(int fd)
{
	char buf[65536];
	ssize_t n;
	off_t off = 0;

	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		fwrite(buf, 1, n, stdout);
		off += n;
	}
	fflush(stdout);
	return n < 0 ? fail() : 0;
}

static volatile int race_stop;
static const char *race_dir;

/* Keep swapping DIR/sub (a real directory) with DIR/sub.lnk (a symlink to
 * /) so that a path through "sub" sometimes meets the symlink. */
static void *swapper(void *arg)
{
	char a[4096], b[4096];

	snprintf(a, sizeof(a), "%s/sub", race_dir);
	snprintf(b, sizeof(b), "%s/sub.lnk", race_dir);
	while (!race_stop)
		renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
	return NULL;
}

static int swaprace(const char *dir, int seconds)
{
	char path[4096];
	pthread_t t;
	time_t end = time(NULL) + seconds;
	unsigned long tries = 0;

	race_dir = dir;
	pthread_create(&t, NULL, swapper, NULL);
	while (time(NULL) < end) {
		int fd;

		/* Each of these would land outside the tree if vunifyfs followed
		 * the symlink on the host: create, write, remove, rename into. */
		snprintf(path, sizeof(path), "%s/sub/vunify-escape-canary", dir);
		fd = open(path, O_CREAT | O_WRONLY, 0644);
		if (fd >= 0) {
			if (write(fd, "x", 1) < 0) { /* ignored: racing */ }
			close(fd);
		}
		unlink(path);
		snprintf(path, sizeof(path), "%s/sub/vunify-escape-dir", dir);
		mkdir(path, 0755);
		rmdir(path);
		snprintf(path, sizeof(path), "%s/sub/etc/vunify-escape-canary", dir);
		fd = open(path, O_CREAT | O_WRONLY, 0644);
		if (fd >= 0)
			close(fd);
		tries++;
	}
	race_stop = 1;
	pthread_join(t, NULL);
	printf("%lu\n", tries);
	return 0;
}

#if defined(__SANITIZE_ADDRESS__)
/* Sanitized builds (make SANITIZE=address): LeakSanitizer needs /proc to
 * stop the world at exit, and the fs tests run this helper chrooted into a
 * mount where there is none; it then dies with a fatal error whatever
 * ASAN_OPTIONS say.  Without /proc, no leak check (every other check stays). */
int __lsan_is_turned_off(void);

__attribute__((used, visibility("default")))
int __lsan_is_turned_off(void)
{
	return access("/proc/self/maps", F_OK) != 0;
}
#endif

static bool dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

/* Several listings in progress at once, each continued where it stopped:
 * the daemon must keep them apart (fs/dirstream.c). */
static int dirrr(int bufsize, int n, char **dirs)
{
	int fds[64], open_left = n;
	char *buf = malloc(bufsize);

	if (!buf || n > 64)
		return fail();
	for (int i = 0; i < n; i++)
		if ((fds[i] = open(dirs[i], O_RDONLY | O_DIRECTORY)) < 0)
			return fail();
	while (open_left) {
		for (int i = 0; i < n; i++) {
			long len;

			if (fds[i] < 0)
				continue;
			len = syscall(SYS_getdents64, fds[i], buf, bufsize);
			if (len < 0)
				return fail();
			if (len == 0) {
				close(fds[i]);
				fds[i] = -1;
				open_left--;
				continue;
			}
			for (long off = 0; off < len;) {
				struct dirent64 *de = (struct dirent64 *)(buf + off);

				if (!dot(de->d_name))
					printf("%d %s\n", i, de->d_name);
				off += de->d_reclen;
			}
		}
	}
	free(buf);
	return 0;
}

static int dirresume(const char *path, long k)
{
	DIR *d = opendir(path);
	struct dirent *de;
	long pos;

	if (!d)
		return fail();
	for (long i = 0; i < k && (de = readdir(d)); i++)
		if (!dot(de->d_name))
			printf("%s\n", de->d_name);
	pos = telldir(d);
	closedir(d);
	if (!(d = opendir(path)))
		return fail();
	seekdir(d, pos);
	while ((de = readdir(d)))
		if (!dot(de->d_name))
			printf("%s\n", de->d_name);
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	int fd;

	if (!strcmp(cmd, "open") && argc >= 4) {
		int flags = parse_flags(argv[3]);

		fd = open(argv[2], flags, argc > 4 ? strtol(argv[4], NULL, 8) : 0644);
		if (fd < 0)
			return fail();
		close(fd);
		return 0;
	}
	if (!strcmp(cmd, "write") && argc == 5) {
		fd = open(argv[2], O_WRONLY);
		if (fd < 0 || pwrite(fd, argv[4], strlen(argv[4]), atoll(argv[3])) < 0)
			return fail();
		return close(fd) < 0 ? fail() : 0;
	}
	if (!strcmp(cmd, "writez") && argc == 5) {
		size_t len = atoll(argv[4]);
		char *buf = malloc(len);
		ssize_t n = -1;

		if (!buf)
			return fail();
		memset(buf, 'x', len);
		fd = open(argv[2], O_WRONLY);
		if (fd >= 0)
			n = pwrite(fd, buf, len, atoll(argv[3]));
		free(buf);              /* keeps errno (glibc >= 2.33) */
		if (n < 0)
			return fail();
		if ((size_t)n != len) {
			printf("short write of %zd\n", n);
			return 1;
		}
		return close(fd) < 0 ? fail() : 0;
	}
	if (!strcmp(cmd, "append") && argc == 4) {
		fd = open(argv[2], O_WRONLY | O_APPEND);
		if (fd < 0 || write(fd, argv[3], strlen(argv[3])) < 0)
			return fail();
		return close(fd) < 0 ? fail() : 0;
	}
	if (!strcmp(cmd, "rename2") && argc == 5) {
		unsigned int flags = !strcmp(argv[4], "noreplace") ? RENAME_NOREPLACE :
				     !strcmp(argv[4], "exchange") ? RENAME_EXCHANGE : 0;

		return renameat2(AT_FDCWD, argv[2], AT_FDCWD, argv[3], flags) < 0 ? fail() : 0;
	}
	if (!strcmp(cmd, "tmpfile") && argc >= 4) {
		char proc[64];

		fd = open(argv[2], O_TMPFILE | O_RDWR, 0640);
		if (fd < 0 || write(fd, argv[3], strlen(argv[3])) < 0)
			return fail();
		if (argc > 4) {
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
			if (linkat(AT_FDCWD, proc, AT_FDCWD, argv[4], AT_SYMLINK_FOLLOW) < 0)
				return fail();
		}
		return close(fd) < 0 ? fail() : 0;
	}
	if (!strcmp(cmd, "fallocate") && argc == 6) {
		int mode = !strcmp(argv[3], "keep") ? FALLOC_FL_KEEP_SIZE :
			   !strcmp(argv[3], "punch") ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE :
			   !strcmp(argv[3], "zero") ? FALLOC_FL_ZERO_RANGE : 0;

		fd = open(argv[2], O_RDWR);
		if (fd < 0 || fallocate(fd, mode, atoll(argv[4]), atoll(argv[5])) < 0)
			return fail();
		return close(fd) < 0 ? fail() : 0;
	}
	if (!strcmp(cmd, "segments") && argc == 3) {
		off_t off = 0, data, hole;

		fd = open(argv[2], O_RDONLY);
		if (fd < 0)
			return fail();
		while ((data = lseek(fd, off, SEEK_DATA)) >= 0) {
			hole = lseek(fd, data, SEEK_HOLE);
			printf("%lld-%lld ", (long long)data, (long long)hole);
			off = hole;
		}
		printf("\n");
		return 0;
	}
	if (!strcmp(cmd, "precontent") && argc == 3) {
		/* FAN_PRE_ACCESS (Linux 6.14), not in Debian 12's header. */
		int fan = fanotify_init(FAN_CLASS_PRE_CONTENT | FAN_CLOEXEC, O_RDONLY);

		if (fan < 0 || fanotify_mark(fan, FAN_MARK_ADD, 0x00100000, AT_FDCWD, argv[2]) < 0)
			return fail();
		return close(fan) < 0 ? fail() : 0;
	}
	if (!strcmp(cmd, "mmapwrite") && argc == 5) {
		size_t len = strlen(argv[4]);
		off_t off = atoll(argv[3]);
		char *p;

		fd = open(argv[2], O_RDWR);
		if (fd < 0)
			return fail();
		p = mmap(NULL, off + len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return fail();
		memcpy(p + off, argv[4], len);
		if (msync(p, off + len, MS_SYNC) < 0)
			return fail();
		munmap(p, off + len);
		return close(fd) < 0 ? fail() : 0;
	}
	if (!strcmp(cmd, "mmapread") && argc == 3) {
		struct stat st;
		char *p;

		fd = open(argv[2], O_RDONLY);
		if (fd < 0 || fstat(fd, &st) < 0)
			return fail();
		p = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return fail();
		fwrite(p, 1, st.st_size, stdout);
		return 0;
	}
	if (!strcmp(cmd, "hold") && argc == 3) {
		char line[256];

		fd = open(argv[2], O_RDONLY);
		if (fd < 0)
			return fail();
		if (print_fd(fd))
			return 1;
		while (fgets(line, sizeof(line), stdin))
			if (print_fd(fd))
				return 1;
		return 0;
	}
	if (!strcmp(cmd, "socket") && argc == 3) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[2]);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return fail();
		return 0;
	}
	if (!strcmp(cmd, "dirino") && argc == 3) {
		DIR *d = opendir(argv[2]);
		struct dirent *de;

		if (!d)
			return fail();
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				printf("%s %llu\n", de->d_name, (unsigned long long)de->d_ino);
		closedir(d);
		return 0;
	}
	if (!strcmp(cmd, "copyrange") && argc == 4) {
		int out = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		ssize_t n;

		fd = open(argv[2], O_RDONLY);
		if (fd < 0 || out < 0)
			return fail();
		while ((n = copy_file_range(fd, NULL, out, NULL, 1 << 20, 0)) > 0)
			;
		return n < 0 ? fail() : 0;
	}
	if (!strcmp(cmd, "ftruncate") && argc == 4) {
		fd = open(argv[2], O_WRONLY);
		if (fd < 0 || ftruncate(fd, atoll(argv[3])) < 0)
			return fail();
		return 0;
	}
	if (!strcmp(cmd, "futimens") && argc == 7) {
		struct timespec ts[2] = { { atoll(argv[3]), atol(argv[4]) },
					  { atoll(argv[5]), atol(argv[6]) } };

		fd = open(argv[2], O_RDONLY);
		if (fd < 0 || futimens(fd, ts) < 0)
			return fail();
		return 0;
	}
	if (!strcmp(cmd, "setxattr") && argc >= 5) {
		int flags = argc > 5 ? (!strcmp(argv[5], "create") ? XATTR_CREATE : XATTR_REPLACE) : 0;

		return lsetxattr(argv[2], argv[3], argv[4], strlen(argv[4]), flags) < 0 ? fail() : 0;
	}
	if (!strcmp(cmd, "getxattr") && argc == 4) {
		char buf[4096];
		ssize_t n = lgetxattr(argv[2], argv[3], buf, sizeof(buf));

		if (n < 0)
			return fail();
		fwrite(buf, 1, n, stdout);
		printf("\n");
		return 0;
	}
	if (!strcmp(cmd, "removexattr") && argc == 4)
		return lremovexattr(argv[2], argv[3]) < 0 ? fail() : 0;
	if (!strcmp(cmd, "mkdir") && argc == 3)
		return mkdir(argv[2], 0755) < 0 ? fail() : 0;
	if (!strcmp(cmd, "symlink") && argc == 4)
		return symlink(argv[2], argv[3]) < 0 ? fail() : 0;
	if (!strcmp(cmd, "link") && argc == 4)
		return link(argv[2], argv[3]) < 0 ? fail() : 0;
	if (!strcmp(cmd, "mknod") && argc == 6) {
		mode_t type = !strcmp(argv[3], "chr") ? S_IFCHR : !strcmp(argv[3], "blk") ? S_IFBLK : S_IFIFO;

		return mknod(argv[2], type | 0644, makedev(atoi(argv[4]), atoi(argv[5]))) < 0 ? fail() : 0;
	}
	if (!strcmp(cmd, "dirrr") && argc >= 4)
		return dirrr(atoi(argv[2]), argc - 3, argv + 3);
	if (!strcmp(cmd, "dirresume") && argc == 4)
		return dirresume(argv[2], atol(argv[3]));
	if (!strcmp(cmd, "swaprace") && argc == 4)
		return swaprace(argv[2], atoi(argv[3]));
	if (!strcmp(cmd, "fdcount") && argc == 3) {
		char path[64];
		DIR *d;
		int n = 0;

		snprintf(path, sizeof(path), "/proc/%s/fd", argv[2]);
		d = opendir(path);
		if (!d)
			return fail();
		while (readdir(d))
			n++;
		closedir(d);
		printf("%d\n", n - 2);
		return 0;
	}
	if (!strcmp(cmd, "cachestat") && argc == 3) {
		/* cachestat(2), Linux 6.5: the page cache of the file's own
		 * mapping (for a FUSE file: the FUSE inode's, not the backing
		 * file's, even when mapping it would show the backing pages). */
		struct { unsigned long long off, len; } range = { 0, 0 };
		struct { unsigned long long cache, dirty, writeback, evicted, recently_evicted; } cs;

		fd = open(argv[2], O_RDONLY);
		if (fd < 0 || syscall(451, fd, &range, &cs, 0) < 0)
			return fail();
		printf("%llu\n", cs.cache);
		return 0;
	}
	fprintf(stderr, "vutest: bad command (see the comment at the top of vutest.c)\n");
	return 2;
}
