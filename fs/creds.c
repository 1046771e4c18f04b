// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Acting as the calling guest process when creating objects.
 *
 * New files, directories, nodes and symlinks must belong to the caller's
 * fsuid/fsgid, honour setgid directories, and get the caller's umask unless
 * the parent has a default ACL.  The backing filesystem does all of that
 * itself if the creating thread has the caller's fsuid, fsgid and umask, so
 * the thread takes them for the one syscall:
 *
 *  - setfsuid/setfsgid are per thread in Linux (raw syscalls; glibc does not
 *    broadcast them to other threads);
 *  - umask lives in fs_struct, which each worker thread unshares once
 *    (unshare(CLONE_FS)), so that one thread's umask is its own;
 *  - a non-zero fsuid clears CAP_DAC_OVERRIDE, CAP_FSETID, ... from the
 *    effective set.  The kernel has already checked the caller's permission
 *    on the FUSE side (default_permissions, with the caller's supplementary
 *    groups, which we do not have), so the thread raises its effective set
 *    back to the permitted one: the backing checks must not refuse what the
 *    caller may do, and must not strip a setgid bit the kernel let through.
 */
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vunifyfs.h"

static __thread bool fs_unshared;

static int raise_effective(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	data[0].effective = data[0].permitted;
	data[1].effective = data[1].permitted;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

int vu_creds_enter(struct vu_creds *c, uid_t uid, gid_t gid, mode_t mask)
{
	int err;

	c->switched = false;
	if (!fs_unshared) {
		if (unshare(CLONE_FS) < 0)
			return -errno;
		fs_unshared = true;
	}
	umask(mask);
	if (uid == 0 && gid == 0)
		return 0;
	c->switched = true;
	syscall(SYS_setfsgid, gid);
	syscall(SYS_setfsuid, uid);
	if ((uid_t)syscall(SYS_setfsuid, -1) != uid || (gid_t)syscall(SYS_setfsgid, -1) != gid) {
		vu_creds_leave(c);
		return -EPERM;
	}
	err = raise_effective();
	if (err)
		vu_creds_leave(c);
	return err;
}

void vu_creds_leave(struct vu_creds *c)
{
	/* Back to fsuid 0, which also restores the effective capabilities. */
	if (c->switched) {
		syscall(SYS_setfsuid, 0);
		syscall(SYS_setfsgid, 0);
		c->switched = false;
	}
	umask(0);
}
