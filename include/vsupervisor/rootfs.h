/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest's file system view, built by the guest's first process in its
 * new mount namespace (after unsharing from the host's):
 *
 *   /            the vunifyfs mount (nodev), pivot_root'ed onto, with the
 *                old root detached: no path leads back to the host's tree
 *   /proc        fresh procfs of the guest's PID namespace; /proc/sys,
 *                /proc/sysrq-trigger, /proc/irq, /proc/bus, /proc/fs read-only;
 *                /proc/kcore, keys, timer_list, sched_debug, kmsg, ... masked
 *                meminfo, cpuinfo, stat, uptime, loadavg, diskstats, swaps:
 *                lxcfs's, if it is mounted ([guest] lxcfs, vsupervisor/lxcfs.h)
 *   /sys         fresh sysfs of the guest's network namespace, read-only;
 *                devices/system/cpu/online lxcfs's as well
 *   /dev         tmpfs: null zero full random urandom tty, console (a pty
 *                whose other end is the supervisor's console log), ptmx ->
 *                pts/ptmx, fd stdin stdout stderr links, pts (a devpts
 *                instance of its own), shm (tmpfs)
 *   /run         tmpfs
 *   [mounts]     bind mounts from guest.conf (nosuid, nodev; ro unless rw)
 *
 * Every mount target is opened below the new root one component at a time
 * with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): a symlink planted in
 * the guest tree never sends a mount anywhere else.  Mounts are made with
 * the new mount API (fsopen/fsmount/open_tree/move_mount) onto those
 * descriptors, never onto host paths built from guest-controlled strings.
 */
#ifndef VSUP_ROOTFS_H
#define VSUP_ROOTFS_H

#include "vunify/error.h"
#include "vsupervisor/guestconf.h"

struct vu_rootfs_spec {
	const char *mnt;            /* the vunifyfs mount point (host path) */
	const char *console;        /* host path of the console's pty, or NULL */
	const struct vu_gconf *conf;
	bool cgroup2;               /* mount the guest's cgroup2 subtree at /sys/fs/cgroup */
};

/* In a fresh mount namespace: build the view and pivot_root into it.
 * Afterwards the working directory and the root are the guest's /. */
int vu_rootfs_setup(const struct vu_rootfs_spec *s, struct vu_err *e);

/* Is @init (a path in the guest's tree mounted at @mnt) systemd, i.e. the
 * same file as the guest's /usr/lib/systemd/systemd or /lib/systemd/systemd?
 * Resolved inside the guest's root (its symlinks, never the host's). */
bool vu_rootfs_init_is_systemd(const char *mnt, const char *init);

/* Open (O_PATH) @path below @rootfd without following symlinks, creating
 * missing directories (and, if @file, a missing last component as an empty
 * regular file).  Exposed for the unit tests. */
int vu_rootfs_open_beneath(int rootfd, const char *path, bool create, bool file,
			   struct vu_err *e);

#endif /* VSUP_ROOTFS_H */
