/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store's index: STORE/index.db, sqlite3, WAL, synchronous=NORMAL.
 *
 * It is a cache: everything in it can be rebuilt from the store and the
 * guests (a missing index.db is recreated, and the objects table refilled by
 * walking STORE/objects).  Schema (version 1):
 *
 *   meta(key TEXT PRIMARY KEY, value)
 *       'version' = 1, 'hash_bits' = significant id bits (see key.h)
 *
 *   guests(id INTEGER PRIMARY KEY, path TEXT UNIQUE, last_run INTEGER)
 *       every guest vhashify has seen, by canonical absolute path
 *
 *   files(guest, path, dev, ino, size, mtime_ns, ctime_ns, kflags, id,
 *         PRIMARY KEY(guest, path)) WITHOUT ROWID
 *       the key of a private file that was hashed: as long as dev, ino,
 *       size, mtime and ctime are unchanged (and the key flags are the
 *       same), the file's id is known without reading it.  Unified files
 *       need no row: they are recognised by their inode being an object.
 *
 *   objects(id TEXT, seq INTEGER, ino, size, mode, uid, gid, mtime_ns,
 *           atime_ns, kflags, created, PRIMARY KEY(id, seq))
 *       every object instance; index objects_ino on ino
 *
 * Writes are batched: vu_index_tick() commits at most about once a second.
 */
#ifndef VUNIFY_INDEX_H
#define VUNIFY_INDEX_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "vunify/error.h"
#include "vunify/key.h"
#include "vunify/store.h"

enum vu_index_stmt {
	VU_IX_GUEST_GET,
	VU_IX_GUEST_ADD,
	VU_IX_GUEST_RUN,
	VU_IX_FILE_PUT,
	VU_IX_FILE_DEL,
	VU_IX_OBJ_PUT,
	VU_IX_OBJ_DEL,
	VU_IX_OBJ_BY_INO,
	VU_IX_OBJ_GET,
	VU_IX_NSTMT
};

struct vu_index {
	sqlite3 *db;
	char *path;
	bool created;                /* the file was new (or in memory) */
	bool in_tx;
	bool memory;                 /* no index file: an empty one in memory */
	bool deferred;               /* begin with BEGIN, not BEGIN IMMEDIATE */
	unsigned pending;
	int64_t tx_start_ms;
	sqlite3_stmt *st[VU_IX_NSTMT];
};

/* Open STORE/index.db, creating it if @create; without @create a missing
 * file gives an empty in-memory index (for read-only uses), and an existing
 * one is opened without its write lock (@deferred), so that it can be read
 * while a vhashify writes it.  A damaged index, or one locked for a
 * writer, is a clear error. */
int vu_index_open(struct vu_index *ix, const struct vu_store *s, bool create, struct vu_err *e);
void vu_index_close(struct vu_index *ix);

/* Fill @e from the last sqlite error on @ix ("STORE/index.db: ..."). */
int vu_index_err(struct vu_index *ix, int rc, struct vu_err *e, const char *what);

int vu_index_exec(struct vu_index *ix, const char *sql, struct vu_err *e);
int vu_index_begin(struct vu_index *ix, struct vu_err *e);
int vu_index_commit(struct vu_index *ix, struct vu_err *e);
/* Count one change; commit and begin anew if the batch is old enough. */
int vu_index_tick(struct vu_index *ix, struct vu_err *e);

int vu_index_guest(struct vu_index *ix, const char *path, int64_t *id, struct vu_err *e);
int vu_index_guest_ran(struct vu_index *ix, int64_t id, struct vu_err *e);

int vu_index_file_put(struct vu_index *ix, int64_t guest, const char *path,
		      const struct statx *stx, unsigned kflags, const struct vu_id *id,
		      struct vu_err *e);
int vu_index_file_del(struct vu_index *ix, int64_t guest, const char *path, struct vu_err *e);

int vu_index_object_put(struct vu_index *ix, const struct vu_id *id, unsigned seq,
			const struct statx *stx, unsigned kflags, struct vu_err *e);
int vu_index_object_del(struct vu_index *ix, const struct vu_id *id, unsigned seq,
			struct vu_err *e);
/* The object whose inode is @ino: 1 found, 0 not, -1 error. */
int vu_index_object_by_ino(struct vu_index *ix, uint64_t ino, struct vu_id *id,
			   unsigned *seq, struct vu_err *e);
/* The key flags an object was made with: 1 found, 0 not, -1 error. */
int vu_index_object_kflags(struct vu_index *ix, const struct vu_id *id, unsigned seq,
			   unsigned *kflags, struct vu_err *e);

#endif /* VUNIFY_INDEX_H */
