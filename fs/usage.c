// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Disk limits: the guest's private usage, counted exactly, enforced before
 * anything changes, and kept across clean unmounts.
 *
 * What is counted is what a scan of the backing tree finds (usage_scan()):
 * allocated bytes and inodes of everything that is not a store object, each
 * inode once.  Live, every node remembers what it is charged for
 * (charged_bytes, charged_inode); after any operation that may change an
 * inode, vu_usage_track() stats it and charges the difference, so the
 * counters follow whatever the backing filesystem really allocated
 * (indirect blocks, directory growth, xattr blocks included).
 *
 * Limits are enforced with reservations: an operation reserves what it may
 * allocate (a write: the part that lands beyond EOF or in holes; a create:
 * one inode and, for a directory, a block) before it changes anything, and
 * gives the reservation back once tracking has charged the real amount.
 * Concurrent operations cannot overshoot together.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "vunify/format.h"
#include "vunify/meta.h"
#include "vunify/objset.h"
#include "vunifyfs.h"

struct vu_usage vu_usage = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- the record on the guest's top directory (format.h) ---- */

static int record_read(int64_t *bytes, int64_t *inodes, bool *clean)
{
	char path[64], buf[128];
	long long b, i;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", vu_fs.root_fd);
	len = getxattr(path, VU_USAGE_XATTR, buf, sizeof(buf));
	if (len < 0)
		return -errno;
	if (!vu_usage_parse(buf, len, &b, &i, clean))
		return -EINVAL;
	*bytes = b;
	*inodes = i;
	return 0;
}

int vu_usage_record(bool clean)
{
	char path[64], buf[128];
	int len;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", vu_fs.root_fd);
	/* What the tree holds: files without a name die with the mount. */
	len = snprintf(buf, sizeof(buf), "v1 bytes=%lld inodes=%lld state=%s",
		       (long long)(atomic_load(&vu_usage.bytes) -
				   atomic_load(&vu_usage.orphan_bytes)),
		       (long long)(atomic_load(&vu_usage.inodes) -
				   atomic_load(&vu_usage.orphan_inodes)),
		       clean ? "clean" : "dirty");
	if (setxattr(path, VU_USAGE_XATTR, buf, len, 0) < 0)
		return -errno;
	return 0;
}

int vu_usage_forget_record(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", vu_fs.root_fd);
	if (removexattr(path, VU_USAGE_XATTR) < 0 && errno != ENODATA)
		return -errno;
	return 0;
}

/* ---- the scan ---- */

/*
 * A parallel walk: workers take directories from a shared stack and push
 * the subdirectories they find.  Inodes with several names are counted
 * once through a set of (dev, ino); all others need no memory.
 */
struct scan {
	pthread_mutex_t lock;
	pthread_cond_t cond;            /* work queued, or the walk is over */
	pthread_cond_t done;            /* the walk is over (for progress) */
	int *stack;                     /* directory descriptors to read */
	size_t depth, cap;
	int busy;                       /* workers inside a directory */
	int err;
	dev_t dev;
	uint64_t mnt;                   /* the top's mount id, 0 if unknown */
	int64_t bytes, inodes, seen_files;
	/* multiply-linked inodes already counted (one filesystem: the
	 * inode number is enough) */
	struct vu_objset seen;
};

static bool marked_at(int dirfd, const char *name)
{
	char path[PATH_MAX];

	/* Our directory descriptor plus one name from getdents(): no
	 * symlink is followed (lgetxattr), nothing else is resolved. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
	return lgetxattr(path, VU_MARK_XATTR, NULL, 0) >= 0;   /* a size query: never ERANGE */
}

static void push_dir(struct scan *s, int fd)
{
	if (s->depth == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 256;
		int *n = realloc(s->stack, ncap * sizeof(*n));

		if (!n) {
			s->err = -ENOMEM;
			close(fd);
			return;
		}
		s->stack = n;
		s->cap = ncap;
	}
	s->stack[s->depth++] = fd;
	pthread_cond_signal(&s->cond);
}

static void scan_dir(struct scan *s, int fd)
{
	int64_t bytes = 0, inodes = 0, files = 0;
	DIR *d = fdopendir(fd);
	struct dirent *de;

	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		struct stat st;
		long long cost;

		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != s->dev)
			continue;       /* vanished, or another filesystem */
		files++;
		if (S_ISDIR(st.st_mode)) {
			int sub;

			if (s->mnt && vu_meta_mount_id(dirfd(d), name) != s->mnt)
				continue;       /* a mount of this filesystem: not the guest's */
			sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				pthread_mutex_lock(&s->lock);
				push_dir(s, sub);
				pthread_mutex_unlock(&s->lock);
			}
		}
		/* The rule of format.h ("Private usage"). */
		cost = vu_usage_cost(&st, S_ISREG(st.st_mode) && marked_at(dirfd(d), name));
		if (cost < 0)
			continue;       /* a store object: shared, free */
		if (st.st_nlink > 1 && !S_ISDIR(st.st_mode)) {
			bool first;

			pthread_mutex_lock(&s->lock);
			first = !vu_objset_has(&s->seen, st.st_ino);
			/* Out of memory: it may be counted twice. */
			if (first)
				vu_objset_add(&s->seen, st.st_ino);
			pthread_mutex_unlock(&s->lock);
			if (!first)
				continue;
		}
		bytes += cost;
		inodes++;
	}
	closedir(d);
	pthread_mutex_lock(&s->lock);
	s->bytes += bytes;
	s->inodes += inodes;
	s->seen_files += files;
	pthread_mutex_unlock(&s->lock);
}

static void *scan_worker(void *arg)
{
	struct scan *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		int fd;

		while (!s->depth && s->busy)
			pthread_cond_wait(&s->cond, &s->lock);
		if (!s->depth)
			break;          /* nothing queued, nobody who could queue */
		fd = s->stack[--s->depth];
		s->busy++;
		pthread_mutex_unlock(&s->lock);
		scan_dir(s, fd);
		pthread_mutex_lock(&s->lock);
		if (--s->busy == 0 && !s->depth) {
			pthread_cond_broadcast(&s->cond);
			pthread_cond_broadcast(&s->done);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void *scan_progress(void *arg)
{
	struct scan *s = arg;

	for (;;) {
		struct timespec ts;
		bool done;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 2;
		pthread_mutex_lock(&s->lock);
		/* Its own condition: a wakeup meant for a worker must not
		 * be spent here. */
		pthread_cond_timedwait(&s->done, &s->lock, &ts);
		done = !s->depth && !s->busy;
		if (!done)
			vu_log(LOG_INFO, "counting the guest's usage: %" PRId64 " entries so far",
			       s->seen_files);
		pthread_mutex_unlock(&s->lock);
		if (done)
			return NULL;
	}
}

int vu_usage_scan(int root_fd, int64_t *bytes, int64_t *inodes)
{
	struct scan s = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
			  .done = PTHREAD_COND_INITIALIZER };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int nthreads = ncpu < 2 ? 2 : ncpu > 16 ? 16 : (int)ncpu, fd, started = 0;
	pthread_t threads[16], progress;
	struct stat st;
	bool have_progress;

	fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	s.dev = st.st_dev;
	s.mnt = vu_meta_mount_id(fd, "");
	s.bytes = (int64_t)st.st_blocks * 512;  /* the top directory itself */
	s.inodes = 1;
	s.busy = 1;             /* held until the workers run */
	push_dir(&s, fd);
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&threads[i], NULL, scan_worker, &s) == 0)
			started++;
	have_progress = pthread_create(&progress, NULL, scan_progress, &s) == 0;
	pthread_mutex_lock(&s.lock);
	s.busy--;
	pthread_cond_broadcast(&s.cond);
	pthread_mutex_unlock(&s.lock);
	if (!started)
		scan_worker(&s);
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_lock(&s.lock);
	pthread_cond_broadcast(&s.done);
	pthread_mutex_unlock(&s.lock);
	if (have_progress)
		pthread_join(progress, NULL);
	free(s.stack);
	vu_objset_free(&s.seen);
	*bytes = s.bytes;
	*inodes = s.inodes;
	return s.err;
}

/* ---- mount and unmount ---- */

static void settle(struct vu_node *n);

int vu_usage_start(bool rescan)
{
	int64_t bytes, inodes;
	bool clean = false;
	int err;

	if (!vu_usage.enabled) {
		/* Changes made now are not counted: a record kept from an
		 * earlier mount with limits would be wrong afterwards. */
		return vu_fs.readonly ? 0 : vu_usage_forget_record();
	}
	if (rescan || record_read(&bytes, &inodes, &clean) < 0 || !clean) {
		vu_log(LOG_INFO, "counting the guest's usage (%s)",
		       rescan ? "asked to" : "no clean record from the last unmount");
		err = vu_usage_scan(vu_fs.root_fd, &bytes, &inodes);
		if (err)
			return err;
	}
	atomic_store(&vu_usage.bytes, bytes);
	atomic_store(&vu_usage.inodes, inodes);
	/* From now until a clean unmount the record is only a snapshot. */
	return vu_fs.readonly ? 0 : vu_usage_record(false);
}

void vu_usage_stop(void)
{
	if (vu_usage.enabled && !vu_fs.readonly) {
		int err;

		vu_node_each_private(settle);
		err = vu_usage_record(true);

		if (err)
			vu_log(LOG_ERR, "cannot save the usage record: %s", strerror(-err));
	}
}

/* ---- live accounting ---- */

/* The limit that applies to a caller: uid 0 may use the reserved part. */
static int64_t space_for(uid_t uid)
{
	int64_t lim = vu_usage.space;

	if (uid != 0)
		lim -= lim / 100 * vu_usage.reserved_pct + lim % 100 * vu_usage.reserved_pct / 100;
	return lim;
}

int vu_usage_reserve(int64_t bytes, int64_t inodes, uid_t uid)
{
	if (!vu_usage.enabled)
		return 0;
	pthread_mutex_lock(&vu_usage.lock);
	if (vu_usage.space && bytes > 0 &&
	    atomic_load(&vu_usage.bytes) + vu_usage.held_bytes + bytes > space_for(uid)) {
		pthread_mutex_unlock(&vu_usage.lock);
		return -EDQUOT;
	}
	if (vu_usage.inode_limit && inodes > 0 &&
	    atomic_load(&vu_usage.inodes) + vu_usage.held_inodes + inodes > vu_usage.inode_limit) {
		pthread_mutex_unlock(&vu_usage.lock);
		return -EDQUOT;
	}
	vu_usage.held_bytes += bytes;
	vu_usage.held_inodes += inodes;
	pthread_mutex_unlock(&vu_usage.lock);
	return 0;
}

void vu_usage_release(int64_t bytes, int64_t inodes)
{
	if (!vu_usage.enabled)
		return;
	pthread_mutex_lock(&vu_usage.lock);
	vu_usage.held_bytes -= bytes;
	vu_usage.held_inodes -= inodes;
	pthread_mutex_unlock(&vu_usage.lock);
}

void vu_usage_add(int64_t bytes, int64_t inodes)
{
	atomic_fetch_add(&vu_usage.bytes, bytes);
	atomic_fetch_add(&vu_usage.inodes, inodes);
}

/*
 * What an inode costs the guest: nothing if it is a store object.  An inode
 * with no name left (unlinked while open, O_TMPFILE) costs what it holds on
 * disk like any other until its node dies (vu_usage_drop()): a guest could
 * otherwise fill the host's disk through a file nobody can see.  Such
 * "orphan" charges are kept apart, as the usage record is what a scan of
 * the tree finds, and orphans do not outlive the mount.
 */
static void cost_of(const struct vu_node *n, const struct stat *st, int64_t *bytes, bool *inode,
		    bool *orphan)
{
	/* The rule of format.h ("Private usage"): the node knows the mark. */
	long long cost = vu_usage_cost(st, n->unified);
	bool counts = cost >= 0;

	*bytes = counts ? cost : 0;
	*inode = counts;
	*orphan = counts && st->st_nlink == 0;
}

/* Charge @n for (bytes, inode, orphan) instead of what it was charged. */
static void charge(struct vu_node *n, int64_t bytes, bool inode, bool orphan)
{
	vu_usage_add(bytes - n->charged_bytes, (int64_t)inode - (int64_t)n->charged_inode);
	if (n->charged_orphan) {
		atomic_fetch_sub(&vu_usage.orphan_bytes, n->charged_bytes);
		atomic_fetch_sub(&vu_usage.orphan_inodes, (int64_t)n->charged_inode);
	}
	if (orphan) {
		atomic_fetch_add(&vu_usage.orphan_bytes, bytes);
		atomic_fetch_add(&vu_usage.orphan_inodes, (int64_t)inode);
	}
	n->charged_bytes = bytes;
	n->charged_inode = inode;
	n->charged_orphan = orphan;
}

void vu_usage_adopt(struct vu_node *n, int fd, const struct stat *st)
{
	struct stat now;
	bool orphan;

	/*
	 * Already counted (by the scan or by an earlier life of the node), as
	 * it is now: @st may be older than the settle of the inode's previous
	 * node, which charged what writeback allocated since (settle()).
	 */
	if (vu_usage.enabled && fd >= 0 && S_ISREG(st->st_mode) && fstat(fd, &now) == 0)
		st = &now;
	cost_of(n, st, &n->charged_bytes, &n->charged_inode, &orphan);
}

/* Charge what changed since @n was last looked at; n->lock held. */
void vu_usage_track_locked(struct vu_node *n)
{
	struct stat st;
	int64_t bytes;
	bool inode, orphan;

	if (!vu_usage.enabled || vu_stat(n, &st) < 0)
		return;
	cost_of(n, &st, &bytes, &inode, &orphan);
	charge(n, bytes, inode, orphan);
	if (S_ISREG(st.st_mode))
		atomic_store(&n->charged_unsettled, true);
}

bool vu_usage_unsettled(const struct vu_node *n)
{
	return vu_usage.enabled && atomic_load(&n->charged_unsettled);
}

/*
 * Charge @n one last time before it stops being tracked.  A backing
 * filesystem may allocate when it writes dirty pages back, long after the
 * operation we charged: ext4's delayed allocation adds an extent block to a
 * fragmented file then.  A record saved before that is a block short of
 * what a scan finds, so the file's pages are written first (this file only,
 * and no journal commit, unlike fsync).  When the kernel forgot @n, or the
 * session is over; n->lock held, or no request can reach @n.
 */
static void settle(struct vu_node *n)
{
	int fd;

	if (!atomic_load(&n->charged_unsettled) || !n->charged_inode || n->charged_orphan)
		return;
	if (vu_fs.test_settle_delay_ms)
		usleep(vu_fs.test_settle_delay_ms * 1000);
	fd = vu_reopen(n, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return;         /* gone: nothing will be allocated for it */
	if (sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
			    SYNC_FILE_RANGE_WAIT_AFTER) < 0)
		vu_log(LOG_WARNING, "cannot write back inode %ju to count it: %s",
		       (uintmax_t)n->ino, strerror(errno));
	close(fd);
	vu_usage_track_locked(n);
	atomic_store(&n->charged_unsettled, false);
}

void vu_usage_settle(struct vu_node *n)
{
	if (!vu_usage.enabled)
		return;
	pthread_mutex_lock(&n->lock);
	settle(n);
	pthread_mutex_unlock(&n->lock);
}

void vu_usage_drop(struct vu_node *n)
{
	struct stat st;

	if (!vu_usage.enabled || !n->charged_inode)
		return;
	/* Only an inode that left the tree is freed with its node; any
	 * other stays counted as the scan would count it. */
	if (n->charged_orphan || (vu_stat(n, &st) == 0 && st.st_nlink == 0))
		charge(n, 0, false, false);
	else
		settle(n);
}

void vu_usage_track(struct vu_node *n)
{
	if (!vu_usage.enabled || !n)
		return;
	pthread_mutex_lock(&n->lock);
	vu_usage_track_locked(n);
	pthread_mutex_unlock(&n->lock);
}

void vu_usage_created(struct vu_node *n)
{
	if (!vu_usage.enabled)
		return;
	/* A new inode: nothing of it was counted yet. */
	pthread_mutex_lock(&n->lock);
	n->charged_bytes = 0;
	n->charged_inode = false;
	n->charged_orphan = false;
	pthread_mutex_unlock(&n->lock);
	vu_usage_track(n);
}

int64_t vu_usage_write_need(int fd, off_t off, size_t len)
{
	struct stat st;
	off_t end = off + (off_t)len, p;
	int64_t need = 0;

	if (!vu_usage.space || fstat(fd, &st) < 0)
		return 0;
	/* Beyond the end of file everything is new. */
	if (end > st.st_size) {
		need += end - (off > st.st_size ? off : st.st_size);
		end = st.st_size;
	}
	/* A file with no holes allocates nothing below its end. */
	if (off >= end || (int64_t)st.st_blocks * 512 >= st.st_size)
		return need;
	for (p = off; p < end;) {
		off_t hole = lseek(fd, p, SEEK_HOLE), data;

		if (hole < 0 || hole >= end)
			break;
		data = lseek(fd, hole, SEEK_DATA);
		if (data < 0 || data > end)
			data = end;
		need += data - hole;
		p = data;
	}
	return need;
}

int vu_usage_statfs(struct statvfs *sv)
{
	int64_t used = atomic_load(&vu_usage.bytes), ino = atomic_load(&vu_usage.inodes);
	uint64_t frsize = sv->f_frsize ? sv->f_frsize : sv->f_bsize;

	if (!vu_usage.enabled)
		return 0;
	if (vu_usage.space) {
		int64_t avail = space_for(1) - used, free_ = vu_usage.space - used;
		uint64_t host_bavail = sv->f_bavail, host_bfree = sv->f_bfree;

		sv->f_blocks = vu_usage.space / frsize;
		sv->f_bfree = free_ > 0 ? free_ / frsize : 0;
		sv->f_bavail = avail > 0 ? avail / frsize : 0;
		/* Never promise more than the host has. */
		if (sv->f_bfree > host_bfree)
			sv->f_bfree = host_bfree;
		if (sv->f_bavail > host_bavail)
			sv->f_bavail = host_bavail;
	}
	if (vu_usage.inode_limit) {
		int64_t ifree = vu_usage.inode_limit - ino;
		uint64_t host_ffree = sv->f_ffree;

		sv->f_files = vu_usage.inode_limit;
		sv->f_ffree = ifree > 0 ? ifree : 0;
		if (sv->f_ffree > host_ffree)
			sv->f_ffree = host_ffree;
		sv->f_favail = sv->f_ffree;
	}
	return 0;
}
