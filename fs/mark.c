// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The immutable-link mark: is a backing inode a store object?
 *
 * Asked at every lookup of a regular file, so the answer is cached per
 * backing inode.  An entry is trusted only while the inode's ctime is the
 * one it was cached with: setting or removing an xattr changes ctime, and
 * so does reuse of the inode number by a new file, so a stale answer is
 * never used.  Any inode that carries the mark and has another link is
 * shared, even if its value is malformed; such inodes are logged once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <syslog.h>
#include <xxhash.h>

#include "vunify/format.h"
#include "vunifyfs.h"

#define MARK_SLOTS 65536          /* direct-mapped; a power of two */
#define MARK_LOCKS 64

struct mark_slot {
	dev_t dev;
	ino_t ino;
	struct timespec ctime;
	bool valid, marked;
};

static struct mark_slot slots[MARK_SLOTS];
static pthread_mutex_t locks[MARK_LOCKS];
static pthread_once_t locks_once = PTHREAD_ONCE_INIT;

static void init_locks(void)
{
	for (int i = 0; i < MARK_LOCKS; i++)
		pthread_mutex_init(&locks[i], NULL);
}

/* Read the mark from the inode itself. */
static bool read_mark(int fd, const struct stat *st)
{
	char path[64], val[VU_ID_HEXLEN + 1];
	ssize_t len;

	/* getxattr() through our own O_PATH descriptor: the only way to read
	 * an xattr of an inode we hold no name for without opening it. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	len = getxattr(path, VU_MARK_XATTR, val, sizeof(val));
	if (len < 0 && errno == ENODATA)
		return false;
	if (len < 0 && errno == ERANGE)
		len = sizeof(val);      /* too long: malformed, still a mark */
	if (len < 0) {
		vu_log(LOG_WARNING, "inode %lu: cannot read mark (%s); treated as shared",
		       (unsigned long)st->st_ino, strerror(errno));
		return true;
	}
	if (!vu_id_valid(val, len))
		vu_log(LOG_WARNING, "inode %lu: malformed %s; treated as shared",
		       (unsigned long)st->st_ino, VU_MARK_XATTR);
	return true;
}

static size_t slot_of(const struct stat *st)
{
	uint64_t k[2] = { st->st_dev, st->st_ino };

	return XXH3_64bits(k, sizeof(k));
}

bool vu_mark_cached(const struct stat *st, bool *marked)
{
	size_t h = slot_of(st);
	struct mark_slot *s = &slots[h & (MARK_SLOTS - 1)];
	pthread_mutex_t *lock = &locks[h % MARK_LOCKS];
	bool hit;

	/*
	 * Every name of a store object is a hard link beside the store's own
	 * (objects/xx/...), so an inode with one link shares nothing: no
	 * getxattr for the files a guest made itself.  A marked inode the
	 * store lost its name for is private in fact, and served as such.
	 */
	if (!S_ISREG(st->st_mode) || st->st_nlink == 1) {
		*marked = false;
		return true;
	}
	pthread_once(&locks_once, init_locks);
	pthread_mutex_lock(lock);
	hit = s->valid && s->dev == st->st_dev && s->ino == st->st_ino &&
	      vu_time_eq(&s->ctime, &st->st_ctim);
	if (hit)
		*marked = s->marked;
	pthread_mutex_unlock(lock);
	return hit;
}

bool vu_mark_check(int fd, const struct stat *st)
{
	size_t h = slot_of(st);
	struct mark_slot *s = &slots[h & (MARK_SLOTS - 1)];
	pthread_mutex_t *lock = &locks[h % MARK_LOCKS];
	bool marked;

	if (vu_mark_cached(st, &marked))
		return marked;

	marked = read_mark(fd, st);

	pthread_mutex_lock(lock);
	*s = (struct mark_slot){ .dev = st->st_dev, .ino = st->st_ino,
				 .ctime = st->st_ctim, .valid = true, .marked = marked };
	pthread_mutex_unlock(lock);
	return marked;
}

/* Carries the mark (any answer but "no such attribute" counts) and has
 * another link: what the cache above calls marked. */
static bool shared(bool marked, const struct stat *st, int stat_res)
{
	return marked && (stat_res < 0 || st->st_nlink != 1);
}

bool vu_fd_shared(int fd)
{
	struct stat st;
	bool marked = fgetxattr(fd, VU_MARK_XATTR, NULL, 0) >= 0 || errno != ENODATA;

	return shared(marked, &st, marked ? fstat(fd, &st) : 0);
}

bool vu_node_shared(struct vu_node *n)
{
	char path[64];
	struct stat st;
	bool marked;

	/* The magic link names the node's very inode (util.c, vu_reopen). */
	vu_proc_path(n, path, sizeof(path));
	marked = getxattr(path, VU_MARK_XATTR, NULL, 0) >= 0 || errno != ENODATA;
	return shared(marked, &st, marked ? vu_stat(n, &st) : 0);
}
