// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vs_streamedit: read a guest stream (include/vunify/stream.h) on stdin and
 * write it again on stdout with every record's checksum made anew, so that
 * tests can craft streams a careful receiver must refuse on their content,
 * not on a checksum:
 *
 *   vs_streamedit --list                print "OFFSET TYPE LENGTH" per record
 *   vs_streamedit --rename OLD NEW      INODE records named OLD get NEW
 *                                       ("../x", "/etc/x", "a/b" ...)
 *   vs_streamedit --flip-data N         flip the last byte of the Nth (from 1)
 *                                       DATA record: content that is not
 *                                       what its id says, checksums good
 *   vs_streamedit --replace-str OLD NEW every length-prefixed string OLD in any
 *                                       record (an xattr's name, a target)
 *                                       becomes NEW
 *   vs_streamedit --fuzz-seed           the records as tests/fuzz/fuzz_stream.c
 *                                       takes them: [u8 type][u16 length][payload]
 *                                       (DATA cut to 64 KiB - 1)
 *   vs_streamedit --drop-object N       leave out the Nth OBJECT record and
 *                                       its DATA (END's counts made to fit)
 *   vs_streamedit --contents            print what the stream carries after
 *                                       its manifest: "file PATH" (FILE),
 *                                       "base PATH" (BASE_FILE), "object ID"
 *
 * It checks the stream it reads like a receiver's reader does.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vunify/stream.h"

static int edit(const char *old, const char *new, long flip, long drop)
{
	long ndata = 0, nobj = 0, dropped = 0;
	bool dropping = false;
	struct vu_sreader r = { 0 };
	struct vu_swriter w = { 0 };
	struct vu_sbuf b = { 0 };
	struct vu_scur c;
	struct vu_err e;
	uint32_t type;
	int k, rc = 1;

	if (vu_sreader_start(&r, 0, NULL, &e) < 0)
		goto fail;
	if ((old || flip || drop) && vu_swriter_start_flags(&w, 1, r.flags, &e) < 0)
		goto fail;
	while ((k = vu_sreader_next(&r, &type, &c, &e)) > 0) {
		if (type == VU_SREC_OBJECT)
			dropping = ++nobj == drop;
		else if (type != VU_SREC_DATA)
			dropping = false;
		if (dropping) {
			dropped++;
			continue;
		}
		if (type == VU_SREC_END && drop) {
			uint64_t recs = vu_scur_u64(&c), objs = vu_scur_u64(&c), files = vu_scur_u64(&c);

			vu_sbuf_reset(&b);
			vu_sbuf_u64(&b, recs - (uint64_t)dropped);
			vu_sbuf_u64(&b, objs - 1);
			vu_sbuf_u64(&b, files);
			if (vu_swriter_put(&w, type, b.p, b.len, &e) < 0)
				goto fail;
			continue;
		}
		if (type == VU_SREC_DATA && ++ndata == flip && c.len > 8) {
			((uint8_t *)c.p)[c.len - 1] ^= 0x01;
			if (vu_swriter_put(&w, type, c.p, c.len, &e) < 0)
				goto fail;
			continue;
		}
		if (!old && !flip && !drop) {
			printf("%llu %u %zu\n", (unsigned long long)r.rec_off, type, c.len);
			continue;
		}
		if (type == VU_SREC_INODE && old) {
			size_t nl;
			const char *name;

			vu_sbuf_reset(&b);
			vu_sbuf_raw(&b, vu_scur_raw(&c, 16), 16);
			name = vu_scur_str(&c, 1 << 20, &nl);
			if (c.bad)
				goto bad;
			if (nl == strlen(old) && !memcmp(name, old, nl))
				vu_sbuf_str(&b, new, strlen(new));
			else
				vu_sbuf_str(&b, name, nl);
			vu_sbuf_raw(&b, c.p + c.pos, c.len - c.pos);
			if (vu_swriter_put(&w, type, b.p, b.len, &e) < 0)
				goto fail;
			continue;
		}
		if (vu_swriter_put(&w, type, c.p, c.len, &e) < 0)
			goto fail;
	}
	if (k < 0)
		goto fail;
	rc = 0;
	goto out;
bad:
	fprintf(stderr, "vs_streamedit: bad INODE record\n");
	goto out;
fail:
	fprintf(stderr, "vs_streamedit: %s\n", e.msg);
out:
	vu_sreader_free(&r);
	vu_swriter_free(&w);
	vu_sbuf_free(&b);
	return rc;
}

/* @p (@n bytes) with every u32-length-prefixed @old replaced by @new. */
static void replace_str(struct vu_sbuf *b, const uint8_t *p, size_t n, const char *old,
			const char *new)
{
	size_t ol = strlen(old);

	vu_sbuf_reset(b);
	for (size_t i = 0; i < n;) {
		if (i + 4 + ol <= n && p[i] == (uint8_t)ol && p[i + 1] == (uint8_t)(ol >> 8) &&
		    p[i + 2] == 0 && p[i + 3] == 0 && !memcmp(p + i + 4, old, ol)) {
			vu_sbuf_str(b, new, strlen(new));
			i += 4 + ol;
			continue;
		}
		vu_sbuf_raw(b, p + i, 1);
		i++;
	}
}

static int replace(const char *old, const char *new)
{
	struct vu_sreader r = { 0 };
	struct vu_swriter w = { 0 };
	struct vu_sbuf b = { 0 };
	struct vu_scur c;
	struct vu_err e;
	uint32_t type;
	int k, rc = 1;

	if (vu_sreader_start(&r, 0, NULL, &e) < 0 || vu_swriter_start_flags(&w, 1, r.flags, &e) < 0)
		goto out;
	while ((k = vu_sreader_next(&r, &type, &c, &e)) > 0) {
		if (type == VU_SREC_DATA) {
			if (vu_swriter_put(&w, type, c.p, c.len, &e) < 0)
				goto out;
			continue;
		}
		replace_str(&b, c.p, c.len, old, new);
		if (vu_swriter_put(&w, type, b.p, b.len, &e) < 0)
			goto out;
	}
	rc = k < 0;
out:
	if (rc)
		fprintf(stderr, "vs_streamedit: %s\n", e.msg);
	vu_sreader_free(&r);
	vu_swriter_free(&w);
	vu_sbuf_free(&b);
	return rc;
}

static int seed(void)
{
	struct vu_sreader r = { 0 };
	struct vu_scur c;
	struct vu_err e;
	uint32_t type;
	int k;

	if (vu_sreader_start(&r, 0, NULL, &e) < 0)
		goto fail;
	while ((k = vu_sreader_next(&r, &type, &c, &e)) > 0) {
		size_t len = c.len > 0xffff ? 0xffff : c.len;
		uint8_t h[3] = { (uint8_t)type, (uint8_t)len, (uint8_t)(len >> 8) };

		if (fwrite(h, 1, 3, stdout) != 3 || fwrite(c.p, 1, len, stdout) != len)
			goto fail;
	}
	if (k < 0)
		goto fail;
	vu_sreader_free(&r);
	return fflush(stdout) == 0 ? 0 : 1;
fail:
	fprintf(stderr, "vs_streamedit: %s\n", e.msg);
	vu_sreader_free(&r);
	return 1;
}

/* --contents: each FILE, BASE_FILE and OBJECT, by path or id. */
static int contents(void)
{
	struct vu_sreader r = { 0 };
	struct vu_scur c;
	struct vu_err e;
	uint32_t type;
	char **names = NULL;
	uint64_t *parents = NULL, n = 0;
	int k, rc = 1;

	if (vu_sreader_start(&r, 0, NULL, &e) < 0)
		goto fail;
	while ((k = vu_sreader_next(&r, &type, &c, &e)) > 0) {
		if (type == VU_SREC_INODE) {
			uint64_t ino = vu_scur_u64(&c), parent = vu_scur_u64(&c);
			size_t nl;
			const char *nm = vu_scur_str(&c, VU_STREAM_NAME_MAX, &nl);

			if (c.bad || ino != n + 1)
				goto bad;
			names = realloc(names, (n + 1) * sizeof(*names));
			parents = realloc(parents, (n + 1) * sizeof(*parents));
			if (!names || !parents || !(names[n] = strndup(nm, nl)))
				goto bad;
			parents[n++] = parent;
		} else if (type == VU_SREC_FILE || type == VU_SREC_BASE_FILE) {
			uint64_t ino = vu_scur_u64(&c), chain[VU_STREAM_DEPTH_MAX + 1];
			size_t depth = 0;

			if (c.bad || !ino || ino > n)
				goto bad;
			for (uint64_t i = ino; i > 1 && i <= n && depth <= VU_STREAM_DEPTH_MAX;
			     i = parents[i - 1])
				chain[depth++] = i;
			printf("%s ", type == VU_SREC_FILE ? "file" : "base");
			while (depth--)
				printf("/%s", names[chain[depth] - 1]);
			printf("\n");
		} else if (type == VU_SREC_OBJECT && c.len >= 16) {
			printf("object ");
			for (int i = 0; i < 16; i++)
				printf("%02x", ((const uint8_t *)c.p)[i]);
			printf("\n");
		}
	}
	if (k < 0)
		goto fail;
	rc = 0;
	goto out;
bad:
	fprintf(stderr, "vs_streamedit: bad INODE or FILE record\n");
	goto out;
fail:
	fprintf(stderr, "vs_streamedit: %s\n", e.msg);
out:
	for (uint64_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(parents);
	vu_sreader_free(&r);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--replace-str"))
		return replace(argv[2], argv[3]);
	if (argc == 2 && !strcmp(argv[1], "--fuzz-seed"))
		return seed();
	if (argc == 2 && !strcmp(argv[1], "--list"))
		return edit(NULL, NULL, 0, 0);
	if (argc == 2 && !strcmp(argv[1], "--contents"))
		return contents();
	if (argc == 4 && !strcmp(argv[1], "--rename"))
		return edit(argv[2], argv[3], 0, 0);
	if (argc == 3 && !strcmp(argv[1], "--flip-data") && atol(argv[2]) > 0)
		return edit(NULL, NULL, atol(argv[2]), 0);
	if (argc == 3 && !strcmp(argv[1], "--drop-object") && atol(argv[2]) > 0)
		return edit(NULL, NULL, 0, atol(argv[2]));
	fprintf(stderr, "usage: vs_streamedit --list | --rename OLD NEW | --flip-data N | --drop-object N | --replace-str OLD NEW | --fuzz-seed | --contents\n  (stdin to stdout)\n");
	return 2;
}
