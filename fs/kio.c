// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The session channel between the kernel and libfuse.
 *
 * vunifyfs opens /dev/fuse and mounts itself, then hands the descriptor to
 * libfuse through fuse_session_custom_io(), so that it sees every request
 * and reply on the way.  That is how it serves what libfuse 3.14 does not
 * know: FUSE_TMPFILE (O_TMPFILE, protocol 7.37) is answered here directly.
 * (Kernel passthrough will need the same place to adjust the INIT reply.)
 * Replies carrying file data are spliced, as libfuse itself would.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vunifyfs.h"

static void attr_out(struct fuse_attr *a, const struct stat *st)
{
	a->ino = st->st_ino;
	a->size = st->st_size;
	a->blocks = st->st_blocks;
	a->atime = st->st_atim.tv_sec;
	a->mtime = st->st_mtim.tv_sec;
	a->ctime = st->st_ctim.tv_sec;
	a->atimensec = st->st_atim.tv_nsec;
	a->mtimensec = st->st_mtim.tv_nsec;
	a->ctimensec = st->st_ctim.tv_nsec;
	a->mode = st->st_mode;
	a->nlink = st->st_nlink;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->rdev = st->st_rdev;
	a->blksize = st->st_blksize;
}

static void split_time(double t, uint64_t *sec, uint32_t *nsec)
{
	*sec = (uint64_t)t;
	*nsec = (uint32_t)((t - (double)*sec) * 1e9);
}

/* Answer a FUSE_TMPFILE request; the reply is an entry plus an open file,
 * as for FUSE_CREATE. */
static void serve_tmpfile(int fd, const struct fuse_in_header *in, size_t len)
{
	const struct fuse_create_in *arg = (const void *)(in + 1);
	struct {
		struct fuse_out_header h;
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} out;
	struct fuse_entry_param e;
	struct vu_file *f = NULL;
	int err = -EINVAL;

	memset(&out, 0, sizeof(out));
	if (len >= sizeof(*in) + sizeof(*arg))
		err = vu_do_tmpfile(vu_node_get(in->nodeid), arg->flags, arg->mode, in->uid,
				    in->gid, arg->umask, &e, &f);
	out.h.unique = in->unique;
	if (err) {
		out.h.error = err;
		out.h.len = sizeof(out.h);
	} else {
		out.h.len = sizeof(out);
		out.e.nodeid = e.ino;
		split_time(e.entry_timeout, &out.e.entry_valid, &out.e.entry_valid_nsec);
		split_time(e.attr_timeout, &out.e.attr_valid, &out.e.attr_valid_nsec);
		attr_out(&out.e.attr, &e.attr);
		out.o.fh = (uintptr_t)f;
		out.o.open_flags = FOPEN_KEEP_CACHE;
	}
	if (write(fd, &out, out.h.len) < 0 && f) {
		/* The kernel dropped the request (interrupted): undo. */
		vu_node_forget(vu_node_get(e.ino), 1);
		close(f->fd);
		free(f);
	}
}

static ssize_t kio_read(int fd, void *buf, size_t len, void *userdata)
{
	for (;;) {
		ssize_t n = read(fd, buf, len);
		const struct fuse_in_header *in = buf;

		if (n < (ssize_t)sizeof(*in) || in->opcode != FUSE_TMPFILE)
			return n;
		serve_tmpfile(fd, in, n);
	}
}

static ssize_t kio_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	return writev(fd, iov, count);
}

static ssize_t kio_splice_send(int fdin, off_t *offin, int fdout, off_t *offout, size_t len,
			       unsigned int flags, void *userdata)
{
	return splice(fdin, offin, fdout, offout, len, flags);
}

int vu_kio_setup(struct fuse_session *se, int devfd)
{
	const struct fuse_custom_io io = {
		.read = kio_read,
		.writev = kio_writev,
		.splice_send = kio_splice_send,
	};

	return fuse_session_custom_io(se, &io, devfd);
}
