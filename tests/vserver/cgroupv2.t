#!/bin/bash
# The cgroup v2 backend, run for real on a cgroup2 hierarchy: the system's
# /sys/fs/cgroup if it is v2, else the unified hierarchy of a hybrid
# system (this build machine: its controllers are on v1, so only the
# controller-free parts can be checked there: membership, the cgroup
# namespace, the BPF device filter, cgroup.kill, and that a limit the
# hierarchy cannot enforce is refused).
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"

vs_cgroup2_mount
mnt=$VS_CG2
export VUNIFY_CGROUP=v2:$mnt

g=$(vs_guest v "[security]" "cap_keep = mknod")
dir=$mnt/$(vs_cgname "$g")
vs_start "$g"
init=$(awk -F= '$1 == "init" { print $2 }' "$(vs_run "$g")/state")
# The guest's processes live in payload, the root of its cgroup namespace;
# NAME above it holds the limits and takes no process.
grep -qx "$init" "$dir/payload/cgroup.procs" || t_fail "init $init is not in $dir/payload"
[ -z "$(cat "$dir/cgroup.procs")" ] || t_fail "processes in $dir itself"
t_eq "the guest's cgroup namespace" "$(vs_exec "$g" grep '^0::' /proc/self/cgroup)" "0::/"
# exec joins the group
vs_exec "$g" sleep 1000 &
for i in $(seq 50); do [ "$(wc -l < "$dir/payload/cgroup.procs")" -ge 3 ] && break; sleep 0.1; done
[ "$(wc -l < "$dir/payload/cgroup.procs")" -ge 3 ] || t_fail "vserver exec did not join $dir/payload"

# The guest's own subtree: mounted read-write at its /sys/fs/cgroup, its
# groups land below payload, bounded by NAME; NAME is out of its reach.
t_eq "/sys/fs/cgroup in the guest" "$(vs_exec "$g" awk '$5 == "/sys/fs/cgroup" {
	for (i = 7; $i != "-"; i++); print $4, $(i + 1) }' /proc/self/mountinfo)" "/ cgroup2"
vs_exec "$g" mkdir /sys/fs/cgroup/made-by-guest || t_fail "the guest cannot make a group"
[ -d "$dir/payload/made-by-guest" ] || t_fail "the guest's group is not below payload"
t_eq "bounded" "$(cat "$dir/cgroup.max.descendants")" 4096
vs_exec "$g" sh -c 'echo 5 > /sys/fs/cgroup/../cgroup.max.descendants' 2>/dev/null
t_eq "NAME untouched by the guest" "$(cat "$dir/cgroup.max.descendants")" 4096
# exec follows init into a group of the guest's making, but never above payload.
vs_exec "$g" sh -c 'echo 1 > /sys/fs/cgroup/made-by-guest/cgroup.procs' 2>/dev/null
t_eq "exec joins init's group" "$(vs_exec "$g" grep '^0::' /proc/self/cgroup)" "0::/made-by-guest"
"$VS" "$g" status | grep -q "cgroup: *v2" || t_fail "status does not say v2"

# The BPF device filter: the listed nodes only, whatever CAP_MKNOD allows.
disk=$(awk '$5 == "/" { print $3; exit }' /proc/self/mountinfo)
probe() { vs_exec "$g" vs_probe "$@"; }
t_eq "mknod of the host's disk" "$(probe mknod-disk /dev/hostdisk "${disk%:*}" "${disk#*:}")" EPERM
t_eq "mknod of /dev/mem" "$(probe mknod-char /dev/mem2 1 1)" EPERM
t_eq "mknod of a null device" "$(probe mknod-char /dev/null2 1 3)" ok
t_eq "open /dev/null" "$(probe open /dev/null)" ok
t_eq "open /dev/full" "$(probe open /dev/full)" ok

# Stop through cgroup.kill (no grace time), with stray processes around.
vs_exec "$g" sh -c 'sleep 1000 & sleep 1000 & exit 0'
vs_stop "$g" --timeout 0
[ ! -d "$dir" ] || t_fail "$dir left"
vs_assert_gone "$g"

# A limit whose controller the hierarchy lacks is refused, not ignored.
for ctl in pids memory; do
	grep -qw $ctl "$mnt/cgroup.controllers" && continue
	conf=$VUNIFY_BASE/guests/$g/guest.conf
	printf '%s\n' "[limits]" "$([ $ctl = pids ] && echo 'pids = 10' || echo 'memory = 64M')" > "$conf"
	"$VS" "$g" start 2> "$T/err" && t_fail "started with a $ctl limit and no $ctl controller"
	grep -q "needs the cgroup v2 $ctl controller" "$T/err" || t_fail "$ctl: $(cat "$T/err")"
	vs_assert_gone "$g"
done
t_done
