// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vserver NAME send [--to-file FILE | -] [-q]: the stopped guest as a
 * stream (include/vunify/stream.h) on stdout or into FILE: its guest.conf,
 * the manifest of its tree, its objects and its private files.  `receive`
 * makes it a guest again, on this host (another base) or another.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/stream.h"
#include "build_int.h"
#include "send_int.h"
#include "vserver.h"

/* Read guest.conf whole (it is small: at most a record's payload). */
static int read_conf(const char *path, char **buf, size_t *len, struct vu_err *e)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	size_t cap = 65536, n = 0;
	char *p;

	if (fd < 0)
		return vu_err_set(e, errno, "%s", path);
	p = malloc(cap);
	if (!p)
		return vu_err_set(e, ENOMEM, "%s", path);
	for (;;) {
		ssize_t k;

		if (n == cap) {
			char *q = cap >= VU_STREAM_DATA_MAX ? NULL : realloc(p, cap * 2);

			if (!q) {
				free(p);
				return vu_err_set(e, EFBIG, "%s", path);
			}
			p = q;
			cap *= 2;
		}
		k = read(fd, p + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			free(p);
			return vu_err_set(e, errno, "%s", path);
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	*buf = p;
	*len = n;
	return 0;
}

int vs_source_open(struct vs *vs, struct vs_source *src)
{
	struct vu_err e;

	*src = (struct vs_source){ .top = -1 };
	if (vu_key_init(&e) < 0)
		return vs_fail(vs, VS_USAGE, &e);
	if (read_conf(vs->l.conf, &src->conf, &src->conflen, &e) < 0)
		return vs_fail(vs, VS_FAIL, &e);
	src->top = open(vs->l.root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (src->top < 0) {
		vs_source_close(src);
		return vs_failf(vs, VS_FAIL, "%s: %s", vs->l.root, strerror(errno));
	}
	/* Shared with other readers, not with a vunifyfs mount (format.h,
	 * guest lock): the guest cannot start while it is sent. */
	if (flock(src->top, LOCK_SH | LOCK_NB) < 0) {
		int err = errno;

		vs_source_close(src);
		return vs_failf(vs, VS_FAIL, "%s: in use (%s)", vs->l.root, strerror(err));
	}
	/* A guest never unified has no store yet: then it has no objects. */
	if (vu_store_open(&src->store, vs->l.store, false, &e) < 0 &&
	    vu_store_open_absent(&src->store, vs->l.store, &e) < 0) {
		vs_source_close(src);
		return vs_fail(vs, VS_FAIL, &e);
	}
	src->store_open = true;
	return VS_OK;
}

void vs_source_close(struct vs_source *src)
{
	if (src->store_open)
		vu_store_close(&src->store);
	if (src->top >= 0)
		close(src->top);
	free(src->conf);
	*src = (struct vs_source){ .top = -1 };
}

int vs_base_guest_open(struct vs *vs, const char *name, int *fd)
{
	struct vu_layout l;
	struct vu_err e;

	*fd = -1;
	if (vu_layout_init(&l, vs->base, name, &e) < 0)
		return vs_fail(vs, VS_USAGE, &e);
	if (!vu_layout_exists(&l))
		return vs_failf(vs, VS_NOGUEST, "--incremental-from: no such guest (%s)", l.guest);
	if (vu_layout_running(&l))
		return vs_failf(vs, VS_FAIL, "--incremental-from: %s is running; stop it first",
				name);
	*fd = open(l.root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0)
		return vs_failf(vs, VS_FAIL, "%s: %s", l.root, strerror(errno));
	/* Shared, as a sent guest's: it cannot start (and change) meanwhile. */
	if (flock(*fd, LOCK_SH | LOCK_NB) < 0) {
		int err = errno;

		close(*fd);
		*fd = -1;
		return vs_failf(vs, VS_FAIL, "%s: in use (%s)", l.root, strerror(err));
	}
	return VS_OK;
}

/* Bytes sent, on a terminal: a line rewritten at most 4 times a second. */
void vs_progress(void *arg, uint64_t bytes)
{
	struct vs_progress *p = arg;
	struct timespec now;
	char h[32];

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (p->shown && (now.tv_sec - p->last.tv_sec) * 1000 +
	    (now.tv_nsec - p->last.tv_nsec) / 1000000 < 250)
		return;
	p->last = now;
	p->shown = true;
	vs_human(bytes, h, sizeof(h));
	fprintf(stderr, "\rvserver: %s: %s sent ", p->name, h);
}

void vs_progress_end(struct vs_progress *p)
{
	if (p->shown)
		fputc('\n', stderr);
	p->shown = false;
}

void vs_send_summary(struct vs *vs, const char *verb, const struct vu_stream_stats *st)
{
	fprintf(stderr, "vserver: %s: %s %llu inodes, %llu private files (%llu bytes), "
		"%llu objects (%llu bytes) for %llu unified names", vs->name, verb,
		(unsigned long long)st->inodes, (unsigned long long)st->files,
		(unsigned long long)st->file_bytes, (unsigned long long)st->objects,
		(unsigned long long)st->object_bytes, (unsigned long long)st->unified);
	if (st->objects_left_out)
		fprintf(stderr, ", %llu objects left out (the other side has them)",
			(unsigned long long)st->objects_left_out);
	if (st->base_files)
		fprintf(stderr, ", %llu private files unchanged since the base (%llu bytes)",
			(unsigned long long)st->base_files,
			(unsigned long long)st->base_file_bytes);
	fprintf(stderr, ": %llu bytes\n", (unsigned long long)st->bytes);
}

int vs_send(struct vs *vs)
{
	const char *file = NULL;
	bool quiet = false;
	struct vu_stream_send_opts o = { .label = vs->l.root, .stop = &vs_build_signal };
	struct vs_progress prog = { .name = vs->name };
	struct vu_stream_stats st;
	struct vs_source src;
	int out = STDOUT_FILENO, rc = VS_FAIL, r, basefd = -1;
	struct vu_err e;

	for (int i = 1; i < vs->argc; i++) {
		if (!strcmp(vs->argv[i], "-q") || !strcmp(vs->argv[i], "--quiet"))
			quiet = true;
		else if (!strcmp(vs->argv[i], "--to-file") && i + 1 < vs->argc)
			file = vs->argv[++i];
		else if (!strcmp(vs->argv[i], "--incremental-from") && i + 1 < vs->argc)
			o.base_name = vs->argv[++i];
		else if (!strcmp(vs->argv[i], "-"))
			file = NULL;
		else
			return vs_failf(vs, VS_USAGE, "send: unexpected argument '%s' (send "
					"[--to-file FILE | -] [--incremental-from SNAP] [-q])",
					vs->argv[i]);
	}
	if ((r = vs_need_guest(vs)) != VS_OK)
		return r;
	if (vu_layout_running(&vs->l))
		return vs_failf(vs, VS_FAIL, "is running; stop it first (a guest is sent stopped)");
	if (!file && isatty(STDOUT_FILENO))
		return vs_failf(vs, VS_USAGE, "send: not writing a stream to a terminal (use "
				"--to-file FILE or a pipe)");
	if (o.base_name && !strcmp(o.base_name, vs->name))
		return vs_failf(vs, VS_USAGE, "send: --incremental-from the guest itself");
	if (o.base_name && (r = vs_base_guest_open(vs, o.base_name, &basefd)) != VS_OK)
		return r;
	o.basefd = basefd;
	if ((r = vs_source_open(vs, &src)) != VS_OK) {
		if (basefd >= 0)
			close(basefd);
		return r;
	}
	o.conf = src.conf;
	o.conflen = src.conflen;
	if (!quiet && isatty(STDERR_FILENO)) {
		o.progress = vs_progress;
		o.progress_arg = &prog;
	}
	if (file) {
		out = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (out < 0) {
			vs_failf(vs, VS_FAIL, "%s: %s", file, strerror(errno));
			goto out;
		}
	}
	vs_build_catch_signals();
	signal(SIGPIPE, SIG_IGN);  /* a reader that went away: EPIPE, one line */
	r = vu_stream_send(src.top, &src.store, out, &o, &st, &e);
	vs_progress_end(&prog);
	if (r < 0 || (file && fsync(out) < 0 && vu_err_set(&e, errno, "%s", file) < 0)) {
		if (vs_build_signal)
			vu_err_set(&e, 0, "interrupted (%s)", strsignal(vs_build_signal));
		rc = vs_fail(vs, vs_build_signal ? 128 + vs_build_signal : VS_FAIL, &e);
		if (file)
			unlink(file);
		goto out;
	}
	if (!quiet)
		vs_send_summary(vs, "sent", &st);
	rc = VS_OK;
out:
	if (file && out >= 0 && close(out) < 0 && rc == VS_OK)
		rc = vs_failf(vs, VS_FAIL, "%s: %s", file, strerror(errno));
	vs_source_close(&src);
	if (basefd >= 0)
		close(basefd);
	return rc;
}
