// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Command line and mount options.
 *
 *   vunifyfs [-f] [-d] [-s] [-o OPT[,OPT...]] GUEST_DIR MOUNTPOINT
 *
 * mount.fuse3 (mount -t fuse.vunifyfs, fstab) runs us as
 * "vunifyfs GUEST_DIR MOUNTPOINT -o OPTS", with the options after the
 * positionals; fuse_opt_parse() takes both orders.  Every -o key is known
 * or an error: a typo must not silently mount something else than asked.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "vunify/size.h"
#include "options.h"

enum {
	KEY_HELP, KEY_VERSION, KEY_STATS, KEY_FOREGROUND, KEY_DEBUG, KEY_SINGLE,
	KEY_IGNORED, KEY_DEV, KEY_DEVICES, KEY_FLAG,
};

/* Mount flags by name: { name, flag to set, flag to clear }. */
static const struct {
	const char *name;
	unsigned long set, clear;
} mount_flags[] = {
	{ "ro", MS_RDONLY, 0 },         { "rw", 0, MS_RDONLY },
	{ "nosuid", MS_NOSUID, 0 },     { "suid", 0, MS_NOSUID },
	{ "noexec", MS_NOEXEC, 0 },     { "exec", 0, MS_NOEXEC },
	{ "nodev", MS_NODEV, 0 },
	{ "noatime", MS_NOATIME, MS_RELATIME | MS_STRICTATIME },
	{ "atime", 0, MS_NOATIME },
	{ "relatime", MS_RELATIME, MS_NOATIME | MS_STRICTATIME },
	{ "norelatime", 0, MS_RELATIME },
	{ "strictatime", MS_STRICTATIME, MS_NOATIME | MS_RELATIME },
	{ "nodiratime", MS_NODIRATIME, 0 }, { "diratime", 0, MS_NODIRATIME },
	{ "sync", MS_SYNCHRONOUS, 0 },  { "async", 0, MS_SYNCHRONOUS },
	{ "dirsync", MS_DIRSYNC, 0 },
	{ "lazytime", MS_LAZYTIME, 0 }, { "nolazytime", 0, MS_LAZYTIME },
};

#define OPT(t, p, v) { t, offsetof(struct vu_opts, p), v }

static const struct fuse_opt opt_spec[] = {
	OPT("fsname=%s", fsname, 0),
	OPT("subtype=%s", subtype, 0),
	/* Numbers are taken as strings and parsed by num_opts[] below: libfuse
	 * reads them with sscanf(), which takes "5x" as 5, "1e9" as 1 and
	 * "-3" as a huge unsigned number. */
	OPT("max_read=%s", str.max_read, 0),
	OPT("timeout=%s", str.timeout, 0),
	OPT("threads=%s", str.threads, 0),
	OPT("passthrough=%s", passthrough, 0),
	OPT("uring=%s", uring, 0),
	OPT("space=%s", space, 0),
	OPT("inodes=%s", str.inodes, 0),
	OPT("reserved=%s", str.reserved, 0),
	OPT("rescan", rescan, 1),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("--stats", KEY_STATS),
	FUSE_OPT_KEY("-f", KEY_FOREGROUND),
	FUSE_OPT_KEY("-d", KEY_DEBUG),
	FUSE_OPT_KEY("debug", KEY_DEBUG),
	FUSE_OPT_KEY("-s", KEY_SINGLE),
	/* Always in effect (vunifyfs serves a whole guest, every user of it,
	 * with the kernel checking permissions): accepted, nothing to do. */
	FUSE_OPT_KEY("allow_other", KEY_IGNORED),
	FUSE_OPT_KEY("default_permissions", KEY_IGNORED),
	/* fstab and mount(8) bookkeeping, meaningless to a filesystem. */
	FUSE_OPT_KEY("defaults", KEY_IGNORED),
	FUSE_OPT_KEY("auto", KEY_IGNORED),
	FUSE_OPT_KEY("noauto", KEY_IGNORED),
	FUSE_OPT_KEY("user", KEY_IGNORED),
	FUSE_OPT_KEY("nouser", KEY_IGNORED),
	FUSE_OPT_KEY("users", KEY_IGNORED),
	FUSE_OPT_KEY("_netdev", KEY_IGNORED),
	FUSE_OPT_KEY("nofail", KEY_IGNORED),
	FUSE_OPT_KEY("comment=", KEY_IGNORED),
	/* mount.fuse3 adds "dev" to every mount; see vunifyfs.8. */
	FUSE_OPT_KEY("dev", KEY_DEV),
	FUSE_OPT_KEY("devices", KEY_DEVICES),
	FUSE_OPT_END
};

/* Record "WHAT 'ARG'" as the parse error (the first one wins). */
static int set_error(struct vu_opts *o, const char *what, const char *arg)
{
	if (!o->error[0])
		snprintf(o->error, sizeof(o->error), "%s '%s'", what, arg);
	return -1;
}

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct vu_opts *o = data;

	switch (key) {
	case KEY_HELP:
		o->help = true;
		return 0;
	case KEY_VERSION:
		o->version = true;
		return 0;
	case KEY_STATS:
		o->stats = true;
		return 0;
	case KEY_DEBUG:
		o->debug = true;
		o->foreground = true;
		return 0;
	case KEY_FOREGROUND:
		o->foreground = true;
		return 0;
	case KEY_SINGLE:
		o->single = true;
		return 0;
	case KEY_IGNORED:
	case KEY_DEV:
		return 0;
	case KEY_DEVICES:
		o->mountflags &= ~MS_NODEV;
		return 0;
	case FUSE_OPT_KEY_NONOPT:
		if (!o->guest)
			o->guest = strdup(arg);
		else if (!o->mountpoint)
			o->mountpoint = strdup(arg);
		else
			return set_error(o, "unexpected argument", arg);
		return 0;
	case FUSE_OPT_KEY_OPT:
		/* x-*: userspace-only options by definition (mount(8)). */
		if (strncmp(arg, "x-", 2) == 0)
			return 0;
		for (size_t i = 0; i < sizeof(mount_flags) / sizeof(mount_flags[0]); i++) {
			if (strcmp(arg, mount_flags[i].name) == 0) {
				o->mountflags = (o->mountflags & ~mount_flags[i].clear) |
						mount_flags[i].set;
				return 0;
			}
		}
		if (arg[0] == '-')
			return set_error(o, "unknown option", arg);
		return set_error(o, "unknown mount option", arg);
	default:
		return set_error(o, "cannot parse", arg);
	}
}

/* Seconds: a NUMBER (size.h) with an optional fraction ("0.5"), at most
 * 1e9 (31 years: "forever" for a cache).  No sign, exponent, "inf" or
 * "nan", which strtod() would take. */
static int parse_seconds(const char *s, double *out)
{
	const char *end;
	uint64_t whole;
	double v, scale = 0.1;

	if (vu_parse_digits(s, &end, &whole) < 0 || whole > 1000000000)
		return -1;
	v = (double)whole;
	if (*end == '.') {
		if (end[1] < '0' || end[1] > '9')
			return -1;
		for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
			v += (*end - '0') * scale;
	}
	if (*end || v > 1e9)
		return -1;
	*out = v;
	return 0;
}

/* Every numeric -o option, its grammar and range: one strict parser
 * (size.h) for all, so that no typo mounts something else than asked. */
static int parse_numbers(struct vu_opts *o)
{
	static const struct {
		const char *name;
		size_t str;             /* offsetof the text in struct vu_opts */
		bool size;              /* SIZE rather than NUMBER */
		uint64_t min, max;
		const char *what;
	} num[] = {
		/* The kernel rounds a smaller max_read up to 4096 and reads
		 * it as 32 bits. */
		{ "max_read", offsetof(struct vu_opts, str.max_read), true, 4096, UINT32_MAX,
		  "a size from 4096 to 4294967295 bytes" },
		/* Beyond this, more threads only contend (each has a stack
		 * and a request buffer). */
		{ "threads", offsetof(struct vu_opts, str.threads), false, 1, 1024,
		  "a whole number from 1 to 1024" },
		/* 0 would mean "no limit" inside (fs/vunifyfs.h); the counters
		 * are signed 64-bit. */
		{ "inodes", offsetof(struct vu_opts, str.inodes), false, 1, INT64_MAX,
		  "a whole number from 1 to 9223372036854775807" },
		{ "reserved", offsetof(struct vu_opts, str.reserved), false, 0, 50,
		  "a whole number from 0 to 50 (percent)" },
		/* space: signed 64-bit counters too; 0 would mean no limit. */
		{ "space", offsetof(struct vu_opts, space), true, 1, INT64_MAX,
		  "a size from 1 byte to 8388607T (a number with K, M, G, T or P)" },
	};
	enum { MAX_READ, THREADS, INODES, RESERVED, SPACE };     /* num[] in order */
	uint64_t v[sizeof(num) / sizeof(num[0])];

	for (size_t i = 0; i < sizeof(num) / sizeof(num[0]); i++) {
		const char *s = *(char **)((char *)o + num[i].str);
		int r;

		v[i] = 0;
		if (!s)
			continue;
		r = num[i].size ? vu_parse_size(s, &v[i]) : vu_parse_uint(s, 0, UINT64_MAX, &v[i]);
		if (r < 0 || v[i] < num[i].min || v[i] > num[i].max) {
			snprintf(o->error, sizeof(o->error), "%s=%s: not %s", num[i].name, s,
				 num[i].what);
			return -1;
		}
	}
	o->max_read = (unsigned)v[MAX_READ];
	o->threads = (unsigned)v[THREADS];
	o->inodes = v[INODES];
	o->reserved = o->str.reserved ? (int)v[RESERVED] : -1;
	o->space_bytes = v[SPACE];
	if (o->str.timeout && parse_seconds(o->str.timeout, &o->timeout) < 0) {
		snprintf(o->error, sizeof(o->error),
			 "timeout=%s: not a number of seconds from 0 to 1000000000", o->str.timeout);
		return -1;
	}
	return 0;
}

int vu_opts_parse(int argc, char **argv, struct vu_opts *o)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	int ret;

	memset(o, 0, sizeof(*o));
	o->mountflags = MS_NODEV;       /* device nodes are inert by default */
	o->timeout = 86400;
	ret = fuse_opt_parse(&args, o, opt_spec, opt_proc);
	fuse_opt_free_args(&args);
	if (ret < 0) {
		if (!o->error[0])
			snprintf(o->error, sizeof(o->error), "cannot parse the options");
		return -1;
	}
	if (o->help || o->version)
		return 0;
	if (o->stats) {
		if (!o->guest || o->mountpoint) {
			snprintf(o->error, sizeof(o->error), "--stats takes one MOUNT");
			return -1;
		}
		return 0;
	}
	if (!o->guest || !o->mountpoint) {
		snprintf(o->error, sizeof(o->error), "need GUEST_DIR and MOUNTPOINT");
		return -1;
	}
	if (parse_numbers(o) < 0)
		return -1;
	if (o->passthrough && strcmp(o->passthrough, "auto") && strcmp(o->passthrough, "on") &&
	    strcmp(o->passthrough, "off")) {
		snprintf(o->error, sizeof(o->error), "passthrough=%s: must be auto, on or off",
			 o->passthrough);
		return -1;
	}
	if (o->uring && strcmp(o->uring, "auto") && strcmp(o->uring, "on") &&
	    strcmp(o->uring, "off")) {
		snprintf(o->error, sizeof(o->error), "uring=%s: must be auto, on or off", o->uring);
		return -1;
	}
	if (o->reserved != -1 && !o->space) {
		snprintf(o->error, sizeof(o->error), "reserved= needs space=");
		return -1;
	}
	if (o->subtype && (!o->subtype[0] || strpbrk(o->subtype, ", \t\n"))) {
		snprintf(o->error, sizeof(o->error), "subtype=%s: not a valid name", o->subtype);
		return -1;
	}
	return 0;
}

void vu_opts_free(struct vu_opts *o)
{
	free(o->guest);
	free(o->mountpoint);
	free(o->fsname);
	free(o->subtype);
	free(o->passthrough);
	free(o->uring);
	free(o->space);
	free(o->str.max_read);
	free(o->str.timeout);
	free(o->str.threads);
	free(o->str.inodes);
	free(o->str.reserved);
}

void vu_opts_usage(FILE *f)
{
	fputs("usage: vunifyfs [-f] [-d] [-s] [-o OPTIONS] GUEST_DIR MOUNTPOINT\n"
	      "       vunifyfs --stats MOUNT\n"
	      "\n"
	      "Mount the guest tree GUEST_DIR at MOUNTPOINT with copy-on-write for\n"
	      "unified (store-shared) files.  Must run as root.\n"
	      "\n"
	      "  -f                 stay in the foreground\n"
	      "  -d, -o debug       log every request (implies -f)\n"
	      "  -s                 single-threaded\n"
	      "  -h, --help         this help\n"
	      "  -V, --version      version\n"
	      "  --stats MOUNT      the request counters of the vunifyfs serving MOUNT\n"
	      "\n"
	      "Options (-o, comma separated):\n"
	      "  ro, rw, nosuid, suid, noexec, exec, noatime, relatime, strictatime,\n"
	      "  nodiratime, sync, async, dirsync, lazytime   as for mount(8)\n"
	      "  nodev              device nodes are inert (the default)\n"
	      "  devices            device nodes in the guest tree work\n"
	      "  fsname=NAME        source shown in mount tables (default GUEST_DIR)\n"
	      "  subtype=NAME       type shown as fuse.NAME (default vunifyfs)\n"
	      "  timeout=SECONDS    entry/attribute cache time (default 86400)\n"
	      "  max_read=SIZE      largest read request (4K to 4G - 1)\n"
	      "  threads=N          most worker threads (1 to 1024, default 10)\n"
	      "  passthrough=MODE   kernel FUSE passthrough: auto (default), on, off\n"
	      "  uring=MODE         FUSE over io_uring: auto, on, off (default)\n"
	      "  space=SIZE         disk limit for the guest's private files (K, M, G, T, P)\n"
	      "  inodes=N           inode limit for the guest's private files (N >= 1)\n"
	      "  reserved=PCT       part of space only uid 0 may use (0 to 50, default 0)\n"
	      "  rescan             count the guest's usage anew at mount\n"
	      "See vunifyfs(8).\n", f);
}
