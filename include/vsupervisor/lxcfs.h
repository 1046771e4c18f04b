/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lxcfs: /proc files that tell a guest about its own limits.
 *
 * lxcfs (a FUSE file system, Debian's package "lxcfs") answers a read of
 * its proc/meminfo, cpuinfo, stat, uptime, loadavg, diskstats, swaps and
 * sys/devices/system/cpu/online with the reading process's cgroup limits
 * and usage.  When it is mounted, each guest gets those files bound over
 * its own /proc (and /sys) files, read-only, nosuid, nodev, noexec
 * ([guest] lxcfs, vserver(8) LXCFS).
 *
 * Where: $VUNIFY_LXCFS if set (the tests run an lxcfs of their own), else
 * /var/lib/lxcfs, Debian's; never any other lxcfs mount that happens to
 * exist, so that a scratch lxcfs is used by nobody but who asked for it.
 * It must be a fuse.lxcfs mount (/proc/self/mountinfo).
 *
 * A dead lxcfs (its mount answers ENOTCONN) or a stuck one (a stopped
 * daemon never answers) must not hang or break a guest's boot: before
 * binding, a child process reads proc/meminfo under a timeout.  The
 * binding itself is daemon/rootfs.c's.
 */
#ifndef VSUP_LXCFS_H
#define VSUP_LXCFS_H

#include <limits.h>

#include "vunify/error.h"

#define VU_LXCFS_DEFAULT "/var/lib/lxcfs"

/* The lxcfs mount to use, in @out.  -1 with ENOENT if there is none
 * (the message names the directory looked at). */
int vu_lxcfs_find(char out[PATH_MAX], struct vu_err *e);

/* Does lxcfs at @dir answer a read within @timeout_ms?  -1 with its error
 * (ENOTCONN for a dead one, ETIMEDOUT for a stuck one) if not. */
int vu_lxcfs_alive(const char *dir, int timeout_ms, struct vu_err *e);

#endif /* VSUP_LXCFS_H */
