// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The index's temporary tables for vhashify (see include/vunify/hashify.h):
 * temp.cand, the candidates the scan found, and temp.work, the candidates
 * that might have a twin, sorted so that possible twins are neighbours.
 * sqlite does the sorting, on disk if need be.
 */
#include <errno.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "vunify/meta.h"
#include "hashify-int.h"
#include "index-int.h"

#define CHUNK 512

static const char cand_sql[] =
	"DROP TABLE IF EXISTS temp.cand; DROP TABLE IF EXISTS temp.work;"
	"CREATE TEMP TABLE cand(gidx INTEGER, guest INTEGER, path TEXT, dev INTEGER,"
	" ino INTEGER, size INTEGER, mode INTEGER, uid INTEGER, gid INTEGER,"
	" mtime_ns INTEGER, atime_ns INTEGER, ctime_ns INTEGER, gkey INTEGER, nlink INTEGER)";

static const char ins_sql[] =
	"INSERT INTO temp.cand VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

static const char work_sql[] =
	"CREATE TEMP TABLE work AS"
	" SELECT c.gidx, c.guest, c.path, c.dev, c.ino, c.size, c.mode, c.uid, c.gid,"
	"  c.mtime_ns, c.atime_ns, c.ctime_ns, c.gkey, f.id AS known, c.nlink"
	" FROM temp.cand c LEFT JOIN main.files f"
	"  ON f.guest = c.guest AND f.path = c.path AND f.dev = c.dev AND f.ino = c.ino"
	"  AND f.size = c.size AND f.mtime_ns = c.mtime_ns AND f.ctime_ns = c.ctime_ns"
	"  AND f.kflags = ?1"
	" WHERE ?2"
	"  OR c.gkey IN (SELECT gkey FROM temp.cand GROUP BY gkey HAVING count(*) > 1)"
	"  OR c.gkey IN (SELECT vu_gkey(size, mode, uid, gid, mtime_ns, atime_ns) FROM main.objects)"
	" ORDER BY c.size DESC, c.gkey";

static const char read_sql[] =
	"SELECT rowid, gidx, guest, path, dev, ino, size, mode, uid, gid, mtime_ns, atime_ns,"
	" ctime_ns, gkey, known, nlink FROM temp.work WHERE rowid > ?1 ORDER BY rowid LIMIT 512";

int vu_index_cand_begin(struct vu_index *ix, struct vu_err *e)
{
	struct vu_index_db *d = ix->priv;
	int rc;

	vu_index_cand_end(ix);
	if (vu_index_exec(ix, cand_sql, e) < 0)
		return -1;
	rc = sqlite3_prepare_v2(d->db, ins_sql, -1, &d->cand_ins, NULL);
	if (rc != SQLITE_OK)
		return vu_index_err(ix, rc, e, NULL);
	return 0;
}

int vu_index_cand_add(struct vu_index *ix, uint32_t gidx, int64_t guest, const char *path,
		      size_t pathlen, const struct statx *x, int64_t gkey, struct vu_err *e)
{
	sqlite3_stmt *st = ix->priv->cand_ins;
	int rc;

	sqlite3_bind_int(st, 1, (int)gidx);
	sqlite3_bind_int64(st, 2, guest);
	sqlite3_bind_text(st, 3, path, (int)pathlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)vu_meta_dev(x));
	sqlite3_bind_int64(st, 5, (int64_t)x->stx_ino);
	sqlite3_bind_int64(st, 6, (int64_t)x->stx_size);
	sqlite3_bind_int(st, 7, x->stx_mode);
	sqlite3_bind_int64(st, 8, x->stx_uid);
	sqlite3_bind_int64(st, 9, x->stx_gid);
	sqlite3_bind_int64(st, 10, vu_meta_ns(&x->stx_mtime));
	sqlite3_bind_int64(st, 11, vu_meta_ns(&x->stx_atime));
	sqlite3_bind_int64(st, 12, vu_meta_ns(&x->stx_ctime));
	sqlite3_bind_int64(st, 13, gkey);
	/* Several only for names of a file with a foreign mark (scan.c). */
	sqlite3_bind_int64(st, 14, x->stx_nlink);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return vu_index_err(ix, rc, e, NULL);
	return 0;
}

void vu_index_cand_end(struct vu_index *ix)
{
	sqlite3_finalize(ix->priv->cand_ins);
	ix->priv->cand_ins = NULL;
}

int vu_index_cand_done(struct vu_index *ix, struct vu_err *e)
{
	/* For vu_index_forget_stale(): one lookup per indexed file. */
	return vu_index_exec(ix, "CREATE INDEX temp.cand_guest ON cand(guest, path)", e);
}

int vu_index_forget_stale(struct vu_index *ix, int64_t guest, struct vu_err *e)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(ix->priv->db, "DELETE FROM main.files WHERE guest = ?1 AND path NOT IN"
				" (SELECT path FROM temp.cand WHERE guest = ?1)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return vu_index_err(ix, rc, e, NULL);
	sqlite3_bind_int64(st, 1, guest);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return vu_index_err(ix, rc, e, NULL);
	return 0;
}

void vu_index_work_drop(struct vu_index *ix)
{
	vu_index_work_end(ix);
	vu_index_cand_end(ix);
	sqlite3_exec(ix->priv->db, "DROP TABLE IF EXISTS temp.work; DROP TABLE IF EXISTS temp.cand",
		     NULL, NULL, NULL);
}

/* vu_group_key() as an SQL function, for the objects table. */
static void sql_group_key(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	unsigned ignore = (unsigned)(uintptr_t)sqlite3_user_data(ctx);

	(void)argc;
	sqlite3_result_int64(ctx, vu_group_key(sqlite3_value_int64(v[0]), sqlite3_value_int(v[1]),
					       sqlite3_value_int64(v[2]), sqlite3_value_int64(v[3]),
					       sqlite3_value_int64(v[4]), sqlite3_value_int64(v[5]),
					       ignore));
}

int vu_index_work_prepare(struct vu_index *ix, unsigned kflags, bool all, unsigned ignore,
			  uint64_t *files, uint64_t *bytes_to_hash, struct vu_err *e)
{
	struct vu_index_db *d = ix->priv;
	sqlite3_stmt *st = NULL;
	int rc;

	vu_index_work_end(ix);
	rc = sqlite3_create_function(d->db, "vu_gkey", 6, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
				     (void *)(uintptr_t)ignore, sql_group_key, NULL, NULL);
	if (rc != SQLITE_OK)
		return vu_index_err(ix, rc, e, NULL);
	rc = sqlite3_prepare_v2(d->db, work_sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return vu_index_err(ix, rc, e, NULL);
	sqlite3_bind_int(st, 1, (int)kflags);
	sqlite3_bind_int(st, 2, all);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return vu_index_err(ix, rc, e, NULL);
	rc = sqlite3_prepare_v2(d->db, "SELECT count(*), total(CASE WHEN known IS NULL THEN size END)"
				" FROM temp.work", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return vu_index_err(ix, rc, e, NULL);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		/* total() is a double (sum() would fail on overflow); rows of a
		 * damaged index may add up to anything, NaN included. */
		double t = sqlite3_column_double(st, 1);

		*files = (uint64_t)sqlite3_column_int64(st, 0);
		*bytes_to_hash = !(t > 0) ? 0 : t >= 0x1p64 ? UINT64_MAX : (uint64_t)t;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return vu_index_err(ix, rc, e, NULL);
	return 0;
}

static void read_row(sqlite3_stmt *st, struct vu_index_work_row *r)
{
	const char *known;
	uint64_t dev;

	memset(r, 0, sizeof(*r));
	r->gidx = (uint32_t)sqlite3_column_int(st, 1);
	r->guest = sqlite3_column_int64(st, 2);
	/* NULL if sqlite ran out of memory: the caller reports ENOMEM. */
	r->path = (const char *)sqlite3_column_text(st, 3);
	dev = (uint64_t)sqlite3_column_int64(st, 4);
	r->stx.stx_dev_major = major(dev);
	r->stx.stx_dev_minor = minor(dev);
	r->stx.stx_ino = (uint64_t)sqlite3_column_int64(st, 5);
	r->stx.stx_size = (uint64_t)sqlite3_column_int64(st, 6);
	r->stx.stx_mode = (uint16_t)sqlite3_column_int(st, 7);
	r->stx.stx_uid = (uint32_t)sqlite3_column_int64(st, 8);
	r->stx.stx_gid = (uint32_t)sqlite3_column_int64(st, 9);
	r->stx.stx_mtime = vu_meta_from_ns(sqlite3_column_int64(st, 10));
	r->stx.stx_atime = vu_meta_from_ns(sqlite3_column_int64(st, 11));
	r->stx.stx_ctime = vu_meta_from_ns(sqlite3_column_int64(st, 12));
	r->stx.stx_nlink = (uint32_t)sqlite3_column_int64(st, 15);
	r->gkey = sqlite3_column_int64(st, 13);
	known = (const char *)sqlite3_column_text(st, 14);
	if (known && vu_id_parse(known, sqlite3_column_bytes(st, 14), &r->id) == 0)
		r->have_id = true;
}

int vu_index_work_next(struct vu_index *ix, struct vu_index_work_row *r, struct vu_err *e)
{
	struct vu_index_db *d = ix->priv;
	int rc;

	if (!d->work) {
		rc = sqlite3_prepare_v2(d->db, read_sql, -1, &d->work, NULL);
		if (rc != SQLITE_OK)
			return vu_index_err(ix, rc, e, NULL);
	}
	while (!d->work_done) {
		if (!d->work_active) {
			sqlite3_bind_int64(d->work, 1, d->work_after);
			d->work_active = true;
			d->work_rows = 0;
		}
		rc = sqlite3_step(d->work);
		if (rc == SQLITE_ROW) {
			d->work_rows++;
			d->work_after = sqlite3_column_int64(d->work, 0);
			read_row(d->work, r);
			return 1;
		}
		vu_index_work_pause(ix);
		if (rc != SQLITE_DONE)
			return vu_index_err(ix, rc, e, NULL);
		if (d->work_rows < CHUNK)
			d->work_done = true;
	}
	return 0;
}

void vu_index_work_pause(struct vu_index *ix)
{
	struct vu_index_db *d = ix->priv;

	if (d->work)
		sqlite3_reset(d->work);
	d->work_active = false;
}

void vu_index_work_end(struct vu_index *ix)
{
	struct vu_index_db *d = ix->priv;

	sqlite3_finalize(d->work);
	d->work = NULL;
	d->work_after = 0;
	d->work_rows = 0;
	d->work_active = d->work_done = false;
}

void vu_index_work_close(struct vu_index *ix)
{
	vu_index_work_end(ix);
	vu_index_cand_end(ix);
}
