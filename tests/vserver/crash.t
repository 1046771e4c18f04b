#!/bin/bash
# A guest never runs unsupervised: kill -9 of the supervisor (the watchdog
# tears the guest down, and waits for a process slow to exit), of vunifyfs
# (the supervisor kills the guest whose root died), of the supervisor and
# the watchdog together (init dies with its parent; the leftovers are
# cleaned up by the next vserver command).
# Kill -9 of the watchdog alone leaves a healthy, stoppable guest.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"

x=$(( $$ % 200 + 20 ))
g=$(vs_guest k "[network]" "mode = veth" "address = 10.234.$x.2/24" "host_address = 10.234.$x.1/24")
state() { awk -F= -v k="$1" '$1 == k { print $2 }' "$(vs_run "$g")/state"; }
# Host PIDs of the guest's processes (init and its respawned sleeper).
guest_pids() { cat "$(vs_cg "$g" pids)/cgroup.procs" 2>/dev/null; }
alive() {  # any of the PIDs given still running (zombies do not count)?
	local p
	for p in "$@"; do
		[ -d "/proc/$p" ] && [ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" != Z ] && return 0
	done
	return 1
}
watchdog_of() { pgrep -P "$1" -x vunify-watchdog; }
not_running() { ! "$VS" "$g" running; }

# 1. The supervisor dies.
vs_start "$g"
vs_exec "$g" sh -c 'sleep 1000 & exit 0'
pids=$(guest_pids); sup=$(state supervisor)
[ -n "$pids" ] && [ -n "$sup" ] || t_fail "no guest processes or supervisor"
kill -9 "$sup"
vs_wait not_running || t_fail "still running 30 s after the supervisor was killed"
alive $pids && t_fail "guest processes outlived the supervisor: $pids"
vs_assert_gone "$g"
grep -q "the supervisor died" "$(vs_log "$g")/supervisor.log" || t_fail "the watchdog did not act"

# 1b. The same with a guest process that takes a while to exit (a heap of
# 1 GB to free): the watchdog waits for it.  It used to spin through its
# wait for cgroup.events in milliseconds, say "processes survive
# cgroup.kill" and leave the cgroups (and on a loaded host even a plain
# guest's exit took longer than that).
vs_start "$g"
vs_exec "$g" sh -c 'tail /dev/zero > /dev/null 2>&1 & exit 0'
hog=""
for i in $(seq 150); do
	for p in $(guest_pids); do
		rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		[ "${rss:-0}" -gt 1000000 ] && hog=$p
	done
	[ -n "$hog" ] && break
	sleep 0.1
done
[ -n "$hog" ] || t_fail "no guest process grew to 1 GB in 15 s"
kill -9 "$(state supervisor)"
vs_wait not_running || t_fail "still running 30 s after the supervisor was killed (big process)"
alive "$hog" && t_fail "the big process outlived the supervisor"
vs_assert_gone "$g"

# 2. vunifyfs dies.
vs_start "$g"
pids=$(guest_pids); fs=$(state fs)
[ -n "$fs" ] && [ "$fs" != 0 ] || t_fail "no vunifyfs pid in the state"
kill -9 "$fs"
vs_wait not_running || t_fail "still running 30 s after vunifyfs was killed"
alive $pids && t_fail "guest processes outlived their root file system: $pids"
vs_assert_gone "$g"
grep -q "vunifyfs on .* died" "$(vs_log "$g")/supervisor.log" || t_fail "the supervisor did not notice"

# 3. The watchdog dies: the guest goes on, and stops normally.
vs_start "$g"
wd=$(watchdog_of "$(state supervisor)")
[ -n "$wd" ] || t_fail "no watchdog"
kill -9 "$wd"
sleep 0.5
"$VS" "$g" running || t_fail "the guest died with its watchdog"
t_eq "exec after the watchdog died" "$(vs_exec "$g" echo alive)" alive
vs_stop "$g"
vs_assert_gone "$g"

# 4. The supervisor and the watchdog die together: init goes with its
# parent (PR_SET_PDEATHSIG), the next command cleans up the rest.
vs_start "$g"
pids=$(guest_pids); sup=$(state supervisor); wd=$(watchdog_of "$sup")
kill -9 "$sup" "$wd"
vs_wait not_running || t_fail "still running after supervisor and watchdog were killed"
for i in $(seq 100); do alive $pids || break; sleep 0.1; done
alive $pids && t_fail "guest processes outlived supervisor and watchdog: $pids"
"$VS" "$g" stop 2>/dev/null; t_eq "stop of the orphaned guest" $? 3
vs_assert_gone "$g"
# ... and it starts again, on a clean slate.
vs_start "$g"
t_eq "restart after the crash" "$(vs_exec "$g" echo alive)" alive
vs_stop "$g"
vs_assert_gone "$g"
t_done
