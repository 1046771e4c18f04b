// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Regular files: open, create, O_TMPFILE, read, write and the rest of the
 * data path.
 *
 * Opening a unified file for writing (O_WRONLY, O_RDWR, O_TRUNC) breaks the
 * link first; read and write never decide anything, they just move data on
 * the descriptor that open chose.  A read-only descriptor opened before
 * another process broke the same name follows the node to the private copy
 * on its next read (vu_file_fd), as one file on a POSIX filesystem would.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "vunifyfs.h"

/* Open flags we pass to the backing file. */
static int backing_flags(int flags)
{
	/* O_DIRECT is honoured by bypassing the page cache at the FUSE level
	 * (direct_io): FUSE's buffers are not aligned for the backing file. */
	flags &= ~(O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW | O_DIRECT);
	/* With the writeback cache the kernel reads pages of files open for
	 * writing only, and places appends itself. */
	if (vu_fs.writeback) {
		if ((flags & O_ACCMODE) == O_WRONLY)
			flags = (flags & ~O_ACCMODE) | O_RDWR;
		flags &= ~O_APPEND;
	}
	return flags;
}

static bool writes(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

int vu_file_fd(struct vu_file *f, struct vu_node *n)
{
	int fd = atomic_load(&f->fd);

	if (fd >= 0 && atomic_load(&f->gen) == atomic_load(&n->gen))
		return fd;
	pthread_mutex_lock(&n->lock);
	if (atomic_load(&f->fd) < 0) {
		/* Not opened at open time (open_node()): open it now. */
		atomic_store(&f->gen, atomic_load(&n->gen));
		fd = vu_reopen(n, f->flags & ~O_TRUNC);
		if (fd >= 0)
			atomic_store(&f->fd, fd);
	} else if (atomic_load(&f->gen) != atomic_load(&n->gen)) {
		/* The node was broken since this descriptor was opened: move
		 * it to the private copy.  dup2() swaps the descriptor
		 * atomically, so a concurrent read on the old one completes on
		 * the old file. */
		unsigned int gen = atomic_load(&n->gen);

		fd = vu_reopen(n, f->flags & ~O_TRUNC);
		if (fd >= 0) {
			dup2(fd, f->fd);
			close(fd);
			atomic_store(&f->gen, gen);
		}
	}
	pthread_mutex_unlock(&n->lock);
	return atomic_load(&f->fd);
}

/*
 * Whether an open can go without a backing descriptor of its own: a
 * read-only open of a private file already in passthrough is read and
 * mapped by the kernel through the node's backing file, and the daemon
 * sees only the rare fsync, lseek or copy_file_range of it, which open the
 * descriptor then (vu_file_fd).  Saves an open and a close per open and
 * release.  A guess without the node's lock: if the node leaves
 * passthrough meanwhile, reads come here and open it the same way.
 */
static bool needs_no_fd(const struct vu_node *n, int bflags)
{
	return !writes(bflags) && !n->unified && atomic_load(&vu_fs.passthrough) &&
	       atomic_load(&n->bk_id) > 0;
}

static struct vu_file *file_new(int fd, int flags, unsigned int gen, uid_t uid)
{
	struct vu_file *f = malloc(sizeof(*f));

	if (!f)
		return NULL;
	f->fd = fd;
	f->flags = flags;
	f->passthrough = false;
	f->gated = false;
	f->uid = uid;
	atomic_init(&f->gen, gen);
	return f;
}

static void file_free(struct vu_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f);
}

static void set_open_flags(struct fuse_file_info *fi, int flags)
{
	/* vunifyfs is the only writer of the tree: cached pages stay valid
	 * across opens, for unified and private files alike. */
	fi->keep_cache = 1;
	fi->direct_io = !!(flags & O_DIRECT);
}

/* Open an existing node for @uid; on success *fp is the new open file. */
static int open_node(struct vu_node *n, int flags, uid_t uid, struct vu_file **fp)
{
	unsigned int gen;
	int bflags = backing_flags(flags), fd, err;

	if (writes(flags) && n->unified && vu_fs.test_no_break) {
		/* Test-only (vunifyfs.8): no break, and vunifyfs itself never
		 * writes the object; only the kernel's guard stands between a
		 * passthrough open and the object. */
		bflags = (bflags & ~(O_ACCMODE | O_TRUNC | O_APPEND)) | O_RDONLY | O_NOATIME;
	} else if (writes(flags)) {
		/* O_TRUNC: nothing of the content survives, copy none.
		 * (Test-only: a fake break does nothing and reports success,
		 * so that the gate below can be shown to hold on its own.) */
		err = vu_fs.test_fake_break ? 0 : vu_break(n, (flags & O_TRUNC) ? 0 : -1, uid);
		if (err)
			return err;
	} else if (n->unified) {
		/* Reading a shared object must not touch it, not even atime. */
		bflags |= O_NOATIME;
	}
	/* The generation before the descriptor: a break in between makes
	 * the file refresh on first use, never miss it. */
	gen = atomic_load(&n->gen);
	/* O_TRUNC cuts the file in the open itself, before the gate below
	 * could look at the descriptor: look at the inode first. */
	if ((bflags & O_TRUNC) && vu_node_shared(n)) {
		vu_log(LOG_ERR, "refusing to truncate store object inode %lu",
		       (unsigned long)n->ino);
		return -EIO;
	}
	if (needs_no_fd(n, bflags)) {
		fd = -1;
		goto out;
	}
	fd = vu_reopen(n, bflags);
	if (fd < 0)
		return -errno;
	/* The last gate: whatever went wrong before, vunifyfs never holds a
	 * store object open for writing. */
	if (writes(bflags) && vu_fd_shared(fd)) {
		vu_log(LOG_ERR, "refusing to open store object inode %lu for writing",
		       (unsigned long)n->ino);
		close(fd);
		return -EIO;
	}
out:
	*fp = file_new(fd, bflags, gen, uid);
	if (!*fp) {
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Answer an open or create with @f.  With kernel passthrough the reply
 * names the node's backing file, and reads and writes never come here.
 * @e is the entry for a create, NULL for an open.
 */
static void reply_opened(fuse_req_t req, struct vu_node *n, struct fuse_file_info *fi,
			 struct vu_file *f, const struct fuse_entry_param *e)
{
	int id = vu_pt_get(n, fi->flags, f), res;

	if (id < 0) {
		if (e)
			vu_node_forget(n, 1);
		file_free(f);
		fuse_reply_err(req, -id);
		return;
	}
	f->passthrough = id > 0;
	fi->fh = (uintptr_t)f;
	set_open_flags(fi, fi->flags);
	if (id > 0)
		res = e ? vu_pt_reply_create(req, e, fi->fh, id) : vu_pt_reply_open(req, fi->fh, id);
	else
		res = e ? fuse_reply_create(req, e, fi) : fuse_reply_open(req, fi);
	if (res == -ENOENT) {
		/* Interrupted: the kernel took neither the entry nor the file,
		 * and will not release it. */
		if (e)
			vu_node_forget(n, 1);
		if (f->passthrough)
			vu_pt_put(n);
		if (f->gated)
			vu_wgate_close(n, f);
		file_free(f);
	}
}

static void vu_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct vu_node *n = vu_node_get(ino);
	struct vu_file *f;
	int err = open_node(n, fi->flags, fuse_req_ctx(req)->uid, &f);

	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	/* An O_TRUNC open by a caller without CAP_FSETID (KILLPRIV_V2). */
	if (vu_req_kill_privs && vu_kill_privs(n))
		vu_notify_inval_attr(ino);
	reply_opened(req, n, fi, f, NULL);
}

/* Install the node for a file we just created through @fd. */
static int install_created(struct vu_node *parent, const char *name, int fd,
			   struct fuse_entry_param *e)
{
	struct vu_node *n;
	struct stat st;
	int pfd;

	pfd = vu_reopen(&(struct vu_node){ .fd = fd }, O_PATH);
	if (pfd < 0)
		return -errno;
	if (fstat(pfd, &st) < 0) {
		int err = -errno;

		close(pfd);
		return err;
	}
	/* New files are never store objects. */
	n = vu_node_install(parent, name, pfd, NULL, &st, false);
	if (!n)
		return -errno;
	vu_fill_entry(n, &st, e);
	return 0;
}

static void vu_create(fuse_req_t req, fuse_ino_t parent_ino, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct vu_node *parent = vu_node_get(parent_ino);
	int bflags = backing_flags(fi->flags), fd, pfd, err;
	struct fuse_entry_param e;
	struct vu_creds creds;
	struct vu_file *f;

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
	err = vu_usage_reserve(0, 1, ctx->uid);
	if (!err)
		err = vu_creds_enter(&creds, ctx->uid, ctx->gid, ctx->umask);
	if (err) {
		if (err != -EDQUOT)
			vu_usage_release(0, 1);
		fuse_reply_err(req, -err);
		return;
	}
	/* Always exclusive on the backing side: an existing name might be a
	 * store object, which must be opened through the break logic. */
	fd = openat(pfd, name, bflags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	err = fd < 0 ? -errno : 0;
	vu_creds_leave(&creds);

	if (err == -EEXIST && !(fi->flags & O_EXCL)) {
		/* Lost a race with another creator: open what is there. */
		err = vu_do_lookup(parent, name, &e);
		if (!err) {
			err = open_node(vu_node_get(e.ino), fi->flags & ~O_CREAT, ctx->uid, &f);
			if (err)
				vu_node_forget(vu_node_get(e.ino), 1);
		}
	} else if (!err) {
		err = install_created(parent, name, fd, &e);
		if (!err && !(f = file_new(fd, bflags, atomic_load(&vu_node_get(e.ino)->gen), ctx->uid))) {
			vu_node_forget(vu_node_get(e.ino), 1);
			err = -ENOMEM;
		}
		if (err) {
			/* Nobody can have seen it yet: undo the creation. */
			unlinkat(pfd, name, 0);
			close(fd);
		} else {
			vu_usage_created(vu_node_get(e.ino));
			vu_usage_track(parent);
		}
	}
	vu_usage_release(0, 1);
	if (err)
		fuse_reply_err(req, -err);
	else
		reply_opened(req, vu_node_get(e.ino), fi, f, &e);
}

int vu_do_tmpfile(struct vu_node *parent, int flags, mode_t mode, uid_t uid, gid_t gid,
		  mode_t mask, struct fuse_entry_param *e, struct vu_file **fp)
{
	int bflags = backing_flags(flags) & ~O_TMPFILE, fd, pfd, err;
	struct vu_creds creds;

	/* As root (see create). */
	pfd = vu_node_fd(parent);
	if (pfd < 0)
		return -errno;
	/* An unnamed file is a private inode like any other (usage.c). */
	err = vu_usage_reserve(0, 1, uid);
	if (err)
		return err;
	err = vu_creds_enter(&creds, uid, gid, mask);
	if (err)
		goto out_release;
	/* O_EXCL passes through: such a file must never be linkable. */
	fd = openat(pfd, ".", bflags | (flags & O_EXCL) | O_TMPFILE | O_CLOEXEC, mode);
	err = fd < 0 ? -errno : 0;
	vu_creds_leave(&creds);
	if (err)
		goto out_release;
	err = install_created(parent, "", fd, e);
	if (!err && !(*fp = file_new(fd, bflags, atomic_load(&vu_node_get(e->ino)->gen), uid))) {
		vu_node_forget(vu_node_get(e->ino), 1);
		err = -ENOMEM;
	}
	if (err)
		close(fd);
	else
		vu_usage_created(vu_node_get(e->ino));
out_release:
	vu_usage_release(0, 1);
	return err;
}

static void vu_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = vu_file_fd(vu_file_of(fi), vu_node_get(ino));
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

/* Under a disk limit: reserve what writing [off, off+len) may allocate.
 * Returns the reservation (to hand to end_write()) or -EDQUOT. */
static int64_t begin_write(fuse_req_t req, int fd, off_t off, size_t len)
{
	int64_t need;
	int err;

	if (!vu_usage.enabled)
		return 0;
	need = vu_usage_write_need(fd, off, len);
	err = vu_usage_reserve(need, 0, fuse_req_ctx(req)->uid);
	return err ? err : need;
}

static void end_write(struct vu_node *n, int64_t reserved)
{
	if (!vu_usage.enabled)
		return;
	vu_usage_track(n);
	vu_usage_release(reserved, 0);
}

static void vu_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *in, off_t off,
			 struct fuse_file_info *fi)
{
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in));
	struct vu_node *n = vu_node_get(ino);
	int fd = vu_file_fd(vu_file_of(fi), n);
	int64_t held = begin_write(req, fd, off, fuse_buf_size(in));
	ssize_t res;

	if (held < 0) {
		fuse_reply_err(req, -held);
		return;
	}
	out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	out.buf[0].fd = fd;
	out.buf[0].pos = off;
	res = fuse_buf_copy(&out, in, 0);
	/* Normally already done at the SETATTR before the write; if not, the
	 * kernel's idea of the mode is stale now. */
	if (res > 0 && vu_req_kill_privs && vu_kill_privs(n))
		vu_notify_inval_attr(ino);
	end_write(n, held);
	if (res < 0)
		fuse_reply_err(req, -res);
	else
		fuse_reply_write(req, res);
}

static void vu_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct vu_file *f = vu_file_of(fi);

	if (f->passthrough)
		vu_pt_put(vu_node_get(ino));
	if (f->gated)
		vu_wgate_close(vu_node_get(ino), f);      /* charges what it wrote */
	file_free(f);
	fuse_reply_err(req, 0);
}

static void vu_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	int fd = vu_file_fd(vu_file_of(fi), vu_node_get(ino));
	int res = datasync ? fdatasync(fd) : fsync(fd);

	/* Stores through a mapping of a passthrough file are seen here
	 * first (wgate.c). */
	if (vu_file_of(fi)->gated)
		vu_wgate_settle(vu_node_get(ino));
	fuse_reply_err(req, res < 0 ? errno : 0);
}

static void vu_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
			 struct fuse_file_info *fi)
{
	struct vu_node *n = vu_node_get(ino);
	int fd = vu_file_fd(vu_file_of(fi), n);
	bool frees = mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE);
	int64_t held = frees ? 0 : begin_write(req, fd, off, len);
	int res;

	if (held < 0) {
		fuse_reply_err(req, -held);
		return;
	}
	res = fallocate(fd, mode, off, len);
	end_write(n, held);
	fuse_reply_err(req, res < 0 ? errno : 0);
}

static void vu_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	off_t res = lseek(vu_file_fd(vu_file_of(fi), vu_node_get(ino)), off, whence);

	if (res < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_lseek(req, res);
}

static void vu_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			       struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
			       struct fuse_file_info *fi_out, size_t len, int flags)
{
	int in = vu_file_fd(vu_file_of(fi_in), vu_node_get(ino_in));
	int out = vu_file_fd(vu_file_of(fi_out), vu_node_get(ino_out));
	int64_t held = begin_write(req, out, off_out, len);
	ssize_t res;

	if (held < 0) {
		fuse_reply_err(req, -held);
		return;
	}
	res = copy_file_range(in, &off_in, out, &off_out, len, flags);
	end_write(vu_node_get(ino_out), held);
	if (res < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_write(req, res);
}

void vu_ops_file(struct fuse_lowlevel_ops *ops)
{
	ops->open = vu_open;
	ops->create = vu_create;
	ops->read = vu_read;
	ops->write_buf = vu_write_buf;
	ops->release = vu_release;
	ops->fsync = vu_fsync;
	ops->fallocate = vu_fallocate;
	ops->lseek = vu_lseek;
	ops->copy_file_range = vu_copy_file_range;
}
