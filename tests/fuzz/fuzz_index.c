// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: index rows read back from sqlite (STORE/index.db, see
 * unify/index.c).  The index is a file on disk: whatever its rows hold, the
 * readers must not trust more than sqlite promises (a column's type, a
 * text's length, NULLs).  The input is lines "TABLE:VALUES", inserted as
 * "INSERT INTO TABLE VALUES(VALUES)" into an in-memory index made by
 * vu_index_open(); TABLE is objects or files (the index's own tables) or
 * cand (vhashify's candidates from the guest trees, unify/index_work.c); a line
 * "all" sets vhashify --all.  Then the real readers run: the object
 * lookups of unify/index.c, and vhashify's grouping (unify/group.c over
 * unify/index_work.c), which joins the candidates with the files and
 * objects and reads every row back.  Only the inserts and the transaction
 * around them reach sqlite directly (unify/index-int.h).  Each input runs in a transaction that is rolled back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vunify/index.h"
#include "../../unify/index-int.h"
#include "vunify/session.h"
#include "../../unify/hashify-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vu_session session;

static struct vu_index *index_get(void)
{
	struct vu_index *ix = &session.index;
	struct vu_err e;

	if (ix->priv)
		return ix;
	/* No store directory: vu_index_open() opens an empty index in memory. */
	session.store.fd = -1;
	session.store.path = (char *)"/nonexistent";
	if (vu_index_open(ix, &session.store, false, &e) < 0 ||
	    vu_index_exec(ix, "PRAGMA temp_store=MEMORY", &e) < 0 ||
	    vu_index_cand_begin(ix, &e) < 0) {
		fprintf(stderr, "fuzz_index: %s\n", e.msg);
		abort();
	}
	/* A runaway value (zeroblob(1e9)) is sqlite's problem, not ours; and
	 * temporary tables in memory (set before the first one: changing it
	 * drops them), so that each input does not cost a temporary file. */
	sqlite3_limit(ix->priv->db, SQLITE_LIMIT_LENGTH, 1 << 20);
	return ix;
}

static void insert(struct vu_index *ix, const char *line)
{
	static const char *const tables[] = { "objects", "files", "cand" };
	char sql[4200];
	sqlite3_stmt *st;

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		size_t n = strlen(tables[i]);

		if (strncmp(line, tables[i], n) || line[n] != ':')
			continue;
		snprintf(sql, sizeof(sql), "INSERT INTO %s VALUES(%s)", tables[i], line + n + 1);
		if (sqlite3_prepare_v2(ix->priv->db, sql, -1, &st, NULL) == SQLITE_OK) {
			sqlite3_step(st);
			sqlite3_finalize(st);
		}
	}
}

/* unify/index.c: the object of every inode number the objects hold. */
static int lookup(void *arg, uint64_t ino, struct vu_err *e)
{
	struct vu_index *ix = arg;
	struct vu_id id;
	unsigned seq, kflags;

	if (vu_index_object_by_ino(ix, ino, &id, &seq, e) == 1)
		vu_index_object_kflags(ix, &id, seq, &kflags, e);
	return 0;
}

static void lookups(struct vu_index *ix)
{
	struct vu_err e;

	vu_index_objects_each_ino(ix, lookup, ix, &e);
}

/* unify/group.c: vhashify's step 2, every group read back. */
static void groups(bool all)
{
	struct vu_hashify_opts o = { .all = all };
	struct vu_hx_shared sh = { .s = &session, .o = &o };
	struct vu_group_iter it = { 0 };
	struct vu_hx_group *g;
	uint64_t files, bytes;
	struct vu_err e;

	if (vu_group_prepare(&sh, &files, &bytes, &e) < 0)
		return;
	while (vu_group_next(&sh, &it, &g, &e) > 0)
		vu_group_free(g);
	vu_group_iter_end(&it);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vu_index *ix = index_get();
	char *text = malloc(size + 1);
	bool all = false;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (sqlite3_exec(ix->priv->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		abort();
	for (char *p = text, *nl; p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		if (!strcmp(p, "all"))
			all = true;
		else
			insert(ix, p);
	}
	lookups(ix);
	groups(all);
	if (sqlite3_exec(ix->priv->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		abort();
	free(text);
	return 0;
}
