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

static const struct option long_opts[] = {
	VU_CLI_HASH_LONGOPTS,
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
		VU_CLI_HASH_HELP_EXCLUDES
		"      --default-excludes     Linux-VServer's rules: copy /etc/*, /var, ... privately\n"
		"      --no-default-excludes  link /etc/passwd, /etc/shadow, /etc/group too\n"
		"  -m, --min-size SIZE        copy files smaller than SIZE bytes (default 1)\n"
		"  -j, --jobs N               threads for hashing SOURCE_GUEST (default: 4 per CPU)\n"
		VU_CLI_HASH_HELP_OUTPUT
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
	struct vu_hashify_opts ho = { 0 };
	struct vu_cli_hash h;
	struct vu_clone_opts co;
	struct vu_hashify_stats hs = { 0 };
	struct vu_clone_stats cs = { 0 };
	struct vu_session s;
	struct vu_err e;
	struct rlimit rl;
	bool session = false;
	char *store = NULL;
	int c, rc = 2;

	vu_cli_init(&cli, PROG);
	if (vu_cli_hash_init(&h, argc, false) < 0) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		return 1;
	}
	if (vu_key_init(&e) < 0) {
		vu_err_print(&e, PROG);
		goto out;
	}
	while ((c = getopt_long(argc, argv, VU_CLI_HASH_SHORTOPTS, long_opts, NULL)) != -1) {
		int r = vu_cli_hash_opt(&cli, &h, c, optarg);

		if (r < 0)
			goto out;
		if (r > 0)
			continue;
		if (c == 'h') {
			usage(stdout);
			rc = 0;
		} else {
			fprintf(stderr, "%s: see --help\n", PROG);
		}
		goto out;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "%s: need SOURCE_GUEST and NEW_GUEST (see --help)\n", PROG);
		goto out;
	}
	if (vu_cli_hash_excludes(&h, &ex, &e) < 0) {
		vu_err_print(&e, PROG);
		goto out;
	}
	ho.min_size = h.min_size;
	ho.jobs = h.jobs;
	store = h.store ? strdup(h.store) : default_store(argv[optind]);
	if (!store) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		rc = 1;
		goto out;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* The caller's mistakes first, before the store is even made. */
	if (access(argv[optind], F_OK) < 0) {
		vu_cli_error(PROG, "%s: %s", argv[optind], strerror(errno));
		goto out;
	}
	if (faccessat(AT_FDCWD, argv[optind + 1], F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		vu_cli_error(PROG, "%s: already exists (NEW_GUEST must not exist)", argv[optind + 1]);
		goto out;
	}
	if (errno != ENOENT) {
		vu_cli_error(PROG, "%s: %s", argv[optind + 1], strerror(errno));
		goto out;
	}
	session = true;
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
			     " files, saved %" PRIu64 " bytes, %" PRIu64 " errors, %" PRIu64 " foreign marks",
			     argv[optind], hs.scanned_files, hs.scanned_bytes, hs.linked_files,
			     hs.saved_bytes, hs.errors, hs.foreign_files);
	co.ex = &ex;
	co.min_size = ho.min_size;
	if (vu_clone(&s, &s.guests[0], argv[optind + 1], &co, &cs, &e) < 0) {
		vu_cli_clear(&cli);
		vu_err_print(&e, PROG);
	} else {
		rc = 0;
	}
	vu_cli_clear(&cli);
	if (h.json)
		printf("{\"files\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"linked_files\":%" PRIu64
		       ",\"linked_bytes\":%" PRIu64 ",\"copied_files\":%" PRIu64 ",\"copied_bytes\":%" PRIu64
		       ",\"dirs\":%" PRIu64 ",\"symlinks\":%" PRIu64 ",\"specials\":%" PRIu64
		       ",\"errors\":%" PRIu64 ",\"seconds\":%.3f,\"created\":%s,\"foreign_marks\":%"
		       PRIu64 "}\n", cs.files, cs.bytes, cs.linked_files, cs.linked_bytes,
		       cs.copied_files, cs.copied_bytes, cs.dirs, cs.symlinks, cs.specials, cs.errors,
		       cs.seconds, rc ? "false" : "true", hs.foreign_files);
	else if (cli.verbose >= 0 && !rc) {
		printf("cloned %" PRIu64 " files (%" PRIu64 " bytes): linked %" PRIu64 " files (%" PRIu64
		       " bytes), copied %" PRIu64 " files (%" PRIu64 " bytes), %" PRIu64 " errors\n",
		       cs.files, cs.bytes, cs.linked_files, cs.linked_bytes, cs.copied_files,
		       cs.copied_bytes, cs.errors);
		/* A template copied from a guest of another store (cp -a):
		 * its marks meant nothing here; its files were unified anew. */
		if (hs.foreign_files)
			printf("foreign marks: %" PRIu64 " files of the template carried %s naming no "
			       "object of this store; unified like any other file\n", hs.foreign_files,
			       VU_MARK_XATTR);
	}
out:
	if (session)
		vu_session_close(&s);
	vu_exclude_free(&ex);
	free(store);
	vu_cli_hash_free(&h);
	return rc;
}
