#!/bin/bash
# Resource limits: a fork bomb stops at the pids limit and a memory hog at
# the memory limit, while the host and a second guest keep working; the
# limited guest's init survives, and a stop still kills everything.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"

disk=$(awk '$5 == "/" { print $3; exit }' /proc/self/mountinfo)
# io_weight needs a proportional I/O scheduler (CFQ or BFQ) on cgroup v1;
# a kernel with neither (only none, mq-deadline, kyber) has no weight file,
# and vserver refuses io_weight there: that one check is skipped then.
io_weight=("io_weight = 200")
if [ $VS_CGV = 1 ] && [ ! -e /sys/fs/cgroup/blkio/blkio.weight ] &&
   [ ! -e /sys/fs/cgroup/blkio/blkio.bfq.weight ]; then
	t_log "skipping io_weight: no CFQ or BFQ here ($(cat /sys/block/*/queue/scheduler 2>/dev/null | sort -u | tr '\n' ' '))"
	io_weight=()
fi
a=$(vs_guest a "[limits]" "pids = 64" "memory = 64M" "cpu_weight = 50" "cpu_quota = 50%" \
	"io_write_bps = $disk 10M" "io_read_iops = $disk 500" "${io_weight[@]}")
b=$(vs_guest b)
vs_start "$a"
vs_start "$b"

cg_file() {  # cg_file CONTROLLER FILE: the limited guest's cgroup file
	cat "$(vs_cg "$a" "$1")/$2"
}
t_eq "pids.max" "$(cg_file pids pids.max)" 64
t_eq "status shows the limit" "$("$VS" "$a" status | grep -c 'processes: .*(limit 64)')" 1
if [ $VS_CGV = 1 ]; then
	t_eq "memory.limit_in_bytes" "$(cg_file memory memory.limit_in_bytes)" $((64 << 20))
	t_eq "cpu.shares" "$(cg_file cpu cpu.shares)" 512
	t_eq "cpu.cfs_quota_us" "$(cg_file cpu cpu.cfs_quota_us)" 50000
	t_eq "devices.list" "$(cg_file devices devices.list | sort | tr '\n' ' ')" \
		"c 136:* rw c 1:3 rwm c 1:5 rwm c 1:7 rwm c 1:8 rwm c 1:9 rwm c 5:0 rwm c 5:2 rw "
	t_eq "blkio write bps" "$(cg_file blkio blkio.throttle.write_bps_device)" "$disk 10485760"
	t_eq "blkio read iops" "$(cg_file blkio blkio.throttle.read_iops_device)" "$disk 500"
	if [ ${#io_weight[@]} = 0 ]; then
		:
	elif [ -e "$(vs_cg "$a" blkio)/blkio.weight" ]; then
		t_eq "blkio weight (CFQ)" "$(cg_file blkio blkio.weight)" 504
	else
		t_eq "blkio weight (BFQ)" "$(cg_file blkio blkio.bfq.weight)" 200
	fi
	oom() { grep '^oom_kill ' "$(vs_cg "$a" memory)/memory.oom_control"; }
else
	t_eq "memory.max" "$(cg_file memory memory.max)" $((64 << 20))
	t_eq "cpu.weight" "$(cg_file cpu cpu.weight)" 50
	t_eq "cpu.max" "$(cg_file cpu cpu.max)" "50000 100000"
	t_eq "io.max" "$(cg_file io io.max)" "$disk rbps=max wbps=10485760 riops=500 wiops=max"
	oom() { grep '^oom_kill ' "$(vs_cg "$a" memory)/memory.events"; }
fi

# The fork bomb.
timeout -k 5 25 "$VS" "$a" exec sh -c 'b() { b | b & }; b; sleep 20' >/dev/null 2>&1 &
bomb=$!
t_on_exit "kill -9 $bomb"
vs_wait grep -q '^max [1-9]' "$(vs_cg "$a" pids)/pids.events" ||
	t_fail "the fork bomb never hit the pids limit"
n=$(wc -l < "$(vs_cg "$a" pids)/cgroup.procs")
[ "$n" -le 64 ] || t_fail "$n processes in a guest limited to 64"
# Meanwhile the host and the other guest work.
t_eq "host forks during the bomb" "$(for i in 1 2 3 4 5; do /bin/echo x; done | wc -l)" 5
t_eq "second guest during the bomb" "$(vs_exec "$b" sh -c 'echo a; echo b | cat')" "a
b"
vs_stop "$a" --timeout 0
wait $bomb 2>/dev/null
vs_assert_gone "$a"

# The memory hog.
vs_start "$a"
vs_exec "$a" vs_probe memhog 512 >/dev/null 2>&1; rc=$?
t_eq "the memory hog is killed" $rc 137
oom | grep -q '^oom_kill [1-9]' || t_fail "no OOM kill recorded: $(oom)"
"$VS" "$a" running || t_fail "the limited guest died with its hog"
t_eq "the limited guest still works" "$(vs_exec "$a" echo alive)" alive
t_eq "the second guest still works" "$(vs_exec "$b" echo alive)" alive
vs_exec "$b" vs_probe memhog 128 >/dev/null || t_fail "the unlimited guest cannot get 128M"

vs_stop "$a"
vs_stop "$b"
vs_assert_gone "$a"
vs_assert_gone "$b"
t_done
