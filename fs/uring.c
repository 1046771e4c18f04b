// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * FUSE over io_uring (Linux 6.14+, CONFIG_FUSE_IO_URING, module parameter
 * fuse.enable_uring) on libfuse 3.14, which knows nothing of it.
 *
 * The kernel offers FUSE_OVER_IO_URING at INIT; kio.c shows us the request
 * and lets us amend libfuse's reply to accept it.  Then each ring entry is
 * a header buffer and a payload buffer registered with an
 * IORING_OP_URING_CMD on /dev/fuse; the kernel puts a request into an
 * entry and completes its command, the daemon serves it and hands the
 * reply back with COMMIT_AND_FETCH, which also waits for the next request:
 * one system call per round trip instead of a read and a write.
 *
 * What the kernel requires (fs/fuse/dev_uring.c):
 *  - 128-byte SQEs (IORING_SETUP_SQE128): the command sits in the SQE;
 *  - one queue per *possible* CPU; only when every queue has an entry
 *    registered does the kernel switch from /dev/fuse to the ring, and from
 *    then on a request goes to the queue of the CPU its caller runs on;
 *  - a payload buffer of at least max(8K, max_write, max_pages pages),
 *    known from our INIT reply;
 *  - FORGET and INTERRUPT still come through /dev/fuse, so the classic
 *    libfuse loop keeps running beside the ring.
 *
 * A request arrives split: fuse_in_header in in_out, its first argument
 * (the per-opcode struct, absent for some) in op_in, the rest in the
 * payload.  libfuse 3.14 takes one contiguous buffer, so the header and
 * op_in are copied in front of the payload, into headroom left before it
 * (the payload itself is not copied).  The size of op_in is what the
 * kernel's in.len leaves after the header and the payload.
 *
 * Replies come back through kio.c's writev (or splice): a reply whose
 * unique is the request this thread holds goes into the entry, header to
 * in_out and the rest to the payload.  Every vunifyfs handler replies on
 * the thread that serves the request (the notifier sends only
 * notifications, unique 0, which the ring does not take), so the entry is
 * committed by its own thread after fuse_session_process_buf() returns; a
 * request left without a reply is answered EIO rather than left to hang.
 *
 * Threads: one per entry, each with its own small ring, threads=N/CPUs
 * of them per queue (at least one), pinned to the queue's CPU so that the
 * caller's CPU serves it.  At unmount the kernel ends every waiting
 * command with ENOTCONN and the threads leave; a session ended by a signal
 * (the mount still up) wakes them through an eventfd polled in every ring.
 * Either way they are joined before the session is destroyed: libfuse
 * frees a thread's splice pipe only when that thread exits while the
 * session still exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "uring_abi.h"
#include "vunifyfs.h"

/* Room in front of the payload for fuse_in_header and op_in. */
#define HEADROOM 256
#define POSSIBLE "/sys/devices/system/cpu/possible"
#define ENABLE_PARAM "/sys/module/fuse/parameters/enable_uring"
/* user_data of the wake-up poll; FUSE commands carry 0. */
#define WAKE_TAG 1

struct ent {
	struct vu_fuse_uring_req_header hdr;
	struct iovec iov[2];
	char *buf;                  /* HEADROOM + payload */
	uint64_t unique;            /* the request in hand, 0 if none */
	bool replied;
	unsigned int qid;
	struct io_uring ring;
	pthread_t thread;
};

static struct {
	enum vu_uring_mode mode;
	uint64_t init_unique;
	bool offered;               /* the kernel offered it at INIT */
	bool negotiated;            /* our INIT reply accepted it */
	size_t payload;             /* payload buffer per entry */
	unsigned int queues, per_queue;
	struct ent *ents;
	unsigned int threads;       /* started, to be joined */
	int devfd;
	int wakefd;                 /* eventfd: readable when the session goes */
	_Atomic uint64_t requests;  /* served over the ring */
	atomic_bool active;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int started;       /* threads that have registered (or failed) */
	unsigned int busy;          /* threads serving a request */
	bool stopping;              /* the session is going: serve nothing more */
	int err;                    /* the first registration error */
	char why[160];              /* why it is not used, for --stats */
} ur = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .devfd = -1,
       .wakefd = -1 };

static __thread struct ent *cur;    /* this thread's entry, if a ring thread */

void vu_uring_set_mode(enum vu_uring_mode mode)
{
	ur.mode = mode;
}

void vu_uring_saw_init(const struct fuse_in_header *in, size_t len)
{
	const struct fuse_init_in *arg = (const void *)(in + 1);

	ur.init_unique = in->unique;
	ur.offered = len >= sizeof(*in) + offsetof(struct fuse_init_in, unused) &&
		     (arg->flags & FUSE_INIT_EXT) && (arg->flags2 & VU_FUSE_OVER_IO_URING_HI);
}

void vu_uring_amend_init(struct iovec *iov, int count)
{
	const struct fuse_out_header *out = iov[0].iov_base;
	struct fuse_init_out *arg;
	size_t pages;

	if (ur.mode == VU_URING_OFF || !ur.offered || out->unique != ur.init_unique ||
	    out->error || count < 2 || iov[1].iov_len < offsetof(struct fuse_init_out, unused))
		return;
	arg = iov[1].iov_base;
	arg->flags |= FUSE_INIT_EXT;
	arg->flags2 |= VU_FUSE_OVER_IO_URING_HI;
	/* The kernel's minimum for an entry's payload (fuse_uring_create). */
	pages = (arg->flags & FUSE_MAX_PAGES) ? arg->max_pages : 32;
	ur.payload = pages * (size_t)sysconf(_SC_PAGESIZE);
	if (ur.payload < arg->max_write)
		ur.payload = arg->max_write;
	if (ur.payload < 8192)
		ur.payload = 8192;
	ur.negotiated = true;
}

/* The kernel's num_possible_cpus(): how many queues it wants. */
static unsigned int possible_cpus(void)
{
	char line[256], *p = line;
	unsigned int n = 0;
	FILE *f = fopen(POSSIBLE, "re");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
		while (*p && *p != '\n') {
			char *end;
			unsigned long a = strtoul(p, &end, 10), b = a;

			if (end == p)
				break;
			if (*end == '-')
				b = strtoul(end + 1, &end, 10);
			n += b >= a ? (unsigned int)(b - a + 1) : 0;
			p = *end == ',' ? end + 1 : end;
		}
	}
	return n ? n : (unsigned int)get_nprocs_conf();
}

/* An IORING_OP_URING_CMD for the FUSE device. */
static int submit_cmd(struct io_uring *ring, int fd, unsigned int op, struct ent *e)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct vu_fuse_uring_cmd_req *req;

	if (!sqe)
		return -EBUSY;
	memset(sqe, 0, 128);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = op;
	if (e) {
		req = (void *)sqe->cmd;
		req->qid = (uint16_t)e->qid;
		req->commit_id = e->unique;
		if (op == VU_FUSE_IO_URING_CMD_REGISTER) {
			sqe->addr = (uintptr_t)e->iov;
			sqe->len = 2;
		}
	}
	return io_uring_submit(ring);
}

static int ring_init(struct io_uring *ring)
{
	struct io_uring_params p = { .flags = IORING_SETUP_SQE128 };

	return io_uring_queue_init_params(4, ring, &p);
}

static bool enable_param(bool *on)
{
	char c = 0;
	int fd = open(ENABLE_PARAM, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	*on = c == 'Y' || c == '1';
	return true;
}

const char *vu_uring_why(int err)
{
	bool on;

	switch (err) {
	case -ENOPROTOOPT:
		return "FUSE over io_uring is disabled in the kernel (module parameter "
		       "fuse.enable_uring is off: echo 1 > " ENABLE_PARAM ")";
	case -EOPNOTSUPP:
		if (enable_param(&on) && !on)
			return vu_uring_why(-ENOPROTOOPT);
		return "the kernel does not offer FUSE over io_uring (needs Linux 6.14 or later "
		       "with CONFIG_FUSE_IO_URING)";
	case -EPERM:
	case -ENOSYS:
		return "io_uring is not available to this process (kernel.io_uring_disabled, "
		       "seccomp or a kernel without io_uring)";
	case -EINVAL:
		return "the kernel refuses 128-byte io_uring entries (IORING_SETUP_SQE128)";
	case -EPROTO:
		return "the kernel answered the FUSE io_uring probe unexpectedly";
	default:
		return strerror(-err);
	}
}

int vu_uring_probe(int devfd)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	int err;

	if (!ur.offered || !ur.negotiated) {
		bool on;

		err = enable_param(&on) && !on ? -ENOPROTOOPT : -EOPNOTSUPP;
		goto out;
	}
	err = ring_init(&ring);
	if (err < 0)
		goto out;
	/*
	 * A command the kernel does not know (0): past its checks for
	 * SQE128, enable_uring and an initialized connection it answers
	 * EINVAL, and registers nothing (a failed REGISTER would turn the
	 * ring off for this connection).
	 */
	err = submit_cmd(&ring, devfd, 0, NULL);
	if (err >= 0) {
		/* Answered at once; a kernel that kept it would be news. */
		struct __kernel_timespec ts = { .tv_sec = 5 };

		err = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
		if (err == -ETIME)
			err = -EPROTO;
	}
	if (err >= 0) {
		err = cqe->res == -EINVAL ? 0 : cqe->res == -EOPNOTSUPP ? -EOPNOTSUPP : -EPROTO;
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
out:
	if (err)
		snprintf(ur.why, sizeof(ur.why), "%s", vu_uring_why(err));
	return err;
}

/* Rebuild what read(/dev/fuse) would have given and serve it. */
static void serve(struct ent *e)
{
	const struct fuse_in_header *ih = (const void *)e->hdr.in_out;
	size_t pay = e->hdr.ring_ent_in_out.payload_sz, op;
	struct fuse_in_header *in;
	struct fuse_buf fb = { 0 };

	e->unique = ih->unique;
	e->replied = false;
	op = ih->len - sizeof(*ih) - pay;
	if (ih->len < sizeof(*ih) + pay || op > VU_FUSE_URING_OP_IN_SZ || pay > ur.payload) {
		vu_log(LOG_ERR, "io_uring: malformed request (opcode %u, length %u, payload %zu)",
		       ih->opcode, ih->len, pay);
		return;         /* answered EIO by the caller */
	}
	in = (void *)(e->buf + HEADROOM - sizeof(*ih) - op);
	memcpy(in, ih, sizeof(*ih));
	memcpy(in + 1, e->hdr.op_in, op);
	fb.mem = in;
	fb.size = sizeof(*ih) + op + pay;
	atomic_fetch_add_explicit(&ur.requests, 1, memory_order_relaxed);
	if (!vu_kio_request(ur.devfd, in, fb.size))
		fuse_session_process_buf(vu_fs.se, &fb);
	vu_kio_request_done();
}

/* Fill the entry's reply, @n bytes at @iov, whose iov[0] holds at least
 * the header: header to in_out, the rest to the payload. */
static void fill_reply(struct ent *e, const struct iovec *iov, int count, size_t n)
{
	struct fuse_out_header *oh = (void *)e->hdr.in_out;
	size_t at = 0;

	memcpy(oh, iov[0].iov_base, sizeof(*oh));
	if (n - sizeof(*oh) > ur.payload) {
		vu_log(LOG_ERR, "io_uring: a %zu-byte reply does not fit the ring's payload "
		       "buffer", n);
		oh->error = -EIO;
		goto out;
	}
	for (int i = 0; i < count; i++) {
		size_t skip = i ? 0 : sizeof(*oh);

		memcpy(e->buf + HEADROOM + at, (const char *)iov[i].iov_base + skip,
		       iov[i].iov_len - skip);
		at += iov[i].iov_len - skip;
	}
out:
	e->hdr.ring_ent_in_out.payload_sz = (uint32_t)at;
	e->replied = true;
}

bool vu_uring_reply(const struct iovec *iov, int count, ssize_t *ret)
{
	struct ent *e = cur;
	const struct fuse_out_header *oh;
	size_t n = 0;

	if (!e || !e->unique || count < 1 || iov[0].iov_len < sizeof(*oh))
		return false;
	oh = iov[0].iov_base;
	if (oh->unique != e->unique)
		return false;   /* e.g. libfuse's EAGAIN to an INTERRUPT: /dev/fuse's */
	for (int i = 0; i < count; i++)
		n += iov[i].iov_len;
	fill_reply(e, iov, count, n);
	*ret = (ssize_t)n;
	return true;
}

/* Read exactly @len bytes from the pipe @fd. */
static int read_full(int fd, char *p, size_t len)
{
	while (len) {
		ssize_t r = read(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

bool vu_uring_splice_reply(int fdin, size_t len, ssize_t *ret)
{
	struct ent *e = cur;
	struct fuse_out_header *oh;
	int err;

	/* Only data replies are spliced, and only the request's own. */
	if (!e || !e->unique)
		return false;
	oh = (void *)e->hdr.in_out;
	err = len < sizeof(*oh) || len - sizeof(*oh) > ur.payload ? -EIO :
	      read_full(fdin, (char *)oh, sizeof(*oh));
	if (!err)
		err = read_full(fdin, e->buf + HEADROOM, len - sizeof(*oh));
	if (!err && oh->unique != e->unique)
		err = -EPROTO;
	if (err) {
		vu_log(LOG_ERR, "io_uring: a spliced reply: %s", strerror(-err));
		e->replied = false;     /* answered EIO */
		errno = -err;
		*ret = -1;
		return true;
	}
	e->hdr.ring_ent_in_out.payload_sz = (uint32_t)(len - sizeof(*oh));
	e->replied = true;
	*ret = (ssize_t)len;
	return true;
}

static void started(int err)
{
	pthread_mutex_lock(&ur.lock);
	ur.started++;
	if (err && !ur.err)
		ur.err = err;
	pthread_cond_broadcast(&ur.cond);
	pthread_mutex_unlock(&ur.lock);
}

static bool serve_begin(void)
{
	bool ok;

	pthread_mutex_lock(&ur.lock);
	ok = !ur.stopping;
	ur.busy += ok;
	pthread_mutex_unlock(&ur.lock);
	return ok;
}

static void serve_end(void)
{
	pthread_mutex_lock(&ur.lock);
	if (--ur.busy == 0)
		pthread_cond_broadcast(&ur.cond);
	pthread_mutex_unlock(&ur.lock);
}

/* Threads still serving get until @until; then every thread is woken and
 * joined by the same deadline.  One that does not leave by then (a request
 * stuck in a system call) is left running and its entry is not freed. */
void vu_uring_stop(void)
{
	static const uint64_t one = 1;
	struct timespec until;
	unsigned int joined = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&ur.lock);
	ur.stopping = true;
	while (ur.busy)
		if (pthread_cond_timedwait(&ur.cond, &ur.lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&ur.lock);
	atomic_store(&ur.active, false);
	if (!ur.threads)
		goto out;
	if (write(ur.wakefd, &one, sizeof(one)) != sizeof(one))
		vu_log(LOG_ERR, "io_uring: waking the ring threads: %s", strerror(errno));
	for (unsigned int i = 0; i < ur.threads; i++)
		joined += pthread_timedjoin_np(ur.ents[i].thread, NULL, &until) == 0;
	if (joined < ur.threads) {
		vu_log(LOG_WARNING, "io_uring: %u ring thread(s) did not stop in time",
		       ur.threads - joined);
		return;
	}
	for (unsigned int i = 0; i < ur.threads; i++)
		free(ur.ents[i].buf);
	free(ur.ents);
	ur.ents = NULL;
	ur.threads = 0;
out:
	if (ur.wakefd >= 0)
		close(ur.wakefd);
	ur.wakefd = -1;
}

/* Ask @ring to complete (WAKE_TAG) when vu_uring_stop() writes the
 * eventfd.  Without it a thread still leaves at unmount (ENOTCONN). */
static int arm_wake(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return -EBUSY;
	memset(sqe, 0, 128);
	io_uring_prep_poll_add(sqe, ur.wakefd, POLLIN);
	io_uring_sqe_set_data64(sqe, WAKE_TAG);
	return io_uring_submit(ring);
}

static void *ent_main(void *arg)
{
	struct ent *e = arg;
	struct io_uring_cqe *cqe;
	cpu_set_t cpus;
	char name[16];
	int err;

	cur = e;
	snprintf(name, sizeof(name), "vu-ring/%u", e->qid);
	pthread_setname_np(pthread_self(), name);
	/* The queue serves callers on CPU qid: answer them from there. */
	CPU_ZERO(&cpus);
	CPU_SET(e->qid, &cpus);
	pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);   /* offline: anywhere */
	err = ring_init(&e->ring);
	if (err < 0) {
		started(err);
		return NULL;
	}
	err = submit_cmd(&e->ring, ur.devfd, VU_FUSE_IO_URING_CMD_REGISTER, e);
	/* A refused registration completes at once; a good one waits for
	 * the first request. */
	if (err >= 0 && io_uring_peek_cqe(&e->ring, &cqe) == 0 && cqe->res < 0)
		err = cqe->res;
	if (err >= 0)
		err = arm_wake(&e->ring);
	started(err < 0 ? err : 0);
	if (err < 0)
		goto out;
	for (;;) {
		err = io_uring_wait_cqe(&e->ring, &cqe);
		if (err == -EINTR)
			continue;
		if (err < 0)
			break;
		if (cqe->user_data == WAKE_TAG) {
			io_uring_cqe_seen(&e->ring, cqe);
			err = 0;
			break;      /* vu_uring_stop */
		}
		err = cqe->res;
		io_uring_cqe_seen(&e->ring, cqe);
		if (err < 0)
			break;      /* ENOTCONN: unmounted or aborted */
		if (!serve_begin())
			break;      /* the session is going (vu_uring_stop) */
		serve(e);
		serve_end();
		if (!e->replied) {
			struct fuse_out_header *oh = (void *)e->hdr.in_out;

			oh->unique = e->unique;
			oh->error = -EIO;
			oh->len = sizeof(*oh);
			e->hdr.ring_ent_in_out.payload_sz = 0;
		}
		err = submit_cmd(&e->ring, ur.devfd, VU_FUSE_IO_URING_CMD_COMMIT_AND_FETCH, e);
		e->unique = 0;
		if (err < 0)
			break;
	}
	if (err < 0 && err != -ENOTCONN && err != -ECONNABORTED && err != -ECANCELED)
		vu_log(LOG_ERR, "io_uring queue %u: %s", e->qid, strerror(-err));
out:
	io_uring_queue_exit(&e->ring);
	return NULL;
}

int vu_uring_start(int devfd, unsigned int threads)
{
	struct timespec until;
	unsigned int n;
	int err = 0;

	ur.devfd = devfd;
	ur.queues = possible_cpus();
	ur.per_queue = threads / ur.queues ? threads / ur.queues : 1;
	n = ur.queues * ur.per_queue;
	ur.wakefd = eventfd(0, EFD_CLOEXEC);
	if (ur.wakefd < 0)
		return -errno;
	ur.ents = calloc(n, sizeof(*ur.ents));
	if (!ur.ents)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		struct ent *e = &ur.ents[i];

		e->qid = i % ur.queues;
		e->buf = malloc(HEADROOM + ur.payload);
		if (!e->buf) {
			err = -ENOMEM;
			break;
		}
		e->iov[0] = (struct iovec){ &e->hdr, sizeof(e->hdr) };
		e->iov[1] = (struct iovec){ e->buf + HEADROOM, ur.payload };
		err = -pthread_create(&e->thread, NULL, ent_main, e);
		if (err) {
			free(e->buf);
			break;
		}
		ur.threads++;
	}
	/* Registration is quick; wait for every thread's word. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&ur.lock);
	while (ur.started < ur.threads && !err)
		if (pthread_cond_timedwait(&ur.cond, &ur.lock, &until) == ETIMEDOUT)
			err = -ETIMEDOUT;
	if (!err)
		err = ur.err;
	pthread_mutex_unlock(&ur.lock);
	if (err) {
		snprintf(ur.why, sizeof(ur.why), "registering ring entries: %s", strerror(-err));
		return err;
	}
	atomic_store(&ur.active, true);
	return 0;
}

void vu_uring_report(FILE *f)
{
	if (atomic_load(&ur.active))
		fprintf(f, "transport uring %u %u\n", ur.queues, ur.per_queue);
	else
		fprintf(f, "transport classic%s%s%s\n", ur.why[0] ? " (" : "", ur.why,
			ur.why[0] ? ")" : "");
	fprintf(f, "uring_requests %llu\n",
		(unsigned long long)atomic_load_explicit(&ur.requests, memory_order_relaxed));
}
