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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "vunify/size.h"
#include "options.h"

enum {
	KEY_HELP, KEY_VERSION, KEY_FOREGROUND, KEY_DEBUG, KEY_SINGLE,
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
	OPT("max_read=%u", max_read, 0),
	OPT("timeout=%lf", timeout, 0),
	OPT("threads=%u", threads, 0),
	OPT("passthrough=%s", passthrough, 0),
	OPT("space=%s", space, 0),
	OPT("inodes=%llu", inodes, 0),
	OPT("reserved=%d", reserved, 0),
	OPT("rescan", rescan, 1),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
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

int vu_opts_parse(int argc, char **argv, struct vu_opts *o)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	int ret;

	memset(o, 0, sizeof(*o));
	o->mountflags = MS_NODEV;       /* device nodes are inert by default */
	o->timeout = 86400;
	o->reserved = -1;
	ret = fuse_opt_parse(&args, o, opt_spec, opt_proc);
	fuse_opt_free_args(&args);
	if (ret < 0) {
		if (!o->error[0])
			snprintf(o->error, sizeof(o->error), "cannot parse the options");
		return -1;
	}
	if (o->help || o->version)
		return 0;
	if (!o->guest || !o->mountpoint) {
		snprintf(o->error, sizeof(o->error), "need GUEST_DIR and MOUNTPOINT");
		return -1;
	}
	if (o->timeout < 0 || o->timeout > 1e9) {
		snprintf(o->error, sizeof(o->error), "timeout=%g: out of range", o->timeout);
		return -1;
	}
	if (o->passthrough && strcmp(o->passthrough, "auto") && strcmp(o->passthrough, "on") &&
	    strcmp(o->passthrough, "off")) {
		snprintf(o->error, sizeof(o->error), "passthrough=%s: must be auto, on or off",
			 o->passthrough);
		return -1;
	}
	if (o->space) {
		uint64_t v;

		if (vu_parse_size(o->space, &v) < 0 || v == 0 || v > LLONG_MAX) {
			snprintf(o->error, sizeof(o->error),
				 "space=%s: not a size (a number with K, M, G or T)", o->space);
			return -1;
		}
		o->space_bytes = v;
	}
	if (o->reserved != -1 && (o->reserved < 0 || o->reserved > 50)) {
		snprintf(o->error, sizeof(o->error), "reserved=%d: must be 0 to 50 (percent)",
			 o->reserved);
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
	free(o->space);
}

void vu_opts_usage(FILE *f)
{
	fputs("usage: vunifyfs [-f] [-d] [-s] [-o OPTIONS] GUEST_DIR MOUNTPOINT\n"
	      "\n"
	      "Mount the guest tree GUEST_DIR at MOUNTPOINT with copy-on-write for\n"
	      "unified (store-shared) files.  Must run as root.\n"
	      "\n"
	      "  -f                 stay in the foreground\n"
	      "  -d, -o debug       log every request (implies -f)\n"
	      "  -s                 single-threaded\n"
	      "  -h, --help         this help\n"
	      "  -V, --version      version\n"
	      "\n"
	      "Options (-o, comma separated):\n"
	      "  ro, rw, nosuid, suid, noexec, exec, noatime, relatime, strictatime,\n"
	      "  nodiratime, sync, async, dirsync, lazytime   as for mount(8)\n"
	      "  nodev              device nodes are inert (the default)\n"
	      "  devices            device nodes in the guest tree work\n"
	      "  fsname=NAME        source shown in mount tables (default GUEST_DIR)\n"
	      "  subtype=NAME       type shown as fuse.NAME (default vunifyfs)\n"
	      "  timeout=SECONDS    entry/attribute cache time (default 86400)\n"
	      "  max_read=BYTES     largest read request\n"
	      "  threads=N          most worker threads (default 10)\n"
	      "  passthrough=MODE   kernel FUSE passthrough: auto (default), on, off\n"
	      "  space=SIZE         disk limit for the guest's private files (K, M, G, T)\n"
	      "  inodes=N           inode limit for the guest's private files\n"
	      "  reserved=PCT       part of space only uid 0 may use (default 0)\n"
	      "  rescan             count the guest's usage anew at mount\n"
	      "See vunifyfs(8).\n", f);
}
