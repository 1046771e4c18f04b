// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * metabench: the low-overhead driver of the bench/ suites that need one
 * process doing many small operations (a shell loop would measure fork and
 * exec, not the filesystem).
 *
 *   metabench create  DIR N [PER_DIR [BYTES]]  make N files of BYTES in a tree
 *   metabench stat    DIR N [PER_DIR]          fstatat() every file
 *   metabench open    DIR N [PER_DIR]          open(O_RDONLY) + close every file
 *   metabench readdir DIR N [PER_DIR]          list every directory of the tree
 *   metabench walk    DIR                      git-status-like walk: readdir of
 *                                              every directory, lstat of every
 *                                              entry, recursively
 *   metabench unlink  DIR N [PER_DIR]          unlink every file, rmdir the tree
 *   metabench -j P stat|open DIR N [PER_DIR]   the same with P processes at
 *                                              once, each on every P-th leaf
 *                                              directory (a guest runs many
 *                                              processes: the rows that show
 *                                              how a transport scales)
 *   metabench firstwrite FILE [BYTES]          open(O_WRONLY) + pwrite BYTES at
 *                                              offset 0 + close: the first
 *                                              write to a file (link break,
 *                                              copy-up)
 *   metabench read    FILE...                  read every file to the end
 *   metabench evict   FILE...                  drop the files' clean cached
 *                                              pages (POSIX_FADV_DONTNEED):
 *                                              a cold cache for these files
 *                                              without dropping everyone's
 *   metabench hold    FILE...                  map every file, touch every
 *                                              page, say "ready", wait for a
 *                                              signal (density suite)
 *
 * Every command but hold and evict prints one line "OPS NANOSECONDS" on success: the
 * number of operations and the wall time they took, measured around the
 * operations alone.  The tree of N files is DIR/aNNN/bNNN/fNNNNNNN with
 * PER_DIR files per leaf directory (default 100), deterministic in N and
 * PER_DIR so that each command finds what create made.  Errors are one line
 * "metabench: PATH: CAUSE" and exit status 1; usage errors exit 2.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROG "metabench"

static void die_errno(const char *path)
{
	fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: " PROG " create|stat|open|readdir|unlink DIR N [PER_DIR [BYTES]]\n"
		"       " PROG " -j P stat|open DIR N [PER_DIR]\n"
		"       " PROG " walk DIR\n"
		"       " PROG " firstwrite FILE [BYTES]\n"
		"       " PROG " read|evict|hold FILE...\n");
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned long parse_num(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end) {
		fprintf(stderr, PROG ": %s '%s': not a number\n", what, s);
		exit(2);
	}
	return v;
}

/* The tree shape: leaves = ceil(n / per_dir) leaf directories, spread over
 * top = ceil(sqrt(leaves)) first-level directories. */
struct tree {
	unsigned long n, per_dir, leaves, top;
};

static void tree_init(struct tree *t, unsigned long n, unsigned long per_dir)
{
	t->n = n;
	t->per_dir = per_dir ? per_dir : 1;
	t->leaves = (n + t->per_dir - 1) / t->per_dir;
	t->top = 1;
	while (t->top * t->top < t->leaves)
		t->top++;
}

static void leaf_path(char *buf, size_t len, const char *dir, const struct tree *t,
		      unsigned long leaf)
{
	snprintf(buf, len, "%s/a%03lu/b%03lu", dir, leaf % t->top, leaf / t->top);
}

/* Open leaf @leaf's directory (O_PATH would not do for readdir). */
static int open_leaf(const char *dir, const struct tree *t, unsigned long leaf, char *path)
{
	int fd;

	leaf_path(path, 4096, dir, t, leaf);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die_errno(path);
	return fd;
}

static void file_name(char *buf, size_t len, unsigned long i)
{
	snprintf(buf, len, "f%07lu", i);
}

static void report(unsigned long ops, uint64_t ns)
{
	printf("%lu %" PRIu64 "\n", ops, ns);
}

static void cmd_create(const char *dir, const struct tree *t, size_t bytes)
{
	char path[4096], name[32], *buf = calloc(1, bytes ? bytes : 1);
	uint64_t t0;

	if (!buf)
		die_errno("malloc");
	memset(buf, 'x', bytes);
	t0 = now_ns();
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		die_errno(dir);
	for (unsigned long leaf = 0, i = 0; leaf < t->leaves; leaf++) {
		int dfd;

		/* Directory creation is part of making a tree; counted in the
		 * time, not in the operations. */
		snprintf(path, sizeof(path), "%s/a%03lu", dir, leaf % t->top);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			die_errno(path);
		leaf_path(path, sizeof(path), dir, t, leaf);
		if (mkdir(path, 0755) < 0)
			die_errno(path);
		dfd = open_leaf(dir, t, leaf, path);
		for (unsigned long k = 0; k < t->per_dir && i < t->n; k++, i++) {
			int fd;

			file_name(name, sizeof(name), i);
			fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
			if (fd < 0)
				die_errno(name);
			if (bytes && write(fd, buf, bytes) != (ssize_t)bytes)
				die_errno(name);
			if (close(fd) < 0)
				die_errno(name);
		}
		close(dfd);
	}
	report(t->n, now_ns() - t0);
	free(buf);
}

enum per_file { DO_STAT, DO_OPEN, DO_UNLINK };

/* The files of leaf directories @first, @first + @step, ... (file i of
 * the tree is in leaf i / per_dir, as create made them). */
static void per_file_leaves(const char *dir, const struct tree *t, enum per_file what,
			    unsigned long first, unsigned long step)
{
	char name[32], path[4096];

	for (unsigned long leaf = first; leaf < t->leaves; leaf += step) {
		int dfd = open_leaf(dir, t, leaf, path);

		for (unsigned long i = leaf * t->per_dir;
		     i < (leaf + 1) * t->per_dir && i < t->n; i++) {
			struct stat st;
			int fd;

			file_name(name, sizeof(name), i);
			switch (what) {
			case DO_STAT:
				if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
					die_errno(name);
				break;
			case DO_OPEN:
				fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
				if (fd < 0 || close(fd) < 0)
					die_errno(name);
				break;
			case DO_UNLINK:
				if (unlinkat(dfd, name, 0) < 0)
					die_errno(name);
				break;
			}
		}
		close(dfd);
		if (what == DO_UNLINK) {
			leaf_path(path, sizeof(path), dir, t, leaf);
			if (rmdir(path) < 0)
				die_errno(path);
		}
	}
}

static void cmd_per_file(const char *dir, const struct tree *t, enum per_file what)
{
	char path[4096];
	uint64_t t0 = now_ns();

	per_file_leaves(dir, t, what, 0, 1);
	if (what == DO_UNLINK) {
		for (unsigned long a = 0; a < t->top && a < t->leaves; a++) {
			snprintf(path, sizeof(path), "%s/a%03lu", dir, a);
			if (rmdir(path) < 0)
				die_errno(path);
		}
	}
	report(t->n, now_ns() - t0);
}

/* @procs processes at once, the leaves dealt out among them; the time is
 * from before the first fork to after the last exit. */
static void cmd_per_file_parallel(const char *dir, const struct tree *t, enum per_file what,
				  unsigned long procs)
{
	uint64_t t0 = now_ns();
	int failed = 0, status;

	for (unsigned long p = 0; p < procs; p++) {
		pid_t pid = fork();

		if (pid < 0)
			die_errno("fork");
		if (pid == 0) {
			per_file_leaves(dir, t, what, p, procs);
			_exit(0);
		}
	}
	while (wait(&status) > 0)
		failed |= !WIFEXITED(status) || WEXITSTATUS(status);
	if (errno != ECHILD)
		die_errno("wait");
	if (failed)
		exit(1);    /* the child said why */
	report(t->n, now_ns() - t0);
}

/* Read every entry of the open directory @fd (consumed); returns the count
 * of entries other than "." and "..". */
static unsigned long list_dir(int fd, const char *path)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	unsigned long n = 0;

	if (!d)
		die_errno(path);
	errno = 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (errno)
		die_errno(path);
	closedir(d);
	return n;
}

static void cmd_readdir(const char *dir, const struct tree *t)
{
	char path[4096];
	unsigned long entries = 0;
	uint64_t t0 = now_ns();

	for (unsigned long leaf = 0; leaf < t->leaves; leaf++)
		entries += list_dir(open_leaf(dir, t, leaf, path), path);
	if (entries != t->n) {
		fprintf(stderr, PROG ": %s: %lu entries, want %lu\n", dir, entries, t->n);
		exit(1);
	}
	report(t->n, now_ns() - t0);
}

/* The walk of `git status` (its untracked-files pass): every directory is
 * read, every entry lstat'ed, subdirectories are entered.  Symlinks are not
 * followed.  Counts lstat calls. */
static unsigned long walk(int dfd, const char *path)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	unsigned long n = 0;

	if (!d)
		die_errno(path);
	errno = 0;
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			die_errno(de->d_name);
		n++;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub < 0)
				die_errno(de->d_name);
			n += walk(sub, de->d_name);
		}
		errno = 0;
	}
	if (errno)
		die_errno(path);
	closedir(d);
	return n;
}

static void cmd_walk(const char *dir)
{
	uint64_t t0 = now_ns();
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	unsigned long n;

	if (fd < 0)
		die_errno(dir);
	n = walk(fd, dir);
	report(n, now_ns() - t0);
}

static void cmd_firstwrite(const char *file, size_t bytes)
{
	char *buf = malloc(bytes ? bytes : 1);
	uint64_t t0;
	int fd;

	if (!buf)
		die_errno("malloc");
	memset(buf, 'w', bytes);
	t0 = now_ns();
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno(file);
	if (pwrite(fd, buf, bytes, 0) != (ssize_t)bytes)
		die_errno(file);
	if (close(fd) < 0)
		die_errno(file);
	report(1, now_ns() - t0);
	free(buf);
}

static void cmd_read(int n, char **files)
{
	static char buf[1 << 20];
	unsigned long long total = 0;
	uint64_t t0 = now_ns();

	for (int i = 0; i < n; i++) {
		int fd = open(files[i], O_RDONLY | O_CLOEXEC);
		ssize_t r;

		if (fd < 0)
			die_errno(files[i]);
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			total += (unsigned long long)r;
		if (r < 0)
			die_errno(files[i]);
		close(fd);
	}
	printf("%llu %" PRIu64 "\n", total, now_ns() - t0);
}

static void cmd_evict(int n, char **files)
{
	for (int i = 0; i < n; i++) {
		int fd = open(files[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		int err;

		if (fd < 0)
			die_errno(files[i]);
		err = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		if (err) {
			errno = err;
			die_errno(files[i]);
		}
		close(fd);
	}
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Map every file as a program maps its libraries (shared text, private
 * mapping), fault every page in, and keep the mappings until told to go. */
static void cmd_hold(int n, char **files)
{
	long page = sysconf(_SC_PAGESIZE);
	volatile unsigned char sink = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (int i = 0; i < n; i++) {
		struct stat st;
		unsigned char *p;
		int fd = open(files[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0 || fstat(fd, &st) < 0)
			die_errno(files[i]);
		if (st.st_size == 0) {
			close(fd);
			continue;
		}
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			die_errno(files[i]);
		close(fd);
		for (off_t off = 0; off < st.st_size; off += page)
			sink ^= p[off];
	}
	(void)sink;
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		sigsuspend(&old);
}

int main(int argc, char **argv)
{
	const char *cmd;
	unsigned long procs = 0;
	struct tree t;

	if (argc > 2 && !strcmp(argv[1], "-j")) {
		procs = parse_num(argv[2], "P");
		if (procs < 1 || procs > 64)
			usage();
		argc -= 2;
		argv += 2;
	}
	if (argc < 3)
		usage();
	cmd = argv[1];
	if (procs && strcmp(cmd, "stat") && strcmp(cmd, "open"))
		usage();
	if (!strcmp(cmd, "walk")) {
		cmd_walk(argv[2]);
		return 0;
	}
	if (!strcmp(cmd, "firstwrite")) {
		cmd_firstwrite(argv[2], argc > 3 ? parse_num(argv[3], "BYTES") : 4096);
		return 0;
	}
	if (!strcmp(cmd, "read")) {
		cmd_read(argc - 2, argv + 2);
		return 0;
	}
	if (!strcmp(cmd, "evict")) {
		cmd_evict(argc - 2, argv + 2);
		return 0;
	}
	if (!strcmp(cmd, "hold")) {
		cmd_hold(argc - 2, argv + 2);
		return 0;
	}
	if (argc < 4 || argc > 6)
		usage();
	tree_init(&t, parse_num(argv[3], "N"), argc > 4 ? parse_num(argv[4], "PER_DIR") : 100);
	if (t.top > 1000) {
		fprintf(stderr, PROG ": %s files in directories of %s: too many directories\n",
			argv[3], argc > 4 ? argv[4] : "100");
		return 2;
	}
	if (!strcmp(cmd, "create"))
		cmd_create(argv[2], &t, argc > 5 ? parse_num(argv[5], "BYTES") : 64);
	else if (procs)     /* stat or open: checked above */
		cmd_per_file_parallel(argv[2], &t, !strcmp(cmd, "stat") ? DO_STAT : DO_OPEN, procs);
	else if (!strcmp(cmd, "stat"))
		cmd_per_file(argv[2], &t, DO_STAT);
	else if (!strcmp(cmd, "open"))
		cmd_per_file(argv[2], &t, DO_OPEN);
	else if (!strcmp(cmd, "unlink"))
		cmd_per_file(argv[2], &t, DO_UNLINK);
	else if (!strcmp(cmd, "readdir"))
		cmd_readdir(argv[2], &t);
	else
		usage();
	return 0;
}
