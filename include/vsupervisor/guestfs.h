/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest's root file system: a vunifyfs mount of BASE/guests/NAME/root
 * on RUN/NAME/root, run by the supervisor as a foreground child
 * (vunifyfs -f) so that its death is a SIGCHLD, not a silent dead mount.
 */
#ifndef VSUP_GUESTFS_H
#define VSUP_GUESTFS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "vunify/error.h"
#include "vsupervisor/guestconf.h"

/* vunifyfs next to the running program (dirname of /proc/self/exe), else
 * the first in $PATH. */
int vu_guestfs_find(char out[PATH_MAX], struct vu_err *e);

/* vunifyfs -o options for guest @name: fsname=vunify:NAME, nodev, and the
 * guest's [limits] disk, inodes, disk_reserved as space=, inodes=,
 * reserved=. */
void vu_guestfs_options(const char *name, const struct vu_gconf *c, char *buf, size_t len);

/* Is something mounted on @mnt (per /proc/self/mountinfo; the mount is
 * never touched)?  Its file system type goes to @type. */
bool vu_guestfs_mounted(const char *mnt, char *type, size_t len);

/* Run "vunifyfs -f [-o OPTS] ROOT MNT" with stdout and stderr on @logfd and
 * wait (up to 30 s) until the mount is there.  Returns the daemon's pid. */
pid_t vu_guestfs_spawn(const char *bin, const char *opts, const char *root, const char *mnt,
		  int logfd, struct vu_err *e);

/* Unmount @mnt: plainly, a few times while it is busy, then detached. */
int vu_guestfs_umount(const char *mnt, struct vu_err *e);

#endif /* VSUP_GUESTFS_H */
