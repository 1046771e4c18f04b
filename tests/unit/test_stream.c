// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the guest stream's records (unify/stream.c): payloads
 * round-trip; a cursor read past its end is bad, never out of bounds; a
 * written stream reads back record for record; every single flipped byte
 * and every truncation is refused, naming an offset; a record moved to
 * another offset fails its check (the checksum is seeded by it); the
 * header's magic, version and checksum are checked; a stream without
 * flags is version 1, one with flags version 2, and unknown flags (or
 * flags in version 1) are refused; a have-list reads back, and a damaged,
 * unordered or truncated one is refused.
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
#include <xxhash.h>

#include "vunify/stream.h"

/* A stream of three records into a temporary file: its bytes in *@out. */
static size_t make_stream(uint8_t **out)
{
	struct vu_swriter w;
	struct vu_sbuf b = { 0 };
	struct vu_err e;
	FILE *f = tmpfile();
	int fd = f ? dup(fileno(f)) : -1;
	struct stat st;

	assert_true(fd >= 0);
	fclose(f);
	assert_int_equal(vu_swriter_start(&w, fd, &e), 0);
	vu_sbuf_u64(&b, 1);
	vu_sbuf_str(&b, "name", 4);
	vu_sbuf_u32(&b, 0755);
	assert_int_equal(vu_swriter_put(&w, VU_SREC_INODE, b.p, b.len, &e), 0);
	assert_int_equal(vu_swriter_put(&w, VU_SREC_MANIFEST_END, "", 0, &e), 0);
	assert_int_equal(vu_swriter_put(&w, VU_SREC_END, "abcdefgh", 8, &e), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal((uint64_t)st.st_size, w.off);
	*out = malloc((size_t)st.st_size);
	assert_int_equal(pread(fd, *out, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	vu_swriter_free(&w);
	vu_sbuf_free(&b);
	return (size_t)st.st_size;
}

/* Read all records of @len bytes at @p: the count, or -1 with @e set. */
static int read_all(const uint8_t *p, size_t len, struct vu_err *e)
{
	int fds[1], n = 0, k;
	struct vu_sreader r;
	struct vu_scur c;
	uint32_t type;
	FILE *f = tmpfile();

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	fflush(f);
	fds[0] = dup(fileno(f));
	fclose(f);
	lseek(fds[0], 0, SEEK_SET);
	if (vu_sreader_start(&r, fds[0], NULL, e) < 0) {
		vu_sreader_free(&r);
		close(fds[0]);
		return -1;
	}
	while ((k = vu_sreader_next(&r, &type, &c, e)) > 0)
		n++;
	vu_sreader_free(&r);
	close(fds[0]);
	return k < 0 ? -1 : n;
}

static void test_payload_roundtrip(void **state)
{
	struct vu_sbuf b = { 0 };
	struct vu_scur c;
	size_t n;
	const char *s;

	vu_sbuf_u32(&b, 0xdeadbeef);
	vu_sbuf_u64(&b, 0x0123456789abcdefull);
	vu_sbuf_str(&b, "hello", 5);
	assert_false(b.oom);
	assert_int_equal(b.len, 4 + 8 + 4 + 5);
	assert_int_equal(b.p[0], 0xef);   /* little endian */
	c = (struct vu_scur){ .p = b.p, .len = b.len };
	assert_int_equal(vu_scur_u32(&c), 0xdeadbeef);
	assert_true(vu_scur_u64(&c) == 0x0123456789abcdefull);
	s = vu_scur_str(&c, 16, &n);
	assert_int_equal(n, 5);
	assert_memory_equal(s, "hello", 5);
	assert_true(vu_scur_done(&c));
	/* past the end: bad, zeros, NULL */
	assert_int_equal(vu_scur_u32(&c), 0);
	assert_true(c.bad);
	assert_false(vu_scur_done(&c));
	/* a string longer than allowed, or than the payload */
	c = (struct vu_scur){ .p = b.p + 12, .len = b.len - 12 };
	assert_null(vu_scur_str(&c, 4, &n));
	assert_true(c.bad);
	vu_sbuf_reset(&b);
	vu_sbuf_u32(&b, 1000);
	c = (struct vu_scur){ .p = b.p, .len = b.len };
	assert_null(vu_scur_str(&c, 4096, &n));
	assert_true(c.bad);
	vu_sbuf_free(&b);
}

static void test_stream_roundtrip(void **state)
{
	uint8_t *p;
	size_t len = make_stream(&p);
	struct vu_err e;

	assert_int_equal(memcmp(p, VU_STREAM_MAGIC, 8), 0);
	assert_int_equal(read_all(p, len, &e), 3);
	free(p);
}

static void test_every_flip_refused(void **state)
{
	uint8_t *p;
	size_t len = make_stream(&p);
	struct vu_err e;

	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			p[i] ^= (uint8_t)(1u << bit);
			if (read_all(p, len, &e) >= 0)
				fail_msg("flipping bit %d of byte %zu went unnoticed", bit, i);
			assert_non_null(strstr(e.msg, "offset"));
			p[i] ^= (uint8_t)(1u << bit);
		}
	}
	free(p);
}

static void test_every_truncation_refused(void **state)
{
	uint8_t *p;
	size_t len = make_stream(&p), ends = 0;
	struct vu_err e;

	/* Cut anywhere: refused, or (between records) fewer records -- the
	 * receiver's END record catches those. */
	for (size_t cut = 0; cut < len; cut++) {
		int n = read_all(p, cut, &e);

		if (n < 0)
			assert_non_null(strstr(e.msg, "offset"));
		else
			ends++, assert_true(n < 3);
	}
	assert_int_equal(ends, 3);      /* after the header and after records 1, 2 */
	free(p);
}

static void test_moved_record_refused(void **state)
{
	uint8_t *p, *q;
	size_t len = make_stream(&p), first, second;
	struct vu_err e;

	/* Swap the second and third records (both empty-ish): each is good
	 * where it was written, and must fail at another offset. */
	first = VU_STREAM_HEADER_LEN + 8 + (8 + 4 + 4 + 4) + 8;   /* after the INODE */
	second = first + 8 + 0 + 8;
	q = malloc(len);
	memcpy(q, p, first);
	memcpy(q + first, p + second, len - second);
	memcpy(q + first + (len - second), p + first, second - first);
	assert_int_equal(read_all(q, len, &e), -1);
	assert_non_null(strstr(e.msg, "checksum"));
	free(q);
	free(p);
}

static void test_header(void **state)
{
	uint8_t *p;
	size_t len = make_stream(&p);
	struct vu_err e;

	assert_int_equal(read_all(p, 0, &e), -1);
	assert_non_null(strstr(e.msg, "offset 0"));
	p[8] = 2;                       /* another version (its checksum fails too) */
	assert_int_equal(read_all(p, len, &e), -1);
	assert_non_null(strstr(e.msg, "offset 8"));
	p[8] = 1;
	memcpy(p, "vunifyXX", 8);
	assert_int_equal(read_all(p, len, &e), -1);
	assert_non_null(strstr(e.msg, "not a vunify guest stream"));
	free(p);
}

/* Header fields @version and @flags, the checksum made good. */
static void set_header(uint8_t *p, uint32_t version, uint32_t flags)
{
	uint64_t sum;

	for (int i = 0; i < 4; i++) {
		p[8 + i] = (uint8_t)(version >> (8 * i));
		p[12 + i] = (uint8_t)(flags >> (8 * i));
	}
	sum = XXH64(p, 16, 0);
	for (int i = 0; i < 8; i++)
		p[16 + i] = (uint8_t)(sum >> (8 * i));
}

static int read_header(const uint8_t *p, struct vu_sreader *r, struct vu_err *e)
{
	FILE *f = tmpfile();
	int fd, rc;

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, VU_STREAM_HEADER_LEN, f), VU_STREAM_HEADER_LEN);
	fflush(f);
	fd = dup(fileno(f));
	fclose(f);
	lseek(fd, 0, SEEK_SET);
	rc = vu_sreader_start(r, fd, NULL, e);
	vu_sreader_free(r);
	close(fd);
	return rc;
}

static void test_header_versions(void **state)
{
	struct vu_swriter w;
	struct vu_sreader r;
	struct vu_err e;
	uint8_t h[VU_STREAM_HEADER_LEN];
	int fds[2];

	/* No flags: version 1, which older receivers read. */
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(vu_swriter_start(&w, fds[1], &e), 0);
	assert_int_equal(read(fds[0], h, sizeof(h)), sizeof(h));
	assert_int_equal(h[8], 1);
	assert_int_equal(read_header(h, &r, &e), 0);
	assert_int_equal(r.version, 1);
	assert_int_equal(r.flags, 0);
	/* A flag: version 2. */
	assert_int_equal(vu_swriter_start_flags(&w, fds[1], VU_STREAM_H_OMITS, &e), 0);
	assert_int_equal(read(fds[0], h, sizeof(h)), sizeof(h));
	assert_int_equal(h[8], 2);
	assert_int_equal(read_header(h, &r, &e), 0);
	assert_int_equal(r.version, 2);
	assert_int_equal(r.flags, VU_STREAM_H_OMITS);
	close(fds[0]);
	close(fds[1]);
	/* Unknown flags, flags in version 1, a later version: refused. */
	set_header(h, 2, 0x80);
	assert_int_equal(read_header(h, &r, &e), -1);
	assert_non_null(strstr(e.msg, "offset 12: unknown flags"));
	set_header(h, 1, VU_STREAM_H_OMITS);
	assert_int_equal(read_header(h, &r, &e), -1);
	assert_non_null(strstr(e.msg, "offset 12"));
	set_header(h, VU_STREAM_VERSION + 1, 0);
	assert_int_equal(read_header(h, &r, &e), -1);
	assert_non_null(strstr(e.msg, "offset 8: format version"));
}

/* A have-list of @n ids (id i: all bytes @base + i) in a file: its fd. */
static int have_file(unsigned n, int base, bool damage, size_t cut)
{
	uint8_t head[24] = "vunifyHV";
	struct vu_id *v = calloc(n ? n : 1, sizeof(*v));
	uint64_t sum;
	uint8_t tail[8];
	FILE *f = tmpfile();
	int fd;

	head[8] = 1;
	for (int i = 0; i < 8; i++)
		head[16 + i] = (uint8_t)((uint64_t)n >> (8 * i));
	for (unsigned i = 0; i < n; i++)
		memset(v[i].b, base + (int)i, sizeof(v[i].b));
	{
		XXH64_state_t *x = XXH64_createState();

		XXH64_reset(x, 0);
		XXH64_update(x, head, sizeof(head));
		XXH64_update(x, v, n * sizeof(*v));
		sum = XXH64_digest(x);
		XXH64_freeState(x);
	}
	for (int i = 0; i < 8; i++)
		tail[i] = (uint8_t)(sum >> (8 * i));
	if (damage && n)
		v[0].b[3] ^= 1;
	fwrite(head, 1, sizeof(head), f);
	fwrite(v, sizeof(*v), n, f);
	fwrite(tail, 1, sizeof(tail), f);
	fflush(f);
	fd = dup(fileno(f));
	fclose(f);
	free(v);
	if (cut)
		assert_int_equal(ftruncate(fd, (off_t)cut), 0);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void test_have_list(void **state)
{
	struct vu_id *ids, probe;
	size_t n;
	struct vu_err e;
	int fd;

	fd = have_file(3, 10, false, 0);
	assert_int_equal(vu_have_read(fd, &ids, &n, &e), 0);
	close(fd);
	assert_int_equal(n, 3);
	memset(probe.b, 11, sizeof(probe.b));
	assert_true(vu_have_has(ids, n, &probe));
	memset(probe.b, 13, sizeof(probe.b));
	assert_false(vu_have_has(ids, n, &probe));
	free(ids);
	fd = have_file(0, 0, false, 0);
	assert_int_equal(vu_have_read(fd, &ids, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_false(vu_have_has(ids, n, &probe));
	free(ids);
	close(fd);
	fd = have_file(3, 10, true, 0);
	assert_int_equal(vu_have_read(fd, &ids, &n, &e), -1);
	assert_non_null(strstr(e.msg, "checksum mismatch"));
	close(fd);
	fd = have_file(3, 10, false, 24 + 20);
	assert_int_equal(vu_have_read(fd, &ids, &n, &e), -1);
	assert_non_null(strstr(e.msg, "truncated"));
	close(fd);
	fd = have_file(1, 0, false, 0);
	{
		uint8_t junk[8] = "vunifyST";     /* a stream, not a have-list */

		assert_int_equal(pwrite(fd, junk, 8, 0), 8);
	}
	assert_int_equal(vu_have_read(fd, &ids, &n, &e), -1);
	assert_non_null(strstr(e.msg, "not a have-list"));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload_roundtrip),
		cmocka_unit_test(test_stream_roundtrip),
		cmocka_unit_test(test_every_flip_refused),
		cmocka_unit_test(test_every_truncation_refused),
		cmocka_unit_test(test_moved_record_refused),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_header_versions),
		cmocka_unit_test(test_have_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
