// SPDX-License-Identifier: GPL-2.0-or-later
/* The store's index: see include/vunify/index.h for the schema. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vunify/format.h"
#include "vunify/index.h"
#include "vunify/meta.h"
#include "index-int.h"

#define SCHEMA_VERSION 1
#define BATCH_MS 1000

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value);"
	"CREATE TABLE IF NOT EXISTS guests(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE,"
	" last_run INTEGER);"
	"CREATE TABLE IF NOT EXISTS files(guest INTEGER NOT NULL, path TEXT NOT NULL,"
	" dev INTEGER, ino INTEGER, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER,"
	" kflags INTEGER, id TEXT NOT NULL, PRIMARY KEY(guest, path)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS objects(id TEXT NOT NULL, seq INTEGER NOT NULL,"
	" ino INTEGER NOT NULL, size INTEGER, mode INTEGER, uid INTEGER, gid INTEGER,"
	" mtime_ns INTEGER, atime_ns INTEGER, kflags INTEGER, created INTEGER,"
	" PRIMARY KEY(id, seq));"
	"CREATE INDEX IF NOT EXISTS objects_ino ON objects(ino);";

static const char *const stmt_sql[VU_IX_NSTMT] = {
	[VU_IX_GUEST_GET] = "SELECT id FROM guests WHERE path = ?1",
	[VU_IX_GUEST_ADD] = "INSERT INTO guests(path) VALUES (?1)",
	[VU_IX_GUEST_RUN] = "UPDATE guests SET last_run = ?2 WHERE id = ?1",
	[VU_IX_FILE_PUT] = "INSERT OR REPLACE INTO files(guest, path, dev, ino, size, mtime_ns,"
			   " ctime_ns, kflags, id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[VU_IX_FILE_DEL] = "DELETE FROM files WHERE guest = ?1 AND path = ?2",
	[VU_IX_OBJ_PUT] = "INSERT OR REPLACE INTO objects(id, seq, ino, size, mode, uid, gid,"
			  " mtime_ns, atime_ns, kflags, created)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[VU_IX_OBJ_DEL] = "DELETE FROM objects WHERE id = ?1 AND seq = ?2",
	[VU_IX_OBJ_BY_INO] = "SELECT id, seq FROM objects WHERE ino = ?1",
	[VU_IX_OBJ_GET] = "SELECT kflags FROM objects WHERE id = ?1 AND seq = ?2",
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vu_index_err(struct vu_index *ix, int rc, struct vu_err *e, const char *what)
{
	const char *msg = ix->priv && ix->priv->db ? sqlite3_errmsg(ix->priv->db) : sqlite3_errstr(rc);
	const char *hint = "";

	switch (rc & 0xff) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		hint = " (the index is damaged; remove it and rerun vhashify to rebuild it)";
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		hint = " (another process holds it)";
		break;
	}
	return vu_err_set(e, rc == SQLITE_NOMEM ? ENOMEM : 0, "%s%s%s: %s%s", ix->path,
			  what ? ": " : "", what ? what : "", msg, hint);
}

int vu_index_exec(struct vu_index *ix, const char *sql, struct vu_err *e)
{
	int rc = sqlite3_exec(ix->priv->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return vu_index_err(ix, rc, e, NULL);
	return 0;
}

int vu_index_begin(struct vu_index *ix, struct vu_err *e)
{
	if (ix->in_tx)
		return 0;
	if (vu_index_exec(ix, ix->deferred ? "BEGIN" : "BEGIN IMMEDIATE", e) < 0)
		return -1;
	ix->in_tx = true;
	ix->pending = 0;
	ix->tx_start_ms = now_ms();
	return 0;
}

int vu_index_commit(struct vu_index *ix, struct vu_err *e)
{
	if (!ix->in_tx)
		return 0;
	if (vu_index_exec(ix, "COMMIT", e) < 0)
		return -1;
	ix->in_tx = false;
	return 0;
}

int vu_index_tick(struct vu_index *ix, struct vu_err *e)
{
	if (!ix->in_tx)
		return vu_index_begin(ix, e);
	if (++ix->pending < 256 || now_ms() - ix->tx_start_ms < BATCH_MS)
		return 0;
	if (vu_index_commit(ix, e) < 0)
		return -1;
	return vu_index_begin(ix, e);
}

void vu_index_rollback(struct vu_index *ix)
{
	if (!ix->in_tx)
		return;
	sqlite3_exec(ix->priv->db, "ROLLBACK", NULL, NULL, NULL);
	ix->in_tx = false;
}

static int meta_check(struct vu_index *ix, struct vu_err *e)
{
	sqlite3_stmt *st = NULL;
	int rc, version = -1, bits = -1;

	rc = sqlite3_prepare_v2(ix->priv->db, "SELECT key, value FROM meta", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return vu_index_err(ix, rc, e, NULL);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);

		if (k && !strcmp(k, "version"))
			version = sqlite3_column_int(st, 1);
		else if (k && !strcmp(k, "hash_bits"))
			bits = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return vu_index_err(ix, rc, e, NULL);
	if (version == -1) {
		char sql[128];

		snprintf(sql, sizeof(sql), "INSERT INTO meta VALUES ('version', %d), ('hash_bits', %u)",
			 SCHEMA_VERSION, vu_key_bits());
		return vu_index_exec(ix, sql, e);
	}
	if (version != SCHEMA_VERSION)
		return vu_err_set(e, 0, "%s: index version %d, this vhashify knows %d", ix->path,
				  version, SCHEMA_VERSION);
	if (bits != (int)vu_key_bits())
		return vu_err_set(e, 0, "%s: the store's ids have %d bits, but VUNIFY_HASH_BITS "
				  "asks for %u", ix->path, bits, vu_key_bits());
	return 0;
}

int vu_index_open(struct vu_index *ix, const struct vu_store *s, bool create, struct vu_err *e)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	const char *file;
	int rc;

	memset(ix, 0, sizeof(*ix));
	if (asprintf(&ix->path, "%s/%s", s->path, VU_STORE_INDEX) < 0) {
		ix->path = NULL;
		return vu_err_set(e, ENOMEM, "%s", s->path);
	}
	file = ix->path;
	if (s->fd < 0 || faccessat(s->fd, VU_STORE_INDEX, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		if (s->fd >= 0 && errno != ENOENT)
			return vu_err_set(e, errno, "%s", ix->path);
		ix->created = true;
		if (create) {
			flags |= SQLITE_OPEN_CREATE;
		} else {
			file = ":memory:";
			ix->memory = true;
		}
	}
	ix->priv = calloc(1, sizeof(*ix->priv));
	if (!ix->priv)
		return vu_err_set(e, ENOMEM, "%s", ix->path);
	rc = sqlite3_open_v2(file, &ix->priv->db, flags, NULL);
	if (rc != SQLITE_OK)
		return vu_index_err(ix, rc, e, NULL);
	sqlite3_extended_result_codes(ix->priv->db, 0);
	/* Linkers share the index and each holds its write lock only for
	 * short bursts (hashify.c): waiting out another's is normal. */
	sqlite3_busy_timeout(ix->priv->db, 10000);
	/* Nothing else may read what the store hides: keep the index 0600. */
	if (!ix->memory && create && fchmodat(s->fd, VU_STORE_INDEX, 0600, 0) < 0)
		return vu_err_set(e, errno, "%s", ix->path);
	if (vu_index_exec(ix, "PRAGMA journal_mode=WAL", e) < 0 ||
	    vu_index_exec(ix, "PRAGMA synchronous=NORMAL", e) < 0 ||
	    vu_index_exec(ix, "PRAGMA cache_size=-32768", e) < 0 ||
	    vu_index_exec(ix, "PRAGMA temp_store=FILE", e) < 0)
		return -1;
	/* A writer takes the write lock once now, so that a locked or damaged
	 * index is reported before any work is done.  A reader of an existing
	 * index (stats, verify, a dry run) never asks for it: with WAL it reads
	 * while a vhashify writes, and the schema statements are no-ops that
	 * need no write lock when the schema is there. */
	ix->deferred = !create && !ix->created;
	if (vu_index_begin(ix, e) < 0 || vu_index_exec(ix, schema, e) < 0 ||
	    meta_check(ix, e) < 0 || vu_index_commit(ix, e) < 0)
		return -1;
	for (int i = 0; i < VU_IX_NSTMT; i++) {
		rc = sqlite3_prepare_v3(ix->priv->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &ix->priv->st[i], NULL);
		if (rc != SQLITE_OK)
			return vu_index_err(ix, rc, e, NULL);
	}
	return 0;
}

void vu_index_close(struct vu_index *ix)
{
	if (ix->priv) {
		vu_index_work_close(ix);
		vu_index_gc_end(ix);
		for (int i = 0; i < VU_IX_NSTMT; i++)
			sqlite3_finalize(ix->priv->st[i]);
		if (ix->priv->db) {
			vu_index_rollback(ix);
			sqlite3_close(ix->priv->db);
		}
		free(ix->priv);
	}
	free(ix->path);
	memset(ix, 0, sizeof(*ix));
}

/* Step a statement that returns no rows, then reset it. */
static int run(struct vu_index *ix, sqlite3_stmt *st, struct vu_err *e)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return vu_index_err(ix, rc, e, NULL);
	return 0;
}

int vu_index_guest(struct vu_index *ix, const char *path, int64_t *id, struct vu_err *e)
{
	sqlite3_stmt *st = ix->priv->st[VU_IX_GUEST_GET];
	int rc;

	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return vu_index_err(ix, rc, e, NULL);
	st = ix->priv->st[VU_IX_GUEST_ADD];
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	if (run(ix, st, e) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(ix->priv->db);
	return 0;
}

int vu_index_guest_ran(struct vu_index *ix, int64_t id, struct vu_err *e)
{
	sqlite3_stmt *st = ix->priv->st[VU_IX_GUEST_RUN];

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
	return run(ix, st, e);
}

static void bind_id(sqlite3_stmt *st, int col, const struct vu_id *id)
{
	char hex[VU_ID_HEXLEN + 1];

	vu_id_hex(id, hex);
	sqlite3_bind_text(st, col, hex, VU_ID_HEXLEN, SQLITE_TRANSIENT);
}

static int column_id(sqlite3_stmt *st, int col, struct vu_id *id)
{
	const char *hex = (const char *)sqlite3_column_text(st, col);

	return hex ? vu_id_parse(hex, sqlite3_column_bytes(st, col), id) : -1;
}

int vu_index_file_put(struct vu_index *ix, int64_t guest, const char *path,
		      const struct statx *stx, unsigned kflags, const struct vu_id *id,
		      struct vu_err *e)
{
	sqlite3_stmt *st = ix->priv->st[VU_IX_FILE_PUT];

	sqlite3_bind_int64(st, 1, guest);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)vu_meta_dev(stx));
	sqlite3_bind_int64(st, 4, (int64_t)stx->stx_ino);
	sqlite3_bind_int64(st, 5, (int64_t)stx->stx_size);
	sqlite3_bind_int64(st, 6, vu_meta_ns(&stx->stx_mtime));
	sqlite3_bind_int64(st, 7, vu_meta_ns(&stx->stx_ctime));
	sqlite3_bind_int(st, 8, (int)kflags);
	bind_id(st, 9, id);
	return run(ix, st, e);
}

int vu_index_file_del(struct vu_index *ix, int64_t guest, const char *path, struct vu_err *e)
{
	sqlite3_stmt *st = ix->priv->st[VU_IX_FILE_DEL];

	sqlite3_bind_int64(st, 1, guest);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	return run(ix, st, e);
}

int vu_index_object_put(struct vu_index *ix, const struct vu_id *id, unsigned seq,
			const struct statx *stx, unsigned kflags, struct vu_err *e)
{
	sqlite3_stmt *st = ix->priv->st[VU_IX_OBJ_PUT];

	bind_id(st, 1, id);
	sqlite3_bind_int(st, 2, (int)seq);
	sqlite3_bind_int64(st, 3, (int64_t)stx->stx_ino);
	sqlite3_bind_int64(st, 4, (int64_t)stx->stx_size);
	sqlite3_bind_int(st, 5, stx->stx_mode);
	sqlite3_bind_int64(st, 6, stx->stx_uid);
	sqlite3_bind_int64(st, 7, stx->stx_gid);
	sqlite3_bind_int64(st, 8, vu_meta_ns(&stx->stx_mtime));
	sqlite3_bind_int64(st, 9, vu_meta_ns(&stx->stx_atime));
	if (kflags == ~0u)
		sqlite3_bind_null(st, 10);      /* not known: found on disk */
	else
		sqlite3_bind_int(st, 10, (int)kflags);
	sqlite3_bind_int64(st, 11, (int64_t)time(NULL));
	return run(ix, st, e);
}

int vu_index_object_del(struct vu_index *ix, const struct vu_id *id, unsigned seq,
			struct vu_err *e)
{
	sqlite3_stmt *st = ix->priv->st[VU_IX_OBJ_DEL];

	bind_id(st, 1, id);
	sqlite3_bind_int(st, 2, (int)seq);
	return run(ix, st, e);
}

int vu_index_object_by_ino(struct vu_index *ix, uint64_t ino, struct vu_id *id,
			   unsigned *seq, struct vu_err *e)
{
	sqlite3_stmt *st = ix->priv->st[VU_IX_OBJ_BY_INO];
	int rc, found = 0;

	sqlite3_bind_int64(st, 1, (int64_t)ino);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && column_id(st, 0, id) == 0) {
		*seq = (unsigned)sqlite3_column_int(st, 1);
		found = 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return vu_index_err(ix, rc, e, NULL);
	return found;
}

int vu_index_object_kflags(struct vu_index *ix, const struct vu_id *id, unsigned seq,
			   unsigned *kflags, struct vu_err *e)
{
	sqlite3_stmt *st = ix->priv->st[VU_IX_OBJ_GET];
	int rc, found = 0;

	bind_id(st, 1, id);
	sqlite3_bind_int(st, 2, (int)seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*kflags = (unsigned)sqlite3_column_int(st, 0);
		found = 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return vu_index_err(ix, rc, e, NULL);
	return found;
}

int vu_index_guest_forget(struct vu_index *ix, int64_t id, struct vu_err *e)
{
	static const char *const sql[] = { "DELETE FROM files WHERE guest = ?1",
					   "DELETE FROM guests WHERE id = ?1" };

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *st;
		int rc = sqlite3_prepare_v2(ix->priv->db, sql[i], -1, &st, NULL);

		if (rc != SQLITE_OK)
			return vu_index_err(ix, rc, e, NULL);
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return vu_index_err(ix, rc, e, NULL);
	}
	return 0;
}

/* The end of a loop over rows that called back for each: the callback's
 * stop (r: < 0 its error, > 0 a stop without error) or the step's error. */
static int each_end(struct vu_index *ix, sqlite3_stmt *st, int rc, int r, struct vu_err *e)
{
	sqlite3_finalize(st);
	if (r)
		return r < 0 ? -1 : 0;
	if (rc != SQLITE_DONE)
		return vu_index_err(ix, rc, e, NULL);
	return 0;
}

int vu_index_guests_each(struct vu_index *ix,
			 int (*fn)(void *arg, int64_t id, const char *path, struct vu_err *e),
			 void *arg, struct vu_err *e)
{
	sqlite3_stmt *st;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(ix->priv->db, "SELECT id, path FROM guests ORDER BY path", -1, &st,
				NULL);
	if (rc != SQLITE_OK)
		return vu_index_err(ix, rc, e, NULL);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(st, 1);

		if (path && (r = fn(arg, sqlite3_column_int64(st, 0), path, e)) != 0)
			break;
	}
	return each_end(ix, st, rc, r, e);
}

int vu_index_objects_each_ino(struct vu_index *ix,
			      int (*fn)(void *arg, uint64_t ino, struct vu_err *e),
			      void *arg, struct vu_err *e)
{
	sqlite3_stmt *st;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(ix->priv->db, "SELECT ino FROM objects", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return vu_index_err(ix, rc, e, NULL);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((r = fn(arg, (uint64_t)sqlite3_column_int64(st, 0), e)) != 0)
			break;
	return each_end(ix, st, rc, r, e);
}

int vu_index_gc_begin(struct vu_index *ix, struct vu_err *e)
{
	int rc;

	vu_index_gc_end(ix);
	if (vu_index_exec(ix, "CREATE TEMP TABLE IF NOT EXISTS seen(id TEXT, seq INTEGER,"
			  " PRIMARY KEY(id, seq)); DELETE FROM temp.seen", e) < 0)
		return -1;
	rc = sqlite3_prepare_v2(ix->priv->db, "INSERT OR IGNORE INTO temp.seen VALUES (?1, ?2)",
				-1, &ix->priv->seen, NULL);
	if (rc != SQLITE_OK)
		return vu_index_err(ix, rc, e, NULL);
	return 0;
}

int vu_index_gc_seen(struct vu_index *ix, const struct vu_id *id, unsigned seq,
		     struct vu_err *e)
{
	sqlite3_stmt *st = ix->priv->seen;

	bind_id(st, 1, id);
	sqlite3_bind_int(st, 2, (int)seq);
	return run(ix, st, e);
}

int vu_index_gc_forget_unseen(struct vu_index *ix, struct vu_err *e)
{
	vu_index_gc_end(ix);
	return vu_index_exec(ix, "DELETE FROM objects WHERE (id, seq) NOT IN"
			     " (SELECT id, seq FROM temp.seen); DROP TABLE temp.seen", e);
}

void vu_index_gc_end(struct vu_index *ix)
{
	sqlite3_finalize(ix->priv->seen);
	ix->priv->seen = NULL;
}
