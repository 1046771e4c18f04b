#!/bin/bash
# timeout: 600
# Autostart: vunify.service's ExecStart and ExecStop command lines (read
# out of dist/vunify.service.in, with @SBINDIR@ filled in as `make install`
# does) start the guests marked autostart = yes in ascending start_order
# (each order after the one before has started) and leave the others alone;
# a guest that fails (order 15, between the others) is reported and does
# not keep the others from starting; the stop takes every running guest down in descending order.
# Then the same through /etc/init.d/vunify (dist/vunify.init.in) with a
# test base: start, status, restart, stop.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"

unit=$VU_TOP/dist/vunify.service.in
init_in=$VU_TOP/dist/vunify.init.in
[ -r "$unit" ] && [ -r "$init_in" ] || t_fail "dist/vunify.service.in or vunify.init.in missing"

# The guests log their own boot and shutdown into one host directory,
# bound into each: the order of the lines is the order things happened.
mkdir -p "$T/shared"
: > "$T/shared/log"
# mkguest SUFFIX [guest.conf lines...]: a busybox guest whose init appends
# "start NAME" at boot, "stop NAME" when its shutdown begins and, 2 s later
# (so that guests stopped in parallel overlap), "stopped NAME" to
# /shared/log.
mkguest() {
	local g
	g=$(vs_guest "$@" "[mounts]" "/shared = $T/shared rw")
	VS_GUESTS+=("$g")
	cat > "$VUNIFY_BASE/guests/$g/root/etc/inittab" <<-EOF
	::sysinit:/bin/sh -c 'echo start $g >> /shared/log'
	::respawn:/bin/sleep 1000000
	::ctrlaltdel:/bin/poweroff
	::shutdown:/bin/sh -c 'echo stop $g >> /shared/log; sleep 2; echo stopped $g >> /shared/log'
	EOF
	echo "$g"
}
# Name order (a b c d) is neither the start nor the stop order.
a=$(mkguest a "autostart = yes" "start_order = 30")
b=$(mkguest b "autostart = yes" "start_order = 10")
c=$(mkguest c "autostart = yes" "start_order = 30")
d=$(mkguest d)                                        # not marked
# Marked, but its [mounts] source does not exist: its start fails.
f=$(vs_guest f "autostart = yes" "start_order = 15" "[mounts]" "/x = $T/does-not-exist")
VS_GUESTS+=("$f")

# unit_cmd KEY: the unit's KEY= command line, as installed from build/bin.
unit_cmd() {
	sed -n "s|^$1=||p" "$unit" | sed "s|@SBINDIR@|$VU_BIN|g"
}
start_line=$(unit_cmd ExecStart)
stop_line=$(unit_cmd ExecStop)
[ -n "$start_line" ] && [ -n "$stop_line" ] || t_fail "no ExecStart/ExecStop in $unit"
grep -qx "Type=oneshot" "$unit" || t_fail "the unit is not Type=oneshot"
grep -qx "RemainAfterExit=yes" "$unit" || t_fail "the unit has no RemainAfterExit=yes"
read -ra start_cmd <<< "$start_line"
read -ra stop_cmd <<< "$stop_line"

is_running() { "$VS" "$1" running; }
state() { "$VS" "$1" running; echo $?; }

# --- ExecStart -------------------------------------------------------------
out=$(t_timeout 180 "${start_cmd[@]}"); rc=$?
t_log "ExecStart: $out"
t_eq "ExecStart exit (one guest failed)" "$rc" 1
for g in "$a" "$b" "$c"; do
	t_eq "$g after ExecStart" "$(state "$g")" 0
	printf '%s\n' "$out" | grep -q "^$g: started" || t_fail "no 'started' line for $g: $out"
done
t_eq "unmarked $d after ExecStart" "$(state "$d")" 3
t_eq "failing $f after ExecStart" "$(state "$f")" 3
printf '%s\n' "$out" | grep -q "^$f: failed (exit 1): .*does-not-exist" ||
	t_fail "no failure line naming the cause for $f: $out"
printf '%s\n' "$out" | grep -q "^$d:" && t_fail "a line for the unmarked guest: $out"
t_eq "one line per guest" "$(printf '%s\n' "$out" | wc -l)" 4
# Order: b (10) booted before a and c (30) began.
vs_wait grep -q "start $c" "$T/shared/log" && vs_wait grep -q "start $a" "$T/shared/log" ||
	t_fail "a or c never logged its boot: $(cat "$T/shared/log")"
t_eq "first to boot" "$(head -1 "$T/shared/log")" "start $b"
grep -q "start $d" "$T/shared/log" && t_fail "the unmarked guest booted"

# status: one line per autostart guest; 3 because f is not running.
out=$("$VS" --all status); rc=$?
t_eq "--all status exit with $f stopped" "$rc" 3
printf '%s\n' "$out" | grep -qx "$b: running (start_order 10)" || t_fail "status: $out"
printf '%s\n' "$out" | grep -qx "$f: stopped (start_order 15)" || t_fail "status: $out"
printf '%s\n' "$out" | grep -q "^$d:" && t_fail "status lists the unmarked guest: $out"

# A second start: the running ones are left as they are.
out=$(t_timeout 180 "${start_cmd[@]}")
printf '%s\n' "$out" | grep -qx "$a: already running" || t_fail "second start: $out"

# --- ExecStop: every running guest, the unmarked one too, highest order
# first: d (100), then a and c (30), then b (10). ----------------------------
vs_start "$d"
vs_wait grep -q "start $d" "$T/shared/log" || t_fail "$d never logged its boot"
: > "$T/shared/log"
out=$(t_timeout 300 "${stop_cmd[@]}"); rc=$?
t_log "ExecStop: $out"
t_eq "ExecStop exit" "$rc" 0
for g in "$a" "$b" "$c" "$d"; do
	t_eq "$g after ExecStop" "$(state "$g")" 3
	printf '%s\n' "$out" | grep -q "^$g: stopped" || t_fail "no 'stopped' line for $g: $out"
	vs_assert_gone "$g"
done
# d alone; then a and c together: both began before either ended; b last.
t_log "shutdown log: $(tr '\n' ' ' < "$T/shared/log")"
t_eq "shutdowns logged" "$(wc -l < "$T/shared/log")" 8
t_eq "stop order: first" "$(sed -n 1,2p "$T/shared/log")" "$(printf 'stop %s\nstopped %s' "$d" "$d")"
t_eq "stop order: same order in parallel" "$(sed -n 3,4p "$T/shared/log" | sort)" \
	"$(printf 'stop %s\nstop %s' "$a" "$c")"
t_eq "stop order: last" "$(sed -n 7,8p "$T/shared/log")" "$(printf 'stop %s\nstopped %s' "$b" "$b")"

# --- /etc/init.d/vunify with the test base (VUNIFY_BASE, exported by
# vslib.sh); _SYSTEMCTL_SKIP_REDIRECT keeps a systemd host's
# init-functions from handing the call to systemctl. -------------------------
sed "s|@SBINDIR@|$VU_BIN|g" "$init_in" > "$T/vunify.init"
chmod 0755 "$T/vunify.init"
grep -q "^### BEGIN INIT INFO" "$T/vunify.init" || t_fail "init script without an LSB header"
export _SYSTEMCTL_SKIP_REDIRECT=1
rm -rf "$VUNIFY_BASE/guests/$f"                        # everything can start now
: > "$T/shared/log"
t_check "init script start" t_timeout 180 "$T/vunify.init" start
for g in "$a" "$b" "$c"; do t_eq "$g after init start" "$(state "$g")" 0; done
t_eq "unmarked $d after init start" "$(state "$d")" 3
t_eq "first to boot (init script)" "$(head -1 "$T/shared/log")" "start $b"
t_check "init script status" "$T/vunify.init" status
t_check "init script restart" t_timeout 300 "$T/vunify.init" restart
for g in "$a" "$b" "$c"; do t_eq "$g after restart" "$(state "$g")" 0; done
t_check "init script force-reload" t_timeout 300 "$T/vunify.init" force-reload
t_check "init script stop" t_timeout 300 "$T/vunify.init" stop
for g in "$a" "$b" "$c"; do t_eq "$g after init stop" "$(state "$g")" 3; vs_assert_gone "$g"; done
"$T/vunify.init" status >/dev/null; t_eq "status when stopped" $? 3
"$T/vunify.init" bogus 2>/dev/null; t_eq "unknown action" $? 2

# Bad input: one line, exit 2.
"$VS" --all 2>/dev/null; t_eq "--all without a command" $? 2
"$VS" --all reboot 2>/dev/null; t_eq "--all reboot" $? 2
"$VS" --all start extra 2>/dev/null; t_eq "--all start extra" $? 2
t_done
