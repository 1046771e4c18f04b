// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The session channel between the kernel and libfuse.
 *
 * vunifyfs opens /dev/fuse and mounts itself, then hands the descriptor to
 * libfuse through fuse_session_custom_io(), so that it sees every request
 * and reply on the way.  That is how it serves what libfuse 3.14 does not
 * know: FUSE_TMPFILE (O_TMPFILE, protocol 7.37) is answered here directly,
 * and the INIT reply is amended for kernel passthrough (passthrough.c) and
 * FUSE over io_uring (uring.c).  Replies carrying file data are spliced,
 * as libfuse itself would.  Requests that came over the ring pass the same
 * prologue (vu_kio_request) and their replies come through here too, to be
 * routed into the ring entry (uring.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vunifyfs.h"

/* A reply of our own: into the ring entry of the request, if it came over
 * the ring (uring.c), else to /dev/fuse. */
static ssize_t kio_send(int fd, void *buf, size_t len)
{
	struct iovec iov = { buf, len };
	ssize_t ret;

	if (vu_uring_reply(&iov, 1, &ret))
		return ret;
	return write(fd, buf, len);
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
	int err = -EINVAL, id = 0;

	memset(&out, 0, sizeof(out));
	if (len >= sizeof(*in) + sizeof(*arg))
		err = vu_do_tmpfile(vu_node_get(in->nodeid), arg->flags, arg->mode, in->uid,
				    in->gid, arg->umask, &e, &f);
	if (!err) {
		id = vu_pt_get(vu_node_get(e.ino), arg->flags, f);
		if (id < 0) {
			err = id;
			vu_node_forget(vu_node_get(e.ino), 1);
			close(f->fd);
			free(f);
			f = NULL;
		}
	}
	out.h.unique = in->unique;
	if (err) {
		out.h.error = err;
		out.h.len = sizeof(out.h);
	} else {
		out.h.len = sizeof(out);
		f->passthrough = id > 0;
		vu_entry_out(&out.e, &e);
		vu_pt_open_out(&out.o, (uintptr_t)f, id, true);
	}
	if (kio_send(fd, &out, out.h.len) < 0 && f) {
		/* The kernel dropped the request (interrupted): undo. */
		if (f->passthrough)
			vu_pt_put(vu_node_get(e.ino));
		vu_node_forget(vu_node_get(e.ino), 1);
		close(f->fd);
		free(f);
	}
}

__thread bool vu_req_kill_privs;

/*
 * With FUSE_HANDLE_KILLPRIV_V2 the kernel says in WRITE, OPEN and CREATE
 * requests that the caller may not keep setuid/setgid (it lacks
 * CAP_FSETID); libfuse 3.14 drops those flags.  The thread that reads a
 * request is the one that serves it, so a thread-local flag carries the
 * word to the handler.
 */
static void note_kill_privs(const struct fuse_in_header *in, size_t len)
{
	const void *arg = in + 1;
	size_t have = len - sizeof(*in);

	vu_req_kill_privs = false;
	if (in->opcode == FUSE_WRITE && have >= sizeof(struct fuse_write_in))
		vu_req_kill_privs = ((const struct fuse_write_in *)arg)->write_flags &
				    FUSE_WRITE_KILL_SUIDGID;
	else if (in->opcode == FUSE_OPEN && have >= sizeof(struct fuse_open_in))
		vu_req_kill_privs = ((const struct fuse_open_in *)arg)->open_flags &
				    FUSE_OPEN_KILL_SUIDGID;
	else if (in->opcode == FUSE_CREATE && have >= sizeof(struct fuse_create_in))
		vu_req_kill_privs = ((const struct fuse_create_in *)arg)->open_flags &
				    FUSE_OPEN_KILL_SUIDGID;
}

bool vu_kio_request(int fd, const struct fuse_in_header *in, size_t len)
{
	vu_fdc_request_begin();
	vu_stats_begin(in->opcode);
	if (vu_fs.killpriv_v2)
		note_kill_privs(in, len);
	if (in->opcode == FUSE_INIT) {
		vu_pt_saw_init(in, len);
		vu_uring_saw_init(in, len);
	}
	if (in->opcode != FUSE_TMPFILE)
		return false;
	serve_tmpfile(fd, in, len);
	return true;
}

void vu_kio_request_done(void)
{
	vu_stats_end();
	vu_fdc_request_end();
}

static ssize_t kio_read(int fd, void *buf, size_t len, void *userdata)
{
	/* Back for the next request: the last one is done (and with it
	 * every use of node descriptors it made: fdcache.c). */
	vu_kio_request_done();
	for (;;) {
		ssize_t n = read(fd, buf, len);
		const struct fuse_in_header *in = buf;

		if (n < (ssize_t)sizeof(*in))
			return n;
		if (!vu_kio_request(fd, in, n))
			return n;
		vu_kio_request_done();
	}
}

static ssize_t kio_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	static atomic_bool init_done;
	ssize_t ret;

	/* Only the very first reply can be INIT's. */
	if (!atomic_load(&init_done)) {
		atomic_store(&init_done, true);
		vu_pt_amend_init(iov, count);
		vu_uring_amend_init(iov, count);
	}
	if (vu_uring_reply(iov, count, &ret))
		return ret;
	return writev(fd, iov, count);
}

static ssize_t kio_splice_send(int fdin, off_t *offin, int fdout, off_t *offout, size_t len,
			       unsigned int flags, void *userdata)
{
	ssize_t ret;

	/* A data reply to a ring request: from the pipe into its entry. */
	if (vu_uring_splice_reply(fdin, len, &ret))
		return ret;
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
