// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the index (unify/index.c): schema, WAL, rows of guests,
 * files and objects, the in-memory index of a store without one, and the
 * clear errors for a damaged, locked or mismatched index.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "vunify/index.h"
#include "../../unify/index-int.h"
#include "vunify/store.h"

static char tmpdir[] = "/tmp/vu-test-index.XXXXXX";
static char storepath[512];
static struct vu_store store;

static long long query(struct vu_index *ix, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_prepare_v2(ix->priv->db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void test_create(void **state)
{
	struct vu_index ix;
	struct vu_err e;
	struct stat st;
	char path[600];
	sqlite3_stmt *q;

	(void)state;
	assert_int_equal(vu_index_open(&ix, &store, true, &e), 0);
	assert_true(ix.created);
	assert_false(ix.memory);
	snprintf(path, sizeof(path), "%s/index.db", storepath);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(sqlite3_prepare_v2(ix.priv->db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
	sqlite3_finalize(q);
	assert_int_equal(query(&ix, "PRAGMA synchronous"), 1);  /* NORMAL */
	assert_int_equal(query(&ix, "SELECT value FROM meta WHERE key = 'version'"), 1);
	assert_int_equal(query(&ix, "SELECT value FROM meta WHERE key = 'hash_bits'"), 128);
	vu_index_close(&ix);
	assert_int_equal(vu_index_open(&ix, &store, true, &e), 0);
	assert_false(ix.created);
	vu_index_close(&ix);
}

static void test_rows(void **state)
{
	struct vu_index ix;
	struct vu_err e;
	struct vu_id id, got;
	struct statx stx;
	int64_t g1, g2, again;
	unsigned seq, kflags;

	(void)state;
	for (int i = 0; i < 16; i++)
		id.b[i] = (uint8_t)(0xf0 + i);
	memset(&stx, 0, sizeof(stx));
	stx.stx_ino = 4242;
	stx.stx_size = 77;
	stx.stx_mode = S_IFREG | 0644;
	assert_int_equal(vu_index_open(&ix, &store, true, &e), 0);
	assert_int_equal(vu_index_begin(&ix, &e), 0);
	assert_int_equal(vu_index_guest(&ix, "/vservers/a", &g1, &e), 0);
	assert_int_equal(vu_index_guest(&ix, "/vservers/b", &g2, &e), 0);
	assert_int_equal(vu_index_guest(&ix, "/vservers/a", &again, &e), 0);
	assert_true(g1 != g2);
	assert_int_equal(again, g1);
	assert_int_equal(vu_index_file_put(&ix, g1, "/usr/bin/x", &stx, 0, &id, &e), 0);
	assert_int_equal(vu_index_file_put(&ix, g1, "/usr/bin/x", &stx, 1, &id, &e), 0);
	assert_int_equal(query(&ix, "SELECT count(*) FROM files"), 1);
	assert_int_equal(query(&ix, "SELECT kflags FROM files"), 1);
	assert_int_equal(vu_index_file_del(&ix, g1, "/usr/bin/x", &e), 0);
	assert_int_equal(query(&ix, "SELECT count(*) FROM files"), 0);
	assert_int_equal(vu_index_object_put(&ix, &id, 2, &stx, 1, &e), 0);
	assert_int_equal(vu_index_object_by_ino(&ix, 4242, &got, &seq, &e), 1);
	assert_true(vu_id_eq(&got, &id));
	assert_int_equal(seq, 2);
	assert_int_equal(vu_index_object_by_ino(&ix, 4243, &got, &seq, &e), 0);
	assert_int_equal(vu_index_object_kflags(&ix, &id, 2, &kflags, &e), 1);
	assert_int_equal(kflags, 1);
	/* Found on disk: key flags not known. */
	assert_int_equal(vu_index_object_put(&ix, &id, 3, &stx, ~0u, &e), 0);
	assert_int_equal(vu_index_object_kflags(&ix, &id, 3, &kflags, &e), 0);
	assert_int_equal(vu_index_object_del(&ix, &id, 2, &e), 0);
	assert_int_equal(vu_index_object_kflags(&ix, &id, 2, &kflags, &e), 0);
	assert_int_equal(vu_index_commit(&ix, &e), 0);
	vu_index_close(&ix);
	/* Committed rows survive. */
	assert_int_equal(vu_index_open(&ix, &store, true, &e), 0);
	assert_int_equal(query(&ix, "SELECT count(*) FROM guests"), 2);
	assert_int_equal(query(&ix, "SELECT count(*) FROM objects"), 1);
	vu_index_close(&ix);
}

struct seen_guests {
	char paths[8][64];
	int n, stop_at;
};

static int note_guest(void *arg, int64_t id, const char *path, struct vu_err *e)
{
	struct seen_guests *sg = arg;

	(void)id;
	(void)e;
	snprintf(sg->paths[sg->n], sizeof(sg->paths[0]), "%s", path);
	return ++sg->n == sg->stop_at;
}

static int count_ino(void *arg, uint64_t ino, struct vu_err *e)
{
	(void)e;
	if (ino == 4242)
		++*(int *)arg;
	return 0;
}

/* The operations gc, stats and vhashify's end of run use. */
static void test_upkeep(void **state)
{
	struct seen_guests sg = { .stop_at = 0 };
	struct vu_index ix;
	struct vu_err e;
	struct vu_id id;
	struct statx stx;
	int64_t gz, gy;
	int found = 0;

	(void)state;
	memset(&id, 0x5a, sizeof(id));
	memset(&stx, 0, sizeof(stx));
	stx.stx_ino = 4242;
	stx.stx_mode = S_IFREG | 0644;
	assert_int_equal(vu_index_open(&ix, &store, true, &e), 0);
	assert_int_equal(vu_index_begin(&ix, &e), 0);
	assert_int_equal(vu_index_guest(&ix, "/vservers/z", &gz, &e), 0);
	assert_int_equal(vu_index_guest(&ix, "/vservers/y", &gy, &e), 0);
	assert_int_equal(vu_index_file_put(&ix, gz, "/a", &stx, 0, &id, &e), 0);
	assert_int_equal(vu_index_file_put(&ix, gz, "/b", &stx, 0, &id, &e), 0);
	assert_int_equal(vu_index_file_put(&ix, gy, "/a", &stx, 0, &id, &e), 0);
	/* Guests by path; a callback can stop early. */
	assert_int_equal(vu_index_guests_each(&ix, note_guest, &sg, &e), 0);
	assert_true(sg.n >= 2);
	for (int i = 1; i < sg.n; i++)
		assert_true(strcmp(sg.paths[i - 1], sg.paths[i]) < 0);
	sg.n = 0;
	sg.stop_at = 1;
	assert_int_equal(vu_index_guests_each(&ix, note_guest, &sg, &e), 0);
	assert_int_equal(sg.n, 1);
	/* Forgetting a guest drops its files, not the others'. */
	assert_int_equal(vu_index_guest_forget(&ix, gz, &e), 0);
	assert_int_equal(query(&ix, "SELECT count(*) FROM files WHERE guest IN (SELECT id FROM guests"
			       " WHERE path = '/vservers/z')"), 0);
	assert_int_equal(query(&ix, "SELECT count(*) FROM guests WHERE path = '/vservers/z'"), 0);
	assert_int_equal(query(&ix, "SELECT count(*) FROM files"), 1);
	/* Stale file rows: those whose path is no longer a candidate. */
	assert_int_equal(vu_index_file_put(&ix, gy, "/gone", &stx, 0, &id, &e), 0);
	assert_int_equal(vu_index_cand_begin(&ix, &e), 0);
	assert_int_equal(vu_index_cand_add(&ix, 0, gy, "/a", 2, &stx, 1, &e), 0);
	vu_index_cand_end(&ix);
	assert_int_equal(vu_index_cand_done(&ix, &e), 0);
	assert_int_equal(vu_index_forget_stale(&ix, gy, &e), 0);
	assert_int_equal(query(&ix, "SELECT count(*) FROM files"), 1);
	assert_int_equal(query(&ix, "SELECT count(*) FROM files WHERE path = '/a'"), 1);
	vu_index_work_drop(&ix);
	/* gc: rows of objects not seen on disk go. */
	assert_int_equal(vu_index_object_put(&ix, &id, 0, &stx, 0, &e), 0);
	assert_int_equal(vu_index_object_put(&ix, &id, 1, &stx, 0, &e), 0);
	assert_int_equal(vu_index_gc_begin(&ix, &e), 0);
	assert_int_equal(vu_index_gc_seen(&ix, &id, 1, &e), 0);
	assert_int_equal(vu_index_gc_forget_unseen(&ix, &e), 0);
	assert_int_equal(query(&ix, "SELECT count(*) FROM objects"), 1);
	assert_int_equal(query(&ix, "SELECT seq FROM objects"), 1);
	assert_int_equal(vu_index_objects_each_ino(&ix, count_ino, &found, &e), 0);
	assert_int_equal(found, 1);
	vu_index_rollback(&ix);
	assert_false(ix.in_tx);
	/* y was added in this transaction: gone with it. */
	assert_int_equal(query(&ix, "SELECT count(*) FROM guests WHERE path = '/vservers/y'"), 0);
	vu_index_close(&ix);
}

static void test_locked(void **state)
{
	struct vu_index ix, other;
	struct vu_err e;

	(void)state;
	assert_int_equal(vu_index_open(&other, &store, true, &e), 0);
	assert_int_equal(vu_index_begin(&other, &e), 0);
	assert_int_equal(vu_index_open(&ix, &store, true, &e), -1);
	assert_non_null(strstr(e.msg, "index.db: database is locked (another process holds it)"));
	vu_index_close(&ix);
	vu_index_close(&other);
}

static void test_hash_bits(void **state)
{
	struct vu_index ix;
	struct vu_err e;

	(void)state;
	setenv("VUNIFY_HASH_BITS", "8", 1);
	assert_int_equal(vu_key_init(&e), 0);
	assert_int_equal(vu_index_open(&ix, &store, true, &e), -1);
	assert_non_null(strstr(e.msg, "the store's ids have 128 bits, but VUNIFY_HASH_BITS asks for 8"));
	vu_index_close(&ix);
	unsetenv("VUNIFY_HASH_BITS");
	assert_int_equal(vu_key_init(&e), 0);
}

static void test_damaged(void **state)
{
	struct vu_index ix;
	struct vu_err e;
	char path[600], junk[4096];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/index.db", storepath);
	memset(junk, 'j', sizeof(junk));
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	snprintf(path, sizeof(path), "%s/index.db-wal", storepath);
	unlink(path);
	assert_int_equal(vu_index_open(&ix, &store, true, &e), -1);
	assert_non_null(strstr(e.msg, "index.db: file is not a database (the index is damaged;"));
	vu_index_close(&ix);
	/* Without the file and without create: an empty index in memory. */
	snprintf(path, sizeof(path), "%s/index.db", storepath);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(vu_index_open(&ix, &store, false, &e), 0);
	assert_true(ix.memory);
	assert_int_equal(query(&ix, "SELECT count(*) FROM objects"), 0);
	vu_index_close(&ix);
	assert_int_equal(access(path, F_OK), -1);
}

static int setup(void **state)
{
	struct vu_err e;

	(void)state;
	unsetenv("VUNIFY_HASH_BITS");
	if (!mkdtemp(tmpdir) || vu_key_init(&e) < 0)
		return -1;
	snprintf(storepath, sizeof(storepath), "%s/store", tmpdir);
	return vu_store_open(&store, storepath, true, &e);
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	vu_store_close(&store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_upkeep),
		cmocka_unit_test(test_locked),
		cmocka_unit_test(test_hash_bits),
		cmocka_unit_test(test_damaged),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
