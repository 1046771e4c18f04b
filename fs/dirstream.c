// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Backing directory streams for READDIR without OPENDIR.
 *
 * Where the kernel allows it (FUSE_NO_OPENDIR_SUPPORT, Linux 5.1+), OPENDIR
 * is answered ENOSYS once and never sent again, nor RELEASEDIR: two round
 * trips less per opendir(3) of the guest, which is most of what a warm
 * `git status` or `find` costs (their listings come from the kernel's
 * cache).  The kernel then treats every directory open as FOPEN_KEEP_CACHE
 * | FOPEN_CACHE_DIR, what vu_opendir() answered anyway.
 *
 * A READDIR so comes with no handle: the stream is opened for the request
 * and positioned at its offset.  Offsets are the backing filesystem's own
 * (d_off), which stay valid across opens on every filesystem that gives
 * file handles (NFS exports rely on it; vunifyfs needs handles anyway).
 * So that a long listing does not open and seek once per buffer, a stream
 * that stopped before the end is parked here, keyed by its directory's
 * (dev, ino) and position, and the request that continues the listing
 * takes it back.  A parked stream holds its directory open, so no other
 * directory can have that (dev, ino) meanwhile: a match is the same one.
 * A listing that starts at offset 0 always opens afresh, to see the
 * directory as it is now.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "vunifyfs.h"

#define PARKED_MAX 32           /* listings in progress at once, beyond that
                                 * the oldest is closed (and reopened if it
                                 * is continued after all) */

static struct {
	pthread_mutex_t mutex;
	struct vu_dir *slot[PARKED_MAX];
	unsigned long stamp[PARKED_MAX];
	unsigned long clock;
} parked = { .mutex = PTHREAD_MUTEX_INITIALIZER };

struct vu_dir *vu_dir_open(struct vu_node *n)
{
	struct vu_dir *d = calloc(1, sizeof(*d));
	int fd = -1, err;

	if (!d)
		return NULL;
	fd = vu_node_fd(n);
	if (fd >= 0)
		fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d->dp = fdopendir(fd)))
		goto out_close;
	d->dev = n->dev;
	d->ino = n->ino;
	return d;

out_close:
	err = errno;
	if (fd >= 0)
		close(fd);
	free(d);
	errno = err;
	return NULL;
}

void vu_dir_close(struct vu_dir *d)
{
	if (!d)
		return;
	closedir(d->dp);
	free(d);
}

void vu_dir_seek(struct vu_dir *d, off_t offset)
{
	if (offset == d->offset)
		return;
	seekdir(d->dp, offset);
	d->entry = NULL;
	d->offset = offset;
}

struct vu_dir *vu_dir_take(struct vu_node *n, off_t offset)
{
	struct vu_dir *d = NULL;

	if (offset != 0) {
		pthread_mutex_lock(&parked.mutex);
		for (int i = 0; i < PARKED_MAX; i++) {
			struct vu_dir *p = parked.slot[i];

			if (p && p->dev == n->dev && p->ino == n->ino && p->offset == offset) {
				d = p;
				parked.slot[i] = NULL;
				break;
			}
		}
		pthread_mutex_unlock(&parked.mutex);
		if (d)
			return d;
	}
	d = vu_dir_open(n);
	if (d)
		vu_dir_seek(d, offset);
	return d;
}

void vu_dir_park(struct vu_dir *d, bool more)
{
	struct vu_dir *evicted;
	int victim = 0;

	if (!more) {
		vu_dir_close(d);
		return;
	}
	pthread_mutex_lock(&parked.mutex);
	for (int i = 0; i < PARKED_MAX; i++) {
		if (!parked.slot[i]) {
			victim = i;
			break;
		}
		if (parked.stamp[i] < parked.stamp[victim])
			victim = i;
	}
	evicted = parked.slot[victim];
	parked.slot[victim] = d;
	parked.stamp[victim] = ++parked.clock;
	pthread_mutex_unlock(&parked.mutex);
	vu_dir_close(evicted);
}

void vu_dir_park_drop_all(void)
{
	pthread_mutex_lock(&parked.mutex);
	for (int i = 0; i < PARKED_MAX; i++) {
		vu_dir_close(parked.slot[i]);
		parked.slot[i] = NULL;
	}
	pthread_mutex_unlock(&parked.mutex);
}
