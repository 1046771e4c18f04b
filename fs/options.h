/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vunifyfs command line and mount options (options.c). */
#ifndef VUNIFYFS_OPTIONS_H
#define VUNIFYFS_OPTIONS_H

#define FUSE_USE_VERSION 312
#include <fuse_opt.h>
#include <stdbool.h>
#include <stdio.h>

struct vu_opts {
	char *guest, *mountpoint;
	char *fsname, *subtype;
	char *passthrough;              /* auto | on | off */
	char *uring;                    /* auto | on | off: FUSE over io_uring */
	char *space;                    /* disk limit, SIZE[KMGT] */
	unsigned long long space_bytes;
	unsigned long long inodes;      /* inode limit */
	int reserved;                   /* percent of space for uid 0 */
	bool rescan;
	unsigned long mountflags;       /* MS_* for mount(2) */
	unsigned int max_read;
	unsigned int threads;
	double timeout;
	struct {                        /* numeric options as given */
		char *max_read, *timeout, *threads, *inodes, *reserved;
	} str;
	bool foreground, debug, single, help, version;
	bool stats;                     /* --stats MOUNT: print the counters */
	char error[256];                /* why parsing failed */
};

/* Parse argv; on failure returns -1 with o->error set. */
int vu_opts_parse(int argc, char **argv, struct vu_opts *o);
void vu_opts_free(struct vu_opts *o);
void vu_opts_usage(FILE *f);

#endif
