// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Namespace operations: lookup, forget, the creation of directories, nodes
 * and symlinks, link, unlink, rmdir, rename, and directory reading.
 *
 * Every backing access is one name resolved relative to the parent node's
 * O_PATH descriptor, never a path: openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS) for lookups, O_NOFOLLOW and *at() elsewhere, so a
 * guest cannot steer vunifyfs outside its tree with symlinks, "..", or
 * names swapped in concurrently.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vunify/format.h"
#include "vunifyfs.h"

static int open_beneath(int dirfd, const char *name)
{
	static atomic_bool no_openat2;
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (!atomic_load(&no_openat2)) {
		fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return fd;
		atomic_store(&no_openat2, true);
	}
	/* Before Linux 5.6: equivalent for the single components the kernel
	 * sends (vu_name_ok() rejected '/', "." and ".."). */
	return openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
}

void vu_fix_stat(const struct vu_node *n, struct stat *st)
{
	st->st_ino = n->ino_shown;
	/* A shared inode looks like a file of its own. */
	if (n->unified)
		st->st_nlink = 1;
}

void vu_fill_entry(const struct vu_node *n, const struct stat *st, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = vu_node_id(n);
	e->attr = *st;
	vu_fix_stat(n, &e->attr);
	e->attr_timeout = vu_fs.timeout;
	e->entry_timeout = vu_fs.timeout;
}

/*
 * The node for @name if we already have it (readdirplus of a directory
 * whose files the kernel knows, e.g. just made): 0 with *np holding one
 * more reference and @st filled, -ENOENT if there is no such name, 1 if the
 * full lookup must decide.  One fstatat() of the single name (no '/', not
 * "." or "..", not followed if a symlink: it cannot leave @parent) instead
 * of openat2() + fstat() + close(): the node keeps the descriptor it had.
 * The name may change between the stat and the table: the node returned
 * is then the one the name stood for at the stat, as with the full lookup.
 */
static int lookup_known(struct vu_node *parent, const char *name, struct stat *st,
			struct vu_node **np)
{
	struct vu_node *n;
	bool marked;
	int pfd = vu_node_fd(parent), fd;

	if (pfd < 0)
		return 1;
	if (fstatat(pfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? -ENOENT : 1;
	if (vu_mark_cached(st, &marked)) {
		*np = vu_node_lookup_known(parent, name, st, marked);
		return *np ? 0 : 1;
	}
	/*
	 * Not in the cache (the inode's ctime moved, e.g. by a write): a
	 * private node we hold for this very inode can read the mark through
	 * its own descriptor, which names the inode (a private node's
	 * descriptor never changes; one opened again by handle is checked
	 * to be the inode, generation included: fdcache.c).  Marked since (vhashify at work on the host):
	 * the full lookup makes it the unified node it now is.
	 */
	n = vu_node_lookup_known(parent, name, st, false);
	if (!n)
		return 1;
	/* A cold node's descriptor is opened again by handle, which names
	 * the very inode (its generation too) or fails. */
	fd = vu_node_fd(n);
	if (fd < 0 || vu_mark_check(fd, st)) {
		vu_node_forget(n, 1);
		return 1;
	}
	*np = n;
	return 0;
}

/*
 * A lookup that opens nothing: one fstatat() of the single name (as in
 * lookup_known) and its handle, for a file or symlink whose mark the cache
 * can tell without reading it (an inode with one link, mark.c).  The node
 * is born cold (fdcache.c): a `git status` or `find` that only looks at a
 * file's attributes never opens it, and nothing is closed or evicted
 * later.  Directories get a descriptor as before: the next lookups use it.
 * 0 with *np, -ENOENT, or 1 if the full lookup must decide.
 */
static int lookup_cold(struct vu_node *parent, int pfd, const char *name,
		       struct stat *st, struct vu_node **np)
{
	struct file_handle *fh;
	bool marked;

	if (fstatat(pfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? -ENOENT : 1;
	if (S_ISDIR(st->st_mode) || st->st_dev != parent->dev || !vu_mark_cached(st, &marked))
		return 1;
	fh = vu_fdc_handle_at(pfd, name);
	if (!fh)
		return 1;
	*np = vu_node_install(parent, name, -1, fh, st, marked);
	return *np ? 0 : -errno;
}

int vu_do_lookup(struct vu_node *parent, const char *name, struct fuse_entry_param *e)
{
	struct vu_node *n;
	struct stat st;
	int fd, res;

	if (!vu_name_ok(name))
		return -ENOENT;
	fd = vu_node_fd(parent);
	if (fd < 0)
		return -errno;
	res = lookup_cold(parent, fd, name, &st, &n);
	if (res <= 0) {
		if (res == 0)
			vu_fill_entry(n, &st, e);
		return res;
	}
	fd = open_beneath(fd, name);
	if (fd < 0)
		return -errno;
	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	n = vu_node_install(parent, name, fd, NULL, &st, vu_mark_check(fd, &st));
	if (!n)
		return -errno;
	vu_fill_entry(n, &st, e);
	return 0;
}

static void vu_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	int err = vu_do_lookup(vu_node_get(parent), name, &e);

	if (err == -ENOENT) {
		/* A negative entry, cached as long as a positive one: vunifyfs
		 * is the only writer of the tree while it is mounted. */
		memset(&e, 0, sizeof(e));
		e.entry_timeout = vu_fs.timeout;
		fuse_reply_entry(req, &e);
		return;
	}
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_entry(req, &e);
}

static void vu_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	vu_node_forget(vu_node_get(ino), nlookup);
	fuse_reply_none(req);
}

static void vu_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		vu_node_forget(vu_node_get(forgets[i].ino), forgets[i].nlookup);
	fuse_reply_none(req);
}

/* Create @name in @parent as the caller (mkdir, mknod, symlink), then
 * answer with its entry. */
enum mk_kind { MK_DIR, MK_NODE, MK_SYMLINK };

static void make_node(fuse_req_t req, fuse_ino_t parent_ino, const char *name, enum mk_kind kind,
		      mode_t mode, dev_t rdev, const char *target)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct vu_node *parent = vu_node_get(parent_ino);
	struct fuse_entry_param e;
	struct vu_creds creds;
	int err, res, pfd;

	/* A directory gets a block; a symlink too, unless its target fits
	 * in the inode. */
	int64_t need = kind == MK_DIR || (kind == MK_SYMLINK && strlen(target) >= 60) ? 4096 : 0;

	if (!vu_name_ok(name)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	/* As root: opening by handle needs CAP_DAC_READ_SEARCH, which the
	 * caller's fsuid drops. */
	pfd = vu_node_fd(parent);
	if (pfd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	err = vu_usage_reserve(need, 1, ctx->uid);
	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	err = vu_creds_enter(&creds, ctx->uid, ctx->gid, ctx->umask);
	if (err) {
		vu_usage_release(need, 1);
		fuse_reply_err(req, -err);
		return;
	}
	switch (kind) {
	case MK_DIR:
		res = mkdirat(pfd, name, mode);
		break;
	case MK_NODE:
		res = mknodat(pfd, name, mode, rdev);
		break;
	default:
		res = symlinkat(target, pfd, name);
		break;
	}
	err = res < 0 ? -errno : 0;
	vu_creds_leave(&creds);
	if (!err)
		err = vu_do_lookup(parent, name, &e);
	if (!err) {
		vu_usage_created(vu_node_get(e.ino));
		vu_usage_track(parent);         /* the directory may have grown */
	}
	vu_usage_release(need, 1);
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_entry(req, &e);
}

static void vu_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	make_node(req, parent, name, MK_DIR, mode, 0, NULL);
}

static void vu_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	make_node(req, parent, name, MK_NODE, mode, rdev, NULL);
}

static void vu_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	make_node(req, parent, name, MK_SYMLINK, 0, 0, link);
}

static void vu_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent_ino, const char *newname)
{
	struct vu_node *n = vu_node_get(ino), *newparent = vu_node_get(newparent_ino);
	uid_t uid = fuse_req_ctx(req)->uid;
	struct fuse_entry_param e;
	int err;

	if (!vu_name_ok(newname)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	/* A hardlink the guest makes is its own: to a private file, so that
	 * both names see each other's writes and nothing else does. */
	err = vu_break(n, -1, uid);
	/* An O_TMPFILE file was counted from its creation on (usage.c). */
	if (!err) {
		int fd = vu_node_fd(n), pfd = vu_node_fd(newparent);

		if (fd < 0 || pfd < 0 || linkat(fd, "", pfd, newname, AT_EMPTY_PATH) < 0)
			err = -errno;
	}
	if (!err)
		err = vu_do_lookup(newparent, newname, &e);
	if (!err) {
		vu_usage_track(n);
		vu_usage_track(newparent);
	}
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_entry(req, &e);
}

/*
 * Lock the unified nodes that stand for up to two names, so that no link
 * break of them runs while their names move (see break.c).  Returns held
 * nodes (or NULL) in @a, @b; unlock_names() undoes it.
 */
static void lock_names(struct vu_node *p1, const char *n1, struct vu_node *p2, const char *n2,
		       struct vu_node **a, struct vu_node **b)
{
	*a = vu_node_find_name(p1, n1);
	*b = p2 ? vu_node_find_name(p2, n2) : NULL;
	if (*a && *b && *a > *b) {
		struct vu_node *t = *a;

		*a = *b;
		*b = t;
	}
	if (*a)
		pthread_mutex_lock(&(*a)->lock);
	if (*b)
		pthread_mutex_lock(&(*b)->lock);
}

static void unlock_names(struct vu_node *a, struct vu_node *b)
{
	if (b) {
		pthread_mutex_unlock(&b->lock);
		vu_node_release(b);
	}
	if (a) {
		pthread_mutex_unlock(&a->lock);
		vu_node_release(a);
	}
}

/* The private node behind @name in @parent, held, its descriptor kept
 * open for good (fdcache.c), for charging what a namespace change frees;
 * NULL without such a node. */
static struct vu_node *private_of(struct vu_node *parent, const char *name)
{
	struct vu_node *n;
	struct stat st;
	int pfd = vu_node_fd(parent);

	if (pfd < 0 || fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return NULL;
	n = vu_node_find_inode(st.st_dev, st.st_ino);
	/* Its last name may go: the kernel may still ask about it (an open
	 * file, a working directory), and a handle no longer opens it. */
	if (n)
		vu_fdc_keep(n);
	return n;
}

/* Charge what a namespace change did to @victim and the directories. */
static void track_removal(struct vu_node *victim, struct vu_node *d1, struct vu_node *d2)
{
	if (victim) {
		if (vu_usage.enabled)
			vu_usage_track(victim);
		vu_node_release(victim);
	}
	if (!vu_usage.enabled)
		return;
	vu_usage_track(d1);
	if (d2 != d1)
		vu_usage_track(d2);
}

static void remove_name(fuse_req_t req, fuse_ino_t parent_ino, const char *name, int flags)
{
	struct vu_node *parent = vu_node_get(parent_ino), *a, *b, *victim;
	int err = 0, pfd;

	if (!vu_name_ok(name)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	lock_names(parent, name, NULL, NULL, &a, &b);
	victim = private_of(parent, name);
	pfd = vu_node_fd(parent);
	if (pfd < 0 || unlinkat(pfd, name, flags) < 0)
		err = errno;
	else if (a)
		vu_node_unnamed(a);     /* lives on while open, nameless */
	unlock_names(a, b);
	/* After unlocking: the victim may be one of those nodes, broken
	 * just before we locked it. */
	track_removal(victim, parent, parent);
	fuse_reply_err(req, err);
}

static void vu_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, 0);
}

static void vu_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, AT_REMOVEDIR);
}

static void vu_rename(fuse_req_t req, fuse_ino_t parent_ino, const char *name,
		      fuse_ino_t newparent_ino, const char *newname, unsigned int flags)
{
	struct vu_node *parent = vu_node_get(parent_ino), *newparent = vu_node_get(newparent_ino);
	struct vu_node *a, *b, *victim;
	int err = 0, pfd, npfd;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) {
		fuse_reply_err(req, EINVAL);    /* RENAME_WHITEOUT is for overlayfs */
		return;
	}
	if (!vu_name_ok(name) || !vu_name_ok(newname)) {
		fuse_reply_err(req, vu_name_ok(name) ? EPERM : ENOENT);
		return;
	}
	lock_names(parent, name, newparent, newname, &a, &b);
	victim = private_of(newparent, newname);        /* if renamed over */
	pfd = vu_node_fd(parent);
	npfd = vu_node_fd(newparent);
	if (pfd < 0 || npfd < 0 || renameat2(pfd, name, npfd, newname, flags) < 0)
		err = errno;
	else if (a || b)
		vu_node_moved(a, b, parent, name, newparent, newname, flags & RENAME_EXCHANGE);
	unlock_names(a, b);
	track_removal(victim, parent, newparent);
	fuse_reply_err(req, err);
}

/* ---- Directory reading ---- */

static void vu_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct vu_dir *d;

	/* Once answered ENOSYS, the kernel opens directories without asking
	 * (dirstream.c) and keeps their listings as we would have let it. */
	if (vu_fs.no_opendir) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	d = vu_dir_open(vu_node_get(ino));
	if (!d) {
		fuse_reply_err(req, errno);
		return;
	}
	fi->fh = (uintptr_t)d;
	/* We are the only writer: the kernel may keep listings across opens;
	 * changes made through the mount invalidate them. */
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

/*
 * A reserved name met while reading a directory: a temporary of a dead
 * vunifyfs or vhashify (we hold the guest lock, so no live one owns it)
 * is removed; one of ours belongs to a break in progress.
 */
static void reap_reserved(int dirfd, const char *name)
{
	const char *ours = name + VU_TMP_PREFIX_LEN;

	if (strncmp(ours, VU_TMP_TAG_BREAK, strlen(VU_TMP_TAG_BREAK)) == 0 &&
	    strncmp(ours + strlen(VU_TMP_TAG_BREAK), vu_fs.tmp_tag, strlen(vu_fs.tmp_tag)) == 0)
		return;
	if (!vu_fs.readonly)
		unlinkat(dirfd, name, 0);
}

/* st_ino the guest sees for a directory entry, without taking a reference. */
static ino_t entry_ino(struct vu_node *parent, int dirfd, const struct dirent *de)
{
	struct stat st;
	ino_t ino = de->d_ino;
	int fd;

	if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
		return ino;
	fd = open_beneath(dirfd, de->d_name);
	if (fd < 0)
		return ino;
	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0)
		ino = vu_node_peek_ino(parent, de->d_name, &st, vu_mark_check(fd, &st));
	close(fd);
	return ino;
}

/* The lookup readdirplus does for @de: the cheap one when the table may
 * already hold its node (no syscall to ask), else the full one. */
static int readdir_lookup(struct vu_node *parent, const struct dirent *de,
			  struct fuse_entry_param *e)
{
	struct vu_node *n;
	struct stat st;
	int res;

	if (!vu_name_ok(de->d_name))
		return -ENOENT;
	if (vu_node_maybe_known(parent, de->d_name, de->d_ino)) {
		res = lookup_known(parent, de->d_name, &st, &n);
		if (res <= 0) {
			if (res == 0)
				vu_fill_entry(n, &st, e);
			return res;
		}
	}
	return vu_do_lookup(parent, de->d_name, e);
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset,
		       struct fuse_file_info *fi, bool plus)
{
	struct vu_dir *d = (struct vu_dir *)(uintptr_t)fi->fh;
	struct vu_node *parent = vu_node_get(ino);
	char *buf = malloc(size), *p = buf;
	size_t rem = size;
	int err = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (d) {
		vu_dir_seek(d, offset);
	} else if (!(d = vu_dir_take(parent, offset))) {
		fuse_reply_err(req, errno);
		free(buf);
		return;
	}
	for (;;) {
		struct fuse_entry_param e = { 0 };
		const char *name;
		size_t entsize;
		bool looked_up = false;

		if (!d->entry) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (!d->entry) {
				err = errno;
				break;
			}
		}
		name = d->entry->d_name;
		if (vu_name_reserved(name)) {
			reap_reserved(dirfd(d->dp), name);
			goto next;
		}
		if (!plus) {
			struct stat st = {
				.st_ino = (strcmp(name, ".") && strcmp(name, "..")) ?
					entry_ino(parent, dirfd(d->dp), d->entry) : d->entry->d_ino,
				.st_mode = d->entry->d_type << 12,
			};
			entsize = fuse_add_direntry(req, p, rem, name, &st, d->entry->d_off);
		} else if (!strcmp(name, ".") || !strcmp(name, "..")) {
			e.attr.st_ino = d->entry->d_ino;
			e.attr.st_mode = d->entry->d_type << 12;
			entsize = fuse_add_direntry_plus(req, p, rem, name, &e, d->entry->d_off);
		} else {
			/* Each entry may take a descriptor, closed only between
			 * requests (fdcache.c): a long listing goes in parts
			 * while the cache is full, the kernel asks for the rest. */
			if (rem != size && !vu_fdc_room())
				break;
			err = -readdir_lookup(parent, d->entry, &e);
			if (err == ENOENT) {    /* gone since readdir saw it */
				err = 0;
				goto next;
			}
			if (err)
				break;
			looked_up = true;
			entsize = fuse_add_direntry_plus(req, p, rem, name, &e, d->entry->d_off);
		}
		if (entsize > rem) {
			/* No room: the kernel never sees this entry, so it never
			 * took the reference our lookup counted. */
			if (looked_up)
				vu_node_forget(vu_node_get(e.ino), 1);
			break;
		}
		p += entsize;
		rem -= entsize;
next:
		d->offset = d->entry->d_off;
		d->entry = NULL;
	}
	/* Parked before the reply: the request that continues the listing
	 * may come as soon as the kernel has it. */
	if (!fi->fh)
		vu_dir_park(d, rem != size);
	/* An error after some entries: return those; the next call retries. */
	if (err && rem == size)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, size - rem);
	free(buf);
}

static void vu_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset,
		       struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, offset, fi, false);
}

static void vu_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset,
			   struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, offset, fi, true);
}

static void vu_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	vu_dir_close((struct vu_dir *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void vu_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct vu_dir *d = (struct vu_dir *)(uintptr_t)fi->fh, *own = NULL;
	int fd, res;

	/* Without a handle: the directory opened for the call (an O_PATH
	 * descriptor cannot be synced). */
	if (!d && !(d = own = vu_dir_open(vu_node_get(ino)))) {
		fuse_reply_err(req, errno);
		return;
	}
	fd = dirfd(d->dp);
	res = (datasync ? fdatasync(fd) : fsync(fd)) < 0 ? errno : 0;
	vu_dir_close(own);
	fuse_reply_err(req, res);
}

void vu_ops_dir(struct fuse_lowlevel_ops *ops)
{
	ops->lookup = vu_lookup;
	ops->forget = vu_forget;
	ops->forget_multi = vu_forget_multi;
	ops->mkdir = vu_mkdir;
	ops->mknod = vu_mknod;
	ops->symlink = vu_symlink;
	ops->link = vu_link;
	ops->unlink = vu_unlink;
	ops->rmdir = vu_rmdir;
	ops->rename = vu_rename;
	ops->opendir = vu_opendir;
	ops->readdir = vu_readdir;
	ops->readdirplus = vu_readdirplus;
	ops->releasedir = vu_releasedir;
	ops->fsyncdir = vu_fsyncdir;
}
