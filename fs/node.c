// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The node table: private nodes by backing (dev, ino), unified nodes by
 * (parent, name).  See vunifyfs.h for the model.
 *
 * One mutex guards both hash tables and every node's reference counts and
 * (parent, name); it is held for table work only, never across a syscall,
 * so lookups on different names never wait for each other's I/O.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <syslog.h>
#include <xxhash.h>

#include "vunifyfs.h"

struct vu_table {
	pthread_mutex_t mutex;
	struct vu_node **priv;     /* buckets, by (dev, ino) */
	struct vu_node **unif;     /* buckets, by (parent, name) */
	size_t npriv, nunif;       /* entries */
	size_t priv_size, unif_size; /* buckets; powers of two */
};

static struct vu_table tab = { .mutex = PTHREAD_MUTEX_INITIALIZER };

static uint64_t priv_hash(dev_t dev, ino_t ino)
{
	uint64_t k[2] = { dev, ino };

	return XXH3_64bits(k, sizeof(k));
}

static uint64_t unif_hash(const struct vu_node *parent, const char *name)
{
	return XXH3_64bits_withSeed(name, strlen(name), (uint64_t)(uintptr_t)parent);
}

/*
 * The inode number a unified name shows: derived from where the name lives
 * in the backing tree, so it is the same on every mount until the name
 * moves, and in a range (top bit set) that no ext4/xfs/btrfs inode number
 * of the guest's private files reaches.
 */
static uint64_t unif_ino(const struct vu_node *parent, const char *name)
{
	uint64_t k[2] = { parent->dev, parent->ino };
	uint64_t h = XXH3_64bits_withSeed(name, strlen(name), XXH3_64bits(k, sizeof(k)));

	return h | (1ULL << 63);
}

static struct vu_node *priv_find(dev_t dev, ino_t ino)
{
	struct vu_node *n = tab.priv[priv_hash(dev, ino) & (tab.priv_size - 1)];

	while (n && !(n->dev == dev && n->ino == ino))
		n = n->next_priv;
	return n;
}

static struct vu_node *unif_find(const struct vu_node *parent, const char *name)
{
	struct vu_node *n = tab.unif[unif_hash(parent, name) & (tab.unif_size - 1)];

	while (n && !(n->parent == parent && strcmp(n->name, name) == 0))
		n = n->next_unif;
	return n;
}

/* Double a bucket array when it is full; on ENOMEM keep the old one (the
 * chains just get longer). */
static void grow(struct vu_node ***buckets, size_t *size, bool unified)
{
	size_t nsize = *size * 2;
	struct vu_node **nb = calloc(nsize, sizeof(*nb));

	if (!nb)
		return;
	for (size_t i = 0; i < *size; i++) {
		struct vu_node *n = (*buckets)[i], *next;

		for (; n; n = next) {
			uint64_t h;

			if (unified) {
				next = n->next_unif;
				h = unif_hash(n->parent, n->name) & (nsize - 1);
				n->next_unif = nb[h];
			} else {
				next = n->next_priv;
				h = priv_hash(n->dev, n->ino) & (nsize - 1);
				n->next_priv = nb[h];
			}
			nb[h] = n;
		}
	}
	free(*buckets);
	*buckets = nb;
	*size = nsize;
}

static void priv_insert(struct vu_node *n)
{
	struct vu_node **b;

	if (tab.npriv >= tab.priv_size)
		grow(&tab.priv, &tab.priv_size, false);
	b = &tab.priv[priv_hash(n->dev, n->ino) & (tab.priv_size - 1)];
	n->next_priv = *b;
	*b = n;
	n->in_priv = true;
	tab.npriv++;
}

static void priv_remove(struct vu_node *n)
{
	struct vu_node **p = &tab.priv[priv_hash(n->dev, n->ino) & (tab.priv_size - 1)];

	if (!n->in_priv)
		return;
	while (*p != n)
		p = &(*p)->next_priv;
	*p = n->next_priv;
	n->in_priv = false;
	tab.npriv--;
}

static void unif_insert(struct vu_node *n)
{
	struct vu_node **b;

	if (tab.nunif >= tab.unif_size)
		grow(&tab.unif, &tab.unif_size, true);
	b = &tab.unif[unif_hash(n->parent, n->name) & (tab.unif_size - 1)];
	n->next_unif = *b;
	*b = n;
	n->in_unif = true;
	tab.nunif++;
}

static void unif_remove(struct vu_node *n)
{
	struct vu_node **p;

	if (!n->in_unif)
		return;
	p = &tab.unif[unif_hash(n->parent, n->name) & (tab.unif_size - 1)];
	while (*p != n)
		p = &(*p)->next_unif;
	*p = n->next_unif;
	n->in_unif = false;
	tab.nunif--;
}

/*
 * Drop @n's name: out of the unified table, parent unpinned.  Returns the
 * parent if that was its last reference, else NULL.  Table mutex held.
 */
static struct vu_node *drop_name(struct vu_node *n)
{
	struct vu_node *p = n->parent;

	unif_remove(n);
	free(n->name);
	n->name = NULL;
	n->parent = NULL;
	if (p && --p->pins == 0 && p->nlookup == 0)
		return p;
	return NULL;
}

/*
 * Take a node that just lost its last reference out of the tables, with
 * every ancestor that dies with it, in the same critical section that saw
 * the count reach zero (so that no lookup can find and revive it).  Returns
 * the list of dead nodes (linked through next_priv) to vu_free_dead().
 * Table mutex held.
 */
static struct vu_node *reap(struct vu_node *n)
{
	struct vu_node *dead = NULL;

	while (n) {
		struct vu_node *parent;

		priv_remove(n);
		parent = drop_name(n);
		n->next_priv = dead;
		dead = n;
		n = parent;
	}
	return dead;
}

/* Free reaped nodes outside the mutex: closing descriptors is a syscall. */
static void free_dead(struct vu_node *n)
{
	while (n) {
		struct vu_node *next = n->next_priv;

		vu_usage_drop(n);
		vu_pt_forget(n);
		vu_fdc_remove(n);
		if (n->fd >= 0)
			close(n->fd);
		if (n->fd_old >= 0)
			close(n->fd_old);
		pthread_mutex_destroy(&n->lock);
		free(n);
		n = next;
	}
}

int vu_table_init(int root_fd)
{
	struct stat st;
	struct vu_node *r;

	tab.priv_size = tab.unif_size = 1024;
	tab.priv = calloc(tab.priv_size, sizeof(*tab.priv));
	tab.unif = calloc(tab.unif_size, sizeof(*tab.unif));
	r = calloc(1, sizeof(*r));
	if (!tab.priv || !tab.unif || !r)
		return -ENOMEM;
	if (fstat(root_fd, &st) < 0) {
		free(r);
		return -errno;
	}
	r->fd = root_fd;
	r->fd_old = -1;
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	r->type = S_IFDIR;
	r->ino_shown = st.st_ino;
	r->nlookup = 1;         /* the kernel never forgets the root */
	r->pins = 1;
	pthread_mutex_init(&r->lock, NULL);
	priv_insert(r);
	vu_fs.root = r;
	return 0;
}

struct vu_node *vu_node_get(fuse_ino_t ino)
{
	if (ino == FUSE_ROOT_ID)
		return vu_fs.root;
	return (struct vu_node *)(uintptr_t)ino;
}

fuse_ino_t vu_node_id(const struct vu_node *n)
{
	return n == vu_fs.root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)n;
}

static struct vu_node *node_new(int fd, const struct stat *st)
{
	struct vu_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->fd = fd;
	n->fd_old = -1;
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	n->type = st->st_mode & S_IFMT;
	n->ino_shown = st->st_ino;
	pthread_mutex_init(&n->lock, NULL);
	return n;
}

struct vu_node *vu_node_install(struct vu_node *parent, const char *name,
				int fd, struct file_handle *fh, const struct stat *st,
				bool unified)
{
	struct vu_node *n, *fresh = NULL, *stale_parent = NULL;
	char *dup = NULL;
	bool checked = false;

	if (unified && !(dup = strdup(name)))
		goto nomem;
	fresh = node_new(fd, st);
	if (!fresh)
		goto nomem;
	/* Without a descriptor: born cold, opened by handle when first needed. */
	fresh->fh = fd < 0 ? fh : NULL;

	pthread_mutex_lock(&tab.mutex);
	if (unified) {
		n = unif_find(parent, name);
		if (n && n->dev == st->st_dev && n->ino == st->st_ino && n->unified)
			goto found;
		if (n) {
			/* The name now stands for another inode than the node we
			 * had for it (changed behind our back on the host): the
			 * old node keeps serving its open files, nameless. */
			stale_parent = reap(drop_name(n));
		}
		n = fresh;
		n->unified = true;
		n->parent = parent;
		n->name = dup;
		dup = NULL;
		n->ino_shown = unif_ino(parent, name);
		parent->pins++;
		unif_insert(n);
	} else {
		n = priv_find(st->st_dev, st->st_ino);
		if (n && !checked && !vu_fdc_holds_inode(n)) {
			/* A cold node stands for its inode by handle only: the
			 * number may have been freed on the host and reused for
			 * the inode just found.  Compare outside the mutex. */
			struct vu_node *dead = NULL;
			bool same;

			n->pins++;
			pthread_mutex_unlock(&tab.mutex);
			same = fd >= 0 ? vu_fdc_same_inode(n, fd) : vu_fdc_same_handle(n, fh);
			pthread_mutex_lock(&tab.mutex);
			n->pins--;
			if (!same)
				priv_remove(n); /* serves the kernel's references, unreachable */
			if (n->nlookup == 0 && n->pins == 0)
				dead = reap(n);
			pthread_mutex_unlock(&tab.mutex);
			free_dead(dead);
			checked = true;
			pthread_mutex_lock(&tab.mutex);
			n = priv_find(st->st_dev, st->st_ino);
		}
		if (n)
			goto found;
		n = fresh;
		priv_insert(n);
	}
	fresh = NULL;
	n->nlookup = 1;
	vu_usage_adopt(n, fd, st);
	pthread_mutex_unlock(&tab.mutex);
	if (fd >= 0)
		vu_fdc_add(n);
	free_dead(stale_parent);
	return n;

found:
	n->nlookup++;
	pthread_mutex_unlock(&tab.mutex);
	free_dead(stale_parent);
	free(dup);
	fresh->fd = -1;         /* fd is closed below, once */
	pthread_mutex_destroy(&fresh->lock);
	free(fresh);
	if (fd >= 0)
		close(fd);
	free(fh);               /* fresh's, if it was given one */
	return n;

nomem:
	free(dup);
	free(fresh);
	if (fd >= 0)
		close(fd);
	free(fh);
	errno = ENOMEM;
	return NULL;
}

/*
 * Free @n if it lost its last reference; called with the table mutex held,
 * returns without it.  A node whose disk-usage charge is not final yet is
 * settled first (usage.c), pinned and still in the table: a lookup of its
 * inode meanwhile revives it.  Reaped first, it would leave that lookup to
 * make a second node, which adopts the inode as it was before writeback
 * and so counts what the settle charges a second time.
 */
static void put_unlock(struct vu_node *n)
{
	struct vu_node *dead = NULL;

	if (n->nlookup == 0 && n->pins == 0 && vu_usage_unsettled(n)) {
		n->pins++;
		pthread_mutex_unlock(&tab.mutex);
		vu_usage_settle(n);
		pthread_mutex_lock(&tab.mutex);
		n->pins--;
	}
	if (n->nlookup == 0 && n->pins == 0)
		dead = reap(n);
	pthread_mutex_unlock(&tab.mutex);
	free_dead(dead);
}

void vu_node_forget(struct vu_node *n, uint64_t nlookup)
{
	pthread_mutex_lock(&tab.mutex);
	n->nlookup = nlookup > n->nlookup ? 0 : n->nlookup - nlookup;
	put_unlock(n);
}

void vu_node_each_private(void (*fn)(struct vu_node *n))
{
	pthread_mutex_lock(&tab.mutex);
	for (size_t i = 0; i < tab.priv_size; i++)
		for (struct vu_node *n = tab.priv[i]; n; n = n->next_priv)
			fn(n);
	pthread_mutex_unlock(&tab.mutex);
}

void vu_node_hold(struct vu_node *n)
{
	pthread_mutex_lock(&tab.mutex);
	n->pins++;
	pthread_mutex_unlock(&tab.mutex);
}

void vu_node_release(struct vu_node *n)
{
	pthread_mutex_lock(&tab.mutex);
	n->pins--;
	put_unlock(n);
}

struct vu_node *vu_node_lookup_known(struct vu_node *parent, const char *name,
				     const struct stat *st, bool unified)
{
	struct vu_node *n;

	pthread_mutex_lock(&tab.mutex);
	if (unified) {
		n = unif_find(parent, name);
		if (n && !(n->unified && n->dev == st->st_dev && n->ino == st->st_ino))
			n = NULL;
	} else {
		n = priv_find(st->st_dev, st->st_ino);
	}
	if (n)
		n->nlookup++;
	pthread_mutex_unlock(&tab.mutex);
	return n;
}

bool vu_node_maybe_known(struct vu_node *parent, const char *name, ino_t ino)
{
	bool known;

	pthread_mutex_lock(&tab.mutex);
	known = priv_find(parent->dev, ino) || unif_find(parent, name);
	pthread_mutex_unlock(&tab.mutex);
	return known;
}

struct vu_node *vu_node_find_inode(dev_t dev, ino_t ino)
{
	struct vu_node *n;

	pthread_mutex_lock(&tab.mutex);
	n = priv_find(dev, ino);
	if (n)
		n->pins++;
	pthread_mutex_unlock(&tab.mutex);
	return n;
}

struct vu_node *vu_node_find_name(struct vu_node *parent, const char *name)
{
	struct vu_node *n;

	pthread_mutex_lock(&tab.mutex);
	n = unif_find(parent, name);
	if (n)
		n->pins++;
	pthread_mutex_unlock(&tab.mutex);
	return n;
}

static bool has_name(const struct vu_node *n, const struct vu_node *parent, const char *name)
{
	return n && n->in_unif && n->parent == parent && strcmp(n->name, name) == 0;
}

/* Give @n the name (@parent, @dup); @dup is consumed.  Table mutex held. */
static void set_name(struct vu_node *n, struct vu_node *parent, char *dup)
{
	parent->pins++;
	n->parent = parent;
	n->name = dup;
	unif_insert(n);
}

void vu_node_moved(struct vu_node *a, struct vu_node *b,
		   struct vu_node *oldparent, const char *oldname,
		   struct vu_node *newparent, const char *newname, bool exchange)
{
	char *olddup = strdup(oldname), *newdup = strdup(newname);
	struct vu_node *src = NULL, *dst = NULL, *dead = NULL, *dead2 = NULL;

	pthread_mutex_lock(&tab.mutex);
	/* Sort the held nodes into the one named by the source and the one
	 * named by the target; either may be absent or no longer unified. */
	if (has_name(a, oldparent, oldname))
		src = a;
	else if (has_name(b, oldparent, oldname))
		src = b;
	if (has_name(a, newparent, newname))
		dst = a;
	else if (has_name(b, newparent, newname))
		dst = b;
	/* Unhash both first: their keys may be each other's.  The parents
	 * stay pinned by the kernel for the duration of the rename. */
	if (src)
		dead = reap(drop_name(src));
	if (dst)
		dead2 = reap(drop_name(dst));
	/* Without memory for a name a node goes nameless: a later break of it
	 * then makes an anonymous copy, which the guest sees as its write
	 * getting lost; refuse nothing here but log it. */
	if (src && newdup) {
		set_name(src, newparent, newdup);
		newdup = NULL;
	}
	if (exchange && dst && olddup) {
		set_name(dst, oldparent, olddup);
		olddup = NULL;
	}
	pthread_mutex_unlock(&tab.mutex);
	if ((src && newdup) || (exchange && dst && olddup))
		vu_log(LOG_ERR, "rename: out of memory tracking a unified name");
	free(olddup);
	free(newdup);
	free_dead(dead);
	free_dead(dead2);
}

void vu_node_unnamed(struct vu_node *n)
{
	struct vu_node *dead;

	pthread_mutex_lock(&tab.mutex);
	dead = reap(drop_name(n));
	pthread_mutex_unlock(&tab.mutex);
	free_dead(dead);
}

void vu_node_privatised(struct vu_node *n, const struct stat *st)
{
	struct vu_node *dead;

	pthread_mutex_lock(&tab.mutex);
	dead = reap(drop_name(n));
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	n->unified = false;
	/* A fresh inode: no other node can have its (dev, ino). */
	priv_insert(n);
	pthread_mutex_unlock(&tab.mutex);
	free_dead(dead);
}

uint64_t vu_node_peek_ino(struct vu_node *parent, const char *name, const struct stat *st,
			  bool unified)
{
	struct vu_node *n;
	uint64_t ino;

	pthread_mutex_lock(&tab.mutex);
	if (unified) {
		n = unif_find(parent, name);
		ino = n ? n->ino_shown : unif_ino(parent, name);
	} else {
		n = priv_find(st->st_dev, st->st_ino);
		ino = n ? n->ino_shown : st->st_ino;
	}
	pthread_mutex_unlock(&tab.mutex);
	return ino;
}

int vu_node_name_get(struct vu_node *n, struct vu_node **parent, char **name)
{
	int ret = 0;

	pthread_mutex_lock(&tab.mutex);
	*parent = n->parent;
	*name = NULL;
	if (n->name) {
		*name = strdup(n->name);
		if (!*name)
			ret = -ENOMEM;
		else
			n->parent->pins++;
	} else {
		*parent = NULL;
	}
	pthread_mutex_unlock(&tab.mutex);
	return ret;
}
