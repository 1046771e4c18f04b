#!/bin/bash
# /proc that tells the guest the truth: with lxcfs mounted, a guest limited
# to 256M and one CPU sees 256M in /proc/meminfo (and in procps' free) and
# one CPU in /proc/cpuinfo and /sys/devices/system/cpu/online, its own
# uptime; it can neither unmount nor write those files.  [guest] lxcfs = no
# keeps the kernel's files; without lxcfs status says so, lxcfs = yes
# refuses to start, auto starts; a stopped (hung) or dead lxcfs does not
# hang or break a boot.  The test runs an lxcfs of its own below $T
# (VUNIFY_LXCFS), never touching a host's /var/lib/lxcfs.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"
command -v lxcfs >/dev/null || t_skip "lxcfs is not installed (Debian: apt-get install lxcfs)"
[ -c /dev/fuse ] || t_skip "no /dev/fuse"
t_require_cmd free

host_total=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
[ "$host_total" -gt $((1024 * 1024)) ] || t_skip "the host has less than 1G: 256M would not show"

# Our lxcfs: foreground, its pid file below $T, CPU view from the CFS quota.
# It makes /run/lxcfs (empty directories) if missing: removed again then.
lx=$T/lxcfs
mkdir -p "$lx"
[ -e /run/lxcfs ] || t_on_exit 'rmdir /run/lxcfs/controllers /run/lxcfs/root /run/lxcfs'
lxcfs -f --enable-cfs -p "$T/lxcfs.pid" "$lx" >"$T/lxcfs.log" 2>&1 &
lxpid=$!
t_on_exit "kill -CONT $lxpid; kill $lxpid; sleep 0.5; kill -9 $lxpid; umount -l '$lx'"
lx_mounted() { t_mountinfo | grep -q " $lx\$" && [ -e "$lx/proc/meminfo" ]; }
vs_wait lx_mounted || t_fail "lxcfs did not mount: $(cat "$T/lxcfs.log")"
export VUNIFY_LXCFS=$lx

g=$(vs_guest g "[limits]" "memory = 256M" "cpu_quota = 100%")
n=$(vs_guest n "lxcfs = no" "[limits]" "memory = 256M" "cpu_quota = 100%")
y=$(vs_guest y "lxcfs = yes")
# procps' free reads /proc/meminfo (busybox's takes its totals from
# sysinfo(2), which no file system can change).
vs_install_prog "$VUNIFY_BASE/guests/$g/root" "$(command -v free)"
vs_start "$g"
vs_start "$n"

t_eq "MemTotal" "$(vs_exec "$g" awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" 262144
t_eq "free -m total" "$(vs_exec "$g" /usr/local/bin/free -m | awk '/^Mem:/ { print $2 }')" 256
t_eq "CPUs in cpuinfo" "$(vs_exec "$g" grep -c '^processor' /proc/cpuinfo)" 1
t_eq "cpu/online" "$(vs_exec "$g" cat /sys/devices/system/cpu/online)" 0
up=$(vs_exec "$g" cut -d. -f1 /proc/uptime)
[ "$up" -lt 60 ] || t_fail "the guest's uptime is $up s, the host's ($(cut -d' ' -f1 /proc/uptime))"
# Each file lxcfs's, read-only, nosuid, nodev, noexec.
for f in /proc/meminfo /proc/cpuinfo /proc/stat /proc/uptime /proc/loadavg /proc/diskstats \
	 /proc/swaps /sys/devices/system/cpu/online; do
	line=$(vs_exec "$g" awk -v f="$f" '$5 == f' /proc/self/mountinfo)
	case "$line" in *" ro,nosuid,nodev,noexec"*" - fuse.lxcfs "*) ;;
		*) t_fail "$f in the guest: '$line'" ;; esac
done
# The guest's root cannot take them away or write them.
vs_exec "$g" umount /proc/meminfo 2>/dev/null && t_fail "the guest unmounted /proc/meminfo"
vs_exec "$g" umount -l /proc/meminfo 2>/dev/null && t_fail "the guest detached /proc/meminfo"
vs_exec "$g" mount -o remount,rw /proc/meminfo 2>/dev/null && t_fail "the guest remounted it"
vs_exec "$g" sh -c 'echo x > /proc/meminfo' 2>/dev/null && t_fail "the guest wrote /proc/meminfo"
t_eq "MemTotal after the attempts" "$(vs_exec "$g" awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" 262144
"$VS" "$g" status | grep -q "lxcfs: *.*guest's own memory" || t_fail "status: $("$VS" "$g" status)"
t_eq "status --json lxcfs" "$("$VS" "$g" status --json | jq .lxcfs)" true
# lxcfs = no: the kernel's files.
t_eq "lxcfs = no: MemTotal" "$(vs_exec "$n" awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" "$host_total"
t_eq "lxcfs = no: status --json" "$("$VS" "$n" status --json | jq .lxcfs)" false
"$VS" "$n" status | grep -q "lxcfs: *not used (\[guest\] lxcfs = no)" ||
	t_fail "lxcfs = no: status: $("$VS" "$n" status)"
vs_stop "$g"
vs_stop "$n"

# No lxcfs where we look: status says so, yes refuses, auto boots.
out=$(VUNIFY_LXCFS=$T/nothing-here "$VS" "$g" status)   # exit 3: stopped
grep -qx "  lxcfs:      not mounted; /proc shows the host's memory and CPUs" <<<"$out" ||
	t_fail "status without lxcfs: $out"
VS_GUESTS+=("$y")
VUNIFY_LXCFS=$T/nothing-here t_timeout 60 "$VS" "$y" start 2>"$T/err"; rc=$?
t_eq "lxcfs = yes without lxcfs" $rc 1
grep -q "lxcfs = yes.*$T/nothing-here is not an lxcfs mount" "$T/err" || t_fail "the message: $(cat "$T/err")"
VUNIFY_LXCFS=$T/nothing-here vs_start "$g"
t_eq "auto without lxcfs" "$(vs_exec "$g" awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" "$host_total"
vs_stop "$g"

# A hung lxcfs (stopped): the probe gives up, the boot goes on.
kill -STOP $lxpid
t0=$(date +%s)
vs_start "$g"
t_eq "auto, lxcfs hung" "$(vs_exec "$g" awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" "$host_total"
[ $(( $(date +%s) - t0 )) -lt 30 ] || t_fail "the boot with a hung lxcfs took $(( $(date +%s) - t0 )) s"
vs_stop "$g"
t_timeout 60 "$VS" "$y" start 2>"$T/err" && t_fail "lxcfs = yes started with a hung lxcfs"
grep -q "lxcfs = yes.*does not answer" "$T/err" || t_fail "hung, the message: $(cat "$T/err")"
kill -CONT $lxpid

# A dead lxcfs: its mount stays, answering ENOTCONN.
kill -9 $lxpid
wait $lxpid 2>/dev/null
vs_start "$g"
t_eq "auto, lxcfs dead" "$(vs_exec "$g" awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" "$host_total"
vs_stop "$g"
t_timeout 60 "$VS" "$y" start 2>"$T/err" && t_fail "lxcfs = yes started with a dead lxcfs"
grep -q "lxcfs = yes.*Transport endpoint is not connected" "$T/err" || t_fail "dead, the message: $(cat "$T/err")"
vs_assert_gone "$g"
vs_assert_gone "$y"
t_done
