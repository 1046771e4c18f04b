// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for object ids (unify/key.c, unify/xattr.c): the key covers
 * content and every piece of shared metadata, nothing else; xattrs count
 * in sorted order and without the mark; the id of a known input never
 * changes (it names objects on disk); VUNIFY_HASH_BITS truncates.
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
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>
#include <xxhash.h>

#include "vunify/key.h"
#include "vunify/xattr.h"

static const struct vu_key_meta base = {
	.size = 11, .mode = S_IFREG | 0644, .uid = 0, .gid = 0,
	.mtime_sec = 1600000000, .mtime_nsec = 111111111,
};

static void id_of(const struct vu_key_meta *m, const struct vu_xattrs *x, unsigned flags,
		  const char *content, struct vu_id *id)
{
	struct vu_key *k = vu_key_new();

	assert_non_null(k);
	vu_key_begin(k, m, x, flags);
	vu_key_update(k, content, strlen(content));
	vu_key_final(k, id);
	vu_key_free(k);
}

static void test_hex_roundtrip(void **state)
{
	struct vu_id id, back;
	char hex[VU_ID_HEXLEN + 1];

	(void)state;
	for (int i = 0; i < 16; i++)
		id.b[i] = (uint8_t)(i * 17 + 3);
	vu_id_hex(&id, hex);
	assert_string_equal(hex, "031425364758697a8b9cadbecfe0f102");
	assert_int_equal(vu_id_parse(hex, VU_ID_HEXLEN, &back), 0);
	assert_true(vu_id_eq(&id, &back));
	assert_int_equal(vu_id_parse("031425364758697A8B9CADBECFE0F102", VU_ID_HEXLEN, &back), -1);
	assert_int_equal(vu_id_parse(hex, VU_ID_HEXLEN - 1, &back), -1);
	assert_int_equal(vu_id_parse("0314253647586 7a8b9cadbecfe0f102", VU_ID_HEXLEN, &back), -1);
}

/* The id of a fixed input: objects on disk are named by it, so it must
 * never change without a new key version. */
static void test_golden(void **state)
{
	struct vu_id id;
	char hex[VU_ID_HEXLEN + 1];

	(void)state;
	id_of(&base, NULL, 0, "hello world", &id);
	vu_id_hex(&id, hex);
	assert_string_equal(hex, "24a7572f8afcf00a24a241319a1987d4");
}

/* The id is XXH3-128 of exactly the byte stream key.h documents. */
static void put(uint8_t **p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		*(*p)++ = (uint8_t)(v >> (8 * i));
}

static void test_layout(void **state)
{
	const struct vu_xattr xa[] = { { "user.a", "1", 1 }, { "user.bb", "22", 2 } };
	const struct vu_xattrs x = { .n = 2, .v = (struct vu_xattr *)xa };
	uint8_t buf[256], *p = buf;
	XXH128_canonical_t c;
	struct vu_id id;

	(void)state;
	memcpy(p, "vunify-key-1", 12);
	p += 12;
	put(&p, 0, 4);                          /* flags */
	put(&p, base.size, 8);
	put(&p, base.mode, 4);
	put(&p, base.uid, 4);
	put(&p, base.gid, 4);
	put(&p, (uint64_t)base.mtime_sec, 8);
	put(&p, base.mtime_nsec, 4);
	put(&p, 2, 4);                          /* xattrs */
	put(&p, 6, 4); memcpy(p, "user.a", 6); p += 6; put(&p, 1, 4); *p++ = '1';
	put(&p, 7, 4); memcpy(p, "user.bb", 7); p += 7; put(&p, 2, 4); memcpy(p, "22", 2); p += 2;
	memcpy(p, "hello world", 11);
	p += 11;
	XXH128_canonicalFromHash(&c, XXH3_128bits(buf, p - buf));
	id_of(&base, &x, 0, "hello world", &id);
	assert_memory_equal(id.b, c.digest, 16);
}

static void test_metadata_counts(void **state)
{
	struct vu_id a, b;
	struct vu_key_meta m;

	(void)state;
	id_of(&base, NULL, 0, "hello world", &a);
	id_of(&base, NULL, 0, "hello world", &b);
	assert_true(vu_id_eq(&a, &b));
	id_of(&base, NULL, 0, "hello World", &b);
	assert_false(vu_id_eq(&a, &b));
	m = base; m.mode = S_IFREG | 0600; id_of(&m, NULL, 0, "hello world", &b);
	assert_false(vu_id_eq(&a, &b));
	m = base; m.mode = S_IFREG | 04644; id_of(&m, NULL, 0, "hello world", &b);
	assert_false(vu_id_eq(&a, &b));
	m = base; m.uid = 1; id_of(&m, NULL, 0, "hello world", &b);
	assert_false(vu_id_eq(&a, &b));
	m = base; m.gid = 1; id_of(&m, NULL, 0, "hello world", &b);
	assert_false(vu_id_eq(&a, &b));
	m = base; m.mtime_sec++; id_of(&m, NULL, 0, "hello world", &b);
	assert_false(vu_id_eq(&a, &b));
	m = base; m.mtime_nsec++; id_of(&m, NULL, 0, "hello world", &b);
	assert_false(vu_id_eq(&a, &b));
	m = base; m.size = 12; id_of(&m, NULL, 0, "hello world", &b);
	assert_false(vu_id_eq(&a, &b));
}

static void test_ignore_mtime(void **state)
{
	struct vu_id a, b, c;
	struct vu_key_meta m = base;

	(void)state;
	id_of(&base, NULL, VU_KEY_IGNORE_MTIME, "hello world", &a);
	m.mtime_sec = 1;
	m.mtime_nsec = 2;
	id_of(&m, NULL, VU_KEY_IGNORE_MTIME, "hello world", &b);
	assert_true(vu_id_eq(&a, &b));
	/* The flag itself is part of the key: no id is shared between modes. */
	id_of(&base, NULL, 0, "hello world", &c);
	assert_false(vu_id_eq(&a, &c));
	/* Other metadata still counts. */
	m.uid = 5;
	id_of(&m, NULL, VU_KEY_IGNORE_MTIME, "hello world", &b);
	assert_false(vu_id_eq(&a, &b));
}

static char tmpdir[] = "/tmp/vu-test-key.XXXXXX";

static int make_file(const char *name, const char *const *xattrs)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello world", 11), 11);
	for (int i = 0; xattrs && xattrs[i]; i += 2)
		assert_int_equal(fsetxattr(fd, xattrs[i], xattrs[i + 1], strlen(xattrs[i + 1]), 0), 0);
	return fd;
}

static void key_of_fd(int fd, unsigned flags, struct vu_id *id, size_t bufsize)
{
	struct vu_key *k = vu_key_new();
	struct vu_key_meta m;
	struct vu_xattrs x;
	struct statx stx;
	struct vu_err e;
	uint64_t n;
	char buf[64];

	assert_int_equal(statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx), 0);
	vu_key_meta_from_statx(&m, &stx);
	assert_int_equal(vu_xattrs_read_fd(fd, &x, &e, "f"), 0);
	assert_int_equal(vu_key_fd(k, fd, &m, &x, flags, buf, bufsize, id, &n, &e, "f"), 0);
	assert_int_equal(n, 11);
	vu_xattrs_free(&x);
	vu_key_free(k);
}

/* Xattrs count, in name order whatever order they were set in; the mark
 * does not count. */
static void test_xattrs(void **state)
{
	static const char *const ab[] = { "user.a", "1", "user.b", "2", NULL };
	static const char *const ba[] = { "user.b", "2", "user.a", "1", NULL };
	static const char *const other[] = { "user.a", "1", "user.b", "3", NULL };
	static const char *const marked[] = { "user.a", "1", "user.b", "2",
		"trusted.vunify", "0123456789abcdef0123456789abcdef", NULL };
	struct vu_id x1, x2, x3, x4, plain;
	int f1, f2, f3, f4, f5;
	struct timespec ts[2] = { { 1600000000, 0 }, { 1600000000, 0 } };

	(void)state;
	f1 = make_file("ab", ab);
	f2 = make_file("ba", ba);
	f3 = make_file("other", other);
	f4 = make_file("marked", marked);
	f5 = make_file("plain", NULL);
	for (int fd = f1; fd <= f5; fd++)
		assert_int_equal(futimens(fd, ts), 0);
	key_of_fd(f1, 0, &x1, 64);
	key_of_fd(f2, 0, &x2, 64);
	key_of_fd(f3, 0, &x3, 64);
	key_of_fd(f4, 0, &x4, 64);
	key_of_fd(f5, 0, &plain, 3);    /* small reads: same id */
	assert_true(vu_id_eq(&x1, &x2));
	assert_false(vu_id_eq(&x1, &x3));
	assert_true(vu_id_eq(&x1, &x4));
	assert_false(vu_id_eq(&x1, &plain));
	/* Without xattrs, the id of the metadata and content alone. */
	{
		struct vu_key_meta m;
		struct statx stx;
		struct vu_id want;

		assert_int_equal(statx(f5, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx), 0);
		vu_key_meta_from_statx(&m, &stx);
		id_of(&m, NULL, 0, "hello world", &want);
		assert_true(vu_id_eq(&plain, &want));
	}
	close(f1); close(f2); close(f3); close(f4); close(f5);
}

/* A file shorter than its stat said changed while it was read. */
static void test_short_file(void **state)
{
	struct vu_key *k = vu_key_new();
	struct vu_key_meta m = base;
	struct vu_err e;
	struct vu_id id;
	uint64_t n;
	char buf[64];
	int fd = make_file("short", NULL);

	(void)state;
	m.size = 20;
	assert_int_equal(vu_key_fd(k, fd, &m, NULL, 0, buf, sizeof(buf), &id, &n, &e, "short"), -1);
	assert_int_equal(e.code, ESTALE);
	m.size = 5;
	assert_int_equal(vu_key_fd(k, fd, &m, NULL, 0, buf, 4, &id, &n, &e, "short"), -1);
	assert_int_equal(e.code, ESTALE);
	vu_key_free(k);
	close(fd);
}

/* Holes hash as the zeros they read as, without being read: a sparse file
 * has the id of the same bytes written out, and costs only its data. */
static void test_sparse(void **state)
{
	static char dense[3 << 20];
	struct vu_key *k = vu_key_new();
	struct vu_key_meta m = base;
	struct vu_id a, b;
	struct vu_err e;
	uint64_t n;
	char buf[4096];
	int fd = make_file("sparse", NULL);     /* "hello world" at 0 */

	(void)state;
	/* Data at 0 and at 2 MiB, holes between and up to 3 MiB. */
	assert_int_equal(pwrite(fd, "tail", 4, 2 << 20), 4);
	assert_int_equal(ftruncate(fd, 3 << 20), 0);
	memcpy(dense, "hello world", 11);
	memcpy(dense + (2 << 20), "tail", 4);
	m.size = 3 << 20;
	vu_key_begin(k, &m, NULL, 0);
	vu_key_update(k, dense, sizeof(dense));
	vu_key_final(k, &a);
	assert_int_equal(vu_key_fd(k, fd, &m, NULL, 0, buf, sizeof(buf), &b, &n, &e, "sparse"), 0);
	assert_true(vu_id_eq(&a, &b));
	assert_true(n < (1 << 20));             /* the holes were not read */
	/* Cut short after the stat: stale, and no zeros for what is gone. */
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	assert_int_equal(vu_key_fd(k, fd, &m, NULL, 0, buf, sizeof(buf), &b, &n, &e, "sparse"), -1);
	assert_int_equal(e.code, ESTALE);
	vu_key_free(k);
	close(fd);
}

static void test_hash_bits(void **state)
{
	struct vu_err e;
	struct vu_id id;

	(void)state;
	setenv("VUNIFY_HASH_BITS", "4", 1);
	assert_int_equal(vu_key_init(&e), 0);
	assert_int_equal(vu_key_bits(), 4);
	id_of(&base, NULL, 0, "hello world", &id);
	assert_int_equal(id.b[0] & 0x0f, 0);
	for (int i = 1; i < 16; i++)
		assert_int_equal(id.b[i], 0);
	setenv("VUNIFY_HASH_BITS", "12", 1);
	assert_int_equal(vu_key_init(&e), 0);
	id_of(&base, NULL, 0, "hello world", &id);
	assert_int_equal(id.b[1] & 0x0f, 0);
	for (const char *bad = "0\0" "129\0" "x\0" "-1\0"; *bad; bad += strlen(bad) + 1) {
		setenv("VUNIFY_HASH_BITS", bad, 1);
		assert_int_equal(vu_key_init(&e), -1);
		assert_non_null(strstr(e.msg, "VUNIFY_HASH_BITS"));
	}
	unsetenv("VUNIFY_HASH_BITS");
	assert_int_equal(vu_key_init(&e), 0);
	assert_int_equal(vu_key_bits(), 128);
}

static int setup(void **state)
{
	(void)state;
	unsetenv("VUNIFY_HASH_BITS");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_roundtrip),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_metadata_counts),
		cmocka_unit_test(test_ignore_mtime),
		cmocka_unit_test(test_xattrs),
		cmocka_unit_test(test_short_file),
		cmocka_unit_test(test_sparse),
		cmocka_unit_test(test_hash_bits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
