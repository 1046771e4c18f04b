#!/bin/bash
# vserver basics on a busybox guest: build, start (init runs when start
# returns), running, exec (exit status, stdin, stdout, stderr), enter,
# status, list, stop (init's own shutdown ran), delete; every exit code.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"

g=$(vs_name a)
VS_GUESTS+=("$g")

# build: an empty root and a guest.conf that parses.
t_check "build" "$VS" "$g" build
[ -d "$VUNIFY_BASE/guests/$g/root" ] || t_fail "build made no root"
grep -q "^hostname = $g\$" "$VUNIFY_BASE/guests/$g/guest.conf" || t_fail "build: no hostname line"
"$VS" "$g" build 2>/dev/null && t_fail "building an existing guest succeeded"
vs_busybox_tree "$VUNIFY_BASE/guests/$g/root"

"$VS" "$g" running; t_eq "running before start" $? 3
vs_start "$g"
"$VS" "$g" running; t_eq "running after start" $? 0
grep -q "vs-guest: booted" "$(vs_log "$g")/console.log" ||
	vs_wait grep -q "vs-guest: booted" "$(vs_log "$g")/console.log" ||
	t_fail "init's sysinit did not reach the console log"

# exec: output, status, stdin, stderr, argv as given.
t_eq "exec hostname" "$(vs_exec "$g" hostname)" "$g"
vs_exec "$g" sh -c 'exit 42'; t_eq "exec exit status" $? 42
t_eq "exec stdin" "$(echo hello | vs_exec "$g" cat)" hello
t_eq "exec stderr" "$(vs_exec "$g" sh -c 'echo oops >&2' 2>&1 >/dev/null)" oops
t_eq "exec argv" "$(vs_exec "$g" printf '%s|' 'a b' '' c)" "a b||c|"
t_eq "exec --" "$(vs_exec "$g" -- echo x)" x
vs_exec "$g" /no/such/program 2>/dev/null; t_eq "exec of a missing program" $? 127
vs_exec "$g" sh -c 'kill -9 $$'; t_eq "exec killed by a signal" $? 137
t_eq "exec environment" "$(vs_exec "$g" sh -c 'echo $container:$HOME')" "vunify:/root"
# PID 1 of the guest is its init.
t_eq "pid 1" "$(vs_exec "$g" cat /proc/1/comm)" init

# enter without a terminal: a login shell reading commands from stdin.
t_eq "enter" "$(echo 'echo in-$(hostname); exit 3' | timeout 30 "$VS" "$g" enter)" "in-$g"
echo 'exit 3' | timeout 30 "$VS" "$g" enter; t_eq "enter exit status" $? 3
# enter with a terminal: a pty of the guest's own devpts.
if command -v script >/dev/null; then
	out=$( (sleep 1; echo 'tty; exit 4'; sleep 1) |
		timeout 30 script -qec "$VS $g enter" /dev/null | tr -d '\r')
	case "$out" in *"/dev/pts/"*) ;; *) t_fail "enter on a tty: no guest pty in '$out'" ;; esac
fi

# status and list.
st=$("$VS" "$g" status); rc=$?
t_eq "status exit code" $rc 0
case "$st" in *"$g: running"*"processes:"*"memory:"*"disk:"*) ;;
	*) t_fail "status output: $st" ;; esac
"$VS" list | grep -q "^$g  *running" || t_fail "list: $("$VS" list)"

# a second start is refused, the guest keeps running.
"$VS" "$g" start 2>"$T/err"; rc=$?
t_eq "second start" $rc 1
grep -q "already running" "$T/err" || t_fail "second start: $(cat "$T/err")"
"$VS" "$g" delete 2>/dev/null && t_fail "delete of a running guest succeeded"
"$VS" "$g" running || t_fail "not running after the refused start/delete"

# stop: init's shutdown actions run (clean stop), then everything is gone.
vs_stop "$g"
grep -q "vs-guest: shutting down" "$(vs_log "$g")/console.log" ||
	t_fail "init did not shut down cleanly: $(cat "$(vs_log "$g")/console.log")"
vs_assert_gone "$g"
"$VS" "$g" stop 2>/dev/null; t_eq "stop when stopped" $? 3
"$VS" "$g" exec true 2>/dev/null; t_eq "exec when stopped" $? 3
"$VS" "$g" status >/dev/null; t_eq "status when stopped" $? 3
"$VS" list | grep -q "^$g  *stopped" || t_fail "list after stop: $("$VS" list)"

# restart from stopped, and from running.
t_timeout 60 "$VS" "$g" restart || t_fail "restart (stopped)"
p1=$(awk -F= '$1 == "init" { print $2 }' "$(vs_run "$g")/state")
t_timeout 60 "$VS" "$g" restart --timeout 10 || t_fail "restart (running)"
p2=$(awk -F= '$1 == "init" { print $2 }' "$(vs_run "$g")/state")
[ "$p1" != "$p2" ] || t_fail "restart kept init $p1"
vs_stop "$g" --timeout 0
vs_assert_gone "$g"

# delete.
t_check "delete" "$VS" "$g" delete
[ ! -e "$VUNIFY_BASE/guests/$g" ] || t_fail "delete left the guest directory"
[ ! -e "$(vs_run "$g")" ] || t_fail "delete left the runtime directory: $(ls "$(vs_run "$g")")"
[ ! -e "$(vs_log "$g")" ] || t_fail "delete left the log directory: $(ls "$(vs_log "$g")")"
"$VS" "$g" delete 2>/dev/null; t_eq "delete of a missing guest" $? 5
t_done
