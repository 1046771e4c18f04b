// SPDX-License-Identifier: GPL-2.0-or-later
/* Sessions: see include/vunify/session.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/format.h"
#include "vunify/meta.h"
#include "vunify/resolve.h"
#include "vunify/session.h"

/* Remove the stray temporaries (never directories) from directory @fd. */
static int remove_temporaries(int fd)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	if (dfd < 0)
		return -1;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -1;
	}
	while ((errno = 0, de = readdir(d)))
		if (vu_name_reserved(de->d_name) && de->d_type != DT_DIR &&
		    unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT)
			return -1;
	return errno ? -1 : 0;
}

/* Journal replay: finish a change an interrupted run left half done. */
static int restore_dir(void *arg, const char *guest, const char *dir,
		       const struct statx_timestamp *atime, const struct statx_timestamp *mtime)
{
	struct vu_session *s = arg;
	_cleanup_close_ int gfd = open(guest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int dfd = -1;
	struct timespec ts[2] = { vu_meta_ts(atime), vu_meta_ts(mtime) };
	struct vu_treelock above = { 0 };
	struct vu_err e;
	int rc;

	if (gfd < 0)
		return 0;               /* the guest is gone: nothing to restore */
	/* Its lock, and those above it: it may lie inside a mounted guest. */
	if (flock(gfd, LOCK_EX | LOCK_NB) < 0 || vu_treelock_above(&above, gfd, guest, &e) < 0) {
		vu_report_log(s->rep, VU_LOG_WARN, "%s: in use (mounted by vunifyfs?); the times of "
			      "%s after an interrupted run are restored by a later run", guest, dir);
		rc = 1;
		goto out;
	}
	rc = 0;
	dfd = vu_resolve_dir(gfd, dir, 0);
	if (dfd < 0)
		goto out;
	if (remove_temporaries(dfd) < 0 || futimens(dfd, ts) < 0) {
		vu_report_log(s->rep, VU_LOG_WARN, "%s%s: cannot restore after an interrupted run: %s",
			      guest, strcmp(dir, "/") ? dir : "", strerror(errno));
		rc = 1;
		goto out;
	}
	vu_report_log(s->rep, VU_LOG_INFO, "%s%s: restored after an interrupted run", guest,
		      strcmp(dir, "/") ? dir : "");
out:
	vu_treelock_release(&above);
	return rc;
}

int vu_session_object_found(struct vu_session *s, const struct vu_id *id, unsigned seq,
			    const struct statx *stx, unsigned kflags, struct vu_err *e)
{
	struct vu_session_obj *o;

	if (vu_objset_add(&s->objects, stx->stx_ino) < 0)
		return vu_err_set(e, ENOMEM, "object set");
	if (s->mode != VU_SESSION_WRITE)
		return 0;
	if (!s->defer_objects)
		return vu_index_object_put(&s->index, id, seq, stx, kflags, e);
	if (s->npending == s->cappending) {
		size_t cap = s->cappending ? s->cappending * 2 : 16;
		void *q = realloc(s->pending, cap * sizeof(*s->pending));

		if (!q)
			return vu_err_set(e, ENOMEM, "object list");
		s->pending = q;
		s->cappending = cap;
	}
	o = &s->pending[s->npending++];
	o->id = *id;
	o->seq = seq;
	o->kflags = kflags;
	o->stx = *stx;
	return 0;
}

int vu_session_classify_linked(struct vu_session *s, int dirfd, const char *name,
			       const struct statx *stx, struct vu_err *e)
{
	_cleanup_close_ int fd = -1;
	char mark[VU_ID_HEXLEN + 1];
	struct vu_id id;
	ssize_t n;

	if (vu_objset_has(&s->objects, stx->stx_ino))
		return VU_LINKED_OBJECT;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_NOATIME |
		    O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? VU_LINKED_GONE : vu_err_set(e, errno, "open");
	n = fgetxattr(fd, VU_MARK_XATTR, mark, sizeof(mark));
	if (n < 0 && errno != ENODATA && errno != ENOTSUP && errno != ERANGE)
		return vu_err_set(e, errno, "%s", VU_MARK_XATTR);
	if (n < 0 && errno != ERANGE)
		return VU_LINKED_BY_GUEST;
	if (n < 0 || vu_id_parse(mark, n, &id) < 0)
		return VU_LINKED_FOREIGN;
	for (unsigned seq = 0; seq < 1024; seq++) {
		struct statx ostx;

		if (vu_store_stat(&s->store, &id, seq, &ostx) < 0)
			break;
		if (!vu_meta_same_inode(&ostx, stx))
			continue;
		if (vu_session_object_found(s, &id, seq, &ostx, VU_KFLAGS_UNKNOWN, e) < 0)
			return -1;
		return VU_LINKED_OBJECT;
	}
	return VU_LINKED_FOREIGN;
}

int vu_session_flush_objects(struct vu_session *s, struct vu_err *e)
{
	for (size_t i = 0; i < s->npending; i++) {
		struct vu_session_obj *o = &s->pending[i];

		if (vu_index_object_put(&s->index, &o->id, o->seq, &o->stx, o->kflags, e) < 0)
			return -1;
	}
	s->npending = 0;
	return 0;
}

/* A new index next to existing objects (lost or removed index): learn the
 * objects back from the store. */
static int rebuild_one(void *arg, const struct vu_id *id, unsigned seq, int dirfd, const char *name)
{
	struct vu_session *s = arg;
	struct statx stx;
	struct vu_err e;

	if (!id || vu_meta_statx(dirfd, name, &stx) < 0 || !S_ISREG(stx.stx_mode))
		return 0;
	if (vu_session_object_found(s, id, seq, &stx, VU_KFLAGS_UNKNOWN, &e) < 0) {
		vu_report_err(s->rep, VU_LOG_ERROR, &e);
		return -1;
	}
	return 0;
}

static int add_object(void *arg, uint64_t ino, struct vu_err *e)
{
	struct vu_session *s = arg;

	if (vu_objset_add(&s->objects, ino) < 0)
		return vu_err_set(e, ENOMEM, "object set");
	return 0;
}

static int load_objects(struct vu_session *s, struct vu_err *e)
{
	if (s->index.created && !s->store_absent) {
		if (s->mode == VU_SESSION_WRITE && vu_index_begin(&s->index, e) < 0)
			return -1;
		if (vu_store_walk(&s->store, rebuild_one, s, e) != 0)
			return e->msg[0] ? -1 : vu_err_set(e, 0, "%s: cannot rebuild the index", s->index.path);
		return s->mode == VU_SESSION_WRITE ? vu_index_commit(&s->index, e) : 0;
	}
	return vu_index_objects_each_ino(&s->index, add_object, s, e);
}

int vu_session_begin(struct vu_session *s, const char *store, enum vu_session_mode mode,
		     const struct vu_report *rep, struct vu_err *e)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->guests_mu, NULL);
	s->mode = mode;
	s->rep = rep;
	s->journal.dirfd = -1;
	s->index_pending = true;
	vu_objset_init(&s->objects);
	if (access(store, F_OK) < 0 && errno == ENOENT) {
		if (mode == VU_SESSION_READ)
			return vu_err_set(e, ENOENT, "%s", store);
		s->store_absent = true;
		return vu_store_open_absent(&s->store, store, e);
	}
	return vu_store_open(&s->store, store, false, e);
}

int vu_session_start(struct vu_session *s, struct vu_err *e)
{
	enum vu_session_mode mode = s->mode;

	s->index_pending = false;
	if (mode == VU_SESSION_WRITE) {
		/* Make it now that the caller's checks passed. */
		_cleanup_free_ char *path = strdup(s->store.path);

		if (!path)
			return vu_err_set(e, ENOMEM, "%s", s->store.path);
		vu_store_close(&s->store);
		s->store_absent = false;
		if (vu_store_open(&s->store, path, true, e) < 0)
			return -1;
	}
	if (mode == VU_SESSION_WRITE && vu_store_lock(&s->store, s->lock_mode, e) < 0)
		return -1;
	if (s->store_absent) {
		if (vu_index_open(&s->index, &s->store, false, e) < 0)
			return -1;
	} else if (vu_index_open(&s->index, &s->store, mode == VU_SESSION_WRITE, e) < 0) {
		return -1;
	}
	if (mode == VU_SESSION_WRITE) {
		if (vu_journal_open(&s->journal, &s->store, e) < 0 ||
		    vu_journal_replay(&s->journal, restore_dir, s, e) < 0)
			return -1;
	}
	return load_objects(s, e);
}

int vu_session_open(struct vu_session *s, const char *store, enum vu_session_mode mode,
		    const struct vu_report *rep, struct vu_err *e)
{
	if (vu_session_begin(s, store, mode, rep, e) < 0)
		return -1;
	return vu_session_start(s, e);
}

void vu_session_close(struct vu_session *s)
{
	for (size_t i = 0; i < s->nguests; i++) {
		struct vu_guest *g = &s->guests[i];

		if (g->fd >= 0)
			close(g->fd);   /* drops the guest lock */
		vu_treelock_release(&g->above);
		free(g->label);
		free(g->path);
	}
	free(s->guests);
	vu_journal_close(&s->journal);
	vu_index_close(&s->index);
	vu_store_close(&s->store);
	vu_objset_free(&s->objects);
	free(s->pending);
	s->pending = NULL;
	s->npending = s->cappending = 0;
	s->guests = NULL;
	s->nguests = 0;
	pthread_mutex_destroy(&s->guests_mu);
}

/* The canonical form of PATH, also if its last component does not exist. */
static char *canonical(const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	char *slash, *real, *out;

	real = realpath(path, NULL);
	if (real || !dir)
		return real;
	for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
		dir[n - 1] = 0;
	slash = strrchr(dir, '/');
	if (!slash)
		real = realpath(".", NULL);
	else if (slash == dir)
		real = strdup("/");
	else {
		*slash = 0;
		real = realpath(dir, NULL);
	}
	if (!real)
		return NULL;
	if (asprintf(&out, "%s/%s", strcmp(real, "/") ? real : "", slash ? slash + 1 : dir) < 0)
		out = NULL;
	free(real);
	return out;
}

/* Is @inner the same as or below @outer (canonical paths)? */
static bool path_within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);

	if (n == 1)
		return true;            /* "/" */
	return !strncmp(inner, outer, n) && (inner[n] == 0 || inner[n] == '/');
}

int vu_session_guest_add(struct vu_session *s, const char *guest, struct vu_err *e)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *path = NULL, *label = NULL, *spath = NULL;
	struct vu_guest *g;
	struct statx stx;
	void *p;

	fd = open(guest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vu_err_set(e, errno, "%s", guest);
	if (vu_meta_statx(fd, "", &stx) < 0)
		return vu_err_set(e, errno, "%s", guest);
	path = realpath(guest, NULL);
	if (!path)
		return vu_err_set(e, errno, "%s", guest);
	if (vu_meta_dev(&stx) != s->store.dev)
		return vu_err_set(e, 0, "%s: not on the filesystem of the store %s (hardlinks cannot "
				  "cross filesystems)", guest, s->store.path);
	if ((stx.stx_mask & STATX_MNT_ID) && s->store.mnt_id && stx.stx_mnt_id != s->store.mnt_id)
		return vu_err_set(e, 0, "%s: not on the same mount as the store %s (hardlinks cannot "
				  "cross mount points)", guest, s->store.path);
	spath = canonical(s->store.path);
	if (spath && (path_within(spath, path) || path_within(path, spath)))
		return vu_err_set(e, 0, "%s: the guest and the store %s must not contain each other",
				  guest, s->store.path);
	for (size_t i = 0; i < s->nguests; i++) {
		if (!strcmp(s->guests[i].path, path))
			return vu_err_set(e, 0, "%s: named twice", guest);
		if (path_within(path, s->guests[i].path) || path_within(s->guests[i].path, path))
			return vu_err_set(e, 0, "%s: nested with the guest %s", guest, s->guests[i].label);
	}
	label = strdup(guest);
	if (!label)
		return vu_err_set(e, ENOMEM, "%s", guest);
	/* "/g1/" and "/g1" are one guest; messages append "/path". */
	for (size_t n = strlen(label); n > 1 && label[n - 1] == '/'; n--)
		label[n - 1] = 0;
	p = realloc(s->guests, (s->nguests + 1) * sizeof(*s->guests));
	if (!p)
		return vu_err_set(e, ENOMEM, "%s", guest);
	s->guests = p;
	g = &s->guests[s->nguests++];
	memset(g, 0, sizeof(*g));
	g->label = vu_steal_ptr(&label);
	g->path = vu_steal_ptr(&path);
	g->fd = vu_steal_fd(&fd);
	g->stx = stx;
	return 0;
}

/* The flock itself, and what comes with it (the caller holds guests_mu). */
static int guest_flock(struct vu_session *s, struct vu_guest *g, struct vu_err *e)
{
	if (flock(g->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return vu_err_set(e, 0, "%s: in use (mounted by vunifyfs?)", g->label);
		return vu_err_set(e, errno, "%s: lock", g->label);
	}
	if (s->mode != VU_SESSION_WRITE)
		return 0;
	/* vunifyfs's usage counters do not see what we change: drop them, so
	 * that its next mount with limits counts the guest anew (format.h).
	 * Every time: it may have been mounted since we last held it. */
	if (fgetxattr(g->fd, VU_USAGE_XATTR, NULL, 0) < 0 && (errno == ENODATA || errno == ENOTSUP))
		return 0;       /* the common case, without a journal transaction */
	if (fremovexattr(g->fd, VU_USAGE_XATTR) < 0 && errno != ENODATA && errno != ENOTSUP) {
		int err = errno;

		flock(g->fd, LOCK_UN);
		return vu_err_set(e, err, "%s: removing %s", g->label, VU_USAGE_XATTR);
	}
	return 0;
}

int vu_session_guest_hold(struct vu_session *s, struct vu_guest *g, struct vu_err *e)
{
	int rc = 0;

	pthread_mutex_lock(&s->guests_mu);
	if (!g->holds)
		rc = guest_flock(s, g, e);
	if (rc == 0)
		g->holds++;
	pthread_mutex_unlock(&s->guests_mu);
	return rc;
}

void vu_session_guest_release(struct vu_session *s, struct vu_guest *g)
{
	pthread_mutex_lock(&s->guests_mu);
	if (g->holds && !--g->holds)
		flock(g->fd, LOCK_UN);
	pthread_mutex_unlock(&s->guests_mu);
}

int vu_session_guest_lock(struct vu_session *s, struct vu_guest *g, struct vu_err *e)
{
	if (vu_session_guest_hold(s, g, e) < 0)
		return -1;
	/* GUEST may be a subdirectory of a guest that is mounted: the lock
	 * that counts is on that guest's top, somewhere above. */
	if (vu_treelock_above(&g->above, g->fd, g->label, e) < 0) {
		vu_treelock_release(&g->above);
		vu_session_guest_release(s, g);
		return -1;
	}
	g->locked = true;
	if (s->mode != VU_SESSION_WRITE)
		return 0;
	/* A short transaction of its own: a vclone holds its guest for its whole
	 * run, and other linkers write the index meanwhile. */
	if (vu_index_begin(&s->index, e) < 0 || vu_index_guest(&s->index, g->path, &g->id, e) < 0 ||
	    vu_index_commit(&s->index, e) < 0)
		return -1;
	return 0;
}
