#!/bin/bash
# timeout: 600
# Start, stop and restart a guest 20 times in a row (veth networking, so
# that the host's end is recreated every time): every round leaves no
# mount, cgroup, namespace, process, veth, socket or state file behind.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"

x=$(( $$ % 200 + 20 ))
g=$(vs_guest l "[limits]" "pids = 100" "[network]" "mode = veth" \
	"address = 10.233.$x.2/24" "host_address = 10.233.$x.1/24")

# The namespaces of a running guest (inode numbers), to look for later.
guest_ns() {
	local init
	init=$(awk -F= '$1 == "init" { print $2 }' "$(vs_run "$g")/state")
	for ns in mnt pid uts ipc net cgroup; do readlink "/proc/$init/ns/$ns"; done
}
# Is any process still in one of these namespaces?  (A zombie has none.)
ns_alive() {
	find /proc/[0-9]*/ns/ -maxdepth 1 -type l -printf '%l\n' 2>/dev/null | grep -qxFf "$T/ns"
}

for i in $(seq 20); do
	case $((i % 3)) in
	0) t_timeout 60 "$VS" "$g" restart || t_fail "round $i: restart" ;;
	*) vs_start "$g" ;;
	esac
	guest_ns > "$T/ns"
	t_eq "round $i: exec" "$(vs_exec "$g" hostname)" "$g"
	# Extra processes and a pty in use, so the stop has something to kill.
	vs_exec "$g" sh -c 'sleep 1000 & sleep 1000 & exit 0'
	case $((i % 2)) in
	0) vs_stop "$g" --timeout 0 ;;
	*) vs_stop "$g" ;;
	esac
	vs_assert_gone "$g"
	[ "$(wc -l < "$T/ns")" = 6 ] || t_fail "round $i: no namespaces recorded"
	ns_alive && t_fail "round $i: a process is still in one of the guest's namespaces"
done
t_done
