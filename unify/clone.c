// SPDX-License-Identifier: GPL-2.0-or-later
/* vclone's engine: see include/vunify/clone.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/clone.h"
#include "vunify/copy.h"
#include "vunify/meta.h"
#include "vunify/resolve.h"
#include "vunify/rmtree.h"
#include "vunify/walk.h"
#include "vunify/xattr.h"

/* A directory of the copy, open, while its template is walked. */
struct cdir {
	int fd;
};

/* Inodes with several names that are not objects: first copy's path. */
struct hlink {
	uint64_t ino;
	char *path;
};

struct clone {
	struct vu_session *s;
	struct vu_guest *src;
	const struct vu_clone_opts *o;
	struct vu_clone_stats *st;
	int topfd;                   /* the copy's top */
	struct hlink *hl;            /* open addressing, ino 0 = free */
	size_t nhl, caphl;
	double start, last;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress(struct clone *c, bool last)
{
	const struct vu_report *r = c->s->rep;
	double now = now_s();
	struct vu_progress p = { .phase = "cloning", .files = c->st->files, .bytes = c->st->bytes,
				 .elapsed = now - c->start };

	if (!r || !r->progress || (!last && now - c->last < 0.2))
		return;
	c->last = now;
	r->progress(r->arg, &p, last);
}

static void fail(struct clone *c, const char *path, int err, const char *what)
{
	vu_report_log(c->s->rep, VU_LOG_ERROR, "%s%s: %s%s%s", c->src->label, path, what ? what : "",
		      what ? ": " : "", strerror(err));
	c->st->errors++;
}

static size_t hl_slot(const struct hlink *hl, size_t cap, uint64_t ino)
{
	size_t i = (size_t)(ino * 0x9e3779b97f4a7c15ull) & (cap - 1);

	while (hl[i].path && hl[i].ino != ino)
		i = (i + 1) & (cap - 1);
	return i;
}

static const char *hl_find(struct clone *c, uint64_t ino)
{
	return c->caphl ? c->hl[hl_slot(c->hl, c->caphl, ino)].path : NULL;
}

static void hl_add(struct clone *c, uint64_t ino, const char *path)
{
	char *p;

	if ((c->nhl + 1) * 2 > c->caphl) {
		size_t cap = c->caphl ? c->caphl * 2 : 64;
		struct hlink *n = calloc(cap, sizeof(*n));

		if (!n)
			return;
		for (size_t i = 0; i < c->caphl; i++)
			if (c->hl[i].path)
				n[hl_slot(n, cap, c->hl[i].ino)] = c->hl[i];
		free(c->hl);
		c->hl = n;
		c->caphl = cap;
	}
	p = strdup(path);
	if (!p)
		return;
	c->hl[hl_slot(c->hl, c->caphl, ino)] = (struct hlink){ .ino = ino, .path = p };
	c->nhl++;
}

/* Another name for an inode already in the copy. */
static int link_again(struct clone *c, const char *first, int pfd, const char *name)
{
	char dir[4096];
	const char *base = vu_resolve_split(first, dir, sizeof(dir));
	int dfd, r;

	if (!base) {
		errno = ENAMETOOLONG;
		return -1;
	}
	dfd = vu_resolve_dir(c->topfd, dir, 0);
	if (dfd < 0)
		return -1;
	r = linkat(dfd, base, pfd, name, 0);
	close(dfd);
	return r;
}

/* A real copy of a regular file. */
static int copy_file(struct clone *c, const struct vu_walk_entry *ent, int pfd)
{
	_cleanup_close_ int in = -1, out = -1;
	struct vu_xattrs x = { 0 };
	struct statx now;
	struct vu_err e;
	char what[4096 + 256];
	int rc = -1;

	snprintf(what, sizeof(what), "%s%s", c->src->label, ent->path);
	in = openat(ent->dirfd, ent->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOATIME | O_CLOEXEC);
	if (in < 0 && errno == EPERM)
		in = openat(ent->dirfd, ent->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0) {
		fail(c, ent->path, errno, NULL);
		return -1;
	}
	if (vu_meta_statx(in, "", &now) < 0 || !vu_meta_unchanged(&now, ent->stx)) {
		fail(c, ent->path, ESTALE, "changed during the copy");
		return -1;
	}
	if (vu_xattrs_read_fd(in, &x, &e, what) < 0)
		goto err;
	out = openat(pfd, ent->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		vu_err_set(&e, errno, "%s: create the copy", what);
		goto err;
	}
	if (vu_copy_data(out, in, now.stx_size, &e, what) < 0 ||
	    vu_copy_meta_fd(out, &now, &x, NULL, &e, what) < 0)
		goto err;
	c->st->copied_files++;
	c->st->copied_bytes += now.stx_size;
	rc = 0;
	goto out;
err:
	vu_report_err(c->s->rep, VU_LOG_ERROR, &e);
	c->st->errors++;
out:
	vu_xattrs_free(&x);
	return rc;
}

/* One more link to the object the template's file is. */
static int link_object(struct clone *c, const struct vu_walk_entry *ent, int pfd)
{
	struct statx now;

	if (linkat(ent->dirfd, ent->name, pfd, ent->name, 0) < 0) {
		if (errno == EMLINK)
			return 1;       /* full: the caller copies it */
		fail(c, ent->path, errno, "link");
		return -1;
	}
	/* The name could have been swapped since we looked: check. */
	if (vu_meta_statx(pfd, ent->name, &now) < 0 || !vu_meta_same_inode(&now, ent->stx)) {
		unlinkat(pfd, ent->name, 0);
		fail(c, ent->path, ESTALE, "changed during the copy");
		return -1;
	}
	c->st->linked_files++;
	c->st->linked_bytes += ent->stx->stx_size;
	return 0;
}

/* readlink(2) moves a symlink's atime (there is no O_NOATIME for it): put
 * the template's back, so that cloning changes nothing a guest sees. */
static void restore_link_atime(const struct vu_walk_entry *ent)
{
	struct timespec ts[2] = { vu_meta_ts(&ent->stx->stx_atime), { .tv_nsec = UTIME_OMIT } };
	struct statx now;

	if (vu_meta_statx(ent->dirfd, ent->name, &now) == 0 && S_ISLNK(now.stx_mode) &&
	    !vu_meta_ts_eq(&now.stx_atime, &ent->stx->stx_atime))
		utimensat(ent->dirfd, ent->name, ts, AT_SYMLINK_NOFOLLOW);
}

static int clone_special(struct clone *c, const struct vu_walk_entry *ent, int pfd)
{
	const struct statx *x = ent->stx;
	struct vu_xattrs xa = { 0 };
	struct vu_err e;
	char what[4096 + 256];
	int rc = -1;

	snprintf(what, sizeof(what), "%s%s", c->src->label, ent->path);
	if (S_ISLNK(x->stx_mode)) {
		size_t size = x->stx_size + 2;
		char *target = NULL;
		ssize_t n;

		for (;;) {
			char *p = realloc(target, size);

			if (!p) {
				free(target);
				fail(c, ent->path, ENOMEM, NULL);
				return -1;
			}
			target = p;
			n = readlinkat(ent->dirfd, ent->name, target, size);
			if (n < 0 || (size_t)n < size)
				break;
			size *= 2;
		}
		if (n < 0) {
			free(target);
			fail(c, ent->path, errno, "readlink");
			return -1;
		}
		target[n] = 0;
		restore_link_atime(ent);
		n = symlinkat(target, pfd, ent->name);
		free(target);
		if (n < 0) {
			fail(c, ent->path, errno, "symlink");
			return -1;
		}
		c->st->symlinks++;
	} else {
		if (mknodat(pfd, ent->name, (x->stx_mode & S_IFMT) | 0600,
			    makedev(x->stx_rdev_major, x->stx_rdev_minor)) < 0) {
			fail(c, ent->path, errno, "mknod");
			return -1;
		}
		c->st->specials++;
	}
	if (vu_xattrs_read_at(ent->dirfd, ent->name, &xa, &e, what) < 0 ||
	    vu_copy_meta_at(pfd, ent->name, x, &xa, &e, what) < 0) {
		vu_report_err(c->s->rep, VU_LOG_ERROR, &e);
		c->st->errors++;
	} else {
		rc = 0;
	}
	vu_xattrs_free(&xa);
	return rc;
}

/* A linked regular file: an object of the store (linked to, not copied)?
 * Asked of the store, not only of the inode set loaded at the start: a
 * vhashify beside us makes objects meanwhile. */
static bool is_object(struct clone *c, const struct vu_walk_entry *ent)
{
	struct vu_err e;
	int r = vu_session_classify_linked(c->s, ent->dirfd, ent->name, ent->stx, &e);

	if (r < 0) {
		vu_err_prefix(&e, "%s%s", c->src->label, ent->path);
		vu_report_err(c->s->rep, VU_LOG_WARN, &e);
	}
	return r == VU_LINKED_OBJECT;
}

static int clone_entry(void *arg, const struct vu_walk_entry *ent, void **data)
{
	struct clone *c = arg;
	const struct cdir *parent = ent->parent;
	const struct statx *x = ent->stx;
	int pfd = parent->fd;
	bool object;

	if (ent->reserved)
		return VU_WALK_NEXT;    /* never part of what a guest sees */
	if (S_ISDIR(x->stx_mode)) {
		struct cdir *d;

		if (mkdirat(pfd, ent->name, 0700) < 0) {
			fail(c, ent->path, errno, "mkdir");
			return VU_WALK_NEXT;
		}
		c->st->dirs++;
		d = malloc(sizeof(*d));
		if (d)
			d->fd = openat(pfd, ent->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (!d || d->fd < 0) {
			fail(c, ent->path, d ? errno : ENOMEM, NULL);
			free(d);
			return VU_WALK_NEXT;
		}
		if (ent->mount_point) {
			struct vu_err e;

			vu_report_log(c->s->rep, VU_LOG_WARN, "%s%s: a mount point; copied as an empty "
				      "directory", c->src->label, ent->path);
			if (vu_copy_meta_fd(d->fd, x, NULL, NULL, &e, "") < 0)
				fail(c, ent->path, e.code, NULL);
			close(d->fd);
			free(d);
			return VU_WALK_NEXT;
		}
		*data = d;
		return VU_WALK_DESCEND;
	}
	if (ent->mount_point) {
		vu_report_log(c->s->rep, VU_LOG_WARN, "%s%s: a mount point; not copied",
			      c->src->label, ent->path);
		return VU_WALK_NEXT;
	}
	if (S_ISREG(x->stx_mode)) {
		c->st->files++;
		c->st->bytes += x->stx_size;
		progress(c, false);
	}
	object = S_ISREG(x->stx_mode) && x->stx_nlink > 1 && is_object(c, ent);
	if (object && vu_ex_included(ent->decision) && x->stx_size >= c->o->min_size) {
		if (link_object(c, ent, pfd) != 1)
			return VU_WALK_NEXT;
		/* The object is full: the copy gets a private file. */
	}
	/* The template's own hardlinks stay groups.  An object's names are
	 * separate files to its guest: each gets a copy of its own. */
	if (!object && x->stx_nlink > 1) {
		const char *first = hl_find(c, x->stx_ino);

		if (first) {
			if (link_again(c, first, pfd, ent->name) < 0)
				fail(c, ent->path, errno, "link");
			else if (S_ISREG(x->stx_mode))
				c->st->copied_files++;
			return VU_WALK_NEXT;
		}
	}
	if (S_ISREG(x->stx_mode) ? copy_file(c, ent, pfd) : clone_special(c, ent, pfd))
		return VU_WALK_NEXT;
	if (!object && x->stx_nlink > 1)
		hl_add(c, x->stx_ino, ent->path);
	return VU_WALK_NEXT;
}

/* A directory's own metadata, once its entries are in (they move mtime). */
static int clone_leave(void *arg, int fd, const struct vu_walk_entry *ent, void *data)
{
	struct clone *c = arg;
	struct cdir *d = data;
	struct vu_xattrs x = { 0 };
	struct vu_err e;
	char what[4096 + 256];

	if (!d)
		return VU_WALK_NEXT;
	snprintf(what, sizeof(what), "%s%s", c->src->label, ent->path);
	if (fd < 0 || vu_xattrs_read_fd(fd, &x, &e, what) < 0 ||
	    vu_copy_meta_fd(d->fd, ent->stx, &x, NULL, &e, what) < 0) {
		if (fd >= 0) {
			vu_report_err(c->s->rep, VU_LOG_ERROR, &e);
			c->st->errors++;
		}
	}
	vu_xattrs_free(&x);
	if (d->fd != c->topfd)
		close(d->fd);
	if (ent->parent || strcmp(ent->path, "/"))
		free(d);
	return VU_WALK_NEXT;
}

static void clone_error(void *arg, const struct vu_err *e)
{
	struct clone *c = arg;

	vu_report_err(c->s->rep, VU_LOG_ERROR, e);
	c->st->errors++;
}

/* Split NEW into an open parent directory and a last component; *base
 * is set (the caller's to free) only on success. */
static int open_parent(const char *newpath, char **base, struct vu_err *e)
{
	_cleanup_free_ char *copy = strdup(newpath), *name = NULL;
	char *slash;
	int fd;

	if (!copy)
		return vu_err_set(e, ENOMEM, "%s", newpath);
	for (size_t n = strlen(copy); n > 1 && copy[n - 1] == '/'; n--)
		copy[n - 1] = 0;
	slash = strrchr(copy, '/');
	name = strdup(slash ? slash + 1 : copy);
	if (!name)
		return vu_err_set(e, ENOMEM, "%s", newpath);
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return vu_err_set(e, EINVAL, "%s", newpath);
	if (slash == copy)
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else if (slash) {
		*slash = 0;
		fd = open(copy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return vu_err_set(e, errno, "%s: parent directory", newpath);
	*base = vu_steal_ptr(&name);
	return fd;
}

/* Remove what an interrupted vclone of the same NEW left: hidden
 * .BASE.vclone-* directories that nobody holds locked. */
static void remove_remains(struct vu_session *s, int pfd, const char *base)
{
	char prefix[256 + 16];
	struct dirent *de;
	DIR *d;
	int fd = fcntl(pfd, F_DUPFD_CLOEXEC, 3);

	snprintf(prefix, sizeof(prefix), ".%.200s.vclone-", base);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		int tfd;

		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		tfd = openat(pfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (tfd < 0)
			continue;
		if (flock(tfd, LOCK_EX | LOCK_NB) == 0) {
			if (vu_rmtree_at(pfd, de->d_name) == 0)
				vu_report_log(s->rep, VU_LOG_INFO, "%s: removed the remains of an "
					      "interrupted vclone", de->d_name);
		}
		close(tfd);
	}
	closedir(d);
}

int vu_clone_check(struct vu_session *s, const char *newpath, struct vu_err *e)
{
	_cleanup_free_ char *base = NULL;
	_cleanup_close_ int pfd = open_parent(newpath, &base, e);
	struct vu_treelock above = { 0 };
	struct statx stx;
	int r;

	if (pfd < 0)
		return -1;
	/* Early, before the template is hashified: NEW's parent must not be
	 * (inside) a guest in use.  vu_clone() holds these while it builds. */
	r = vu_treelock_dir(&above, pfd, newpath, e);
	/* Those are NEW's parent and everything above it (found by inode,
	 * bind mounts included): a clone inside its own template would copy
	 * itself into itself. */
	if (r == 0 && s->nguests && vu_treelock_holds(&above, &s->guests[0].stx))
		r = vu_err_set(e, 0, "%s: inside SOURCE_GUEST %s (a clone cannot contain "
			       "itself)", newpath, s->guests[0].label);
	vu_treelock_release(&above);
	if (r < 0)
		return -1;
	if (vu_meta_statx(pfd, base, &stx) == 0)
		return vu_err_set(e, EEXIST, "%s", newpath);
	if (errno != ENOENT)
		return vu_err_set(e, errno, "%s", newpath);
	if (vu_meta_statx(pfd, "", &stx) < 0)
		return vu_err_set(e, errno, "%s", newpath);
	if (vu_meta_dev(&stx) != s->store.dev ||
	    ((stx.stx_mask & STATX_MNT_ID) && s->store.mnt_id && stx.stx_mnt_id != s->store.mnt_id))
		return vu_err_set(e, 0, "%s: not on the filesystem and mount of the store %s "
				  "(hardlinks cannot cross them)", newpath, s->store.path);
	return 0;
}

int vu_clone(struct vu_session *s, struct vu_guest *src, const char *newpath,
	     const struct vu_clone_opts *o, struct vu_clone_stats *st, struct vu_err *e)
{
	static const struct vu_walk_ops ops = {
		.entry = clone_entry, .leave = clone_leave, .error = clone_error,
	};
	struct clone c = { .s = s, .src = src, .o = o, .st = st, .topfd = -1 };
	struct vu_treelock above = { 0 };
	_cleanup_free_ char *base = NULL;
	_cleanup_close_ int pfd = -1;
	char tmp[512];
	struct cdir top;
	unsigned rnd = 0;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	c.start = now_s();
	if (vu_clone_check(s, newpath, e) < 0)
		return -1;
	pfd = open_parent(newpath, &base, e);
	if (pfd < 0)
		return -1;
	/* NEW's parent may be a guest's top or inside one: whoever has that
	 * guest mounted must not see the tree change under it. */
	if (vu_treelock_dir(&above, pfd, newpath, e) < 0) {
		vu_treelock_release(&above);
		return -1;
	}
	remove_remains(s, pfd, base);
	/* Built under a hidden name, renamed when complete; locked while we
	 * build it, so that a later vclone tells our remains from a copy in
	 * the making. */
	if (getrandom(&rnd, sizeof(rnd), 0) < 0)
		rnd = (unsigned)getpid();
	snprintf(tmp, sizeof(tmp), ".%.200s.vclone-%08x", base, rnd);
	if (mkdirat(pfd, tmp, 0700) < 0) {
		vu_err_set(e, errno, "%s: %s", newpath, tmp);
		vu_treelock_release(&above);
		return -1;
	}
	c.topfd = openat(pfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c.topfd < 0) {
		vu_err_set(e, errno, "%s: %s", newpath, tmp);
		goto out;
	}
	if (flock(c.topfd, LOCK_EX | LOCK_NB) < 0) {
		vu_err_set(e, errno, "%s: %s: lock", newpath, tmp);
		goto out;
	}
	top.fd = c.topfd;
	if (vu_walk(src->fd, src->label, o->ex, &ops, &c, &top, e) < 0)
		goto out;
	progress(&c, true);
	if (st->errors) {
		vu_err_set(e, 0, "%s: not created (%llu errors)", newpath, (unsigned long long)st->errors);
		goto out;
	}
	if (renameat2(pfd, tmp, pfd, base, RENAME_NOREPLACE) < 0) {
		vu_err_set(e, errno, "%s", newpath);
		goto out;
	}
	rc = 0;
out:
	if (c.topfd >= 0)
		close(c.topfd);
	if (rc < 0 && vu_rmtree_at(pfd, tmp) < 0)
		vu_report_log(s->rep, VU_LOG_ERROR, "%s: cannot remove the partial copy: %s", tmp,
			      strerror(errno));
	vu_treelock_release(&above);
	for (size_t i = 0; i < c.caphl; i++)
		free(c.hl[i].path);
	free(c.hl);
	st->seconds = now_s() - c.start;
	return rc;
}
