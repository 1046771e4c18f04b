// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vserver --all start|stop|status: the guests of a base at boot and
 * shutdown (vunify.service, /etc/init.d/vunify).
 *
 * start: the guests with autostart = yes, in ascending start_order; the
 * guests of one order start in parallel, and the next order begins when
 * all of them have returned (a started guest's init runs).  stop: every
 * running guest, autostarted or not (at shutdown none should be killed
 * unannounced), in descending start_order, one order in parallel.  Each
 * guest is its own `vserver --base BASE NAME start|stop` child, so that a
 * guest that fails (or hangs until its own timeout) is reported on its
 * line and never stops the others.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vunify/escape.h"
#include "vserver.h"

struct all_guest {
	char name[64];
	bool conf_ok;               /* guest.conf parsed */
	char conf_err[256];
	bool autostart;
	unsigned order;
	bool running;
	pid_t pid;                  /* the child doing the work, 0 if none */
	int out;                    /* memfd with the child's stdout and stderr */
	struct timespec t0;
};

static int only_guests(const struct dirent *d)
{
	return d->d_type == DT_DIR && vu_guest_name_valid(d->d_name);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every guest of the base with what --all needs of its guest.conf. */
static int scan(struct vs *vs, struct all_guest **out, size_t *n_out)
{
	struct dirent **names;
	struct all_guest *g;
	char dir[4200];
	int n;

	*out = NULL;
	*n_out = 0;
	snprintf(dir, sizeof(dir), "%s/guests", vs->base);
	n = scandir(dir, &names, only_guests, by_name);
	if (n < 0)
		return errno == ENOENT ? 0 : vs_failf(vs, -1, "%s: %s", dir, strerror(errno));
	g = calloc((size_t)n + 1, sizeof(*g));
	if (!g) {
		for (int i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return vs_failf(vs, -1, "%s", strerror(ENOMEM));
	}
	for (int i = 0; i < n; i++) {
		struct all_guest *x = &g[*n_out];
		struct vu_layout l;
		struct vu_gconf c;
		struct vu_err e;

		if (vu_layout_init(&l, vs->base, names[i]->d_name, &e) == 0) {
			snprintf(x->name, sizeof(x->name), "%.63s", names[i]->d_name);
			x->out = -1;
			vu_gconf_defaults(&c, x->name);
			x->conf_ok = vu_gconf_load(&c, l.conf, &e) == 0;
			if (!x->conf_ok)
				snprintf(x->conf_err, sizeof(x->conf_err), "%.255s", e.msg);
			x->autostart = x->conf_ok && c.autostart;
			x->order = c.start_order;
			x->running = vu_layout_running(&l);
			vu_gconf_free(&c);
			(*n_out)++;
		}
		free(names[i]);
	}
	free(names);
	*out = g;
	return 0;
}

/* Run `vserver --base BASE NAME VERB` for @g, its output into a memfd,
 * read once it has exited: a memfd never blocks a writer (children run in
 * parallel and are reaped one after the other), and unlike a pipe needs
 * no end-of-file, which a daemon `start` leaves behind could delay. */
static int spawn(struct vs *vs, struct all_guest *g, const char *verb)
{
	char *argv[] = { "vserver", "--base", vs->base, g->name, (char *)verb, NULL };
	int devnull;

	g->out = memfd_create("vserver-all", MFD_CLOEXEC);
	if (g->out < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &g->t0);
	fflush(stdout);
	g->pid = fork();
	if (g->pid < 0) {
		g->pid = 0;
		return -1;
	}
	if (g->pid == 0) {
		devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(g->out, 1) < 0 ||
		    dup2(g->out, 2) < 0)
			_exit(VS_FAIL);
		execv("/proc/self/exe", argv);
		dprintf(2, "vserver: /proc/self/exe: %s\n", strerror(errno));
		_exit(VS_FAIL);
	}
	return 0;
}

/* The child's last line of output (its error message), escaped. */
static void last_line(int fd, char *buf, size_t len)
{
	char tail[512];
	off_t size = lseek(fd, 0, SEEK_END);
	off_t from = size > (off_t)sizeof(tail) - 1 ? size - (off_t)sizeof(tail) + 1 : 0;
	ssize_t n = size > 0 ? pread(fd, tail, (size_t)(size - from), from) : 0;
	char *p;

	buf[0] = 0;
	if (n <= 0)
		return;
	tail[n] = 0;
	while (n > 0 && tail[n - 1] == '\n')
		tail[--n] = 0;
	p = strrchr(tail, '\n');
	p = p ? p + 1 : tail;
	vu_esc(p, buf, len);
}

/* Wait for @g's child; print its line; 0 if it did what was asked (a stop
 * that finds the guest gone already did). */
static int reap(struct all_guest *g, const char *verb, const char *done)
{
	char msg[600];
	struct timespec t1;
	int status, ok;

	while (waitpid(g->pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = VS_FAIL << 8;
			break;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ok = WIFEXITED(status) && WEXITSTATUS(status) == VS_OK;
	if (!strcmp(verb, "stop") && WIFEXITED(status) && WEXITSTATUS(status) == VS_STOPPED) {
		printf("%s: not running\n", g->name);
		ok = 1;
	} else if (ok) {
		printf("%s: %s (%.1f s)\n", g->name, done,
		       (double)(t1.tv_sec - g->t0.tv_sec) + (t1.tv_nsec - g->t0.tv_nsec) / 1e9);
	} else {
		last_line(g->out, msg, sizeof(msg));
		if (WIFEXITED(status))
			printf("%s: failed (exit %d)%s%s\n", g->name, WEXITSTATUS(status),
			       msg[0] ? ": " : "", msg);
		else
			printf("%s: failed (signal %d)%s%s\n", g->name, WTERMSIG(status),
			       msg[0] ? ": " : "", msg);
	}
	close(g->out);
	g->out = -1;
	g->pid = 0;
	return ok ? 0 : -1;
}

/* Run @verb on the guests @sel[], sorted by order (ascending for start,
 * descending for stop), one order at a time, each order in parallel. */
static int run_orders(struct vs *vs, struct all_guest **sel, size_t n, const char *verb,
		      const char *done)
{
	int failed = 0;

	for (size_t i = 0; i < n;) {
		size_t j = i;

		/* sel[] is sorted: the group is sel[i..j). */
		while (j < n && sel[j]->order == sel[i]->order)
			j++;
		for (size_t k = i; k < j; k++)
			if (spawn(vs, sel[k], verb) < 0) {
				printf("%s: failed: cannot run vserver: %s\n", sel[k]->name,
				       strerror(errno));
				if (sel[k]->out >= 0)
					close(sel[k]->out);
				sel[k]->out = -1;
				failed = 1;
			}
		for (size_t k = i; k < j; k++)
			if (sel[k]->pid && reap(sel[k], verb, done) < 0)
				failed = 1;
		fflush(stdout);
		i = j;
	}
	return failed;
}

static int cmp_order(const void *a, const void *b)
{
	const struct all_guest *x = *(struct all_guest *const *)a;
	const struct all_guest *y = *(struct all_guest *const *)b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_order_desc(const void *a, const void *b)
{
	return cmp_order(b, a);
}

int vs_all(struct vs *vs)
{
	struct all_guest *g = NULL, **sel = NULL;
	size_t n = 0, ns = 0;
	const char *verb;
	int r = VS_OK;

	if (vs->argc < 1)
		return vs_failf(vs, VS_USAGE, "--all: no command given (start, stop or status)");
	verb = vs->argv[0];
	if (strcmp(verb, "start") && strcmp(verb, "stop") && strcmp(verb, "status"))
		return vs_failf(vs, VS_USAGE, "--all: '%s' is not start, stop or status", verb);
	if (vs->argc > 1)
		return vs_failf(vs, VS_USAGE, "--all %s: unexpected argument '%s'", verb,
				vs->argv[1]);
	if (scan(vs, &g, &n) < 0)
		return VS_FAIL;
	sel = calloc(n + 1, sizeof(*sel));
	if (!sel) {
		free(g);
		return vs_failf(vs, VS_FAIL, "%s", strerror(ENOMEM));
	}
	for (size_t i = 0; i < n; i++) {
		/* A guest.conf that does not parse may be an autostart guest's:
		 * say so on start (and fail), never skip it silently. */
		if (!g[i].conf_ok && strcmp(verb, "stop")) {
			printf("%s: failed: bad guest.conf: %s\n", g[i].name, g[i].conf_err);
			r = VS_FAIL;
			continue;
		}
		if (!strcmp(verb, "stop") ? g[i].running : g[i].autostart)
			sel[ns++] = &g[i];
	}
	if (!strcmp(verb, "status")) {
		qsort(sel, ns, sizeof(*sel), cmp_order);
		for (size_t i = 0; i < ns; i++) {
			printf("%s: %s (start_order %u)\n", sel[i]->name,
			       sel[i]->running ? "running" : "stopped", sel[i]->order);
			/* LSB status: 3 if a guest that should run does not. */
			if (!sel[i]->running && r == VS_OK)
				r = VS_STOPPED;
		}
	} else if (!strcmp(verb, "start")) {
		size_t k = 0;

		qsort(sel, ns, sizeof(*sel), cmp_order);
		/* Running already is what was asked for (a second `start`). */
		for (size_t i = 0; i < ns; i++) {
			if (sel[i]->running)
				printf("%s: already running\n", sel[i]->name);
			else
				sel[k++] = sel[i];
		}
		if (run_orders(vs, sel, k, "start", "started"))
			r = VS_FAIL;
	} else {
		qsort(sel, ns, sizeof(*sel), cmp_order_desc);
		if (run_orders(vs, sel, ns, "stop", "stopped"))
			r = VS_FAIL;
	}
	fflush(stdout);
	free(sel);
	free(g);
	return r;
}
