// SPDX-License-Identifier: GPL-2.0-or-later
/* The directory-time journal: see include/vunify/journal.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/journal.h"

#define JOURNAL_DIR "journal"
#define REC_MAGIC "VUJ1"
#define REC_MAX (64 + 2 * 4096 + 8192)

/* Record: magic[4], active u32, atime s64+u32, mtime s64+u32, guest length
 * u32, dir length u32, then both strings (no NULs). */
struct rec_head {
	char magic[4];
	uint32_t active;
	int64_t a_sec;
	uint32_t a_nsec;
	int64_t m_sec;
	uint32_t m_nsec;
	uint32_t glen, dlen;
} __attribute__((packed));

static atomic_uint slot_counter;

int vu_journal_open(struct vu_journal *j, struct vu_store *s, struct vu_err *e)
{
	j->dirfd = -1;
	j->path = NULL;
	if (asprintf(&j->path, "%s/%s", s->path, JOURNAL_DIR) < 0) {
		j->path = NULL;
		return vu_err_set(e, ENOMEM, "%s", s->path);
	}
	if (mkdirat(s->fd, JOURNAL_DIR, 0700) < 0 && errno != EEXIST)
		return vu_err_set(e, errno, "%s", j->path);
	j->dirfd = openat(s->fd, JOURNAL_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (j->dirfd < 0)
		return vu_err_set(e, errno, "%s", j->path);
	return 0;
}

void vu_journal_close(struct vu_journal *j)
{
	if (j->dirfd >= 0)
		close(j->dirfd);
	free(j->path);
	j->dirfd = -1;
	j->path = NULL;
}

/* A slot is locked (flock exclusive) by its owner for as long as it lives:
 * that is how a replay tells a slot of a running process from one a dead
 * process left behind. */
static int slot_create(struct vu_journal *j, struct vu_journal_slot *slot)
{
	struct stat st;

	slot->fd = openat(j->dirfd, slot->name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  0600);
	if (slot->fd < 0)
		return -1;
	/* Until it is locked, a replay may take it for a dead one and remove
	 * it: only a slot that still has its name after locking is ours. */
	if (flock(slot->fd, LOCK_EX) < 0 || fstat(slot->fd, &st) < 0) {
		int err = errno;

		unlinkat(j->dirfd, slot->name, 0);
		close(slot->fd);
		slot->fd = -1;
		errno = err;
		return -1;
	}
	if (st.st_nlink > 0)
		return 0;
	close(slot->fd);
	slot->fd = -1;
	errno = EEXIST;                 /* taken by a replay: try another name */
	return -1;
}

int vu_journal_slot_new(struct vu_journal *j, struct vu_journal_slot *slot, struct vu_err *e)
{
	/* Slots a dead process left for later (its guest was in use) may
	 * carry our pid: skip taken names. */
	for (int tries = 0;; tries++) {
		snprintf(slot->name, sizeof(slot->name), "s%d.%u", (int)getpid(),
			 atomic_fetch_add(&slot_counter, 1));
		if (slot_create(j, slot) == 0)
			return 0;
		if (errno != EEXIST || tries > 1000)
			return vu_err_set(e, errno, "%s/%s", j->path, slot->name);
	}
}

void vu_journal_slot_drop(struct vu_journal *j, struct vu_journal_slot *slot)
{
	if (slot->fd < 0)
		return;
	/* Name first, lock last: a replay never sees it unlocked. */
	unlinkat(j->dirfd, slot->name, 0);
	close(slot->fd);
	slot->fd = -1;
}

int vu_journal_begin(struct vu_journal_slot *slot, const char *guest, const char *dir,
		     const struct statx_timestamp *atime, const struct statx_timestamp *mtime,
		     struct vu_err *e)
{
	char buf[REC_MAX];
	struct rec_head h = {
		.magic = REC_MAGIC, .active = 1,
		.a_sec = atime->tv_sec, .a_nsec = atime->tv_nsec,
		.m_sec = mtime->tv_sec, .m_nsec = mtime->tv_nsec,
		.glen = strlen(guest), .dlen = strlen(dir),
	};
	size_t n = sizeof(h) + h.glen + h.dlen;

	if (n > sizeof(buf))
		return vu_err_set(e, ENAMETOOLONG, "%s%s", guest, dir);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), guest, h.glen);
	memcpy(buf + sizeof(h) + h.glen, dir, h.dlen);
	/* One write: a killed process leaves all of it or none. */
	if (pwrite(slot->fd, buf, n, 0) != (ssize_t)n)
		return vu_err_set(e, errno ? errno : EIO, "journal %s", slot->name);
	return 0;
}

int vu_journal_end(struct vu_journal_slot *slot, struct vu_err *e)
{
	uint32_t zero = 0;

	if (pwrite(slot->fd, &zero, sizeof(zero), offsetof(struct rec_head, active)) != sizeof(zero))
		return vu_err_set(e, errno ? errno : EIO, "journal %s", slot->name);
	return 0;
}

/* Read one slot file; 1 if it holds an active record, 0 if not, -1 on error. */
static int read_slot(int fd, char *buf, size_t size, struct rec_head *h, char **guest, char **dir)
{
	ssize_t n = pread(fd, buf, size - 2, 0);

	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(*h))
		return 0;
	memcpy(h, buf, sizeof(*h));
	if (memcmp(h->magic, REC_MAGIC, 4) || !h->active)
		return 0;
	if (sizeof(*h) + (size_t)h->glen + h->dlen > (size_t)n || h->a_nsec >= 1000000000 ||
	    h->m_nsec >= 1000000000)
		return 0;               /* torn or foreign: nothing we can use */
	/* Make both strings NUL-terminated in place. */
	memmove(buf, buf + sizeof(*h), h->glen + h->dlen);
	memmove(buf + h->glen + 1, buf + h->glen, h->dlen);
	buf[h->glen] = 0;
	buf[h->glen + 1 + h->dlen] = 0;
	*guest = buf;
	*dir = buf + h->glen + 1;
	return 1;
}

/* Lock slot @fd if no running process owns it: 1 (locked: ours to replay),
 * 0 (owned, or removed by its owner meanwhile), -1 on error. */
static int slot_abandoned(int fd)
{
	struct stat st;

	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? 0 : -1;
	if (fstat(fd, &st) < 0)
		return -1;
	return st.st_nlink > 0;
}

int vu_journal_replay(struct vu_journal *j, vu_journal_fn fn, void *arg, struct vu_err *e)
{
	_cleanup_closedir_ DIR *d = NULL;
	_cleanup_free_ char *buf = malloc(REC_MAX + 2);
	struct dirent *de;
	int fd = fcntl(j->dirfd, F_DUPFD_CLOEXEC, 3);

	if (!buf || fd < 0)
		return vu_err_set(e, errno, "%s", j->path);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return vu_err_set(e, errno, "%s", j->path);
	}
	while ((errno = 0, de = readdir(d))) {
		_cleanup_close_ int sfd = -1;
		struct statx_timestamp at, mt;
		struct rec_head h;
		char *guest, *dir;
		int r;

		if (de->d_name[0] == '.')
			continue;
		sfd = openat(j->dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0 && errno == ENOENT)
			continue;       /* its owner just ended */
		if (sfd < 0)
			return vu_err_set(e, errno, "%s/%s", j->path, de->d_name);
		r = slot_abandoned(sfd);
		if (r <= 0) {
			if (r < 0)
				return vu_err_set(e, errno, "%s/%s", j->path, de->d_name);
			continue;       /* a running process's */
		}
		r = read_slot(sfd, buf, REC_MAX + 2, &h, &guest, &dir);
		if (r < 0)
			return vu_err_set(e, errno, "%s/%s", j->path, de->d_name);
		if (r > 0) {
			at.tv_sec = h.a_sec;
			at.tv_nsec = h.a_nsec;
			mt.tv_sec = h.m_sec;
			mt.tv_nsec = h.m_nsec;
			if (fn(arg, guest, dir, &at, &mt) != 0)
				continue;       /* keep it for the next run */
		}
		if (unlinkat(j->dirfd, de->d_name, 0) < 0 && errno != ENOENT)
			return vu_err_set(e, errno, "%s/%s", j->path, de->d_name);
	}
	if (errno)
		return vu_err_set(e, errno, "%s", j->path);
	return 0;
}
