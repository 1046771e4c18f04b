/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The index module's private side (unify/index.c, unify/index_work.c, and
 * the index's own unit test and fuzz target): the sqlite handle and its
 * statements.  Nothing else in the project sees sqlite.
 */
#ifndef VUNIFY_INDEX_INT_H
#define VUNIFY_INDEX_INT_H

#include <sqlite3.h>

#include "vunify/index.h"

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

struct vu_index_db {
	sqlite3 *db;
	sqlite3_stmt *st[VU_IX_NSTMT];
	sqlite3_stmt *cand_ins;      /* vhashify's scan: one candidate row */
	sqlite3_stmt *seen;          /* gc: one object seen on disk */
	/* Reading temp.work back (index_work.c): a chunk of rows at a time,
	 * the statement reset between chunks and whenever the caller pauses,
	 * so that none is left open while the engine commits. */
	sqlite3_stmt *work;
	int64_t work_after;          /* rowid of the last row handed out */
	unsigned work_rows;          /* rows of the current chunk so far */
	bool work_active, work_done;
};

/* Fill @e from the last sqlite error on @ix ("STORE/index.db: ..."). */
int vu_index_err(struct vu_index *ix, int rc, struct vu_err *e, const char *what);
int vu_index_exec(struct vu_index *ix, const char *sql, struct vu_err *e);

/* index_work.c: the statements it keeps, finalized by vu_index_close(). */
void vu_index_work_close(struct vu_index *ix);

#endif /* VUNIFY_INDEX_INT_H */
