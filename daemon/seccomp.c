// SPDX-License-Identifier: GPL-2.0-or-later
/* The guest's seccomp filter: see include/vsupervisor/secpolicy.h for the list. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/reboot.h>

#include <seccomp.h>

#include "vsupervisor/secpolicy.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const char *const denied[] = {
	/* mounting: a guest must not change its file system view */
	"mount", "umount", "umount2", "pivot_root", "open_tree", "open_tree_attr",
	"move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
	/* the kernel itself */
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"create_module", "get_kernel_syms", "query_module", "bpf", "perf_event_open",
	"lookup_dcookie", "iopl", "ioperm", "uselib", "_sysctl", "nfsservctl", "vm86",
	"vm86old", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "syslog",
	/* file handles reach inodes outside the guest's root */
	"open_by_handle_at",
	/* the clock is the host's */
	"settimeofday", "clock_settime", "clock_settime64", "clock_adjtime",
	"clock_adjtime64", "adjtimex", "stime",
	/* the kernel keyring is not namespaced */
	"keyctl", "add_key", "request_key",
	/* large kernel attack surface, little use in a guest */
	"userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
	/* namespaces: no way out of the ones we made */
	"setns",
};

static const unsigned long ns_flags[] = {
	CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
	CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWTIME,
};

bool vu_scmp_is_reboot_cmd(uint64_t cmd, bool *restart)
{
	switch ((uint32_t)cmd) {
	case LINUX_REBOOT_CMD_RESTART:
	case LINUX_REBOOT_CMD_RESTART2:
		*restart = true;
		return true;
	case LINUX_REBOOT_CMD_HALT:
	case LINUX_REBOOT_CMD_POWER_OFF:
		*restart = false;
		return true;
	default:
		return false;
	}
}

static int rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
		const struct scmp_arg_cmp *args, struct vu_err *e)
{
	int nr = seccomp_syscall_resolve_name(name);
	int r;

	if (nr == __NR_SCMP_ERROR)
		return 0;           /* unknown to this libseccomp: nothing to deny */
	r = seccomp_rule_add_array(ctx, action, nr, n, args);
	/* Syscalls that do not exist on this architecture are fine. */
	if (r < 0 && r != -EDOM)
		return vu_err_set(e, -r, "seccomp: rule for %s", name);
	return 0;
}

static int add_rules(scmp_filter_ctx ctx, bool notify, struct vu_err *e)
{
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	static const uint32_t reboot_cmds[] = {
		LINUX_REBOOT_CMD_RESTART, LINUX_REBOOT_CMD_RESTART2,
		LINUX_REBOOT_CMD_HALT, LINUX_REBOOT_CMD_POWER_OFF,
	};
	struct scmp_arg_cmp a;

	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		if (rule(ctx, eperm, denied[i], 0, NULL, e) < 0)
			return -1;
	if (rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL, e) < 0)
		return -1;
	/* Denied as a file system without handles does: callers (systemd
	 * asks for every cgroup's id) take their fallback without a warning. */
	if (rule(ctx, SCMP_ACT_ERRNO(EOPNOTSUPP), "name_to_handle_at", 0, NULL, e) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++) {
		a = SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]);
		if (rule(ctx, eperm, "clone", 1, &a, e) < 0 || rule(ctx, eperm, "unshare", 1, &a, e) < 0)
			return -1;
	}
	/* ioctl's request is an unsigned int: compare the low 32 bits only,
	 * or garbage in the high half would slip past. */
	a = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI);
	if (rule(ctx, eperm, "ioctl", 1, &a, e) < 0)
		return -1;
	a = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX);
	if (rule(ctx, eperm, "ioctl", 1, &a, e) < 0)
		return -1;
	/* reboot: without CAP_SYS_BOOT the kernel says EPERM to everything;
	 * the supervisor hears about halt and restart requests first. */
	for (size_t i = 0; i < 4; i++) {
		a = SCMP_A2(SCMP_CMP_MASKED_EQ, 0xffffffffu, reboot_cmds[i]);
		if (rule(ctx, notify ? SCMP_ACT_NOTIFY : eperm, "reboot", 1, &a, e) < 0)
			return -1;
	}
	return 0;
}

int vu_scmp_load(int *notify_fd, struct vu_err *e)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r = -1;

	if (!ctx)
		return vu_err_set(e, ENOMEM, "seccomp_init");
	/* We load it with CAP_SYS_ADMIN; no_new_privs would break setuid
	 * programs in the guest (su, passwd). */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0) {
		vu_err_set(e, EINVAL, "seccomp: clearing NNP");
		goto out;
	}
	/* The same rules for 32-bit and x32 system calls, which would otherwise
	 * be a way around them (libseccomp would kill such callers). */
	if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
		int r1 = seccomp_arch_add(ctx, SCMP_ARCH_X86);
		int r2 = seccomp_arch_add(ctx, SCMP_ARCH_X32);

		if ((r1 < 0 && r1 != -EEXIST) || (r2 < 0 && r2 != -EEXIST)) {
			vu_err_set(e, EINVAL, "seccomp: adding the compat architectures");
			goto out;
		}
	}
	if (add_rules(ctx, notify_fd != NULL, e) < 0)
		goto out;
	r = seccomp_load(ctx);
	if (r < 0) {
		r = vu_err_set(e, -r, "seccomp: loading the filter");
		goto out;
	}
	if (notify_fd) {
		*notify_fd = seccomp_notify_fd(ctx);
		if (*notify_fd < 0) {
			r = vu_err_set(e, -*notify_fd, "seccomp: the notification descriptor");
			goto out;
		}
	}
	r = 0;
out:
	seccomp_release(ctx);
	return r;
}
