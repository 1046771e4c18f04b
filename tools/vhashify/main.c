// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vhashify: unify identical files of guest trees into a content-addressed
 * store (see vhashify.8).  This file: option parsing and output; the work
 * is in libvunify (hashify.h, maint.h).
 *
 *   vhashify [OPTIONS] --store DIR GUEST_DIR...
 *   vhashify gc --store DIR [-n]
 *   vhashify verify --store DIR
 *   vhashify stats --store DIR [--json] [GUEST_DIR...]
 *
 * Exit status: 0 all well, 1 some files, guests or objects failed (or the
 * store or index could not be used), 2 usage error (bad options or
 * arguments, missing guest, guest on another filesystem).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "vunify/cli.h"
#include "vunify/escape.h"
#include "vunify/format.h"
#include "vunify/hashify.h"
#include "vunify/key.h"
#include "vunify/maint.h"
#include "vunify/session.h"
#include "vunify/version.h"

#define PROG "vhashify"

enum { OPT_IGNORE_MTIME = VU_CLI_OPT_NEXT, OPT_IGNORE_ATIME, OPT_STRICT_ATIME };

static const struct option long_opts[] = {
	VU_CLI_HASH_LONGOPTS,
	{ "ignore-mtime", no_argument, NULL, OPT_IGNORE_MTIME },
	{ "ignore-atime", no_argument, NULL, OPT_IGNORE_ATIME },
	{ "strict-atime", no_argument, NULL, OPT_STRICT_ATIME },
	{ "all", no_argument, NULL, 'a' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vhashify [OPTIONS] --store DIR GUEST_DIR...\n"
		"       vhashify gc --store DIR [-n] [-q] [-v] [--json]\n"
		"       vhashify verify --store DIR [-q] [-v] [--json]\n"
		"       vhashify stats --store DIR [--json] [GUEST_DIR...]\n"
		"\n"
		"  -s, --store DIR            the object store (same filesystem as the guests)\n"
		"  -x, --exclude RULE         an exclude rule (+/path, -/path, ~/path; repeatable)\n"
		VU_CLI_HASH_HELP_EXCLUDES
		"      --no-default-excludes  drop the built-in rules (/etc/*, /var, ...)\n"
		"  -m, --min-size SIZE        leave files smaller than SIZE bytes alone (default 1)\n"
		"  -j, --jobs N               threads (default: 4 per CPU, 4 to 32)\n"
		"      --ignore-mtime         also link files whose mtime differs\n"
		"      --strict-atime         link only files whose atime is equal too\n"
		"      --ignore-atime         (the default: link files whose atime differs)\n"
		"  -a, --all                  make every eligible file a link, twin or not\n"
		"  -n, --dry-run              report what would be linked; change nothing\n"
		VU_CLI_HASH_HELP_OUTPUT
		"See vhashify(8).\n");
}

struct args {
	const char *store;
	struct vu_exclude ex;
	struct vu_hashify_opts o;
	bool dry, json;
	char **rest;
	int nrest;
};

/* Parse the options of every subcommand; returns 0, or 2 (usage). */
static int parse(int argc, char **argv, struct args *a, struct vu_cli *cli, bool hashify)
{
	struct vu_cli_hash h;
	struct vu_err e;
	bool ignore_atime = false;
	int c;

	if (vu_cli_hash_init(&h, argc, true) < 0)
		return 2;
	while ((c = getopt_long(argc, argv, VU_CLI_HASH_SHORTOPTS "an", long_opts, NULL)) != -1) {
		int r = vu_cli_hash_opt(cli, &h, c, optarg);

		if (r < 0)
			goto usage;
		if (r > 0)
			continue;
		switch (c) {
		case OPT_IGNORE_MTIME: a->o.ignore_mtime = true; break;
		/* --ignore-atime was the way to today's default: kept, so that
		 * scripts written for it work the same. */
		case OPT_IGNORE_ATIME: ignore_atime = true; break;
		case OPT_STRICT_ATIME: a->o.strict_atime = true; break;
		case 'a': a->o.all = true; break;
		case 'n': a->dry = true; break;
		case 'h': usage(stdout); exit(0);
		default: fprintf(stderr, "%s: see --help\n", PROG); goto usage;
		}
	}
	if (ignore_atime && a->o.strict_atime) {
		fprintf(stderr, "%s: --ignore-atime and --strict-atime contradict each other\n", PROG);
		goto usage;
	}
	a->store = h.store;
	a->json = h.json;
	a->o.min_size = h.min_size;
	a->o.jobs = h.jobs;
	if (!a->store) {
		fprintf(stderr, "%s: --store DIR is required\n", PROG);
		goto usage;
	}
	if (!hashify && (h.nrules || !h.defaults || !h.protect)) {
		fprintf(stderr, "%s: exclude options are for hashing only\n", PROG);
		goto usage;
	}
	if (vu_cli_hash_excludes(&h, &a->ex, &e) < 0) {
		vu_err_print(&e, PROG);
		goto usage;
	}
	vu_cli_hash_free(&h);
	a->o.ex = &a->ex;
	a->rest = argv + optind;
	a->nrest = argc - optind;
	return 0;
usage:
	vu_cli_hash_free(&h);
	return 2;
}

static int open_session(struct vu_session *s, const struct args *a, enum vu_session_mode mode,
			enum vu_store_lock_mode lock, struct vu_cli *cli)
{
	struct vu_err e;
	int rc = vu_session_begin(s, a->store, mode, &cli->rep, &e);

	s->lock_mode = lock;
	if (rc < 0 || vu_session_start(s, &e) < 0) {
		vu_err_print(&e, PROG);
		vu_session_close(s);
		/* A store that is not there to read is the caller's mistake. */
		return mode == VU_SESSION_READ && (e.code == ENOENT || e.code == ENOTDIR) ? 2 : 1;
	}
	return 0;
}

static void print_summary(const struct vu_hashify_stats *st, bool json, bool dry)
{
	if (!json) {
		printf("scanned %" PRIu64 " files (%" PRIu64 " bytes), linked %" PRIu64
		       " files, saved %" PRIu64 " bytes, %" PRIu64 " errors\n", st->scanned_files,
		       st->scanned_bytes, st->linked_files, st->saved_bytes, st->errors);
		/* A tree copied from a guest of another store: say so, since
		 * none of its marks meant anything here. */
		if (st->foreign_files)
			printf("foreign marks: %" PRIu64 " files carried %s naming no object of this "
			       "store; unified like any other file\n", st->foreign_files, VU_MARK_XATTR);
		return;
	}
	printf("{\"scanned_files\":%" PRIu64 ",\"scanned_bytes\":%" PRIu64 ",\"linked_files\":%" PRIu64
	       ",\"saved_bytes\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"dry_run\":%s"
	       ",\"linked_bytes\":%" PRIu64 ",\"changed\":%" PRIu64 ",\"unified_files\":%" PRIu64
	       ",\"hardlinked_files\":%" PRIu64 ",\"foreign_files\":%" PRIu64 ",\"candidates\":%" PRIu64
	       ",\"hashed_files\":%" PRIu64 ",\"hashed_bytes\":%" PRIu64 ",\"read_files\":%" PRIu64
	       ",\"read_bytes\":%" PRIu64 ",\"objects_created\":%" PRIu64 ",\"objects_bytes\":%" PRIu64
	       ",\"temporaries_removed\":%" PRIu64 ",\"sparse_files\":%" PRIu64 ",\"seconds\":%.3f}\n",
	       st->scanned_files, st->scanned_bytes, st->linked_files, st->saved_bytes, st->errors,
	       dry ? "true" : "false", st->linked_bytes, st->changed, st->unified_files,
	       st->hardlinked_files, st->foreign_files, st->candidates, st->hashed_files,
	       st->hashed_bytes, st->read_files, st->read_bytes, st->objects_created,
	       st->objects_bytes, st->temporaries_removed, st->sparse_files, st->seconds);
}

static int cmd_hashify(int argc, char **argv, struct vu_cli *cli)
{
	struct args a = { 0 };
	struct vu_session s;
	struct vu_hashify_stats st = { 0 };
	struct vu_err e;
	uint64_t guest_errors = 0;
	int rc;

	if ((rc = parse(argc, argv, &a, cli, true)))
		return rc;
	if (!a.nrest) {
		fprintf(stderr, "%s: no GUEST_DIR given (see --help)\n", PROG);
		rc = 2;
		goto out;
	}
	/* The caller's mistakes first, before a store is made. */
	for (int i = 0; i < a.nrest; i++) {
		struct stat sb;
		int err = stat(a.rest[i], &sb) < 0 ? errno : !S_ISDIR(sb.st_mode) ? ENOTDIR : 0;

		if (err) {
			vu_cli_error(PROG, "%s: %s", a.rest[i], strerror(err));
			rc = 2;
		}
	}
	if (rc)
		goto out;
	/* Every guest is checked before anything is made or changed. */
	if (vu_session_begin(&s, a.store, a.dry ? VU_SESSION_DRY_RUN : VU_SESSION_WRITE, &cli->rep,
			     &e) < 0) {
		vu_err_print(&e, PROG);
		vu_session_close(&s);
		rc = 1;
		goto out;
	}
	for (int i = 0; i < a.nrest; i++)
		if (vu_session_guest_add(&s, a.rest[i], &e) < 0) {
			vu_err_print(&e, PROG);
			rc = 2;
		}
	if (!rc && vu_session_start(&s, &e) < 0) {
		vu_err_print(&e, PROG);
		rc = 1;
	}
	if (rc) {
		vu_session_close(&s);
		goto out;
	}
	/* Each guest's lock is checked now and then let go: the run takes it
	 * again only around each change to that guest, so that scanning and
	 * hashing (hours, on a big guest) never keep a guest from starting. */
	if (!a.dry)
		for (size_t i = 0; i < s.nguests; i++) {
			if (vu_session_guest_lock(&s, &s.guests[i], &e) < 0) {
				vu_err_print(&e, PROG);
				s.guests[i].failed = true;
				guest_errors++;
				continue;
			}
			vu_session_guest_release(&s, &s.guests[i]);
		}
	rc = vu_hashify(&s, &a.o, &st, &e);
	vu_cli_clear(cli);
	st.errors += guest_errors;
	if (rc < 0) {
		vu_err_print(&e, PROG);
		st.errors++;
	}
	if (cli->verbose >= 0 || a.json)
		print_summary(&st, a.json, a.dry);
	if (a.dry && cli->verbose >= 0 && !a.json)
		fprintf(stderr, "%s: dry run: nothing was changed\n", PROG);
	vu_session_close(&s);
	rc = st.errors ? 1 : 0;
out:
	vu_exclude_free(&a.ex);
	return rc;
}

static int cmd_gc(int argc, char **argv, struct vu_cli *cli)
{
	struct args a = { 0 };
	struct vu_session s;
	struct vu_gc_stats st;
	struct vu_err e;
	int rc;

	if ((rc = parse(argc, argv, &a, cli, false)))
		return rc;
	if (a.nrest) {
		vu_cli_error(PROG " gc", "unexpected argument '%s'", a.rest[0]);
		rc = 2;
		goto out;
	}
	/* Only linking makes a store: gc of one that is not there is the
	 * caller's mistake, not a reason to create it. */
	if (access(a.store, F_OK) < 0) {
		vu_cli_error(PROG, "%s: %s", a.store, strerror(errno));
		rc = 2;
		goto out;
	}
	if ((rc = open_session(&s, &a, a.dry ? VU_SESSION_READ : VU_SESSION_WRITE,
				 VU_STORE_EXCLUSIVE, cli)))
		goto out;
	rc = vu_gc(&s, a.dry, &st, &e);
	if (rc < 0) {
		vu_err_print(&e, PROG);
		st.errors++;
	}
	if (a.json)
		printf("{\"removed\":%" PRIu64 ",\"removed_bytes\":%" PRIu64 ",\"objects\":%" PRIu64
		       ",\"objects_bytes\":%" PRIu64 ",\"guests_forgotten\":%" PRIu64
		       ",\"errors\":%" PRIu64 ",\"dry_run\":%s}\n", st.removed, st.removed_bytes,
		       st.objects, st.objects_bytes, st.guests_forgotten, st.errors,
		       a.dry ? "true" : "false");
	else if (cli->verbose >= 0)
		printf("%s %" PRIu64 " objects (%" PRIu64 " bytes), kept %" PRIu64 " objects (%" PRIu64
		       " bytes), %" PRIu64 " errors\n", a.dry ? "would remove" : "removed", st.removed,
		       st.removed_bytes, st.objects, st.objects_bytes, st.errors);
	vu_session_close(&s);
	rc = st.errors ? 1 : 0;
out:
	vu_exclude_free(&a.ex);
	return rc;
}

static int cmd_verify(int argc, char **argv, struct vu_cli *cli)
{
	struct args a = { 0 };
	struct vu_session s;
	struct vu_verify_stats st;
	struct vu_err e;
	int rc;

	if ((rc = parse(argc, argv, &a, cli, false)))
		return rc;
	if (a.nrest) {
		vu_cli_error(PROG " verify", "unexpected argument '%s'", a.rest[0]);
		rc = 2;
		goto out;
	}
	if ((rc = open_session(&s, &a, VU_SESSION_READ, VU_STORE_LINKER, cli)))
		goto out;
	rc = vu_verify(&s, &st, &e);
	if (rc < 0) {
		vu_err_print(&e, PROG);
		st.errors++;
	}
	if (a.json)
		printf("{\"objects\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"bad\":%" PRIu64
		       ",\"errors\":%" PRIu64 "}\n", st.objects, st.bytes, st.bad, st.errors);
	else if (cli->verbose >= 0)
		printf("verified %" PRIu64 " objects (%" PRIu64 " bytes), %" PRIu64 " bad, %" PRIu64
		       " errors\n", st.objects, st.bytes, st.bad, st.errors);
	vu_session_close(&s);
	rc = st.bad || st.errors ? 1 : 0;
out:
	vu_exclude_free(&a.ex);
	return rc;
}

/* The usage record vunifyfs keeps on a guest with disk limits (format.h). */
static bool read_usage(int fd, long long *bytes, long long *inodes, bool *clean)
{
	char buf[128];
	ssize_t len = fgetxattr(fd, VU_USAGE_XATTR, buf, sizeof(buf));

	return len > 0 && vu_usage_parse(buf, (size_t)len, bytes, inodes, clean);
}

static int cmd_stats(int argc, char **argv, struct vu_cli *cli)
{
	struct args a = { 0 };
	long long ub = 0, ui = 0;
	bool have_usage, uclean = false;
	struct vu_session s;
	struct vu_store_stats ss;
	struct vu_err e;
	uint64_t errors = 0;
	int rc;

	if ((rc = parse(argc, argv, &a, cli, false)))
		return rc;
	if ((rc = open_session(&s, &a, VU_SESSION_READ, VU_STORE_LINKER, cli)))
		goto out;
	rc = 0;
	for (int i = 0; i < a.nrest; i++)
		if (vu_session_guest_add(&s, a.rest[i], &e) < 0) {
			vu_err_print(&e, PROG);
			rc = 2;
		}
	if (rc) {
		vu_session_close(&s);
		goto out;
	}
	if (!a.nrest && vu_stats_known_guests(&s, &e) < 0) {
		vu_err_print(&e, PROG);
		errors++;
	}
	if (a.json)
		printf("{\"guests\":[");
	else
		printf("%-32s %10s %10s %14s %14s %14s %14s\n", "GUEST", "FILES", "UNIFIED",
		       "PRIVATE_BYTES", "SHARED_BYTES", "SAVED_BYTES", "PRIVATE_INODES");
	for (size_t i = 0; i < s.nguests; i++) {
		struct vu_guest_stats gs;

		if (vu_stats_guest(&s, &s.guests[i], &gs, &e) < 0) {
			vu_err_print(&e, PROG);
			errors++;
			continue;
		}
		errors += gs.errors;
		have_usage = read_usage(s.guests[i].fd, &ub, &ui, &uclean);
		if (a.json) {
			printf("%s{\"path\":", i ? "," : "");
			vu_cli_json_str(stdout, s.guests[i].label);
			printf(",\"files\":%" PRIu64 ",\"unified_files\":%" PRIu64 ",\"private_bytes\":%"
			       PRIu64 ",\"shared_bytes\":%" PRIu64 ",\"saved_bytes\":%" PRIu64
			       ",\"private_inodes\":%" PRIu64,
			       gs.files, gs.unified_files, gs.private_bytes, gs.shared_bytes, gs.saved_bytes,
			       gs.private_inodes);
			printf(",\"foreign_marks\":%" PRIu64, gs.foreign_marks);
			if (have_usage)
				printf(",\"limit_usage\":{\"bytes\":%lld,\"inodes\":%lld,\"state\":\"%s\"}",
				       ub, ui, uclean ? "clean" : "dirty");
			printf("}");
		} else {
			char lbl[1024];

			printf("%-32s %10" PRIu64 " %10" PRIu64 " %14" PRIu64 " %14" PRIu64 " %14" PRIu64
			       " %14" PRIu64 "\n", vu_esc(s.guests[i].label, lbl, sizeof(lbl)), gs.files,
			       gs.unified_files, gs.private_bytes, gs.shared_bytes, gs.saved_bytes,
			       gs.private_inodes);
			if (gs.foreign_marks)
				printf("  foreign marks: %" PRIu64 " files carry %s naming no object of "
				       "this store (vhashify --all unifies them)\n", gs.foreign_marks,
				       VU_MARK_XATTR);
			/* What vunifyfs charges the guest against its disk limits
			 * (allocated bytes and inodes; see vunifyfs(8)). */
			if (have_usage)
				printf("  charged against its disk limits: %lld bytes allocated, %lld "
				       "inodes (%s)\n", ub, ui, uclean ? "as of the last unmount" :
				       "mounted, or not cleanly unmounted");
		}
	}
	if (vu_stats_store(&s, &ss, &e) < 0) {
		vu_err_print(&e, PROG);
		errors++;
	}
	if (a.json)
		printf("],\"store\":{\"objects\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"links\":%" PRIu64
		       ",\"saved_bytes\":%" PRIu64 ",\"unreferenced_objects\":%" PRIu64
		       ",\"unreferenced_bytes\":%" PRIu64 "},\"errors\":%" PRIu64 "}\n", ss.objects,
		       ss.bytes, ss.links, ss.saved_bytes, ss.unreferenced, ss.unreferenced_bytes, errors);
	else
		printf("store: %" PRIu64 " objects (%" PRIu64 " bytes), %" PRIu64 " guest links, saved %"
		       PRIu64 " bytes, %" PRIu64 " unreferenced objects (%" PRIu64 " bytes)\n",
		       ss.objects, ss.bytes, ss.links, ss.saved_bytes, ss.unreferenced,
		       ss.unreferenced_bytes);
	vu_session_close(&s);
	rc = errors ? 1 : 0;
out:
	vu_exclude_free(&a.ex);
	return rc;
}

int main(int argc, char **argv)
{
	struct vu_cli cli;
	struct vu_err e;
	struct rlimit rl;

	vu_cli_init(&cli, PROG);
	if (vu_key_init(&e) < 0) {
		vu_err_print(&e, PROG);
		return 2;
	}
	/* Deep trees hold one descriptor per level. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (argc > 1 && !strcmp(argv[1], "gc"))
		return cmd_gc(argc - 1, argv + 1, &cli);
	if (argc > 1 && !strcmp(argv[1], "verify"))
		return cmd_verify(argc - 1, argv + 1, &cli);
	if (argc > 1 && !strcmp(argv[1], "stats"))
		return cmd_stats(argc - 1, argv + 1, &cli);
	return cmd_hashify(argc, argv, &cli);
}
