// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The node descriptor cache: no descriptor per cold inode.
 *
 * Every node the kernel holds has an O_PATH descriptor of its backing inode
 * while it is in use; a node not used for a while gives it up and keeps a
 * file handle instead (name_to_handle_at), from which the next request that
 * needs it opens the very same inode again (open_by_handle_at, checked
 * against the node's (dev, ino)).  So the daemon's descriptors are bounded
 * by what is in use, not by what the kernel caches: a guest may touch
 * millions of files with the open-file limit at 1024.
 *
 * When a descriptor may go.  A request uses node descriptors from the
 * moment it is read until its thread comes back for the next one; every
 * request holds the eviction lock shared for that time (fs/kio.c calls
 * vu_fdc_request_begin/end), and the eviction takes it exclusively, so no
 * descriptor is ever closed under a request that may still use it.  It is
 * taken with trywrlock, or with a short timeout once the cache is far over
 * its budget: never a wait that a request could be waiting on in turn.
 *
 * Which never go: the root's; a node whose filesystem gives no handles
 * (or a daemon without CAP_DAC_READ_SEARCH, which open_by_handle_at needs);
 * and a node whose inode has or may soon have no name (open_by_handle_at
 * refuses an unlinked inode: ESTALE), pinned by vu_fdc_keep() before an
 * unlink, rmdir or rename over it, and checked again (st_nlink) when it is
 * evicted.
 *
 * A request that needs a cold inode once (a stat, an open) opens it by
 * handle for itself and leaves the node cold (vu_fdc_open_cold): only a
 * node used again soon after gets its descriptor back.
 *
 * Which go first: a clock sweep over the nodes holding descriptors; a use
 * sets the node's bit, the sweep clears it, and closes those found clear.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/resource.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "vunifyfs.h"

struct vu_fdc {
	pthread_rwlock_t evict;     /* shared by requests, exclusive to evict */
	pthread_mutex_t mutex;      /* the list below and the counts */
	struct vu_node *hand;       /* circular list of nodes holding an fd */
	size_t warm;                /* nodes on it */
	size_t budget;              /* evict down to 3/4 of it above it */
	bool handles;               /* this filesystem and daemon can reopen */
	int mount_fd;               /* open_by_handle_at's: not an O_PATH one */
	atomic_ulong evictions, reopens;
	atomic_uint cold_uses;      /* vu_fdc_open_cold's clock (wraps) */
};

static struct vu_fdc fdc = { .mutex = PTHREAD_MUTEX_INITIALIZER };
static __thread bool in_request;
/* libfuse ends a worker thread after a request, without reading another:
 * its share of the lock goes with it (this key's destructor). */
static pthread_key_t request_key;

/* Reopens of one node wait for each other, not for the node's own lock,
 * which its caller may hold (a break reads the object under it). */
#define REOPEN_LOCKS 64
static pthread_mutex_t reopen_lock[REOPEN_LOCKS] = {
	[0 ... REOPEN_LOCKS - 1] = PTHREAD_MUTEX_INITIALIZER,
};

static pthread_mutex_t *reopen_lock_of(const struct vu_node *n)
{
	return &reopen_lock[((uintptr_t)n >> 6) % REOPEN_LOCKS];
}

static void thread_gone(void *unused);

/* Can we reopen by handle here?  Tried on the root, once. */
static bool probe_handles(int root_fd)
{
	struct file_handle *fh = vu_fdc_handle_of(root_fd);
	int fd;

	if (!fh)
		return false;
	fdc.mount_fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = fdc.mount_fd < 0 ? -1 : open_by_handle_at(fdc.mount_fd, fh, O_PATH | O_CLOEXEC);
	free(fh);
	if (fd < 0) {
		vu_log(LOG_WARNING, "open_by_handle_at: %s: one descriptor per cached inode "
		       "(the open-file limit bounds what the guest may use at once)",
		       strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

static struct file_handle *handle_at(int dirfd, const char *name, int flags)
{
	struct file_handle *fh = malloc(sizeof(*fh) + MAX_HANDLE_SZ), *small;
	int mount_id;

	if (!fh)
		return NULL;
	fh->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(dirfd, name, fh, &mount_id, flags) < 0) {
		free(fh);
		return NULL;
	}
	/* Kept per cold node: its own size (ext4: 8 bytes), not the most. */
	small = realloc(fh, sizeof(*fh) + fh->handle_bytes);
	return small ? small : fh;
}

struct file_handle *vu_fdc_handle_of(int fd)
{
	return handle_at(fd, "", AT_EMPTY_PATH);
}

struct file_handle *vu_fdc_handle_at(int dirfd, const char *name)
{
	/* Flags 0: a symlink's own handle, never its target's. */
	return fdc.handles ? handle_at(dirfd, name, 0) : NULL;
}

int vu_fdc_init(int root_fd)
{
	pthread_rwlockattr_t a;
	struct rlimit rl;

	/* A waiting eviction holds new requests back (for at most its
	 * timeout), or it would never find a moment without one. */
	if (pthread_rwlockattr_init(&a) != 0 ||
	    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP) != 0 ||
	    pthread_rwlock_init(&fdc.evict, &a) != 0)
		return -ENOMEM;
	pthread_rwlockattr_destroy(&a);
	if (pthread_key_create(&request_key, thread_gone) != 0)
		return -ENOMEM;
	/* Half the limit for nodes; the rest for open files, directory
	 * streams, passthrough and the daemon's own. */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	fdc.budget = rl.rlim_cur == RLIM_INFINITY ? 1u << 20 : rl.rlim_cur / 2;
	if (fdc.budget < 64)
		fdc.budget = 64;
	fdc.handles = probe_handles(root_fd);
	return 0;
}

/* On the clock's list (fdc.mutex held). */
static void link_warm(struct vu_node *n)
{
	if (n->fd_next)
		return;
	if (!fdc.hand) {
		n->fd_next = n->fd_prev = n;
		fdc.hand = n;
	} else {
		n->fd_next = fdc.hand;
		n->fd_prev = fdc.hand->fd_prev;
		fdc.hand->fd_prev->fd_next = n;
		fdc.hand->fd_prev = n;
	}
	fdc.warm++;
}

static void unlink_warm(struct vu_node *n)
{
	if (!n->fd_next)
		return;
	if (n->fd_next == n) {
		fdc.hand = NULL;
	} else {
		n->fd_prev->fd_next = n->fd_next;
		n->fd_next->fd_prev = n->fd_prev;
		if (fdc.hand == n)
			fdc.hand = n->fd_next;
	}
	n->fd_next = n->fd_prev = NULL;
	fdc.warm--;
}

void vu_fdc_add(struct vu_node *n)
{
	if (!fdc.handles || n == vu_fs.root)
		return;
	pthread_mutex_lock(&fdc.mutex);
	link_warm(n);
	pthread_mutex_unlock(&fdc.mutex);
}

void vu_fdc_remove(struct vu_node *n)
{
	pthread_mutex_lock(&fdc.mutex);
	unlink_warm(n);
	pthread_mutex_unlock(&fdc.mutex);
	free(n->fh);
	n->fh = NULL;
}

/* Open @n's inode from its handle with @flags: the same inode or -ESTALE,
 * never another (checked against the node's (dev, ino), which @st then
 * holds: a stat by handle costs no second call). */
static int open_handle(struct vu_node *n, int flags, struct stat *st)
{
	int fd;

	if (!n->fh)
		return -ESTALE;
	fd = open_by_handle_at(fdc.mount_fd, n->fh, flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0 || st->st_dev != n->dev || st->st_ino != n->ino) {
		close(fd);
		return -ESTALE;
	}
	atomic_fetch_add(&fdc.reopens, 1);
	return fd;
}

static int reopen(struct vu_node *n)
{
	struct stat st;

	return open_handle(n, O_PATH, &st);
}

/*
 * A request that needs a cold node's inode once (a stat, or an open whose
 * file keeps its own descriptor) opens it for itself and leaves the node
 * cold: warming it would cost a descriptor of the cache, and so an eviction
 * (two more calls) for a node that may never be asked again.  A node used
 * cold again soon after (within the last COLD_REUSE cold uses: a file
 * stat'ed, opened and stat'ed again with timeout=0) is warmed instead.
 * A descriptor the caller closes, -2 if the caller is to use the node's
 * own descriptor (vu_node_fd), or -1 and errno.  @n->fh cannot change
 * under us: only an eviction sets it, under the lock our request holds
 * shared.
 */
#define COLD_REUSE 256u

int vu_fdc_open_cold(struct vu_node *n, int flags, struct stat *st)
{
	struct stat ignored;
	unsigned int now, last;
	int fd;

	if (atomic_load(&n->fd) >= 0 || !n->fh)
		return -2;
	now = atomic_fetch_add_explicit(&fdc.cold_uses, 1, memory_order_relaxed) + 1;
	last = atomic_exchange_explicit(&n->cold_use, now, memory_order_relaxed);
	if (last && now - last < COLD_REUSE)
		return -2;
	fd = open_handle(n, flags, st ? st : &ignored);
	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	return fd;
}

int vu_node_fd(struct vu_node *n)
{
	int fd = atomic_load(&n->fd);

	if (fd >= 0) {
		atomic_store(&n->fd_used, true);
		return fd;
	}
	/* Cold: the first request to need it opens it, the others wait for
	 * that one rather than open their own. */
	pthread_mutex_lock(reopen_lock_of(n));
	fd = atomic_load(&n->fd);
	if (fd < 0) {
		fd = reopen(n);
		if (fd >= 0) {
			atomic_store(&n->fd, fd);
			vu_fdc_add(n);
		}
	}
	pthread_mutex_unlock(reopen_lock_of(n));
	if (fd < 0) {
		/* -1, never -errno: a negative number handed to an *at() call
		 * must not be AT_FDCWD (-100 is also -ENETDOWN). */
		errno = -fd;
		return -1;
	}
	atomic_store(&n->fd_used, true);
	return fd;
}

bool vu_fdc_holds_inode(struct vu_node *n)
{
	/* An open descriptor keeps its inode (and so its number) alive. */
	return atomic_load(&n->fd) >= 0 || !n->fh;
}

bool vu_fdc_same_handle(struct vu_node *n, const struct file_handle *fh)
{
	/* n->fh changes only under the eviction lock, which our request
	 * holds shared, or when n dies, which the caller's pin prevents. */
	if (vu_fdc_holds_inode(n))
		return true;
	return fh->handle_type == n->fh->handle_type &&
	       fh->handle_bytes == n->fh->handle_bytes &&
	       memcmp(fh->f_handle, n->fh->f_handle, fh->handle_bytes) == 0;
}

bool vu_fdc_same_inode(struct vu_node *n, int fd)
{
	struct file_handle *fh;
	bool same;

	if (vu_fdc_holds_inode(n))
		return true;
	fh = vu_fdc_handle_of(fd);
	if (!fh)
		return true;    /* cannot tell: as before handles */
	same = vu_fdc_same_handle(n, fh);
	free(fh);
	return same;
}

int vu_fdc_keep(struct vu_node *n)
{
	int fd = vu_node_fd(n);

	if (fd >= 0)
		atomic_store(&n->fd_keep, true);
	return fd;
}

/* May @n's descriptor go now?  Exclusive lock held: no request runs. */
static bool evictable(struct vu_node *n)
{
	struct stat st;
	int fd = atomic_load(&n->fd);

	if (fd < 0 || atomic_load(&n->fd_keep) || n->fd_old >= 0)
		return false;
	/* An inode without a name cannot be opened by handle again. */
	if (fstat(fd, &st) < 0 || st.st_nlink == 0) {
		atomic_store(&n->fd_keep, true);
		return false;
	}
	if (!n->fh && !(n->fh = vu_fdc_handle_of(fd))) {
		atomic_store(&n->fd_keep, true);
		return false;
	}
	return true;
}

/* Close cold descriptors until the cache is at 3/4 of its budget. */
static void sweep(void)
{
	size_t goal = fdc.budget / 4 * 3, looked = 0;

	pthread_mutex_lock(&fdc.mutex);
	/* Twice round at most: the first pass may only clear the bits. */
	while (fdc.hand && fdc.warm > goal && looked < 2 * fdc.warm + 2) {
		struct vu_node *n = fdc.hand;

		fdc.hand = n->fd_next;
		looked++;
		if (atomic_exchange(&n->fd_used, false))
			continue;
		if (!evictable(n)) {
			unlink_warm(n);         /* kept for good: off the clock */
			continue;
		}
		close(atomic_exchange(&n->fd, -1));
		unlink_warm(n);
		atomic_fetch_add(&fdc.evictions, 1);
	}
	pthread_mutex_unlock(&fdc.mutex);
}

static void maybe_evict(void)
{
	struct timespec until;
	size_t warm;

	pthread_mutex_lock(&fdc.mutex);
	warm = fdc.warm;
	pthread_mutex_unlock(&fdc.mutex);
	if (warm <= fdc.budget)
		return;
	if (pthread_rwlock_trywrlock(&fdc.evict) != 0) {
		/* Requests keep coming: far over the budget, wait for a
		 * moment between them, but never long (a request may be
		 * waiting for a request that would wait for us). */
		if (warm < fdc.budget / 4 * 5)
			return;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 50 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (pthread_rwlock_timedwrlock(&fdc.evict, &until) != 0)
			return;
	}
	sweep();
	pthread_rwlock_unlock(&fdc.evict);
}

static void thread_gone(void *unused)
{
	(void)unused;
	if (in_request) {
		in_request = false;
		pthread_rwlock_unlock(&fdc.evict);
	}
}

bool vu_fdc_room(void)
{
	size_t warm;

	if (!fdc.handles)
		return true;
	pthread_mutex_lock(&fdc.mutex);
	warm = fdc.warm;
	pthread_mutex_unlock(&fdc.mutex);
	return warm < fdc.budget;
}

void vu_fdc_request_begin(void)
{
	if (!fdc.handles || in_request)
		return;
	pthread_rwlock_rdlock(&fdc.evict);
	in_request = true;
	pthread_setspecific(request_key, &fdc);   /* non-NULL: the destructor runs */
}

void vu_fdc_request_end(void)
{
	if (!in_request)
		return;
	in_request = false;
	pthread_rwlock_unlock(&fdc.evict);
	maybe_evict();
}

void vu_fdc_counts(size_t *warm, size_t *budget, unsigned long *evictions,
		   unsigned long *reopens)
{
	pthread_mutex_lock(&fdc.mutex);
	*warm = fdc.warm;
	pthread_mutex_unlock(&fdc.mutex);
	*budget = fdc.budget;
	*evictions = atomic_load(&fdc.evictions);
	*reopens = atomic_load(&fdc.reopens);
}
