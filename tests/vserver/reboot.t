#!/bin/bash
# reboot(2) inside the guest goes to the supervisor: a reboot restarts the
# guest (a new init, booted again), a poweroff or halt stops it for good,
# as on a real machine.  Nothing of the host is rebooted, obviously.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"

g=$(vs_guest r)
vs_start "$g"
log=$(vs_log "$g")/console.log
init() { awk -F= '$1 == "init" { print $2 }' "$(vs_run "$g")/state" 2>/dev/null; }
booted() { [ "$(grep -c 'vs-guest: booted' "$log")" -ge "$1" ]; }
p1=$(init)
vs_wait booted 1 || t_fail "no boot in the console log"

# busybox reboot: SIGTERM to init, which shuts down and calls reboot(2).
vs_exec "$g" reboot || t_fail "reboot in the guest failed"
newinit() { [ -n "$(init)" ] && [ "$(init)" != "$p1" ]; }
vs_wait newinit || t_fail "no new init after the reboot"
vs_wait booted 2 || t_fail "the guest did not boot again: $(cat "$log")"
"$VS" "$g" running || t_fail "not running after the reboot"
t_eq "exec after the reboot" "$(vs_exec "$g" hostname)" "$g"
grep -q "the guest reboots" "$(vs_log "$g")/supervisor.log" || t_fail "the supervisor did not see the reboot"

# busybox poweroff: the guest stops.
vs_exec "$g" poweroff
stopped() { ! "$VS" "$g" running; }
vs_wait stopped || t_fail "still running after poweroff"
grep -q "the guest halts" "$(vs_log "$g")/supervisor.log" || t_fail "the supervisor did not see the halt"
vs_assert_gone "$g"

# An init that simply exits ends the guest just the same.
printf '#!/bin/sh\necho short-lived init "$@"\nexit 3\n' > "$VUNIFY_BASE/guests/$g/root/sbin/short-init"
chmod +x "$VUNIFY_BASE/guests/$g/root/sbin/short-init"
printf '%s\n' "[guest]" "init = /sbin/short-init with args" > "$VUNIFY_BASE/guests/$g/guest.conf"
vs_start "$g"
vs_wait stopped || t_fail "still running after init exited"
grep -q "init exited with status 3" "$(vs_log "$g")/supervisor.log" ||
	t_fail "init's exit not logged: $(tail -3 "$(vs_log "$g")/supervisor.log")"
grep -q "short-lived init with args" "$log" || t_fail "its output is not in the console log"
vs_assert_gone "$g"
t_done
