#!/bin/bash
# The guest sees only itself and cannot get out: PID 1 is its init, it has
# its own hostname and none of the host's mounts; it cannot signal or trace
# host processes, mount, load modules, set the clock, reach host disks
# through device nodes, or leave its root (chroot and fchdir tricks,
# /proc/1/root, open_by_handle_at); the seccomp filter and the capability
# set each hold on their own.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"

g=$(vs_guest i)
vs_start "$g"
root=$VUNIFY_BASE/guests/$g/root

probe() { vs_exec "$g" vs_probe "$@"; }
expect() {  # expect DESC WANT PROBE ARGS...: the probe prints WANT
	local desc=$1 want=$2 got; shift 2
	got=$(probe "$@" 2>&1)
	[[ "$got" =~ ^($want)$ ]] || t_fail "$desc: got '$got', want '$want'"
}

# A host process the guest must not reach.
sleep 1000 & hostpid=$!
t_on_exit "kill $hostpid"

# Process table: only the guest's; PID 1 is its init.
t_eq "pid 1" "$(vs_exec "$g" cat /proc/1/comm)" init
n=$(vs_exec "$g" sh -c 'ls -d /proc/[0-9]* | wc -l')
[ "$n" -le 6 ] || t_fail "the guest sees $n processes"
vs_exec "$g" test -e "/proc/$hostpid" && t_fail "/proc/$hostpid visible in the guest"
expect "signal a host process" ESRCH signal0 "$hostpid"
expect "kill a host process" ESRCH kill "$hostpid"
expect "ptrace a host process" ESRCH ptrace "$hostpid"
kill -0 "$hostpid" || t_fail "the host process died"
expect "kill the guest's init from inside" ok kill 1
"$VS" "$g" running || t_fail "init died from a SIGKILL inside its namespace"

# Hostname.
t_eq "hostname" "$(vs_exec "$g" hostname)" "$g"
expect "sethostname" EPERM sethostname
[ "$(hostname)" != pwned ] || t_fail "the host's name changed"

# Mounts: nothing of the host's.
mps=$(vs_exec "$g" cat /proc/self/mountinfo | awk '{ print $5 }' | sort | tr '\n' ' ')
for mp in $mps; do
	case "$mp" in
	/|/proc|/proc/*|/sys|/dev|/dev/pts|/dev/shm|/dev/console|/run|/run/lock) ;;
	/sys/fs/cgroup)
		# the guest's own cgroup2 subtree: its namespace's root, nothing above
		[ "$(vs_exec "$g" awk '$5 == "/sys/fs/cgroup" { for (i = 7; $i != "-"; i++); print $4, $(i + 1) }' \
			/proc/self/mountinfo)" = "/ cgroup2" ] ||
			t_fail "/sys/fs/cgroup is not the guest's own cgroup2 tree" ;;
	*) t_fail "host mount $mp visible in the guest ($mps)" ;;
	esac
done
vs_exec "$g" grep -q "$T" /proc/self/mountinfo && t_fail "the test's scratch path is visible in mounts"
# The guest's root is nodev: a device node guest root makes in its tree
# opens nothing, whatever the devices cgroup allows (mount options, field 6).
t_eq "/ is nodev" "$(vs_exec "$g" awk '$5 == "/" { o = $6 } END { print o }' /proc/self/mountinfo |
	tr , '\n' | grep -cx nodev)" 1
t_eq "/dev" "$(vs_exec "$g" ls /dev | tr '\n' ' ')" \
	"console fd full null ptmx pts random shm stderr stdin stdout tty urandom zero "
t_eq "cgroup namespace" "$(vs_exec "$g" cat /proc/self/cgroup | cut -d: -f3 | sort -u)" "/"

# Mounting, modules, clock, kernel interfaces.
expect "mount" EPERM mount
expect "umount /proc" EPERM umount /proc
expect "umount /" EPERM umount /
expect "init_module" EPERM insmod
expect "finit_module" EPERM finsmod
expect "settimeofday" EPERM settime
expect "clock_settime" EPERM clock_settime
expect "adjtimex" EPERM adjtime
expect "bpf" EPERM bpf
expect "perf_event_open" EPERM perf
expect "keyctl" EPERM keyctl
expect "userfaultfd" EPERM userfaultfd
expect "unshare a user namespace" EPERM unshare-user
expect "unshare a mount namespace" EPERM unshare-ns
expect "setns" EPERM setns /proc/1/ns/mnt
expect "TIOCSTI" EPERM tiocsti
expect "TIOCSTI with high bits" EPERM tiocsti-hi
expect "/proc/sys is read-only" EROFS write /proc/sys/kernel/core_pattern "|/tmp/x"
expect "/proc/sysrq-trigger" "EROFS|ENOENT|EACCES" write /proc/sysrq-trigger b
expect "/sys is read-only" EROFS mkdir /sys/vs-probe
expect "/proc/kmsg is masked" "ok" open /proc/kmsg
t_eq "/proc/kmsg is empty" "$(vs_exec "$g" head -c 10 /proc/kmsg | wc -c)" 0

# Device nodes: no new ones, and planted ones are inert.
disk=$(awk '$5 == "/" { print $3; exit }' /proc/self/mountinfo)
maj=${disk%:*} min=${disk#*:}
expect "mknod of the host's disk" EPERM mknod-disk /dev/hostdisk "$maj" "$min"
expect "mknod of a char device" EPERM mknod-char /dev/mem2 1 1
mknod "$root/planted-disk" b "$maj" "$min"
expect "open a planted disk node" "EACCES|EPERM" open /planted-disk
rm -f "$root/planted-disk"

# Leaving the root.
expect "chroot escape" ENOENT chroot-escape "$VS_MARKER"
expect "fchdir escape" ENOENT fchdir-escape "$VS_MARKER"
expect "/proc/1/root escape" ENOENT proc-escape "$VS_MARKER"
expect "open_by_handle_at" EPERM open-by-handle
t_eq "the guest's / after the escapes" "$(vs_exec "$g" cat /etc/passwd)" "root:x:0:0:root:/root:/bin/sh"

# The capability bounding set is the documented default.
t_eq "capabilities" "$(probe caps | tr '\n\t' '  ')" "CapEff: 00000000a00425fb CapBnd: 00000000a00425fb "
vs_stop "$g" --timeout 5
vs_assert_gone "$g"

# Without seccomp the capability set alone still refuses; with mknod
# allowed, the device cgroup alone refuses the host's disk.
h=$(vs_guest j "[security]" "seccomp = no" "cap_keep = mknod")
vs_start "$h"
g=$h
expect "mount without seccomp" EPERM mount
# (ENOSYS: a kernel without module support)
expect "init_module without seccomp" "EPERM|ENOSYS" insmod
expect "settimeofday without seccomp" EPERM settime
expect "open_by_handle_at without seccomp" EPERM open-by-handle
expect "mknod of the host's disk with CAP_MKNOD" EPERM mknod-disk /dev/hostdisk "$maj" "$min"
expect "mknod of /dev/null's node with CAP_MKNOD" ok mknod-char /dev/null2 1 3
expect "mknod of /dev/mem with CAP_MKNOD" EPERM mknod-char /dev/mem2 1 1
expect "chroot escape without seccomp" ENOENT chroot-escape "$VS_MARKER"
vs_stop "$h" --timeout 5
vs_assert_gone "$h"
t_done
