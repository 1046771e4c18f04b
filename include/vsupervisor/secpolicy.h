/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a guest's processes may do: the capability bounding set and the
 * seccomp filter, applied to init before it is executed and to every process
 * that vserver exec/enter starts in the guest.
 *
 * Default capabilities (everything else is dropped from the bounding set, so
 * no process of the guest, setuid or not, can ever get it):
 *   CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
 *   NET_BIND_SERVICE NET_RAW SYS_CHROOT AUDIT_WRITE SETFCAP
 * NET_RAW only if the guest has a network namespace of its own (mode none or
 * veth): on the host's stack it could sniff the host's traffic.  Notably
 * absent: SYS_ADMIN, SYS_MODULE, SYS_RAWIO, SYS_TIME, SYS_BOOT, MAC_ADMIN,
 * MAC_OVERRIDE, SYSLOG, DAC_READ_SEARCH, SYS_PTRACE, MKNOD, NET_ADMIN,
 * SYS_NICE, SYS_RESOURCE, IPC_LOCK, LINUX_IMMUTABLE, SYS_PACCT,
 * SYS_TTY_CONFIG, LEASE, WAKE_ALARM, BLOCK_SUSPEND, BPF, PERFMON,
 * CHECKPOINT_RESTORE, AUDIT_CONTROL, AUDIT_READ.
 *
 * The seccomp filter (libseccomp, default allow, native and compat
 * architectures) fails with EPERM: the mount family (mount, umount2,
 * pivot_root, open_tree, move_mount, fsopen, fsconfig, fsmount, fspick,
 * mount_setattr), kexec_load, kexec_file_load, init_module, finit_module,
 * delete_module, open_by_handle_at, bpf, perf_event_open,
 * keyctl, add_key, request_key, userfaultfd, setns, unshare and clone with
 * namespace flags (clone3 gets ENOSYS so libc falls back to clone,
 * name_to_handle_at EOPNOTSUPP as on a file system without handles), swapon,
 * swapoff, settimeofday, clock_settime, clock_adjtime, adjtimex, acct,
 * quotactl, syslog, lookup_dcookie, iopl, ioperm, io_uring_*, uselib,
 * _sysctl, nfsservctl, and ioctl(TIOCSTI/TIOCLINUX) (typing into a terminal
 * the guest shares with the host).  reboot(2) of init's tree goes to the
 * supervisor (seccomp user notification), which turns a halt into a stop and
 * a reboot into a restart of the guest.
 */
#ifndef VSUP_SECPOLICY_H
#define VSUP_SECPOLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "vunify/error.h"
#include "vsupervisor/guestconf.h"

/* The documented default for a guest with network @mode. */
uint64_t vu_caps_default(enum vu_net_mode mode);

/* The guest's set: the default, plus cap_keep, minus cap_drop. */
uint64_t vu_caps_of(const struct vu_gconf *c);

/* "chown,dac_override,..." into @buf. */
void vu_caps_format(uint64_t caps, char *buf, size_t len);

/* Drop everything not in @keep from the bounding set; clear the ambient
 * and inheritable sets. */
int vu_caps_bound(uint64_t keep, struct vu_err *e);

/* Reduce the permitted and effective sets to @keep.  Call last: seccomp
 * needs CAP_SYS_ADMIN to load without no_new_privs. */
int vu_caps_set(uint64_t keep, struct vu_err *e);

/* Load the guest filter into the calling thread.  With @notify_fd, reboot
 * requests become user notifications and the listener is returned there. */
int vu_scmp_load(int *notify_fd, struct vu_err *e);

/* The reboot(2) commands the filter hands to the supervisor. */
bool vu_scmp_is_reboot_cmd(uint64_t cmd, bool *restart);

#endif /* VSUP_SECPOLICY_H */
