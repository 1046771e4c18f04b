// SPDX-License-Identifier: GPL-2.0-or-later
/* vhashify gc: see include/vunify/maint.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vunify/maint.h"
#include "vunify/meta.h"

struct gc {
	struct vu_session *s;
	struct vu_gc_stats *st;
	bool dry;
	sqlite3_stmt *seen;
	struct vu_err err;
};

static int gc_one(void *arg, const struct vu_id *id, unsigned seq, int dirfd, const char *name)
{
	struct gc *gc = arg;
	struct vu_session *s = gc->s;
	char hex[VU_ID_HEXLEN + 1];
	struct statx stx;
	unsigned kflags = VU_KFLAGS_UNKNOWN;
	int rc;

	if (!id) {
		vu_report_log(s->rep, VU_LOG_WARN, "%s/%s/.../%s: not an object; left alone",
			      s->store.path, VU_STORE_OBJECTS, name);
		return 0;
	}
	vu_id_hex(id, hex);
	if (vu_meta_statx(dirfd, name, &stx) < 0) {
		if (errno == ENOENT)
			return 0;
		vu_report_log(s->rep, VU_LOG_ERROR, "%s/%s/%.2s/%s: %s", s->store.path,
			      VU_STORE_OBJECTS, hex, name, strerror(errno));
		gc->st->errors++;
		return 0;
	}
	if (!S_ISREG(stx.stx_mode))
		return 0;
	if (stx.stx_nlink <= 1) {
		/* Only the store's name: no guest links it, nobody can reach it. */
		if (!gc->dry && unlinkat(dirfd, name, 0) < 0) {
			vu_report_log(s->rep, VU_LOG_ERROR, "%s/%s/%.2s/%s: %s", s->store.path,
				      VU_STORE_OBJECTS, hex, name, strerror(errno));
			gc->st->errors++;
			return 0;
		}
		vu_report_log(s->rep, VU_LOG_INFO, "%s%s/%.2s/%s: %s", gc->dry ? "would remove " : "removed ",
			      VU_STORE_OBJECTS, hex, name, "no guest links it");
		gc->st->removed++;
		gc->st->removed_bytes += stx.stx_size;
		if (!gc->dry && vu_index_object_del(&s->index, id, seq, &gc->err) < 0)
			return -1;
		return 0;
	}
	gc->st->objects++;
	gc->st->objects_bytes += stx.stx_size;
	if (gc->dry)
		return 0;
	/* Keep the index row in line (its key flags too, if it knew them). */
	if (vu_index_object_kflags(&s->index, id, seq, &kflags, &gc->err) < 0)
		return -1;
	if (vu_index_object_put(&s->index, id, seq, &stx, kflags, &gc->err) < 0)
		return -1;
	sqlite3_bind_text(gc->seen, 1, hex, VU_ID_HEXLEN, SQLITE_TRANSIENT);
	sqlite3_bind_int(gc->seen, 2, (int)seq);
	rc = sqlite3_step(gc->seen);
	sqlite3_reset(gc->seen);
	if (rc != SQLITE_DONE)
		return vu_index_err(&s->index, rc, &gc->err, NULL);
	return vu_index_tick(&s->index, &gc->err);
}

/* Guests whose top directory no longer exists. */
static int forget_guests(struct gc *gc)
{
	struct vu_session *s = gc->s;
	sqlite3_stmt *st, *del;
	int rc;

	rc = sqlite3_prepare_v2(s->index.db, "SELECT id, path FROM guests", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return vu_index_err(&s->index, rc, &gc->err, NULL);
	rc = sqlite3_prepare_v2(s->index.db, "DELETE FROM files WHERE guest = ?1;", -1, &del, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return vu_index_err(&s->index, rc, &gc->err, NULL);
	}
	/* Collect first: no deletes while the SELECT is open. */
	int64_t *gone = NULL;
	size_t n = 0, cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(st, 1);
		struct stat sb;

		if (path && stat(path, &sb) < 0 && errno == ENOENT) {
			if (n == cap) {
				void *p = realloc(gone, (cap = cap ? cap * 2 : 16) * sizeof(*gone));

				if (!p)
					break;
				gone = p;
			}
			gone[n++] = sqlite3_column_int64(st, 0);
			vu_report_log(s->rep, VU_LOG_INFO, "%s: gone; forgotten", path);
		}
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++) {
		char sql[64];

		sqlite3_bind_int64(del, 1, gone[i]);
		rc = sqlite3_step(del);
		sqlite3_reset(del);
		if (rc != SQLITE_DONE)
			break;
		snprintf(sql, sizeof(sql), "DELETE FROM guests WHERE id = %lld", (long long)gone[i]);
		if (vu_index_exec(&s->index, sql, &gc->err) < 0) {
			sqlite3_finalize(del);
			free(gone);
			return -1;
		}
		gc->st->guests_forgotten++;
	}
	sqlite3_finalize(del);
	free(gone);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return vu_index_err(&s->index, rc, &gc->err, NULL);
	return 0;
}

int vu_gc(struct vu_session *s, bool dry, struct vu_gc_stats *st, struct vu_err *e)
{
	struct gc gc = { .s = s, .st = st, .dry = dry };
	int rc;

	memset(st, 0, sizeof(*st));
	if (!dry) {
		if (vu_index_begin(&s->index, e) < 0 ||
		    vu_index_exec(&s->index, "CREATE TEMP TABLE IF NOT EXISTS seen(id TEXT, seq INTEGER,"
				  " PRIMARY KEY(id, seq)); DELETE FROM temp.seen", e) < 0)
			return -1;
		rc = sqlite3_prepare_v2(s->index.db, "INSERT OR IGNORE INTO temp.seen VALUES (?1, ?2)",
					-1, &gc.seen, NULL);
		if (rc != SQLITE_OK)
			return vu_index_err(&s->index, rc, e, NULL);
	}
	rc = vu_store_walk(&s->store, gc_one, &gc, e);
	sqlite3_finalize(gc.seen);
	if (rc) {
		if (rc < 0 && gc.err.msg[0])
			*e = gc.err;
		return -1;
	}
	if (dry)
		return 0;
	if (vu_index_exec(&s->index, "DELETE FROM objects WHERE (id, seq) NOT IN"
			  " (SELECT id, seq FROM temp.seen); DROP TABLE temp.seen", e) < 0)
		return -1;
	if (forget_guests(&gc) < 0) {
		*e = gc.err;
		return -1;
	}
	return vu_index_commit(&s->index, e);
}
