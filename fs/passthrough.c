// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel FUSE passthrough on libfuse 3.14.
 *
 * Since Linux 6.9 an open FUSE file can be handed to a backing file: reads,
 * writes and mmap then go straight to it, at native speed and through the
 * backing inode's page cache, which every guest sharing a store object
 * shares.  libfuse learned the API in 3.17; Debian 12 has 3.14, so vunifyfs
 * speaks the (stable) protocol itself:
 *
 *  - INIT: the kernel offers FUSE_PASSTHROUGH in flags2; kio.c shows us the
 *    request and lets us amend libfuse's reply (flag echoed with
 *    FUSE_INIT_EXT, max_stack_depth set, no writeback cache).  If any of it
 *    is wrong the kernel says nothing; every backing open then fails EPERM,
 *    which is why main() probes once before going to the background.
 *  - FUSE_DEV_IOC_BACKING_OPEN registers a descriptor and returns an id;
 *    an open or create reply carries it with FOPEN_PASSTHROUGH.
 *  - One backing file per FUSE inode at a time, and no mixing of cached and
 *    passthrough opens of one inode: so one id per node, shared by all its
 *    opens, closed on the last release (never before the kernel has seen
 *    the reply that used it).
 *
 * Layouts and constants below are those of the kernel's
 * include/uapi/linux/fuse.h (protocol 7.40+); Debian 12's header predates
 * them.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include "vunifyfs.h"

/* include/uapi/linux/fuse.h, 7.40: */
#define VU_FUSE_INIT_EXT        (1U << 30)      /* flags: flags2 is valid */
#define VU_FUSE_PASSTHROUGH_HI  (1U << 5)       /* flags2: FUSE_PASSTHROUGH (1ULL << 37) */
#define VU_FUSE_WRITEBACK_CACHE (1U << 16)
#define VU_FOPEN_PASSTHROUGH    (1U << 7)

struct vu_fuse_init_in {                        /* struct fuse_init_in */
	uint32_t major, minor, max_readahead, flags, flags2;
	uint32_t unused[11];
};

struct vu_fuse_init_out {                       /* struct fuse_init_out */
	uint32_t major, minor, max_readahead, flags;
	uint16_t max_background, congestion_threshold;
	uint32_t max_write, time_gran;
	uint16_t max_pages, map_alignment;
	uint32_t flags2;
	uint32_t max_stack_depth;
	uint32_t unused[6];
};

struct vu_fuse_open_out {                       /* struct fuse_open_out */
	uint64_t fh;
	uint32_t open_flags;
	int32_t backing_id;
};

struct vu_fuse_backing_map {                    /* struct fuse_backing_map */
	int32_t fd;
	uint32_t flags;
	uint64_t padding;
};

#define VU_FUSE_DEV_IOC_BACKING_OPEN  _IOW(229, 1, struct vu_fuse_backing_map)
#define VU_FUSE_DEV_IOC_BACKING_CLOSE _IOW(229, 2, uint32_t)

_Static_assert(sizeof(struct vu_fuse_init_out) == 64, "fuse_init_out is 64 bytes");
_Static_assert(offsetof(struct vu_fuse_init_out, flags2) == 32, "flags2 offset");
_Static_assert(sizeof(struct vu_fuse_open_out) == 16, "fuse_open_out is 16 bytes");

static uint64_t init_unique;    /* the INIT request, to find its reply */
static bool kernel_offers;
static bool kernel_killpriv_v2; /* FUSE_HANDLE_KILLPRIV_V2 offered */

void vu_pt_saw_init(const struct fuse_in_header *in, size_t len)
{
	const struct vu_fuse_init_in *arg = (const void *)(in + 1);

	init_unique = in->unique;
	kernel_offers = len >= sizeof(*in) + offsetof(struct vu_fuse_init_in, unused) &&
			(arg->flags & VU_FUSE_INIT_EXT) && (arg->flags2 & VU_FUSE_PASSTHROUGH_HI);
	kernel_killpriv_v2 = len >= sizeof(*in) + offsetof(struct vu_fuse_init_in, flags2) &&
			     (arg->flags & FUSE_HANDLE_KILLPRIV_V2);
}

bool vu_pt_offered_at_init(void)
{
	return kernel_offers;
}

void vu_pt_amend_init(struct iovec *iov, int count)
{
	const struct fuse_out_header *out = iov[0].iov_base;
	struct vu_fuse_init_out *arg;

	if (out->unique != init_unique || out->error || count < 2 ||
	    iov[1].iov_len < sizeof(*arg))
		return;
	arg = iov[1].iov_base;
	/*
	 * Dropping setuid/setgid on unprivileged writes becomes ours (see
	 * vu_kill_privs()).  In return the kernel marks inodes with nothing to
	 * drop (SB_NOSEC) and stops asking us for security.capability before
	 * every write(), a round trip that halves passthrough write speed.
	 * libfuse 3.14 does not know the flag.
	 */
	if (kernel_killpriv_v2) {
		arg->flags = (arg->flags | FUSE_HANDLE_KILLPRIV_V2) & ~FUSE_HANDLE_KILLPRIV;
		vu_fs.killpriv_v2 = true;
	}
	vu_fs.pt_offered = kernel_offers;
	if (vu_fs.pt_mode == VU_PT_OFF || !kernel_offers)
		return;
	arg->flags |= VU_FUSE_INIT_EXT;
	arg->flags &= ~VU_FUSE_WRITEBACK_CACHE;
	arg->flags2 |= VU_FUSE_PASSTHROUGH_HI;
	/* How deep the backing files are stacked, plus us. */
	arg->max_stack_depth = vu_fs.pt_depth;
	vu_fs.pt_negotiated = true;
}

int vu_pt_backing_open(int fd)
{
	struct vu_fuse_backing_map map = { .fd = fd };
	int id = ioctl(fuse_session_fd(vu_fs.se), VU_FUSE_DEV_IOC_BACKING_OPEN, &map);

	return id < 0 ? -errno : id;
}

static void backing_close(int id)
{
	uint32_t arg = id;

	if (ioctl(fuse_session_fd(vu_fs.se), VU_FUSE_DEV_IOC_BACKING_CLOSE, &arg) < 0)
		vu_log(LOG_WARNING, "passthrough: closing backing id %d: %s", id, strerror(errno));
}

/* Give up passthrough for good (auto mode), saying why once. */
static void pt_refused(int err)
{
	if (atomic_exchange(&vu_fs.passthrough, false))
		vu_log(LOG_WARNING, "passthrough refused by the kernel (%s); serving I/O in "
		       "vunifyfs from now on", strerror(err));
}

int vu_pt_probe(int dirfd)
{
	int fd, id, err = 0;

	if (!vu_fs.pt_negotiated)
		return vu_fs.pt_offered ? -EPROTO : -EOPNOTSUPP;
	/* An unnamed file on the backing filesystem: exactly what real
	 * opens will register, including the stacking-depth check. */
	fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return 0;       /* cannot probe here; the first open will tell */
	id = vu_pt_backing_open(fd);
	if (id < 0)
		err = id;
	else
		backing_close(id);
	close(fd);
	return err;
}

/*
 * Under disk limits every write to a private file must be counted: by the
 * write gate (wgate.c) in passthrough, else by serving the file here.
 * Store objects, never written, keep passthrough and their shared page
 * cache; read-only opens of private files keep it where the gate runs.
 */
static bool limited(const struct vu_node *n, bool writes, bool gated)
{
	if (!vu_usage.enabled || n->unified)
		return false;
	return writes ? !gated : !vu_wgate_on();
}

/*
 * The open file's own descriptor, when it can stand for the node in the
 * registration (saving an open and a close per FUSE open), else -1.  Called
 * with n->lock held, which a link break holds too.  Only:
 * - of a private node: objects are registered by the guard, under its
 *   credentials;
 * - read-only: the kernel keeps the registered file as long as the node
 *   keeps its id (vu_pt_put), and a writable one would count as a writer
 *   of the inode all that time (ETXTBSY on exec);
 * - of the node's current generation: after a break since the descriptor
 *   was opened it may name the store object (the generation is read before
 *   the descriptor is opened and bumped after n->fd moves: file.c).
 */
static int reusable_fd(const struct vu_node *n, const struct vu_file *f)
{
	if (!f || n->unified || n->bk_shared || (f->flags & O_ACCMODE) != O_RDONLY ||
	    atomic_load(&f->gen) != atomic_load(&n->gen))
		return -1;
	return f->fd;
}

int vu_pt_get(struct vu_node *n, int flags, struct vu_file *f)
{
	bool writes = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
	bool own = true, gated = false;
	int fd, id = 0;

	/* Under a space limit a private file is written in passthrough only
	 * through the write gate, watched before the kernel opens its backing
	 * file for this open (wgate.c); the gate's lock comes before the
	 * node's. */
	if (f && vu_wgate_wants(n, flags))
		gated = vu_wgate_open(n, f) == 0;
	pthread_mutex_lock(&n->lock);
	/*
	 * Never a writable open of a store object: the link break comes
	 * first, and a node whose backing id names an object is never made
	 * private in place (break.c).  Should that ever fail, the guard makes
	 * the kernel refuse the open anyway; this says where it went wrong.
	 */
	if (writes && (n->unified || n->bk_shared) && !vu_fs.test_no_break) {
		vu_log(LOG_ERR, "refusing a writable open of store object inode %lu",
		       (unsigned long)n->ino);
		id = -EIO;
		goto out;
	}
	/* An inode already in passthrough stays there, even if passthrough
	 * was given up since: the kernel refuses to mix the two on it. */
	if (n->bk_id > 0 && limited(n, writes, gated)) {
		/* Not counted in passthrough: serve it here, which the kernel
		 * allows only once no other open uses the backing file. */
		if (n->bk_opens) {
			vu_log(LOG_ERR, "write gate closed on inode %lu while it is open in "
			       "passthrough: refusing a writable open", (unsigned long)n->ino);
			id = -EIO;
			goto out;
		}
		backing_close(n->bk_id);
		n->bk_id = 0;
	}
	if (n->bk_id > 0) {
		n->bk_opens++;
		id = n->bk_id;
		goto out;
	}
	if (!atomic_load(&vu_fs.passthrough) || limited(n, writes, gated))
		goto out;
	/*
	 * The kernel opens the backing file anew for each FUSE open, with
	 * that open's flags and the registering thread's credentials; the
	 * descriptor registered here only names the inode.  (So reads of a
	 * store object update its atime unless the guest opens with
	 * O_NOATIME: see vunifyfs.8.)  Objects are registered by the guard
	 * (guard.c), whose credentials cannot open anything for writing.
	 */
	fd = reusable_fd(n, f);
	if (fd >= 0) {
		own = false;
	} else {
		fd = vu_reopen(n, n->unified ? O_RDONLY | O_NOATIME : O_RDONLY);
		if (fd < 0) {
			id = -errno;
			goto out;
		}
	}
	if (n->unified && !vu_fs.test_no_guard)
		id = vu_guard_backing_open(fd);
	else
		id = vu_pt_backing_open(fd);
	if (own)
		close(fd);      /* the kernel holds its own reference */
	if (id < 0) {
		if (vu_fs.pt_mode == VU_PT_AUTO)
			pt_refused(-id);
		id = vu_fs.pt_mode == VU_PT_AUTO ? 0 : id;
		goto out;
	}
	n->bk_id = id;
	n->bk_shared = n->unified;
	n->bk_opens = 1;
out:
	pthread_mutex_unlock(&n->lock);
	if (gated && id <= 0)
		vu_wgate_close(n, f);   /* served here, or refused: counted anyway */
	if (f)
		f->gated = gated && id > 0;
	return id;
}

/*
 * A private node keeps its backing id after its last open is released,
 * until the node dies (vu_pt_forget): the next open of the file then costs
 * no registration (two ioctls per open and close).  The kernel holds one
 * read-only file per such node, no descriptor of ours; a private node never
 * turns into a store object (a break makes a new inode, a name unified on
 * the host a new node), and an open for writing of a marked inode is
 * refused before it gets here (file.c).  A store object's id goes at once:
 * the break (break.c) relies on bk_opens to know whether it is in use.
 */
void vu_pt_put(struct vu_node *n)
{
	pthread_mutex_lock(&n->lock);
	if (n->bk_opens && --n->bk_opens == 0 && n->bk_shared) {
		backing_close(n->bk_id);
		n->bk_id = 0;
		n->bk_shared = false;
	}
	pthread_mutex_unlock(&n->lock);
}

void vu_pt_forget(struct vu_node *n)
{
	vu_wgate_forget(n);
	if (n->bk_id > 0)
		backing_close(n->bk_id);
	n->bk_id = 0;
}

static void fill_open(struct vu_fuse_open_out *o, uint64_t fh, int backing_id)
{
	memset(o, 0, sizeof(*o));
	o->fh = fh;
	/* With passthrough the kernel takes no other flag but direct I/O
	 * ones: the page cache is the backing file's. */
	o->open_flags = VU_FOPEN_PASSTHROUGH;
	o->backing_id = backing_id;
}

int vu_pt_reply_open(fuse_req_t req, uint64_t fh, int backing_id)
{
	struct vu_fuse_open_out o;
	struct iovec iov = { &o, sizeof(o) };

	fill_open(&o, fh, backing_id);
	return fuse_reply_iov(req, &iov, 1);
}

void vu_entry_out(struct fuse_entry_out *eo, const struct fuse_entry_param *e)
{
	const struct stat *st = &e->attr;

	memset(eo, 0, sizeof(*eo));
	eo->nodeid = e->ino;
	eo->generation = e->generation;
	eo->entry_valid = (uint64_t)e->entry_timeout;
	eo->entry_valid_nsec = (uint32_t)((e->entry_timeout - (double)eo->entry_valid) * 1e9);
	eo->attr_valid = (uint64_t)e->attr_timeout;
	eo->attr_valid_nsec = (uint32_t)((e->attr_timeout - (double)eo->attr_valid) * 1e9);
	eo->attr.ino = st->st_ino;
	eo->attr.size = st->st_size;
	eo->attr.blocks = st->st_blocks;
	eo->attr.atime = st->st_atim.tv_sec;
	eo->attr.mtime = st->st_mtim.tv_sec;
	eo->attr.ctime = st->st_ctim.tv_sec;
	eo->attr.atimensec = st->st_atim.tv_nsec;
	eo->attr.mtimensec = st->st_mtim.tv_nsec;
	eo->attr.ctimensec = st->st_ctim.tv_nsec;
	eo->attr.mode = st->st_mode;
	eo->attr.nlink = st->st_nlink;
	eo->attr.uid = st->st_uid;
	eo->attr.gid = st->st_gid;
	eo->attr.rdev = st->st_rdev;
	eo->attr.blksize = st->st_blksize;
}

int vu_pt_reply_create(fuse_req_t req, const struct fuse_entry_param *e, uint64_t fh,
		       int backing_id)
{
	struct fuse_entry_out eo;
	struct vu_fuse_open_out o;
	struct iovec iov[2] = { { &eo, sizeof(eo) }, { &o, sizeof(o) } };

	vu_entry_out(&eo, e);
	fill_open(&o, fh, backing_id);
	return fuse_reply_iov(req, iov, 2);
}

void vu_pt_open_out(void *out, uint64_t fh, int backing_id, bool keep_cache)
{
	struct vu_fuse_open_out *o = out;

	if (backing_id > 0) {
		fill_open(o, fh, backing_id);
	} else {
		memset(o, 0, sizeof(*o));
		o->fh = fh;
		o->open_flags = keep_cache ? FOPEN_KEEP_CACHE : 0;
	}
}
