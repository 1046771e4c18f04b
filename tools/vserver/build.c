// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vserver NAME build [-m METHOD] [OPTIONS] [-- DEBOOTSTRAP-ARGS]: create
 * BASE/guests/NAME with a guest.conf and a root made by METHOD:
 *   template (alias clone)  a vclone of --template (a guest or a directory),
 *                           its host name, hosts and machine-id made its own
 *   debootstrap             Debian from scratch (build_debootstrap.c)
 *   (none)                  an empty root, or template if --template is given
 * Nothing is left behind if it fails or is interrupted: the guest's
 * directory is made first (mode 0000) and removed whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build_int.h"

static int write_conf(struct vs *vs, const char *from, struct vu_err *e)
{
	int fd = open(vs->l.conf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	FILE *f;

	if (fd < 0)
		return vu_err_set(e, errno, "%s", vs->l.conf);
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return vu_err_set(e, errno, "%s", vs->l.conf);
	}
	fprintf(f,
		"# guest.conf of %s%s%s; every key is described in vserver(8).\n"
		"[guest]\n"
		"hostname = %s\n"
		"# init = /sbin/init\n"
		"# stop_signal = SIGINT\n"
		"# stop_timeout = 30\n"
		"\n"
		"[limits]\n"
		"# memory = 512M\n"
		"# pids = 1024\n"
		"# cpu_weight = 100\n"
		"# cpu_quota = 200%%\n"
		"# io_weight = 100\n"
		"# io_write_bps = /dev/sda 50M\n"
		"# disk = 10G\n"
		"# inodes = 200000\n"
		"\n"
		"[network]\n"
		"mode = none\n"
		"# mode = veth\n"
		"# address = 10.0.0.2/24\n"
		"# host_address = 10.0.0.1/24\n"
		"# gateway = 10.0.0.1\n"
		"\n"
		"[security]\n"
		"# cap_keep = net_admin\n"
		"# cap_drop = net_raw\n"
		"# seccomp = yes\n"
		"\n"
		"[mounts]\n"
		"# /srv/data = /srv/shared/data ro\n",
		vs->name, from ? ", built from " : "", from ? from : "", vs->name);
	if (fclose(f) != 0)
		return vu_err_set(e, errno, "%s", vs->l.conf);
	return 0;
}

int vs_build_vclone(struct vs *vs, const char *src, bool quiet, struct vu_err *e)
{
	char bin[PATH_MAX];
	/* Not quiet: vclone's summary says what it shared, and how many
	 * foreign marks (a template copied from another store) it met. */
	char *argv[7];
	int n = 0;

	argv[n++] = bin;
	if (quiet)
		argv[n++] = "--quiet";
	argv[n++] = "--store";
	argv[n++] = vs->l.store;
	argv[n++] = (char *)src;
	argv[n++] = vs->l.root;
	argv[n] = NULL;

	if (vs_build_find("vclone", true, bin) < 0)
		return vu_err_set(e, ENOENT, "vclone: not found next to vserver nor in $PATH");
	if (vs_build_run(argv, NULL, e) < 0)
		return vu_err_prefix(e, "vclone %s %s", src, vs->l.root);
	return 0;
}

static int run_vclone(struct vs *vs, const char *src, bool quiet, struct vu_err *e)
{
	if (vs_build_vclone(vs, src, quiet, e) < 0)
		return -1;
	/* The clone shares the template's /etc files: replaced, not edited. */
	return vs_build_setup(vs->l.root, vs->name, false, e);
}

/* "--opt VALUE" or "--opt=VALUE" (and the short form @s, if any). */
static int opt_value(struct vs *vs, int *i, const char *l, const char *s, const char **out)
{
	const char *a = vs->argv[*i];
	size_t n = strlen(l);

	if (!strcmp(a, l) || (s && !strcmp(a, s))) {
		if (*i + 1 >= vs->argc)
			return vs_failf(vs, -1, "build: %s needs a value", a);
		*out = vs->argv[++*i];
	} else if (!strncmp(a, l, n) && a[n] == '=') {
		*out = a + n + 1;
	} else {
		return 0;
	}
	/* Handed to debootstrap as words: none may pass for an option. */
	if (!**out || **out == '-')
		return vs_failf(vs, -1, "build: %s: bad value '%s'", l, *out);
	return 1;
}

static int parse(struct vs *vs, struct vs_build_opts *o)
{
	static const char *const valued[] = { "--method", "--template", "--suite", "--mirror",
					      "--variant", "--include", "--cache" };
	static const char *const shorts[] = { "-m", "-t", NULL, NULL, NULL, NULL, NULL };
	const char *method = NULL, *val[7] = { 0 };
	bool deb_opt = false;

	for (int i = 1; i < vs->argc; i++) {
		const char *a = vs->argv[i];
		int r = 0;

		if (!strcmp(a, "--")) {
			o->extra = vs->argv + i + 1;
			o->n_extra = vs->argc - i - 1;
			deb_opt = true;
			break;
		}
		if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			o->quiet = true;
			continue;
		}
		for (size_t k = 0; k < 7 && r == 0; k++) {
			r = opt_value(vs, &i, valued[k], shorts[k], &val[k]);
			if (r > 0 && k >= 2)
				deb_opt = true;
		}
		if (r < 0)
			return VS_USAGE;
		if (r == 0)
			return vs_failf(vs, VS_USAGE, "build: unknown argument '%s'", a);
	}
	method = val[0];
	o->tmpl = val[1];
	o->suite = val[2] ? val[2] : "bookworm";
	o->mirror = val[3] ? val[3] : "http://deb.debian.org/debian";
	o->variant = val[4] ? val[4] : "minbase";
	o->include = val[5];
	o->cache = val[6] ? val[6] : VS_DEBOOTSTRAP_CACHE;
	if (!method)
		o->method = o->tmpl ? VS_BUILD_TEMPLATE : VS_BUILD_EMPTY;
	else if (!strcmp(method, "template") || !strcmp(method, "clone"))
		o->method = VS_BUILD_TEMPLATE;
	else if (!strcmp(method, "debootstrap"))
		o->method = VS_BUILD_DEBOOTSTRAP;
	else
		return vs_failf(vs, VS_USAGE, "build: unknown method '%s' (template, clone, "
				"debootstrap)", method);
	if (o->method == VS_BUILD_TEMPLATE && !o->tmpl)
		return vs_failf(vs, VS_USAGE, "build -m %s needs --template GUEST|DIR", method);
	if (o->method != VS_BUILD_TEMPLATE && o->tmpl)
		return vs_failf(vs, VS_USAGE, "build: --template goes with -m template, not -m %s",
				method);
	if (o->method != VS_BUILD_DEBOOTSTRAP && deb_opt)
		return vs_failf(vs, VS_USAGE, "build: --suite, --mirror, --variant, --include, "
				"--cache and -- go with -m debootstrap");
	return VS_OK;
}

/* The template's root: another guest's, or a directory. */
static int template_root(struct vs *vs, const char *tmpl, char src[PATH_MAX])
{
	struct vu_err e;
	struct stat st;

	if (strchr(tmpl, '/')) {
		if (!realpath(tmpl, src))
			return vs_failf(vs, VS_FAIL, "template %s: %s", tmpl, strerror(errno));
	} else {
		struct vu_layout t;

		if (vu_layout_init(&t, vs->base, tmpl, &e) < 0)
			return vs_fail(vs, VS_USAGE, &e);
		if (!vu_layout_exists(&t))
			return vs_failf(vs, VS_NOGUEST, "template: no such guest '%s'", tmpl);
		snprintf(src, PATH_MAX, "%s", t.root);
	}
	if (stat(src, &st) < 0 || !S_ISDIR(st.st_mode))
		return vs_failf(vs, VS_FAIL, "template %s: not a directory", src);
	return VS_OK;
}

int vs_build(struct vs *vs)
{
	struct vs_build_opts o = { 0 };
	char src[PATH_MAX], guests[PATH_MAX + 16], bin[PATH_MAX];
	struct vu_err e;
	struct stat st;
	int r;

	r = parse(vs, &o);
	if (r != VS_OK)
		return r;
	if (lstat(vs->l.guest, &st) == 0)
		return vs_failf(vs, VS_FAIL, "%s already exists", vs->l.guest);
	if (o.method == VS_BUILD_TEMPLATE) {
		r = template_root(vs, o.tmpl, src);
		if (r != VS_OK)
			return r;
	}
	if (o.method == VS_BUILD_DEBOOTSTRAP && vs_build_debootstrap_check(bin, &e) < 0)
		return vs_fail(vs, VS_FAIL, &e);

	snprintf(guests, sizeof(guests), "%s/guests", vs->base);
	if ((mkdir(vs->base, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(guests, 0755) < 0 && errno != EEXIST))
		return vs_failf(vs, VS_FAIL, "%s: %s", guests, strerror(errno));
	if (mkdir(vs->l.store, 0700) < 0 && errno != EEXIST)
		return vs_failf(vs, VS_FAIL, "%s: %s", vs->l.store, strerror(errno));
	/* From here on, ^C or SIGTERM ends the helper and we clean up. */
	vs_build_catch_signals();
	/* Mode 0000: the barrier between host users and the guest tree
	 * (vserver(8), BARRIER).  Root passes it; guest.conf stays root's. */
	if (mkdir(vs->l.guest, 0) < 0)
		return vs_failf(vs, VS_FAIL, "%s: %s", vs->l.guest, strerror(errno));
	switch (o.method) {
	case VS_BUILD_TEMPLATE:
		r = run_vclone(vs, src, o.quiet, &e);
		break;
	case VS_BUILD_DEBOOTSTRAP:
		r = vs_build_debootstrap(vs, &o, &e);
		break;
	default:
		r = mkdir(vs->l.root, 0755) < 0 ? vu_err_set(&e, errno, "%s", vs->l.root) : 0;
		break;
	}
	if (r == 0)
		r = write_conf(vs, o.method == VS_BUILD_TEMPLATE ? o.tmpl :
			       o.method == VS_BUILD_DEBOOTSTRAP ? "debootstrap" : NULL, &e);
	return vs_build_end(vs, vs->l.guest, r, &e);
}

int vs_build_end(struct vs *vs, const char *guest, int r, struct vu_err *e)
{
	struct vu_err e2;

	if (r == 0 && vs_build_signal)
		r = vu_err_set(e, 0, "interrupted (%s)", strsignal(vs_build_signal));
	if (r == 0)
		return VS_OK;
	if (vs_rmtree(guest, &e2) < 0)
		vs_fail(vs, VS_FAIL, &e2);
	return vs_fail(vs, vs_build_signal ? 128 + vs_build_signal : VS_FAIL, e);
}
