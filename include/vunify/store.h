/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The object store (layout in vunify/format.h).
 *
 * An object is created as a NEW inode (O_TMPFILE in STORE/objects/xx), gets
 * its data, owner, mode, xattrs, the mark and the timestamps of the file it
 * stands for, and only then gets its name with linkat(2): an object never
 * exists half made, and no inode a guest may hold open ever gains the mark.
 *
 * Instances: STORE/objects/xx/REST is instance 0 of an id, REST.N instance
 * N.  A further instance of an id is made when the others are full
 * (EMLINK), when they differ in what a guest would see (atime, with
 * vhashify --strict-atime), or when they
 * differ in content (a hash collision: ids are never trusted, contents are
 * compared byte for byte before every link).
 *
 * Besides objects/ and index.db the store holds:
 *   STORE/lock       flock'd by every process that changes the store: shared
 *                    by the linkers (vhashify, vclone), which only ever add
 *                    objects and links and so may run side by side;
 *                    exclusive by vhashify gc, which removes objects
 *   STORE/journal/   the directory-time journal of running vhashify
 *                    processes (see journal.h)
 *
 * Testing switch: VUNIFY_LINK_MAX=N makes an instance count as full once it
 * has N links, as if the filesystem's link limit were N.
 */
#ifndef VUNIFY_STORE_H
#define VUNIFY_STORE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "vunify/error.h"
#include "vunify/key.h"
#include "vunify/xattr.h"

/* "REST" or "REST.N": 30 hex digits, '.', up to 10 digits, NUL. */
#define VU_STORE_NAME_MAX 48

struct vu_store {
	char *path;
	int fd;                      /* STORE */
	int objfd;                   /* STORE/objects */
	int lockfd;                  /* STORE/lock, when locked */
	uint64_t dev;
	uint64_t mnt_id;
	uint64_t link_max;           /* 0: only the filesystem's limit */
	int subfd[256];              /* STORE/objects/xx, opened on demand */
	pthread_mutex_t mu;
};

/* Open STORE; with @create, make it (mode 0700) and objects/ if missing.
 * An existing store whose mode lets others in is refused. */
int vu_store_open(struct vu_store *s, const char *path, bool create, struct vu_err *e);
/* Describe a store that does not exist yet (for dry runs): no objects;
 * device and mount are those of the directory it would be made in. */
int vu_store_open_absent(struct vu_store *s, const char *path, struct vu_err *e);
void vu_store_close(struct vu_store *s);

enum vu_store_lock_mode {
	VU_STORE_LINKER,             /* shared: add objects and links */
	VU_STORE_EXCLUSIVE,          /* alone: remove objects (gc) */
};

/* Take the store lock (never waits); an error saying who holds it if it
 * conflicts. */
int vu_store_lock(struct vu_store *s, enum vu_store_lock_mode mode, struct vu_err *e);

/* STORE/objects/xx for @id (owned by the store; do not close). */
int vu_store_subdir(struct vu_store *s, const struct vu_id *id, bool create, struct vu_err *e);

void vu_store_name(const struct vu_id *id, unsigned seq, char out[VU_STORE_NAME_MAX]);
/* Parse directory XX and entry NAME back into id and instance; -1 if they
 * are not an object's names. */
int vu_store_parse_name(const char *xx, const char *name, struct vu_id *id, unsigned *seq);

/* statx() of an instance; -1 with errno ENOENT if there is none. */
int vu_store_stat(struct vu_store *s, const struct vu_id *id, unsigned seq, struct statx *stx);
/* Open an instance for reading (O_NOATIME: reading never moves its atime). */
int vu_store_open_object(struct vu_store *s, const struct vu_id *id, unsigned seq, struct vu_err *e);

/* True if an instance with this stat may take one more link. */
bool vu_store_has_room(const struct vu_store *s, const struct statx *stx);

/*
 * Make a new instance of @id from the regular file @src (open for reading,
 * stat @sstx, xattrs @x): the data (holes kept), owner, mode, xattrs, the
 * mark and the timestamps.  It gets the first free instance number from
 * *@seq on, which is written back.  Returns a read-only descriptor of the
 * object; its stat goes into @ostx.
 */
int vu_store_create(struct vu_store *s, const struct vu_id *id, int src,
		    const struct statx *sstx, const struct vu_xattrs *x, unsigned *seq,
		    struct statx *ostx, struct vu_err *e, const char *what);

/*
 * Linkers share the store, so an instance one of them made and then found
 * no use for may meanwhile have been found (by its name) and linked to by
 * another.  The instance's own inode carries the lock that settles this:
 * a linker holds it shared from before it links until after (pin), and
 * removing an unused instance takes it exclusively and removes the name
 * only while the store name is the inode's only link.  A pinned instance
 * with a link count above zero still has its store name, since nothing
 * else removes names while linkers run (gc is exclusive).
 */

/* Open instance @seq of @id and pin it (flock shared, waits for a remover
 * briefly at most).  Returns the descriptor (closing it unpins), or -1 with
 * errno ESTALE if that name no longer is the inode @expect (removed, or
 * made anew), or another errno with @e set. */
int vu_store_pin(struct vu_store *s, const struct vu_id *id, unsigned seq,
		 const struct statx *expect, struct vu_err *e);

/* Remove instance @seq of @id, which this process made as inode @made, if
 * nothing links to it: 0 removed, 1 kept (pinned or linked by another
 * linker, which then owns its record), -1 on error. */
int vu_store_remove_unused(struct vu_store *s, const struct vu_id *id, unsigned seq,
			   const struct statx *made, struct vu_err *e);

/* Call @fn for every object (in directory order), with its subdirectory
 * descriptor and name.  A non-zero return from @fn stops the walk and is
 * returned.  Foreign entries are passed with @id == NULL. */
typedef int (*vu_store_walk_fn)(void *arg, const struct vu_id *id, unsigned seq,
				int dirfd, const char *name);
int vu_store_walk(struct vu_store *s, vu_store_walk_fn fn, void *arg, struct vu_err *e);

#endif /* VUNIFY_STORE_H */
