/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vunifyfs internals.
 *
 * Nodes.  Every FUSE inode is a struct vu_node.  A private node stands for a
 * backing inode and is found by its backing (dev, ino), so that the guest's
 * own hardlinks are one FUSE inode, as on any filesystem.  A unified node
 * stands for one *name* of a store object, (parent node, name), so that each
 * name of a shared inode looks like a standalone file (st_nlink 1, an inode
 * number of its own) and can be broken on its own.  When a unified node is
 * broken it becomes a private node in place: same FUSE inode, new backing
 * inode, generation bumped, so that open files notice (vu_file_fd()).
 *
 * Every node holds an O_PATH|O_NOFOLLOW descriptor of its backing inode; all
 * backing access is relative to those descriptors, never to host paths.
 *
 * Locking.  The node table has one mutex, held only for hash-table work
 * (never across a syscall).  Each node has a mutex that serialises the link
 * break with everything that moves or removes the node's name (rename,
 * unlink) and with refreshing stale file descriptors.  Lock order: node
 * locks (by address) before the table mutex.
 */
#ifndef VUNIFYFS_H
#define VUNIFYFS_H

#define FUSE_USE_VERSION 312

#include <dirent.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

struct vu_node {
	/* Identity of the backing inode; the private table's key. */
	dev_t dev;
	ino_t ino;
	mode_t type;                /* S_IFMT bits; fixed for the node's life */
	uint64_t ino_shown;         /* st_ino the guest sees */

	_Atomic int fd;             /* O_PATH|O_NOFOLLOW, -1 while cold (fdcache.c);
	                             * changed to another inode only by a break */
	int fd_old;                 /* the one before the break, closed with the node */
	struct file_handle *fh;     /* to open fd again once it was closed, or NULL */
	atomic_bool fd_used;        /* used since the clock last passed */
	atomic_bool fd_keep;        /* never closed before the node dies */
	atomic_uint cold_use;       /* fdcache's cold-use count at its last one */
	struct vu_node *fd_next, *fd_prev; /* the clock's list, if fd is open */
	atomic_bool unified;        /* shares a store object; only ever goes false */

	/* Unified nodes only: the one name this node stands for; the unified
	 * table's key.  parent is pinned.  name is NULL once the name was
	 * unlinked or renamed over (the node lives on while open). */
	struct vu_node *parent;
	char *name;

	/* Table bookkeeping, under the table mutex. */
	uint64_t nlookup;           /* the kernel's references */
	uint64_t pins;              /* ours: children naming us as parent */
	struct vu_node *next_priv;  /* chain in the private table */
	struct vu_node *next_unif;  /* chain in the unified table */
	bool in_priv, in_unif;

	pthread_mutex_t lock;
	atomic_uint gen;            /* bumped whenever fd changes inode */

	/* Kernel passthrough: the backing id all opens of this node share,
	 * and how many opens use it (changed under lock; bk_id is also read
	 * without it, as a hint, by an open deciding whether it needs a
	 * descriptor: file.c). */
	atomic_int bk_id;
	unsigned int bk_opens;
	bool bk_shared;             /* bk_id names a store object (guard.c) */

	/* Disk limits: what this inode is charged for (usage.c). */
	int64_t charged_bytes;
	bool charged_inode;
	bool charged_orphan;        /* ... while it had no name (usage.c) */
	atomic_bool charged_unsettled; /* a regular file charged after a change: the
	                                * backing fs may still allocate at writeback */
};

/* An open regular file. */
struct vu_file {
	atomic_int fd;              /* backing descriptor, may be dup2()-refreshed;
	                             * -1 until first needed (vu_file_fd) */
	int flags;                  /* open flags used for the backing fd */
	atomic_uint gen;            /* node generation fd belongs to */
	bool passthrough;           /* holds a reference on the node's backing id */
	bool gated;                 /* a writer through the write gate (wgate.c) */
	uid_t uid;                  /* who opened it */
};

enum vu_pt_mode { VU_PT_AUTO, VU_PT_ON, VU_PT_OFF };

/* Mount-wide state. */
struct vu_fs {
	int root_fd;                /* O_PATH of GUEST_DIR */
	int lock_fd;                /* O_RDONLY of GUEST_DIR, holds the guest flock */
	int proc_fd;                /* O_PATH of /proc/self/fd, to reopen O_PATH fds */
	dev_t root_dev;
	struct vu_node *root;

	double timeout;             /* entry and attribute cache seconds */
	bool readonly;
	bool debug;
	char tmp_tag[24];           /* this instance's temporary-name tag */
	atomic_ulong tmp_seq;

	/* Kernel passthrough (passthrough.c). */
	enum vu_pt_mode pt_mode;
	unsigned int pt_depth;      /* max_stack_depth we announce */
	bool pt_offered;            /* the kernel offered it at INIT */
	bool pt_negotiated;         /* our INIT reply accepted it */
	atomic_bool passthrough;    /* in use for new opens */
	bool writeback;             /* the kernel's writeback cache is on */
	bool no_opendir;            /* directories open without OPENDIR (dirstream.c) */
	bool killpriv_v2;           /* we drop setuid/setgid on the kernel's word */

	/* Test-only switches (environment, see vunifyfs.8): skip the link
	 * break at open, register objects without the guard, fake the break.
	 * They exist so that tests/security/guard.t can show the kernel
	 * refusing the write, and backstop.t vunifyfs's own last check. */
	bool test_no_break;
	bool test_no_guard;
	bool test_fake_break;
	unsigned int test_settle_delay_ms; /* widens a race for tests/fs/limits.t */

	struct fuse_session *se;
};

extern struct vu_fs vu_fs;

/* Disk limits and the guest's private usage (usage.c). */
struct vu_usage {
	bool enabled;               /* any limit set: count everything */
	int64_t space;              /* bytes, 0 = none */
	int64_t inode_limit;        /* 0 = none */
	int reserved_pct;           /* of space, for uid 0 only */
	_Atomic int64_t bytes, inodes;
	_Atomic int64_t orphan_bytes, orphan_inodes; /* of inodes without a name */
	pthread_mutex_t lock;       /* reservations */
	int64_t held_bytes, held_inodes;
};

extern struct vu_usage vu_usage;

/* node.c: the node table. */
int vu_table_init(int root_fd);
struct vu_node *vu_node_get(fuse_ino_t ino);
fuse_ino_t vu_node_id(const struct vu_node *n);
/* Find or create the node for @name in @parent whose backing is @st, take
 * one kernel reference.  The inode is given as @fd or, if @fd is -1, as its
 * handle @fh (a node made then holds no descriptor); either is consumed.
 * @unified from the mark. */
struct vu_node *vu_node_install(struct vu_node *parent, const char *name,
				int fd, struct file_handle *fh, const struct stat *st,
				bool unified);
void vu_node_forget(struct vu_node *n, uint64_t nlookup);
/* Call @fn for every node of the private table; only once no request can
 * run any more (at exit), as @fn is called with the table mutex held. */
void vu_node_each_private(void (*fn)(struct vu_node *n));
/* The node we already have for @name in @parent with backing @st (the
 * unified one for that name and inode if @unified, else the private one of
 * that inode), with one more kernel reference; NULL if there is none. */
struct vu_node *vu_node_lookup_known(struct vu_node *parent, const char *name,
				     const struct stat *st, bool unified);
/* Might the table hold a node for @name in @parent, backing inode number
 * @ino on the parent's device?  A hint, for skipping a stat. */
bool vu_node_maybe_known(struct vu_node *parent, const char *name, ino_t ino);
/* The private node of backing inode (dev, ino), held, or NULL. */
struct vu_node *vu_node_find_inode(dev_t dev, ino_t ino);
/* The unified node currently standing for (parent, name), or NULL; pinned
 * with vu_node_hold() / released with vu_node_release(). */
struct vu_node *vu_node_find_name(struct vu_node *parent, const char *name);
void vu_node_hold(struct vu_node *n);
void vu_node_release(struct vu_node *n);
/* Namespace changes that move or drop unified names (caller holds the
 * affected nodes' locks). */
/* A rename happened: @a and @b are the held unified nodes (or NULL) found
 * for the source and target names, in any order. */
void vu_node_moved(struct vu_node *a, struct vu_node *b,
		   struct vu_node *oldparent, const char *oldname,
		   struct vu_node *newparent, const char *newname, bool exchange);
/* @n's name was unlinked (a no-op if @n no longer has a name). */
void vu_node_unnamed(struct vu_node *n);
/* Copy out a unified node's (parent, name), parent held (release it);
 * *parent is NULL if the node has no name any more. */
int vu_node_name_get(struct vu_node *n, struct vu_node **parent, char **name);
/* A broken node: now private with backing @st. */
void vu_node_privatised(struct vu_node *n, const struct stat *st);
/* What st_ino the guest would see for @name in @parent with backing @st. */
uint64_t vu_node_peek_ino(struct vu_node *parent, const char *name, const struct stat *st,
			  bool unified);

/* mark.c: is a backing inode a store object? */
bool vu_mark_check(int fd, const struct stat *st);
/* The cached answer for @st, if the cache has one for its very ctime
 * (*marked set, true returned); no syscall. */
bool vu_mark_cached(const struct stat *st, bool *marked);
/* Is the inode open as @fd (not O_PATH) a store object: marked, with
 * another link (an error counts as yes)?  Uncached. */
bool vu_fd_shared(int fd);
/* The same for a node's backing inode, without opening it.  Uncached. */
bool vu_node_shared(struct vu_node *n);

/* creds.c: act as the calling guest process for object creation. */
struct vu_creds {
	bool switched;
};
int vu_creds_enter(struct vu_creds *c, uid_t uid, gid_t gid, mode_t umask);
void vu_creds_leave(struct vu_creds *c);

/* The link break's copies and swap come from the copy core,
 * include/vunify/copy.h (compiled in: fs/module.mk). */

/* break.c: the link break; the one entry point.  @keep: bytes of content
 * that must survive (-1: all); @uid: who asks (disk limits). */
int vu_break(struct vu_node *n, off_t keep, uid_t uid);

/* usage.c */
struct statvfs;
int vu_usage_start(bool rescan);
void vu_usage_stop(void);
int vu_usage_record(bool clean);
int vu_usage_forget_record(void);
int vu_usage_scan(int root_fd, int64_t *bytes, int64_t *inodes);
int vu_usage_reserve(int64_t bytes, int64_t inodes, uid_t uid);
void vu_usage_release(int64_t bytes, int64_t inodes);
void vu_usage_add(int64_t bytes, int64_t inodes);
void vu_usage_adopt(struct vu_node *n, int fd, const struct stat *st);
bool vu_usage_unsettled(const struct vu_node *n);
void vu_usage_settle(struct vu_node *n);
/* @n dies: give back what it was charged if its inode left the tree. */
void vu_usage_drop(struct vu_node *n);
void vu_usage_track(struct vu_node *n);
void vu_usage_track_locked(struct vu_node *n);
void vu_usage_created(struct vu_node *n);
int64_t vu_usage_write_need(int fd, off_t off, size_t len);
int vu_usage_statfs(struct statvfs *sv);

/* util.c */
int vu_reopen(struct vu_node *n, int flags);
int vu_proc_path(struct vu_node *n, char *buf, size_t len);
int vu_stat(struct vu_node *n, struct stat *st);

/* fdcache.c: node descriptors, closed while cold, opened by handle again. */
int vu_fdc_init(int root_fd);
/* @n's O_PATH descriptor, valid until this request's end; -1 with errno
 * (ESTALE) if its inode cannot be opened again. */
int vu_node_fd(struct vu_node *n);
/* A cold node's inode opened by handle for one use, the node left cold: a
 * descriptor the caller closes (@st, if given, filled); -2 if the caller is
 * to use vu_node_fd() instead (@n is warm, or was used cold just before);
 * or -1 and errno. */
int vu_fdc_open_cold(struct vu_node *n, int flags, struct stat *st);
/* As vu_node_fd(), and never closed again before the node dies: for an
 * inode about to lose a name (it may lose its last). */
int vu_fdc_keep(struct vu_node *n);
/* Does @n's open descriptor keep its inode (no handle stands in for it)? */
bool vu_fdc_holds_inode(struct vu_node *n);
/* Is @fd's inode the one @n stands for (not a reuse of its number)? */
bool vu_fdc_same_inode(struct vu_node *n, int fd);
/* The same for the inode of handle @fh. */
bool vu_fdc_same_handle(struct vu_node *n, const struct file_handle *fh);
void vu_fdc_add(struct vu_node *n);          /* n->fd was just set */
void vu_fdc_remove(struct vu_node *n);       /* n dies */
struct file_handle *vu_fdc_handle_of(int fd);
/* The handle of @name in @dirfd itself (a symlink's own), if nodes can be
 * opened by handle here; else NULL. */
struct file_handle *vu_fdc_handle_at(int dirfd, const char *name);
/* Is there room for another node descriptor before the next eviction?
 * (A request that makes many, READDIRPLUS, stops at none.) */
bool vu_fdc_room(void);
void vu_fdc_request_begin(void);
void vu_fdc_request_end(void);
void vu_fdc_counts(size_t *warm, size_t *budget, unsigned long *evictions,
		   unsigned long *reopens);
void vu_tmp_name(char *buf, size_t len);
bool vu_name_ok(const char *name);
void vu_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vu_log_to_syslog(void);

static inline bool vu_time_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* file.c */
int vu_file_fd(struct vu_file *f, struct vu_node *n);

/* dirstream.c: a backing directory being listed. */
struct vu_dir {
	DIR *dp;
	off_t offset;               /* where the next entry is read */
	struct dirent *entry;       /* read but not yet returned */
	dev_t dev;                  /* the directory's, to park the stream */
	ino_t ino;
};
/* A stream of @n's backing directory at its start (NULL, errno). */
struct vu_dir *vu_dir_open(struct vu_node *n);
void vu_dir_close(struct vu_dir *d);
void vu_dir_seek(struct vu_dir *d, off_t offset);
/* A stream of @n at @offset for a READDIR without a handle: the parked
 * one that stopped there, else a new one. */
struct vu_dir *vu_dir_take(struct vu_node *n, off_t offset);
/* After that READDIR: park @d for the request that continues the listing
 * if it returned entries (@more), else close it. */
void vu_dir_park(struct vu_dir *d, bool more);
/* At the end of the session: close every parked stream. */
void vu_dir_park_drop_all(void);

/* The operation tables, split by area. */
void vu_ops_dir(struct fuse_lowlevel_ops *ops);
void vu_ops_file(struct fuse_lowlevel_ops *ops);
void vu_ops_attr(struct fuse_lowlevel_ops *ops);

/* Helpers shared by the ops. */
int vu_do_lookup(struct vu_node *parent, const char *name, struct fuse_entry_param *e);
void vu_fill_entry(const struct vu_node *n, const struct stat *st, struct fuse_entry_param *e);
void vu_fix_stat(const struct vu_node *n, struct stat *st);

/* passthrough.c: kernel FUSE passthrough. */
struct fuse_in_header;
struct fuse_entry_out;
struct iovec;
void vu_pt_saw_init(const struct fuse_in_header *in, size_t len);
bool vu_pt_offered_at_init(void);
void vu_pt_amend_init(struct iovec *iov, int count);
int vu_pt_probe(int dirfd);
/* The node's backing id for one more open: > 0 the id, 0 serve without
 * passthrough, < 0 an error (passthrough=on only).  @f, the open file the
 * id is for (or NULL), may lend its descriptor to the registration. */
int vu_pt_get(struct vu_node *n, int flags, struct vu_file *f);
/* FUSE_DEV_IOC_BACKING_OPEN with the calling thread's credentials: the
 * backing id, or -errno. */
int vu_pt_backing_open(int fd);
void vu_pt_put(struct vu_node *n);
/* The node dies: let go of a backing id it kept (no open file left). */
void vu_pt_forget(struct vu_node *n);
int vu_pt_reply_open(fuse_req_t req, uint64_t fh, int backing_id);
int vu_pt_reply_create(fuse_req_t req, const struct fuse_entry_param *e, uint64_t fh,
		       int backing_id);
void vu_entry_out(struct fuse_entry_out *eo, const struct fuse_entry_param *e);
/* Fill a struct fuse_open_out at @out. */
void vu_pt_open_out(void *out, uint64_t fh, int backing_id, bool keep_cache);

/* wgate.c: passthrough writes to private files under a space limit, each
 * judged before it lands by a fanotify pre-content event. */
int vu_wgate_start(void);           /* 0, or -errno: the kernel cannot */
void vu_wgate_stop(void);
bool vu_wgate_on(void);
/* Does an open with @flags of @n need the gate for passthrough? */
bool vu_wgate_wants(const struct vu_node *n, int flags);
/* One more writer of @n, the open file @f (watched from now on), or
 * -errno; neither lock held. */
int vu_wgate_open(struct vu_node *n, const struct vu_file *f);
void vu_wgate_close(struct vu_node *n, const struct vu_file *f);  /* its release */
void vu_wgate_forget(struct vu_node *n);  /* @n dies: drop what is left */
void vu_wgate_settle(struct vu_node *n);  /* charge @n as it is now */
void vu_wgate_settle_all(void);     /* charge every gated file as it is */
void vu_wgate_counts(uint64_t *events, uint64_t *denied);

/* guard.c: a thread whose credentials (a Landlock domain) cannot open any
 * file for writing registers the backing files of store objects. */
int vu_guard_abi(void);             /* Landlock ABI version, or -errno */
int vu_guard_start(void);
void vu_guard_stop(void);
int vu_guard_backing_open(int fd);  /* as vu_pt_backing_open() */

/* notify.c: invalidations sent from a thread of their own (sending them
 * from a request could deadlock on the directory the request holds). */
int vu_notify_start(void);
void vu_notify_stop(void);
void vu_notify_inval_entry(fuse_ino_t parent, const char *name);
/* The kernel's cached attributes of @ino are stale. */
void vu_notify_inval_attr(fuse_ino_t ino);

/* attr.c: drop setuid, setgid (if group-executable) and file capabilities,
 * as the kernel does when an unprivileged caller writes or truncates; true
 * if anything was dropped. */
bool vu_kill_privs(struct vu_node *n);

/* kio.c: the request this thread serves says to drop privileges. */
extern __thread bool vu_req_kill_privs;

/* stats.c: request counters (kio.c calls begin when a thread has read a
 * request, end when it comes back for the next); the admin's socket
 * (vunifyfs --stats MOUNT, vunifyfs.8 STATISTICS). */
void vu_stats_init(void);
void vu_stats_begin(unsigned opcode);
void vu_stats_end(void);
int vu_stats_start(const char *dev);
void vu_stats_stop(void);
int vu_stats_query(const char *mount, FILE *out);

/* kio.c: the session channel (mount, custom I/O, requests libfuse lacks). */
int vu_kio_setup(struct fuse_session *se, int devfd);
/* The prologue of every request, whichever transport brought it (stats,
 * descriptor cache, kill-privs word, INIT); true if it was served here
 * (FUSE_TMPFILE).  vu_kio_request_done() when the request is over. */
bool vu_kio_request(int fd, const struct fuse_in_header *in, size_t len);
void vu_kio_request_done(void);

/* uring.c: FUSE over io_uring beside the classic transport. */
enum vu_uring_mode { VU_URING_AUTO, VU_URING_ON, VU_URING_OFF };
void vu_uring_set_mode(enum vu_uring_mode mode);
void vu_uring_saw_init(const struct fuse_in_header *in, size_t len);
void vu_uring_amend_init(struct iovec *iov, int count);
/* After INIT: 0 if the ring can be used, else -errno (vu_uring_why()). */
int vu_uring_probe(int devfd);
const char *vu_uring_why(int err);
/* Start the queues (after daemonizing): 0 or -errno. */
int vu_uring_start(int devfd, unsigned int threads);
/* A reply (writev, splice) for the request this ring thread holds: taken
 * into its entry (true, *ret as the write would return) or not ours. */
bool vu_uring_reply(const struct iovec *iov, int count, ssize_t *ret);
bool vu_uring_splice_reply(int fdin, size_t len, ssize_t *ret);
/* The classic loop is over: wait for requests being served on the ring
 * (never serve another), then stop and join the ring threads, so the
 * session can go. */
void vu_uring_stop(void);
void vu_uring_report(FILE *f);
int vu_do_tmpfile(struct vu_node *parent, int flags, mode_t mode, uid_t uid, gid_t gid,
		  mode_t umask, struct fuse_entry_param *e, struct vu_file **filep);

static inline struct vu_file *vu_file_of(const struct fuse_file_info *fi)
{
	return (struct vu_file *)(uintptr_t)fi->fh;
}

#endif /* VUNIFYFS_H */
