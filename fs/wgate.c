// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The write gate: passthrough for private files under a space limit.
 *
 * With kernel passthrough a write never reaches vunifyfs, and nothing can
 * take passthrough away from an open file, so counting writes in the
 * daemon (file.c) used to cost private files passthrough altogether.  The
 * kernel has one hook left that runs before a passthrough write lands and
 * can refuse it: fanotify's pre-content event (Linux 6.14, FAN_PRE_ACCESS,
 * on filesystems that allow it: ext4, xfs, btrfs).  The event is generated
 * on the backing file, carries the range, and our answer may be EDQUOT.  No
 * data passes through us: one small event per write(2) instead of the whole
 * buffer split into FUSE requests.
 *
 * A file only generates the events if it was opened while its inode was
 * watched (the kernel decides at open), so a private node opened for
 * writing is marked before the open reply goes out (vu_wgate_open()), and
 * keeps its mark until its last writable open is released.  For each event we
 * first charge what the file really holds now (vu_usage_track), then keep
 * reserved what earlier writes were allowed and have not shown up yet, and
 * reserve what this write may allocate: the limit stays exact, as on the
 * slow path.  Reads of such a file raise the event too; the event does not
 * say read or write, so the need is first taken as if it were a write,
 * appending if any writer opened the file O_APPEND (the offset in an
 * O_APPEND write's event is the file position, not the end), and only when
 * that does not fit does /proc tell read, in-place write or append apart
 * (caller_need()) and which allowed writes are over (prune_all()).
 *
 * Not seen: stores through a shared writable mapping (page faults raise at
 * most one event per page brought in).  They are charged at the next write,
 * fsync or release of the file, and can go beyond the limit by at most the
 * unallocated part of the mapped range (vunifyfs.8, DISK LIMITS).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include "vunifyfs.h"

/* include/uapi/linux/fanotify.h, Linux 6.14; Debian 12's predates them. */
#ifndef FAN_PRE_ACCESS
#define FAN_PRE_ACCESS 0x00100000
#endif
#ifndef FAN_EVENT_INFO_TYPE_RANGE
#define FAN_EVENT_INFO_TYPE_RANGE 6
#endif
#define GATE_DENY(err) (FAN_DENY | ((unsigned)(err) << 24))   /* FAN_DENY_ERRNO */

struct gate_range {                     /* struct fanotify_event_info_range */
	struct fanotify_event_info_header hdr;
	uint32_t pad;
	uint64_t offset, count;
};

#define GATE_RECENT 8

/* A private node open for writing in passthrough. */
struct gate {
	struct vu_node *n;
	ino_t ino;
	int fd;                 /* names the inode for the mark */
	unsigned int writers;   /* writable passthrough opens */
	unsigned int appenders; /* ... of them with O_APPEND */
	uid_t uid;              /* of the last writable opener (uid 0's reserve) */
	int64_t held;           /* reserved for writes allowed, not yet seen: */
	struct {
		pid_t tid;      /* the last write allowed to this thread */
		int64_t bytes;
	} recent[GATE_RECENT];
	int64_t other;          /* ... and to threads that did not fit there */
	int64_t base;           /* n->charged_bytes when held was last set */
	struct gate *next;
};

#define GATE_BUCKETS 256

static struct {
	pthread_mutex_t lock;   /* the table; held while an event is judged */
	struct gate *table[GATE_BUCKETS];
	int fan, stop_fd;
	int self_fd;            /* /proc/self/task: our threads */
	bool on;
	pthread_t thread;
	_Atomic uint64_t events, denied;
} gt = { .lock = PTHREAD_MUTEX_INITIALIZER, .fan = -1, .stop_fd = -1, .self_fd = -1 };

static struct gate **slot(dev_t dev, ino_t ino)
{
	struct gate **p = &gt.table[ino % GATE_BUCKETS];

	while (*p && ((*p)->ino != ino || (*p)->n->dev != dev))
		p = &(*p)->next;
	return p;
}

bool vu_wgate_on(void)
{
	return gt.on;
}

bool vu_wgate_wants(const struct vu_node *n, int flags)
{
	return gt.on && !n->unified &&
	       ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC));
}

static bool blocked_in(pid_t tid, long *nr, unsigned long long *arg0);
static bool is_write(long nr);

/* Forget what was reserved for threads of @g no longer in a write: their
 * writes are over (and charged by the next settle()). */
static void prune(struct gate *g)
{
	for (int i = 0; i < GATE_RECENT; i++) {
		unsigned long long arg0;
		long nr;

		if (g->recent[i].tid && (!blocked_in(g->recent[i].tid, &nr, &arg0) || !is_write(nr))) {
			g->recent[i].tid = 0;
			g->recent[i].bytes = 0;
		}
	}
}

/* Take up to @bytes off the reservation @have; returns what is left. */
static int64_t take(int64_t *have, int64_t bytes)
{
	int64_t t = *have < bytes ? *have : bytes;

	*have -= t;
	return bytes - t;
}

/*
 * Settle @g: charge what the file holds, keep reserved what allowed writes
 * may still add, then try to reserve @need more for a write by thread
 * @tid (0: none).  A thread makes one call at a time, so its previous
 * write is over once it raises the next event: its reservation goes
 * first, then what the file grew beyond that comes off the others'.  (An
 * overwrite in place is reserved as if it appended, until it raises its
 * next event or its file is closed.)  Both locks held; 0 or -EDQUOT.
 */
static int settle(struct gate *g, pid_t tid, int64_t need)
{
	int64_t grown, held = 0, own = 0;
	int free_slot = -1, err = 0;

	vu_usage_track_locked(g->n);
	grown = g->n->charged_bytes - g->base;
	for (int i = 0; i < GATE_RECENT; i++)
		if (tid && g->recent[i].tid == tid) {
			own = g->recent[i].bytes;
			g->recent[i].tid = 0;
			g->recent[i].bytes = 0;
		}
	grown = grown > own ? grown - own : 0;
	if (need > 0 && tid) {
		bool full = true;

		for (int i = 0; i < GATE_RECENT; i++)
			full = full && g->recent[i].tid;
		if (full)
			prune(g);       /* many writers, most of them done */
	}
	grown = take(&g->other, grown);
	for (int i = 0; i < GATE_RECENT; i++) {
		grown = take(&g->recent[i].bytes, grown);
		if (!g->recent[i].bytes)
			g->recent[i].tid = 0;
		if (!g->recent[i].tid && free_slot < 0)
			free_slot = i;
		held += g->recent[i].bytes;
	}
	held += g->other;
	vu_usage_release(g->held - held, 0);
	g->held = held;
	g->base = g->n->charged_bytes;
	if (need > 0)
		err = vu_usage_reserve(need, 0, g->uid);
	if (need > 0 && !err) {
		g->held += need;
		if (free_slot >= 0 && tid) {
			g->recent[free_slot].tid = tid;
			g->recent[free_slot].bytes = need;
		} else {
			g->other += need;
		}
	}
	return err;
}

int vu_wgate_open(struct vu_node *n, const struct vu_file *f)
{
	bool append = f->flags & O_APPEND;
	struct gate **p, *g;
	int err = 0;

	pthread_mutex_lock(&gt.lock);
	p = slot(n->dev, n->ino);
	if (*p) {
		(*p)->writers++;
		(*p)->appenders += append;
		(*p)->uid = f->uid;
		goto out;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		err = -ENOMEM;
		goto out;
	}
	g->fd = dup(f->fd);
	if (g->fd < 0 || fanotify_mark(gt.fan, FAN_MARK_ADD, FAN_PRE_ACCESS, g->fd, NULL) < 0) {
		err = -errno;
		vu_log(LOG_ERR, "write gate: cannot watch inode %lu: %s", (unsigned long)n->ino,
		       strerror(errno));
		if (g->fd >= 0)
			close(g->fd);
		free(g);
		goto out;
	}
	g->n = n;
	g->ino = n->ino;
	g->writers = 1;
	g->appenders = append;
	g->uid = f->uid;
	pthread_mutex_lock(&n->lock);
	g->base = n->charged_bytes;
	pthread_mutex_unlock(&n->lock);
	*p = g;
out:
	pthread_mutex_unlock(&gt.lock);
	return err;
}

void vu_wgate_close(struct vu_node *n, const struct vu_file *f)
{
	struct gate **p, *g;

	pthread_mutex_lock(&gt.lock);
	p = slot(n->dev, n->ino);
	g = *p;
	if (!g)
		goto out;
	pthread_mutex_lock(&n->lock);
	settle(g, 0, 0);
	g->appenders -= !!(f->flags & O_APPEND) && g->appenders;
	if (--g->writers == 0) {
		vu_usage_release(g->held, 0);
		*p = g->next;
	}
	pthread_mutex_unlock(&n->lock);
	if (!g->writers) {
		/* The mark goes with the last writer; files opened while it
		 * was there raise no event without it. */
		fanotify_mark(gt.fan, FAN_MARK_REMOVE, FAN_PRE_ACCESS, g->fd, NULL);
		close(g->fd);
		free(g);
	}
out:
	pthread_mutex_unlock(&gt.lock);
}

void vu_wgate_settle(struct vu_node *n)
{
	struct gate *g;

	pthread_mutex_lock(&gt.lock);
	g = *slot(n->dev, n->ino);
	if (g) {
		pthread_mutex_lock(&n->lock);
		settle(g, 0, 0);
		pthread_mutex_unlock(&n->lock);
	}
	pthread_mutex_unlock(&gt.lock);
}

void vu_wgate_forget(struct vu_node *n)
{
	struct gate **p, *g;

	if (!gt.on)
		return;
	pthread_mutex_lock(&gt.lock);
	p = slot(n->dev, n->ino);
	g = *p;
	if (g && g->n == n) {
		/* Only a writer whose open never reached the kernel (an
		 * interrupted reply) can be left. */
		vu_usage_release(g->held, 0);
		*p = g->next;
		fanotify_mark(gt.fan, FAN_MARK_REMOVE, FAN_PRE_ACCESS, g->fd, NULL);
		close(g->fd);
		free(g);
	}
	pthread_mutex_unlock(&gt.lock);
}

void vu_wgate_settle_all(void)
{
	pthread_mutex_lock(&gt.lock);
	for (int i = 0; i < GATE_BUCKETS; i++)
		for (struct gate *g = gt.table[i]; g; g = g->next) {
			pthread_mutex_lock(&g->n->lock);
			settle(g, 0, 0);
			pthread_mutex_unlock(&g->n->lock);
		}
	pthread_mutex_unlock(&gt.lock);
}

/* The open flags of descriptor @fd of thread @tid and the inode it is
 * open on (fdinfo: no stat through whatever filesystem it is on), or -1. */
static int fd_flags(pid_t tid, const char *fd, unsigned long *ino)
{
	char path[sizeof("/proc//fdinfo/") + 24 + 256], line[128];
	unsigned int flags;
	unsigned long i;
	int res = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)tid, fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	*ino = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "flags: %o", &flags) == 1)
			res = (int)flags;
		else if (sscanf(line, "ino: %lu", &i) == 1)
			*ino = i;
	fclose(f);
	return res;
}

/* The system call thread @tid is blocked in, and its first argument. */
static bool blocked_in(pid_t tid, long *nr, unsigned long long *arg0)
{
	char path[64], buf[256];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return false;
	buf[len] = '\0';
	return sscanf(buf, "%ld %llx", nr, arg0) == 2;
}

static bool is_write(long nr)
{
	return nr == SYS_write || nr == SYS_writev || nr == SYS_pwrite64 || nr == SYS_pwritev ||
	       nr == SYS_pwritev2;
}

/*
 * What the access that raised the event may allocate, when the guess (a
 * write appending @all bytes) does not fit: nothing for a read, @at for a
 * write in place, @all for an append.  Asked only then, so looking at the
 * caller through /proc is affordable: the call it is blocked in, else
 * (io_uring, a page fault) how it has inode @ino open.
 */
static int64_t caller_need(pid_t tid, ino_t ino, int64_t at, int64_t all)
{
	unsigned long long arg0;
	char path[64], fd[24];
	int64_t need = 0;
	struct dirent *de;
	long nr;
	DIR *d;

	if (blocked_in(tid, &nr, &arg0)) {
		switch (nr) {
		case SYS_read: case SYS_readv: case SYS_pread64: case SYS_preadv: case SYS_preadv2:
			return 0;
		}
		if (is_write(nr)) {
			unsigned long fino;
			int flags;

			snprintf(fd, sizeof(fd), "%llu", arg0);
			flags = fd_flags(tid, fd, &fino);
			return flags >= 0 && !(flags & O_APPEND) ? at : all;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)tid);
	d = opendir(path);
	if (!d)
		return all;
	while ((de = readdir(d)) && need < all) {
		unsigned long fino;
		int flags;

		if (de->d_name[0] == '.')
			continue;
		flags = fd_flags(tid, de->d_name, &fino);
		if (flags < 0 || fino != ino || (flags & O_ACCMODE) == O_RDONLY)
			continue;
		need = (flags & O_APPEND) ? all : at;
	}
	closedir(d);
	return need;
}

/* Forget what was reserved for threads no longer in a write, in every
 * gate: only when a write does not fit.  The table's lock held, no node's. */
static void prune_all(void)
{
	for (int b = 0; b < GATE_BUCKETS; b++)
		for (struct gate *g = gt.table[b]; g; g = g->next) {
			pthread_mutex_lock(&g->n->lock);
			prune(g);
			settle(g, 0, 0);
			pthread_mutex_unlock(&g->n->lock);
		}
}

/* Judge one event: FAN_ALLOW or a denial. */
static unsigned int judge(const struct fanotify_event_metadata *m)
{
	const struct gate_range *r = NULL;
	char self[24];
	struct stat st;
	struct gate *g;
	unsigned int answer = FAN_ALLOW;

	/* Our own I/O (fallocate, copy_file_range) was counted by its
	 * request; never wait on ourselves.  (The event names the thread.) */
	snprintf(self, sizeof(self), "%d", (int)m->pid);
	if (faccessat(gt.self_fd, self, F_OK, 0) == 0 || fstat(m->fd, &st) < 0)
		return FAN_ALLOW;
	for (size_t off = m->metadata_len; off + sizeof(struct fanotify_event_info_header) <=
	     m->event_len;) {
		const struct fanotify_event_info_header *h = (const void *)((const char *)m + off);

		if (h->len == 0)
			break;
		if (h->info_type == FAN_EVENT_INFO_TYPE_RANGE && h->len >= sizeof(*r))
			r = (const void *)h;
		off += h->len;
	}
	pthread_mutex_lock(&gt.lock);
	g = *slot(st.st_dev, st.st_ino);
	if (g) {
		/* As a write: what it may allocate at its offset, or at the
		 * end if it may append. */
		int64_t at = r ? vu_usage_write_need(m->fd, r->offset, r->count) : 0;
		int64_t need = r && g->appenders && (int64_t)r->count > at ? (int64_t)r->count : at;

		int err;

		pthread_mutex_lock(&g->n->lock);
		err = settle(g, m->pid, need);
		pthread_mutex_unlock(&g->n->lock);
		if (err < 0) {
			prune_all();
			need = caller_need(m->pid, st.st_ino, at, r ? (int64_t)r->count : 0);
			pthread_mutex_lock(&g->n->lock);
			err = settle(g, m->pid, need);
			pthread_mutex_unlock(&g->n->lock);
		}
		if (err < 0) {
			answer = GATE_DENY(EDQUOT);
			atomic_fetch_add(&gt.denied, 1);
		}
	}
	pthread_mutex_unlock(&gt.lock);
	atomic_fetch_add(&gt.events, 1);
	return answer;
}

static void *gate_thread(void *arg)
{
	char buf[4096] __attribute__((aligned(8)));

	(void)arg;
	for (;;) {
		struct pollfd pf[2] = { { gt.fan, POLLIN, 0 }, { gt.stop_fd, POLLIN, 0 } };
		struct fanotify_event_metadata *m;
		ssize_t len;

		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[1].revents)
			break;
		len = read(gt.fan, buf, sizeof(buf));
		if (len < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			vu_log(LOG_ERR, "write gate: reading events: %s", strerror(errno));
			break;
		}
		for (m = (void *)buf; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
			struct fanotify_response resp = { .fd = m->fd };

			if (m->fd < 0)
				continue;
			resp.response = judge(m);
			if (write(gt.fan, &resp, sizeof(resp)) < 0)
				vu_log(LOG_ERR, "write gate: answering an event: %s", strerror(errno));
			close(m->fd);
		}
	}
	return NULL;
}

int vu_wgate_start(void)
{
	int fd = -1, err = 0;

	gt.self_fd = open("/proc/self/task", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (gt.self_fd < 0)
		return -errno;
	gt.fan = fanotify_init(FAN_CLASS_PRE_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_TID,
			       O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (gt.fan < 0) {
		err = -errno;
		close(gt.self_fd);
		gt.self_fd = -1;
		return err;
	}
	/* Can this filesystem and kernel raise the event at all? */
	fd = openat(vu_fs.root_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 || fanotify_mark(gt.fan, FAN_MARK_ADD, FAN_PRE_ACCESS, fd, NULL) < 0) {
		err = -errno;
		goto fail;
	}
	close(fd);
	fd = -1;
	gt.stop_fd = eventfd(0, EFD_CLOEXEC);
	if (gt.stop_fd < 0) {
		err = -errno;
		goto fail;
	}
	err = -pthread_create(&gt.thread, NULL, gate_thread, NULL);
	if (err)
		goto fail;
	gt.on = true;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (gt.stop_fd >= 0)
		close(gt.stop_fd);
	close(gt.fan);
	close(gt.self_fd);
	gt.fan = gt.stop_fd = gt.self_fd = -1;
	return err;
}

void vu_wgate_stop(void)
{
	uint64_t one = 1;

	if (!gt.on)
		return;
	/* Whatever is still open is charged as it is now. */
	vu_wgate_settle_all();
	if (write(gt.stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(gt.thread, NULL);
	/* Events still pending are allowed as the group goes (the mount is
	 * gone or going: nothing more is counted). */
	close(gt.fan);
	close(gt.stop_fd);
	gt.fan = gt.stop_fd = -1;
	gt.on = false;
}

void vu_wgate_counts(uint64_t *events, uint64_t *denied)
{
	*events = atomic_load(&gt.events);
	*denied = atomic_load(&gt.denied);
}
