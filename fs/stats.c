// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Request counters: how many requests of each kind the kernel sent, and the
 * time the daemon spent on them (from the moment a thread has read a
 * request until it goes back to read the next: the handler, its backing
 * syscalls and the reply).
 *
 * The session channel (kio.c) sees every request on the thread that serves
 * it, so a thread-local "request in hand" is enough: it is accounted when
 * the thread comes back for the next one.  Counters are relaxed atomics: a
 * reader wants totals, not a snapshot consistent across opcodes.
 *
 * The admin reads them with `vunifyfs --stats MOUNT`: the daemon answers
 * on a Unix socket /run/vunifyfs/MAJ:MIN (the mount's device number), in a
 * root-only directory, so that neither a host user nor a guest (which has
 * its own mount namespace and no way to the host's /run) can ask.
 */
#include <errno.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vunifyfs.h"

#define STATS_DIR   "/run/vunifyfs"
#define STATS_NOPS  64              /* opcodes 1..63; the rest share slot 0 */

static struct {
	_Atomic uint64_t n, ns;
} ops[STATS_NOPS];

static uint64_t started_ns;

static __thread struct {
	unsigned op;
	uint64_t t0;
	bool busy;
} cur;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void vu_stats_begin(unsigned opcode)
{
	cur.op = opcode < STATS_NOPS ? opcode : 0;
	cur.t0 = now_ns();
	cur.busy = true;
	atomic_fetch_add_explicit(&ops[cur.op].n, 1, memory_order_relaxed);
}

void vu_stats_end(void)
{
	if (!cur.busy)
		return;
	cur.busy = false;
	atomic_fetch_add_explicit(&ops[cur.op].ns, now_ns() - cur.t0, memory_order_relaxed);
}

static const char *op_name(unsigned op)
{
	static const char *const names[STATS_NOPS] = {
		[0] = "OTHER",
		[FUSE_LOOKUP] = "LOOKUP", [FUSE_FORGET] = "FORGET", [FUSE_GETATTR] = "GETATTR",
		[FUSE_SETATTR] = "SETATTR", [FUSE_READLINK] = "READLINK",
		[FUSE_SYMLINK] = "SYMLINK", [FUSE_MKNOD] = "MKNOD", [FUSE_MKDIR] = "MKDIR",
		[FUSE_UNLINK] = "UNLINK", [FUSE_RMDIR] = "RMDIR", [FUSE_RENAME] = "RENAME",
		[FUSE_LINK] = "LINK", [FUSE_OPEN] = "OPEN", [FUSE_READ] = "READ",
		[FUSE_WRITE] = "WRITE", [FUSE_STATFS] = "STATFS", [FUSE_RELEASE] = "RELEASE",
		[FUSE_FSYNC] = "FSYNC", [FUSE_SETXATTR] = "SETXATTR",
		[FUSE_GETXATTR] = "GETXATTR", [FUSE_LISTXATTR] = "LISTXATTR",
		[FUSE_REMOVEXATTR] = "REMOVEXATTR", [FUSE_FLUSH] = "FLUSH", [FUSE_INIT] = "INIT",
		[FUSE_OPENDIR] = "OPENDIR", [FUSE_READDIR] = "READDIR",
		[FUSE_RELEASEDIR] = "RELEASEDIR", [FUSE_FSYNCDIR] = "FSYNCDIR",
		[FUSE_GETLK] = "GETLK", [FUSE_SETLK] = "SETLK", [FUSE_SETLKW] = "SETLKW",
		[FUSE_ACCESS] = "ACCESS", [FUSE_CREATE] = "CREATE", [FUSE_INTERRUPT] = "INTERRUPT",
		[FUSE_BMAP] = "BMAP", [FUSE_DESTROY] = "DESTROY", [FUSE_IOCTL] = "IOCTL",
		[FUSE_POLL] = "POLL", [FUSE_NOTIFY_REPLY] = "NOTIFY_REPLY",
		[FUSE_BATCH_FORGET] = "BATCH_FORGET", [FUSE_FALLOCATE] = "FALLOCATE",
		[FUSE_READDIRPLUS] = "READDIRPLUS", [FUSE_RENAME2] = "RENAME2",
		[FUSE_LSEEK] = "LSEEK", [FUSE_COPY_FILE_RANGE] = "COPY_FILE_RANGE",
		[FUSE_SYNCFS] = "SYNCFS", [FUSE_TMPFILE] = "TMPFILE",
		[52] = "STATX",     /* FUSE_STATX (7.39), newer than our headers */
	};

	return op < STATS_NOPS && names[op] ? names[op] : NULL;
}

/* The report: documented in vunifyfs(8), STATISTICS; keep it stable. */
static void report(FILE *f)
{
	uint64_t total = 0, total_ns = 0;

	for (unsigned i = 0; i < STATS_NOPS; i++) {
		total += atomic_load_explicit(&ops[i].n, memory_order_relaxed);
		total_ns += atomic_load_explicit(&ops[i].ns, memory_order_relaxed);
	}
	fprintf(f, "uptime_ms %llu\n", (unsigned long long)((now_ns() - started_ns) / 1000000));
	fprintf(f, "requests %llu\n", (unsigned long long)total);
	fprintf(f, "daemon_us %llu\n", (unsigned long long)(total_ns / 1000));
	{
		unsigned long ev, re;
		size_t warm, budget;

		vu_fdc_counts(&warm, &budget, &ev, &re);
		fprintf(f, "node_fds %zu %zu %lu %lu\n", warm, budget, ev, re);
	}
	vu_uring_report(f);
	{
		uint64_t ev, denied;

		vu_wgate_counts(&ev, &denied);
		fprintf(f, "write_gate %s %llu %llu\n", vu_wgate_on() ? "on" : "off",
			(unsigned long long)ev, (unsigned long long)denied);
	}
	for (unsigned i = 0; i < STATS_NOPS; i++) {
		uint64_t n = atomic_load_explicit(&ops[i].n, memory_order_relaxed);
		uint64_t ns = atomic_load_explicit(&ops[i].ns, memory_order_relaxed);
		const char *name = op_name(i);

		if (!n)
			continue;
		if (name)
			fprintf(f, "op %s %llu %llu\n", name, (unsigned long long)n,
				(unsigned long long)(ns / 1000));
		else
			fprintf(f, "op %u %llu %llu\n", i, (unsigned long long)n,
				(unsigned long long)(ns / 1000));
	}
}

static int sock_path(struct sockaddr_un *sa, unsigned maj, unsigned min)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	return snprintf(sa->sun_path, sizeof(sa->sun_path), STATS_DIR "/%u:%u", maj, min);
}

static int listen_fd = -1;
static char listen_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static struct stat listen_st;   /* our socket file, to remove only it */

static void *serve(void *arg)
{
	for (;;) {
		int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		struct ucred cred;
		socklen_t len = sizeof(cred);
		FILE *f;

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		/* The directory is root's alone; the peer check is the second lock. */
		if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
			close(c);
			continue;
		}
		f = fdopen(c, "w");
		if (!f) {
			close(c);
			continue;
		}
		report(f);
		fclose(f);
	}
	return NULL;
}

void vu_stats_init(void)
{
	started_ns = now_ns();
}

int vu_stats_start(const char *dev)
{
	struct sockaddr_un sa;
	unsigned maj, min;
	pthread_t t;
	int err;

	if (sscanf(dev, "%u:%u", &maj, &min) != 2)
		return -EINVAL;
	if (mkdir(STATS_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (sock_path(&sa, maj, min) >= (int)sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return -errno;
	/* A device number is reused after its mount went away: whatever
	 * socket is there is a dead daemon's. */
	unlink(sa.sun_path);
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	/* Bound: from here on a failure removes the socket file. */
	snprintf(listen_path, sizeof(listen_path), "%s", sa.sun_path);
	if (listen(listen_fd, 8) < 0 || stat(sa.sun_path, &listen_st) < 0)
		goto fail;
	err = pthread_create(&t, NULL, serve, NULL);
	if (err) {
		errno = err;
		goto fail;
	}
	pthread_detach(t);
	return 0;
fail:
	err = -errno;
	close(listen_fd);
	listen_fd = -1;
	if (listen_path[0])
		unlink(listen_path);
	listen_path[0] = 0;
	return err;
}

void vu_stats_stop(void)
{
	struct stat st;

	/* We stop after the unmount, when the device number may already be
	 * another mount's, and the socket there its daemon's. */
	if (listen_path[0] && stat(listen_path, &st) == 0 &&
	    st.st_dev == listen_st.st_dev && st.st_ino == listen_st.st_ino)
		unlink(listen_path);
	listen_path[0] = 0;
}

int vu_stats_query(const char *mount, FILE *out)
{
	struct sockaddr_un sa;
	struct stat st;
	char buf[4096];
	ssize_t n;
	int fd, r = -1;

	if (stat(mount, &st) < 0) {
		fprintf(stderr, "vunifyfs: %s: %s\n", mount, strerror(errno));
		return -1;
	}
	sock_path(&sa, major(st.st_dev), minor(st.st_dev));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "vunifyfs: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			fprintf(stderr, "vunifyfs: %s: not served by a vunifyfs (no %s)\n", mount,
				sa.sun_path);
		else
			fprintf(stderr, "vunifyfs: %s: %s: %s\n", mount, sa.sun_path, strerror(errno));
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, out) != (size_t)n)
			break;
	if (n < 0) {
		fprintf(stderr, "vunifyfs: %s: %s\n", sa.sun_path, strerror(errno));
		goto out;
	}
	r = 0;
out:
	close(fd);
	return r;
}
