// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel cache invalidations, sent from a thread of their own, which also
 * refreshes the usage record every few seconds under disk limits.
 *
 * fuse_lowlevel_notify_inval_entry() takes the directory's lock in the
 * kernel; a request being served may hold that lock (link, rename), so
 * calling it from the request would deadlock.  Requests queue the
 * invalidation here and go on.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "vunifyfs.h"

struct inval {
	struct inval *next;
	fuse_ino_t parent;      /* an entry (parent, name), or attributes of ino */
	fuse_ino_t ino;
	char name[];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct inval *head, **tail = &head;
static bool stopping, started;
static pthread_t thread;

/* Under limits, keep the usage record on disk fresh for tools that read it
 * while the guest is mounted (vserver status, vhashify stats). */
#define SNAPSHOT_SECONDS 5

static void snapshot_usage(void)
{
	static int64_t last_bytes = -1, last_inodes = -1;
	int64_t b, i;

	vu_wgate_settle_all();  /* passthrough writes since the last look */
	b = atomic_load(&vu_usage.bytes);
	i = atomic_load(&vu_usage.inodes);
	if (!vu_usage.enabled || vu_fs.readonly || (b == last_bytes && i == last_inodes))
		return;
	if (vu_usage_record(false) == 0) {
		last_bytes = b;
		last_inodes = i;
	}
}

static void *notifier(void *arg)
{
	struct timespec now, next;

	/* A fixed deadline, not a fresh 5 s per wait: a guest that keeps
	 * the queue busy must not hold the snapshot off for ever. */
	clock_gettime(CLOCK_REALTIME, &next);
	next.tv_sec += SNAPSHOT_SECONDS;
	pthread_mutex_lock(&lock);
	for (;;) {
		struct inval *iv;
		int rc = 0;

		while (!head && !stopping && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&cond, &lock, &next);
		clock_gettime(CLOCK_REALTIME, &now);
		if (now.tv_sec > next.tv_sec ||
		    (now.tv_sec == next.tv_sec && now.tv_nsec >= next.tv_nsec)) {
			pthread_mutex_unlock(&lock);
			snapshot_usage();
			pthread_mutex_lock(&lock);
			next = now;
			next.tv_sec += SNAPSHOT_SECONDS;
			continue;
		}
		if (!head)
			break;
		iv = head;
		head = iv->next;
		if (!head)
			tail = &head;
		pthread_mutex_unlock(&lock);
		/* ENOENT: the kernel had dropped it already.  A negative
		 * offset invalidates attributes only, not cached data. */
		int err = iv->ino ? fuse_lowlevel_notify_inval_inode(vu_fs.se, iv->ino, -1, 0) :
			  fuse_lowlevel_notify_inval_entry(vu_fs.se, iv->parent, iv->name,
							   strlen(iv->name));
		if (err && err != -ENOENT)
			vu_log(LOG_WARNING, "invalidating '%s': %s", iv->name, strerror(-err));
		free(iv);
		pthread_mutex_lock(&lock);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

int vu_notify_start(void)
{
	int err = pthread_create(&thread, NULL, notifier, NULL);

	started = !err;
	return -err;
}

void vu_notify_stop(void)
{
	if (!started)
		return;
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(thread, NULL);
}

static void queue(fuse_ino_t parent, fuse_ino_t ino, const char *name)
{
	struct inval *iv = malloc(sizeof(*iv) + strlen(name) + 1);

	if (!iv) {
		vu_log(LOG_ERR, "out of memory queueing the invalidation of '%s'", name);
		return;
	}
	iv->next = NULL;
	iv->parent = parent;
	iv->ino = ino;
	strcpy(iv->name, name);
	pthread_mutex_lock(&lock);
	*tail = iv;
	tail = &iv->next;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

void vu_notify_inval_entry(fuse_ino_t parent, const char *name)
{
	queue(parent, 0, name);
}

void vu_notify_inval_attr(fuse_ino_t ino)
{
	queue(0, ino, "(attributes)");
}
