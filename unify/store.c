// SPDX-License-Identifier: GPL-2.0-or-later
/* The object store: see include/vunify/store.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/copy.h"
#include "vunify/format.h"
#include "vunify/meta.h"
#include "vunify/store.h"

#define STORE_LOCK "lock"

static void store_init(struct vu_store *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = s->objfd = s->lockfd = -1;
	for (int i = 0; i < 256; i++)
		s->subfd[i] = -1;
	pthread_mutex_init(&s->mu, NULL);
}

static int link_max_from_env(struct vu_store *s, struct vu_err *e)
{
	const char *v = getenv("VUNIFY_LINK_MAX");
	char *end;

	if (!v || !*v)
		return 0;
	errno = 0;
	s->link_max = strtoull(v, &end, 10);
	if (errno || *end || s->link_max < 2)
		return vu_err_set(e, 0, "VUNIFY_LINK_MAX=%s: not a number of links >= 2", v);
	return 0;
}

int vu_store_open(struct vu_store *s, const char *path, bool create, struct vu_err *e)
{
	struct statx stx;

	store_init(s);
	if (link_max_from_env(s, e) < 0)
		return -1;
	s->path = strdup(path);
	if (!s->path)
		return vu_err_set(e, ENOMEM, "%s", path);
	if (create && mkdir(path, VU_STORE_MODE) < 0 && errno != EEXIST)
		return vu_err_set(e, errno, "%s", path);
	s->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->fd < 0)
		return vu_err_set(e, errno, "%s", path);
	if (vu_meta_statx(s->fd, "", &stx) < 0)
		return vu_err_set(e, errno, "%s", path);
	/* The store must be ours alone: a guest or an unprivileged user that
	 * could reach an object could write to every guest sharing it. */
	if ((stx.stx_mode & 077) || stx.stx_uid != geteuid())
		return vu_err_set(e, 0, "%s: store must be mode 0700 and owned by uid %u "
				  "(is %04o, uid %u)", path, (unsigned)geteuid(),
				  (unsigned)(stx.stx_mode & 07777), (unsigned)stx.stx_uid);
	s->dev = vu_meta_dev(&stx);
	s->mnt_id = stx.stx_mnt_id;
	if (create && mkdirat(s->fd, VU_STORE_OBJECTS, 0700) < 0 && errno != EEXIST)
		return vu_err_set(e, errno, "%s/%s", path, VU_STORE_OBJECTS);
	s->objfd = openat(s->fd, VU_STORE_OBJECTS, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->objfd < 0 && !(errno == ENOENT && !create))  /* none yet: no objects */
		return vu_err_set(e, errno, "%s/%s", path, VU_STORE_OBJECTS);
	return 0;
}

int vu_store_open_absent(struct vu_store *s, const char *path, struct vu_err *e)
{
	_cleanup_free_ char *parent = strdup(path);
	char *slash;
	struct statx stx;

	store_init(s);
	s->path = strdup(path);
	if (!s->path || !parent)
		return vu_err_set(e, ENOMEM, "%s", path);
	while ((slash = strrchr(parent, '/')) && slash != parent && !slash[1])
		*slash = 0;             /* trailing slashes */
	slash = strrchr(parent, '/');
	if (!slash)
		strcpy(parent, ".");
	else if (slash == parent)
		parent[1] = 0;
	else
		*slash = 0;
	if (statx(AT_FDCWD, parent, 0, VU_STATX_MASK, &stx) < 0)
		return vu_err_set(e, errno, "%s", parent);
	s->dev = vu_meta_dev(&stx);
	s->mnt_id = stx.stx_mnt_id;
	return 0;
}

void vu_store_close(struct vu_store *s)
{
	for (int i = 0; i < 256; i++)
		if (s->subfd[i] >= 0)
			close(s->subfd[i]);
	if (s->objfd >= 0)
		close(s->objfd);
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	pthread_mutex_destroy(&s->mu);
	s->fd = s->objfd = s->lockfd = -1;
	s->path = NULL;
}

int vu_store_lock(struct vu_store *s, enum vu_store_lock_mode mode, struct vu_err *e)
{
	bool excl = mode == VU_STORE_EXCLUSIVE;

	s->lockfd = openat(s->fd, STORE_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->lockfd < 0)
		return vu_err_set(e, errno, "%s/%s", s->path, STORE_LOCK);
	if (flock(s->lockfd, (excl ? LOCK_EX : LOCK_SH) | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return vu_err_set(e, 0, "%s: store in use by %s", s->path,
					  excl ? "vhashify or vclone (gc runs alone)" : "vhashify gc");
		return vu_err_set(e, errno, "%s/%s", s->path, STORE_LOCK);
	}
	return 0;
}

int vu_store_subdir(struct vu_store *s, const struct vu_id *id, bool create, struct vu_err *e)
{
	unsigned i = id->b[0];
	char name[3];
	int fd;

	if (s->objfd < 0)           /* a store that does not exist (yet) */
		return vu_err_set(e, ENOENT, "%s/%s", s->path, VU_STORE_OBJECTS);
	fd = __atomic_load_n(&s->subfd[i], __ATOMIC_ACQUIRE);
	if (fd >= 0)
		return fd;
	snprintf(name, sizeof(name), "%02x", i);
	pthread_mutex_lock(&s->mu);
	fd = s->subfd[i];
	if (fd < 0) {
		if (create && mkdirat(s->objfd, name, 0700) < 0 && errno != EEXIST) {
			vu_err_set(e, errno, "%s/%s/%s", s->path, VU_STORE_OBJECTS, name);
		} else {
			fd = openat(s->objfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				vu_err_set(e, errno, "%s/%s/%s", s->path, VU_STORE_OBJECTS, name);
			else
				__atomic_store_n(&s->subfd[i], fd, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&s->mu);
	return fd;
}

void vu_store_name(const struct vu_id *id, unsigned seq, char out[VU_STORE_NAME_MAX])
{
	char hex[VU_ID_HEXLEN + 1];

	vu_id_hex(id, hex);
	if (seq)
		snprintf(out, VU_STORE_NAME_MAX, "%s.%u", hex + 2, seq);
	else
		snprintf(out, VU_STORE_NAME_MAX, "%s", hex + 2);
}

int vu_store_parse_name(const char *xx, const char *name, struct vu_id *id, unsigned *seq)
{
	char hex[VU_ID_HEXLEN];
	size_t n = strlen(name);
	const char *dot = strchr(name, '.');

	if (strlen(xx) != 2 || (dot ? (size_t)(dot - name) : n) != VU_ID_HEXLEN - 2)
		return -1;
	memcpy(hex, xx, 2);
	memcpy(hex + 2, name, VU_ID_HEXLEN - 2);
	if (vu_id_parse(hex, VU_ID_HEXLEN, id) < 0)
		return -1;
	*seq = 0;
	if (dot) {
		char *end;
		unsigned long v;

		if (!dot[1] || dot[1] == '0' || dot[1] < '0' || dot[1] > '9')
			return -1;
		errno = 0;
		v = strtoul(dot + 1, &end, 10);
		if (errno || *end || v > 1000000000)
			return -1;
		*seq = (unsigned)v;
	}
	return 0;
}

int vu_store_stat(struct vu_store *s, const struct vu_id *id, unsigned seq, struct statx *stx)
{
	struct vu_err e;
	char name[VU_STORE_NAME_MAX];
	int dfd = vu_store_subdir(s, id, false, &e);

	if (dfd < 0)
		return -1;
	vu_store_name(id, seq, name);
	return vu_meta_statx(dfd, name, stx);
}

int vu_store_open_object(struct vu_store *s, const struct vu_id *id, unsigned seq, struct vu_err *e)
{
	char name[VU_STORE_NAME_MAX];
	int dfd = vu_store_subdir(s, id, false, e), fd;

	if (dfd < 0)
		return -1;
	vu_store_name(id, seq, name);
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NOATIME | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return vu_err_set(e, errno, "%s/%s/%02x/%s", s->path, VU_STORE_OBJECTS, id->b[0], name);
	return fd;
}

bool vu_store_has_room(const struct vu_store *s, const struct statx *stx)
{
	return !s->link_max || stx->stx_nlink < s->link_max;
}

/* Give the O_TMPFILE inode @fd its name. */
static int name_tmpfile(int fd, int dfd, const char *name)
{
	char proc[64];

	if (linkat(fd, "", dfd, name, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOENT && errno != EPERM)
		return -1;
	/* Without CAP_DAC_READ_SEARCH: through /proc. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, dfd, name, AT_SYMLINK_FOLLOW);
}

int vu_store_create(struct vu_store *s, const struct vu_id *id, int src,
		    const struct statx *sstx, const struct vu_xattrs *x, unsigned *seq,
		    struct statx *ostx, struct vu_err *e, const char *what)
{
	_cleanup_close_ int fd = -1;
	char hex[VU_ID_HEXLEN + 1], name[VU_STORE_NAME_MAX];
	int dfd = vu_store_subdir(s, id, true, e);

	if (dfd < 0)
		return -1;
	vu_id_hex(id, hex);
	fd = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return vu_err_set(e, errno, "%s/%s: new object", s->path, VU_STORE_OBJECTS);
	if (vu_copy_data(fd, src, sstx->stx_size, e, what) < 0)
		return -1;
	/* The source's metadata, and the mark: the one place it is set. */
	if (vu_copy_meta_fd(fd, sstx, x, hex, e, what) < 0)
		return vu_err_prefix(e, "new object");
	for (;; (*seq)++) {
		vu_store_name(id, *seq, name);
		if (name_tmpfile(fd, dfd, name) == 0)
			break;
		if (errno != EEXIST)
			return vu_err_set(e, errno, "%s/%s/%c%c/%s", s->path, VU_STORE_OBJECTS,
					  hex[0], hex[1], name);
	}
	if (vu_meta_statx(fd, "", ostx) < 0)
		return vu_err_set(e, errno, "%s/%s/%c%c/%s", s->path, VU_STORE_OBJECTS,
				  hex[0], hex[1], name);
	/* Reopen read-only and O_NOATIME for the comparisons. */
	return vu_store_open_object(s, id, *seq, e);
}

/* Open instance @seq of @id for locking: its fd, or -1 (errno kept). */
static int open_instance(struct vu_store *s, const struct vu_id *id, unsigned seq,
			 char name[VU_STORE_NAME_MAX], struct vu_err *e)
{
	int dfd = vu_store_subdir(s, id, false, e), fd;

	if (dfd < 0)
		return -1;
	vu_store_name(id, seq, name);
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NOATIME | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return vu_err_set(e, errno, "%s/%s/%02x/%s", s->path, VU_STORE_OBJECTS, id->b[0], name);
	return fd;
}

int vu_store_pin(struct vu_store *s, const struct vu_id *id, unsigned seq,
		 const struct statx *expect, struct vu_err *e)
{
	char name[VU_STORE_NAME_MAX];
	_cleanup_close_ int fd = open_instance(s, id, seq, name, e);
	struct statx stx;

	if (fd < 0) {
		if (errno == ENOENT)
			errno = ESTALE;
		return -1;
	}
	if (flock(fd, LOCK_SH) < 0 || vu_meta_statx(fd, "", &stx) < 0)
		return vu_err_set(e, errno, "%s/%s/%02x/%s", s->path, VU_STORE_OBJECTS, id->b[0], name);
	if (!vu_meta_same_inode(&stx, expect) || stx.stx_nlink == 0) {
		errno = ESTALE;
		return vu_err_set(e, ESTALE, "%s/%s/%02x/%s: removed meanwhile", s->path,
				  VU_STORE_OBJECTS, id->b[0], name);
	}
	return vu_steal_fd(&fd);
}

int vu_store_remove_unused(struct vu_store *s, const struct vu_id *id, unsigned seq,
			   const struct statx *made, struct vu_err *e)
{
	char name[VU_STORE_NAME_MAX];
	_cleanup_close_ int fd = open_instance(s, id, seq, name, e);
	struct statx stx;

	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return 1;       /* another linker is linking to it */
		goto fail;
	}
	if (vu_meta_statx(fd, "", &stx) < 0)
		goto fail;
	if (!vu_meta_same_inode(&stx, made) || stx.stx_nlink != 1)
		return 1;
	if (unlinkat(vu_store_subdir(s, id, false, e), name, 0) < 0)
		goto fail;
	return 0;
fail:
	return vu_err_set(e, errno, "%s/%s/%02x/%s", s->path, VU_STORE_OBJECTS, id->b[0], name);
}

int vu_store_walk(struct vu_store *s, vu_store_walk_fn fn, void *arg, struct vu_err *e)
{
	_cleanup_closedir_ DIR *top = NULL;
	struct dirent *de;
	int fd;

	if (s->objfd < 0)
		return 0;
	fd = fcntl(s->objfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return vu_err_set(e, errno, "%s/%s", s->path, VU_STORE_OBJECTS);
	top = fdopendir(fd);
	if (!top) {
		close(fd);
		return vu_err_set(e, errno, "%s/%s", s->path, VU_STORE_OBJECTS);
	}
	while ((errno = 0, de = readdir(top))) {
		_cleanup_closedir_ DIR *sub = NULL;
		struct dirent *oe;
		int sfd;

		if (de->d_name[0] == '.')
			continue;
		sfd = openat(s->objfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0) {
			int r = fn(arg, NULL, 0, s->objfd, de->d_name);

			if (r)
				return r;
			continue;
		}
		sub = fdopendir(sfd);
		if (!sub) {
			close(sfd);
			return vu_err_set(e, errno, "%s/%s/%s", s->path, VU_STORE_OBJECTS, de->d_name);
		}
		while ((errno = 0, oe = readdir(sub))) {
			struct vu_id id;
			unsigned seq;
			int r;

			if (!strcmp(oe->d_name, ".") || !strcmp(oe->d_name, ".."))
				continue;
			if (vu_store_parse_name(de->d_name, oe->d_name, &id, &seq) < 0)
				r = fn(arg, NULL, 0, sfd, oe->d_name);
			else
				r = fn(arg, &id, seq, sfd, oe->d_name);
			if (r)
				return r;
		}
		if (errno)
			return vu_err_set(e, errno, "%s/%s/%s", s->path, VU_STORE_OBJECTS, de->d_name);
	}
	if (errno)
		return vu_err_set(e, errno, "%s/%s", s->path, VU_STORE_OBJECTS);
	return 0;
}
