// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vclone: make a new guest from a template as a tree of links to store
 * objects (see vclone.8).  This file: options and output; the work is in
 * libvunify (hashify.h, clone.h).
 *
 *   vclone [OPTIONS] [--store DIR] SOURCE_GUEST NEW_GUEST
 *
 * Exit status: 0 done, 1 failed (NEW not created), 2 usage error (bad
 * options, SOURCE missing, NEW exists, another filesystem).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "vunify/cli.h"
#include "vunify/clone.h"
#include "vunify/hashify.h"
#include "vunify/key.h"
#include "vunify/session.h"
#include "vunify/version.h"

#define PROG "vclone"

enum { OPT_NO_DEFAULT = 256, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_JSON };

static const struct option long_opts[] = {
	{ "store", required_argument, NULL, 's' },
	{ "exclude", required_argument, NULL, 'x' },
	{ "exclude-from", required_argument, NULL, 'X' },
	{ "no-default-excludes", no_argument, NULL, OPT_NO_DEFAULT },
	{ "min-size", required_argument, NULL, 'm' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vclone [OPTIONS] [--store DIR] SOURCE_GUEST NEW_GUEST\n"
		"\n"
		"  -s, --store DIR            the object store (default: $VUNIFY_STORE, else\n"
		"                             .vunify-store next to SOURCE_GUEST)\n"
		"  -x, --exclude RULE         an exclude rule: such files are copied, not linked\n"
		"  -X, --exclude-from FILE    exclude rules from FILE\n"
		"      --no-default-excludes  drop the built-in rules (/etc/*, /var, ...)\n"
		"  -m, --min-size N[kMG]      copy files smaller than N bytes (default 1)\n"
		"  -j, --jobs N               threads for hashing SOURCE_GUEST (default: 4 per CPU)\n"
		"  -q, --quiet                errors only\n"
		"  -v, --verbose              say what is done (twice: why)\n"
		"      --progress, --no-progress  progress line on stderr (default: if a tty)\n"
		"      --json                 the summary as one JSON object\n"
		"See vclone(8).\n");
}

/* The default store: $VUNIFY_STORE, else SOURCE's parent/.vunify-store. */
static char *default_store(const char *source)
{
	const char *env = getenv("VUNIFY_STORE");
	char *copy, *slash, *out = NULL;

	if (env && *env)
		return strdup(env);
	copy = strdup(source);
	if (!copy)
		return NULL;
	for (size_t n = strlen(copy); n > 1 && copy[n - 1] == '/'; n--)
		copy[n - 1] = 0;
	slash = strrchr(copy, '/');
	if (!slash)
		out = strdup(".vunify-store");
	else if (slash == copy)
		out = strdup("/.vunify-store");
	else {
		*slash = 0;
		if (asprintf(&out, "%s/.vunify-store", copy) < 0)
			out = NULL;
	}
	free(copy);
	return out;
}

int main(int argc, char **argv)
{
	struct vu_cli cli;
	struct vu_exclude ex = { 0 };
	struct vu_hashify_opts ho = { .min_size = 1 };
	struct vu_clone_opts co;
	struct vu_hashify_stats hs = { 0 };
	struct vu_clone_stats cs = { 0 };
	struct vu_session s;
	struct vu_err e;
	struct rlimit rl;
	const char **rules = calloc(argc, sizeof(char *));
	char *kinds = calloc(argc, 1), *store = NULL;
	bool defaults = true, json = false;
	int nrules = 0, c, rc = 2;

	vu_cli_init(&cli, PROG);
	if (!rules || !kinds || vu_key_init(&e) < 0) {
		vu_err_print(&e, PROG);
		goto out_args;
	}
	while ((c = getopt_long(argc, argv, "s:x:X:m:j:qvhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 's': free(store); store = strdup(optarg); break;
		case 'x': rules[nrules] = optarg; kinds[nrules++] = 'x'; break;
		case 'X': rules[nrules] = optarg; kinds[nrules++] = 'X'; break;
		case OPT_NO_DEFAULT: defaults = false; break;
		case 'm':
			if (vu_cli_size(optarg, &ho.min_size) < 0) {
				vu_cli_error(PROG, "--min-size %s: not a size", optarg);
				goto out_args;
			}
			break;
		case 'j':
			if (vu_cli_uint(optarg, &ho.jobs) < 0) {
				vu_cli_error(PROG, "--jobs %s: not a number of threads", optarg);
				goto out_args;
			}
			break;
		case 'q': cli.verbose = -1; break;
		case 'v': if (cli.verbose >= 0) cli.verbose++; break;
		case OPT_PROGRESS: cli.progress = true; break;
		case OPT_NO_PROGRESS: cli.progress = false; break;
		case OPT_JSON: json = true; break;
		case 'h': usage(stdout); rc = 0; goto out_args;
		case 'V': printf("%s %s\n", PROG, VUNIFY_VERSION); rc = 0; goto out_args;
		default: fprintf(stderr, "%s: see --help\n", PROG); goto out_args;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "%s: need SOURCE_GUEST and NEW_GUEST (see --help)\n", PROG);
		goto out_args;
	}
	if (vu_exclude_init(&ex, defaults, &e) < 0)
		goto usage_err;
	for (int i = 0; i < nrules; i++)
		if ((kinds[i] == 'x' ? vu_exclude_add(&ex, rules[i], &e) :
		     vu_exclude_add_file(&ex, rules[i], &e)) < 0)
			goto usage_err;
	if (vu_exclude_finish(&ex, &e) < 0)
		goto usage_err;
	if (!store)
		store = default_store(argv[optind]);
	if (!store) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		rc = 1;
		goto out_args;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* The caller's mistakes first, before the store is even made. */
	if (access(argv[optind], F_OK) < 0) {
		vu_cli_error(PROG, "%s: %s", argv[optind], strerror(errno));
		goto out_args;
	}
	if (faccessat(AT_FDCWD, argv[optind + 1], F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		vu_cli_error(PROG, "%s: already exists (NEW_GUEST must not exist)", argv[optind + 1]);
		goto out_args;
	}
	if (errno != ENOENT) {
		vu_cli_error(PROG, "%s: %s", argv[optind + 1], strerror(errno));
		goto out_args;
	}
	if (vu_session_begin(&s, store, VU_SESSION_WRITE, &cli.rep, &e) < 0) {
		vu_err_print(&e, PROG);
		rc = 1;
		goto out;
	}
	if (vu_session_guest_add(&s, argv[optind], &e) < 0 ||
	    vu_clone_check(&s, argv[optind + 1], &e) < 0) {
		vu_err_print(&e, PROG);
		goto out;
	}
	rc = 1;
	if (vu_session_start(&s, &e) < 0) {
		vu_err_print(&e, PROG);
		goto out;
	}
	if (vu_session_guest_lock(&s, &s.guests[0], &e) < 0) {
		vu_err_print(&e, PROG);
		goto out;
	}
	/* Every eligible file of the template becomes an object first. */
	ho.ex = &ex;
	ho.all = true;
	if (vu_hashify(&s, &ho, &hs, &e) < 0) {
		vu_err_print(&e, PROG);
		goto out;
	}
	if (hs.errors) {
		vu_cli_error(PROG, "%s: %" PRIu64 " errors while hashing the template; not cloned",
			     argv[optind], hs.errors);
		goto out;
	}
	if (cli.verbose > 0)
		vu_cli_error(PROG, "%s: scanned %" PRIu64 " files (%" PRIu64 " bytes), linked %" PRIu64
			     " files, saved %" PRIu64 " bytes, %" PRIu64 " errors", argv[optind],
			     hs.scanned_files, hs.scanned_bytes, hs.linked_files, hs.saved_bytes, hs.errors);
	co.ex = &ex;
	co.min_size = ho.min_size;
	if (vu_clone(&s, &s.guests[0], argv[optind + 1], &co, &cs, &e) < 0) {
		vu_cli_clear(&cli);
		vu_err_print(&e, PROG);
	} else {
		rc = 0;
	}
	vu_cli_clear(&cli);
	if (json)
		printf("{\"files\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"linked_files\":%" PRIu64
		       ",\"linked_bytes\":%" PRIu64 ",\"copied_files\":%" PRIu64 ",\"copied_bytes\":%" PRIu64
		       ",\"dirs\":%" PRIu64 ",\"symlinks\":%" PRIu64 ",\"specials\":%" PRIu64
		       ",\"errors\":%" PRIu64 ",\"seconds\":%.3f,\"created\":%s}\n", cs.files, cs.bytes,
		       cs.linked_files, cs.linked_bytes, cs.copied_files, cs.copied_bytes, cs.dirs,
		       cs.symlinks, cs.specials, cs.errors, cs.seconds, rc ? "false" : "true");
	else if (cli.verbose >= 0 && !rc)
		printf("cloned %" PRIu64 " files (%" PRIu64 " bytes): linked %" PRIu64 " files (%" PRIu64
		       " bytes), copied %" PRIu64 " files (%" PRIu64 " bytes), %" PRIu64 " errors\n",
		       cs.files, cs.bytes, cs.linked_files, cs.linked_bytes, cs.copied_files,
		       cs.copied_bytes, cs.errors);
out:
	vu_session_close(&s);
out_args:
	vu_exclude_free(&ex);
	free(store);
	free(rules);
	free(kinds);
	return rc;
usage_err:
	vu_err_print(&e, PROG);
	goto out_args;
}
