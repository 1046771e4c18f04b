// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: the guest stream's receiver (include/vunify/stream.h,
 * unify/stream_recv.c, unify/stream_finish.c), which reads untrusted
 * input and makes files from it.
 *
 * Random bytes almost never pass a record's checksum, so the input is not
 * the stream itself but its records: a sequence of [u8 type][u16 length,
 * little endian][payload], which this target frames into a real stream
 * (header, checksums) with vu_swriter and feeds through a pipe to
 * vu_stream_receive() -- the record contents are what gets explored.  It
 * receives into a scratch directory with a store of its own (made once
 * per process below $TMPDIR or /tmp, removed at exit), emptied after each
 * input.  Whatever the input: no crash, nothing outside the scratch
 * directory, and after a refusal nothing left in it.
 *
 * Seeds (tests/fuzz/corpus/stream/) come from real streams converted with
 * tests/helpers/vs_streamedit --fuzz-seed (a tiny guest: a unified file and
 * its twin, a setuid file and its hardlink, a symlink, a fifo, a directory
 * with an xattr; the same with a name "../d"; with an object's byte
 * flipped; with a first record of type 0xff, which is not sent but makes
 * the header carry VU_STREAM_H_OMITS and the receiver take objects from its
 * store, the tiny guest with its objects left out, and with them all
 * sent; with a first record of type 0xfe, the header carries
 * VU_STREAM_H_INCREMENTAL and the receiver takes it onto a base guest
 * "base" (a directory of the scratch with a file "f" of 6 bytes): the tiny
 * guest from that base, with a file from it); FUZZ_STREAM_VERBOSE=1 prints
 * what each input came to.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vunify/rmtree.h"
#include "vunify/session.h"
#include "vunify/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char scratch[4096];
static int workfd = -1, basefd = -1;
static struct vu_session sess;

static void cleanup(void)
{
	if (scratch[0]) {
		char cmd[4200];

		vu_session_close(&sess);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz_stream: could not remove %s\n", scratch);
	}
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char store[4200], work[4200];
	struct vu_err e;

	snprintf(scratch, sizeof(scratch), "%s/fuzz_stream.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(scratch))
		abort();
	snprintf(store, sizeof(store), "%s/store", scratch);
	snprintf(work, sizeof(work), "%s/work", scratch);
	if (mkdir(work, 0700) < 0)
		abort();
	{
		char base[4200], f[4300];
		int fd;

		snprintf(base, sizeof(base), "%s/base", scratch);
		snprintf(f, sizeof(f), "%s/f", base);
		if (mkdir(base, 0700) < 0)
			abort();
		fd = open(f, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, "hello\n", 6) != 6 || close(fd) < 0)
			abort();
		basefd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (basefd < 0)
			abort();
	}
	workfd = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (workfd < 0 || vu_key_init(&e) < 0 ||
	    vu_session_open(&sess, store, VU_SESSION_WRITE, NULL, &e) < 0) {
		fprintf(stderr, "fuzz_stream: %s\n", e.msg);
		abort();
	}
	atexit(cleanup);
}

/* Type 0xff first: a have-list receiver's stream (VU_STREAM_H_OMITS);
 * 0xfe: an incremental one (VU_STREAM_H_INCREMENTAL). */
#define OMITS_RECORD 0xff
#define INCREMENTAL_RECORD 0xfe

static bool omits(const uint8_t *data, size_t size)
{
	return size >= 3 && data[0] == OMITS_RECORD;
}

static bool incremental(const uint8_t *data, size_t size)
{
	return size >= 3 && data[0] == INCREMENTAL_RECORD;
}

/* The writer's side of the pipe, in a thread: the pipe holds 64 KiB. */
struct feed {
	int fd;
	const uint8_t *data;
	size_t size;
};

static void *feed(void *arg)
{
	struct feed *f = arg;
	struct vu_swriter w;
	struct vu_err e;
	size_t pos = 0;

	if (omits(f->data, f->size) || incremental(f->data, f->size))
		pos = 3 + (f->data[1] | (size_t)f->data[2] << 8);
	if (vu_swriter_start_flags(&w, f->fd,
				   (omits(f->data, f->size) ? VU_STREAM_H_OMITS : 0) |
				   (incremental(f->data, f->size) ? VU_STREAM_H_INCREMENTAL : 0),
				   &e) == 0) {
		while (pos + 3 <= f->size) {
			uint32_t type = f->data[pos];
			size_t len = f->data[pos + 1] | (size_t)f->data[pos + 2] << 8;

			pos += 3;
			if (len > f->size - pos)
				len = f->size - pos;
			if (vu_swriter_put(&w, type, f->data + pos, len, &e) < 0)
				break;
			pos += len;
		}
	}
	vu_swriter_free(&w);
	close(f->fd);
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vu_stream_recv_opts o = { 0 };
	struct vu_stream_stats st;
	struct feed f = { .data = data, .size = size };
	struct vu_err e;
	pthread_t t;
	int p[2], r;
	DIR *d;
	struct dirent *de;

	if (!scratch[0])
		setup();
	o.objects_from_store = omits(data, size);
	if (incremental(data, size)) {
		o.base_name = "base";
		o.basefd = basefd;
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		abort();
	f.fd = p[1];
	if (pthread_create(&t, NULL, feed, &f) != 0)
		abort();
	r = vu_stream_receive(p[0], workfd, "root", &sess, &o, &st, &e);
	close(p[0]);
	pthread_join(t, NULL);
	free(o.conf);
	if (getenv("FUZZ_STREAM_VERBOSE"))   /* what a seed does */
		fprintf(stderr, "fuzz_stream: %s\n", r < 0 ? e.msg : "received");
	/* A refused stream leaves nothing. */
	d = fdopendir(fcntl(workfd, F_DUPFD_CLOEXEC, 3));
	if (!d)
		abort();
	rewinddir(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (r < 0) {
			fprintf(stderr, "fuzz_stream: a refused stream left %s (%s)\n", de->d_name,
				e.msg);
			abort();
		}
		/* A received one: its tree, nothing beside it. */
		if (strcmp(de->d_name, "root")) {
			fprintf(stderr, "fuzz_stream: %s appeared beside the tree\n", de->d_name);
			abort();
		}
		vu_rmtree_at(workfd, de->d_name);
	}
	closedir(d);
	return 0;
}
