// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vhashify, step 2: put candidates that might be identical together (see
 * include/vunify/hashify.h).  sqlite does the sorting, on disk if need be;
 * groups are then read back in order, a chunk of rows at a time, so that
 * no statement is left open while the engine commits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <xxhash.h>

#include "vunify/meta.h"
#include "hashify-int.h"

#define CHUNK 512

int64_t vu_group_key(uint64_t size, uint32_t mode, uint32_t uid, uint32_t gid,
		     int64_t mtime_ns, int64_t atime_ns, unsigned ignore)
{
	struct {
		uint64_t size;
		uint32_t mode, uid, gid, pad;
		int64_t mtime, atime;
	} k = {
		.size = size, .mode = mode, .uid = uid, .gid = gid,
		.mtime = (ignore & VU_META_IGNORE_MTIME) ? 0 : mtime_ns,
		.atime = (ignore & VU_META_IGNORE_ATIME) ? 0 : atime_ns,
	};

	return (int64_t)XXH3_64bits(&k, sizeof(k));
}

/* The same key as an SQL function, for the objects table. */
static void sql_group_key(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	unsigned ignore = (unsigned)(uintptr_t)sqlite3_user_data(ctx);

	(void)argc;
	sqlite3_result_int64(ctx, vu_group_key(sqlite3_value_int64(v[0]), sqlite3_value_int(v[1]),
					       sqlite3_value_int64(v[2]), sqlite3_value_int64(v[3]),
					       sqlite3_value_int64(v[4]), sqlite3_value_int64(v[5]),
					       ignore));
}

static const char work_sql[] =
	"CREATE TEMP TABLE work AS"
	" SELECT c.gidx, c.guest, c.path, c.dev, c.ino, c.size, c.mode, c.uid, c.gid,"
	"  c.mtime_ns, c.atime_ns, c.ctime_ns, c.gkey, f.id AS known"
	" FROM temp.cand c LEFT JOIN main.files f"
	"  ON f.guest = c.guest AND f.path = c.path AND f.dev = c.dev AND f.ino = c.ino"
	"  AND f.size = c.size AND f.mtime_ns = c.mtime_ns AND f.ctime_ns = c.ctime_ns"
	"  AND f.kflags = ?1"
	" WHERE ?2"
	"  OR c.gkey IN (SELECT gkey FROM temp.cand GROUP BY gkey HAVING count(*) > 1)"
	"  OR c.gkey IN (SELECT vu_gkey(size, mode, uid, gid, mtime_ns, atime_ns) FROM main.objects)"
	" ORDER BY c.size DESC, c.gkey";

int vu_group_prepare(struct vu_hx_shared *sh, uint64_t *files, uint64_t *bytes_to_hash,
		     struct vu_err *e)
{
	struct vu_index *ix = &sh->s->index;
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_create_function(ix->db, "vu_gkey", 6, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
				     (void *)(uintptr_t)sh->ignore, sql_group_key, NULL, NULL);
	if (rc != SQLITE_OK)
		return vu_index_err(ix, rc, e, NULL);
	rc = sqlite3_prepare_v2(ix->db, work_sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return vu_index_err(ix, rc, e, NULL);
	sqlite3_bind_int(st, 1, (int)sh->kflags);
	sqlite3_bind_int(st, 2, sh->o->all);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return vu_index_err(ix, rc, e, NULL);
	rc = sqlite3_prepare_v2(ix->db, "SELECT count(*), total(CASE WHEN known IS NULL THEN size END)"
				" FROM temp.work", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return vu_index_err(ix, rc, e, NULL);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*files = (uint64_t)sqlite3_column_int64(st, 0);
		*bytes_to_hash = (uint64_t)sqlite3_column_double(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return vu_index_err(ix, rc, e, NULL);
	return 0;
}

void vu_group_free(struct vu_hx_group *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++)
		free(g->m[i].path);
	for (size_t i = 0; i < g->nmsgs; i++)
		free(g->msgs[i].text);
	free(g->m);
	free(g->objs);
	free(g->msgs);
	free(g);
}

static void set_time(struct statx_timestamp *t, int64_t ns)
{
	*t = vu_meta_from_ns(ns);
}

/* One row of temp.work into a member; returns its grouping key. */
static int64_t read_row(sqlite3_stmt *st, struct vu_hx_member *m)
{
	const char *known, *path;
	uint64_t dev;

	memset(m, 0, sizeof(*m));
	m->gidx = (uint32_t)sqlite3_column_int(st, 1);
	m->guest_id = sqlite3_column_int64(st, 2);
	/* NULL if sqlite ran out of memory: the caller reports ENOMEM. */
	path = (const char *)sqlite3_column_text(st, 3);
	m->path = path ? strdup(path) : NULL;
	dev = (uint64_t)sqlite3_column_int64(st, 4);
	m->scan.stx_dev_major = major(dev);
	m->scan.stx_dev_minor = minor(dev);
	m->scan.stx_ino = (uint64_t)sqlite3_column_int64(st, 5);
	m->scan.stx_size = (uint64_t)sqlite3_column_int64(st, 6);
	m->scan.stx_mode = (uint16_t)sqlite3_column_int(st, 7);
	m->scan.stx_uid = (uint32_t)sqlite3_column_int64(st, 8);
	m->scan.stx_gid = (uint32_t)sqlite3_column_int64(st, 9);
	set_time(&m->scan.stx_mtime, sqlite3_column_int64(st, 10));
	set_time(&m->scan.stx_atime, sqlite3_column_int64(st, 11));
	set_time(&m->scan.stx_ctime, sqlite3_column_int64(st, 12));
	m->scan.stx_nlink = 1;
	known = (const char *)sqlite3_column_text(st, 14);
	if (known && vu_id_parse(known, sqlite3_column_bytes(st, 14), &m->id) == 0)
		m->have_id = true;
	return sqlite3_column_int64(st, 13);
}

static int group_add(struct vu_hx_group *g, const struct vu_hx_member *m)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;
		void *p = realloc(g->m, cap * sizeof(*g->m));

		if (!p)
			return -1;
		g->m = p;
		g->cap = cap;
	}
	g->m[g->n++] = *m;
	return 0;
}

int vu_group_next(struct vu_hx_shared *sh, struct vu_group_iter *it, struct vu_hx_group **out,
		  struct vu_err *e)
{
	struct vu_index *ix = &sh->s->index;
	struct vu_hx_group *g = calloc(1, sizeof(*g));
	int64_t gkey = 0;
	int rc;

	*out = NULL;
	if (!g)
		return vu_err_set(e, ENOMEM, "groups");
	if (it->have_carry) {
		gkey = it->carry_gkey;
		if (group_add(g, &it->carry) < 0)
			goto nomem;
		it->have_carry = false;
	}
	if (!it->st) {
		rc = sqlite3_prepare_v2(ix->db, "SELECT rowid, gidx, guest, path, dev, ino, size, mode,"
					" uid, gid, mtime_ns, atime_ns, ctime_ns, gkey, known"
					" FROM temp.work WHERE rowid > ?1 ORDER BY rowid LIMIT " "512",
					-1, &it->st, NULL);
		if (rc != SQLITE_OK) {
			vu_group_free(g);
			return vu_index_err(ix, rc, e, NULL);
		}
	}
	while (!it->done) {
		int rows = 0;

		sqlite3_bind_int64(it->st, 1, it->last_rowid);
		while ((rc = sqlite3_step(it->st)) == SQLITE_ROW) {
			struct vu_hx_member m;
			int64_t k;

			rows++;
			it->last_rowid = sqlite3_column_int64(it->st, 0);
			k = read_row(it->st, &m);
			if (!m.path)
				goto nomem_reset;
			if (g->n && k != gkey) {
				/* The next group begins: keep the row for it. */
				it->carry = m;
				it->carry_gkey = k;
				it->have_carry = true;
				sqlite3_reset(it->st);
				*out = g;
				return 1;
			}
			gkey = k;
			if (group_add(g, &m) < 0) {
				free(m.path);
				goto nomem_reset;
			}
		}
		sqlite3_reset(it->st);
		if (rc != SQLITE_DONE) {
			vu_group_free(g);
			return vu_index_err(ix, rc, e, NULL);
		}
		if (rows < CHUNK)
			it->done = true;
	}
	if (g->n) {
		*out = g;
		return 1;
	}
	vu_group_free(g);
	return 0;
nomem_reset:
	sqlite3_reset(it->st);
nomem:
	vu_group_free(g);
	return vu_err_set(e, ENOMEM, "groups");
}

void vu_group_iter_end(struct vu_group_iter *it)
{
	sqlite3_finalize(it->st);
	if (it->have_carry)
		free(it->carry.path);
	memset(it, 0, sizeof(*it));
}
