/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vserver build, split by job: build.c parses the command line and owns the
 * guest directory (made first, removed whole on any failure), build_run.c
 * runs the helper programs (vclone, debootstrap, vhashify) interruptibly,
 * build_debootstrap.c makes a root from scratch, build_setup.c makes a root
 * fit to run as a container.
 */
#ifndef VSERVER_BUILD_INT_H
#define VSERVER_BUILD_INT_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>

#include "vunify/error.h"
#include "vserver.h"

enum vs_build_method {
	VS_BUILD_EMPTY,             /* no method, no template: an empty root */
	VS_BUILD_TEMPLATE,          /* -m template / -m clone / --template */
	VS_BUILD_DEBOOTSTRAP,
};

#define VS_DEBOOTSTRAP_CACHE "/var/cache/vunify/debootstrap"

struct vs_build_opts {
	enum vs_build_method method;
	const char *tmpl;           /* --template */
	const char *suite;          /* debootstrap: --suite, default bookworm */
	const char *mirror;         /* --mirror */
	const char *variant;        /* --variant */
	const char *include;        /* --include, or NULL */
	const char *cache;          /* --cache, default VS_DEBOOTSTRAP_CACHE */
	bool quiet;
	char **extra;               /* after "--": debootstrap's own options */
	int n_extra;
};

/* build_run.c */
/* The signal (SIGINT, SIGTERM, SIGHUP) that interrupted the build, or 0.
 * Set by the handler vs_build_catch_signals() installs, which also passes
 * the signal on to the helper running at the time. */
extern volatile sig_atomic_t vs_build_signal;
void vs_build_catch_signals(void);
/* Find helper @name: next to /proc/self/exe if @self_dir, then in $PATH. */
int vs_build_find(const char *name, bool self_dir, char out[PATH_MAX]);
/* Run @argv[0] (a path) with @argv; its stdout and stderr go to @log (if
 * not NULL, appended) or stay ours.  0 if it exited 0; otherwise -1 with
 * "NAME failed (exit N)" or "NAME killed by signal N" or "interrupted". */
int vs_build_run(char *const argv[], const char *log, struct vu_err *e);

/* vclone @src into the guest's root, linking into its base's store; not
 * quiet: vclone's summary goes to standard output (build.c). */
int vs_build_vclone(struct vs *vs, const char *src, bool quiet, struct vu_err *e);

/* The end of a build (or snapshot) of @guest: VS_OK if @r is 0 and no
 * signal came; else @guest is removed and @e (or "interrupted") told, and
 * the exit code returned. */
int vs_build_end(struct vs *vs, const char *guest, int r, struct vu_err *e);

/* build_debootstrap.c: a Debian root at @root (must not exist), made in a
 * temporary directory next to it and unified into the store before it is
 * renamed into place. */
int vs_build_debootstrap(struct vs *vs, const struct vs_build_opts *o, struct vu_err *e);
/* Is debootstrap installed?  (Checked before anything is created.) */
int vs_build_debootstrap_check(char bin[PATH_MAX], struct vu_err *e);

/* build_setup.c: host name, /etc/hosts and a fresh machine-id for the
 * guest @hostname; with @container also the container configuration
 * (empty fstab, no gettys on virtual terminals, no boot scripts that
 * mount, set the clock or the host name).  Files are replaced by rename,
 * never written in place: in a cloned root they are links shared with the
 * template and the store. */
int vs_build_setup(const char *root, const char *hostname, bool container, struct vu_err *e);

#endif /* VSERVER_BUILD_INT_H */
