#!/bin/bash
# Two bases keep apart: a guest of the same name running in base A and in
# base B (both directories called "base") has its own runtime directory,
# cgroup and veth mark; no command on B sees, stops or deletes A's guest.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"

A=$VUNIFY_BASE
vs_second_base "$T/other/base"
x=$(( $$ % 200 + 20 ))
g=$(vs_guest w "[network]" "mode = veth" "host_ifname = vuA$x" \
	"address = 10.233.$x.2/24" "host_address = 10.233.$x.1/24")
VS_GUESTS+=("$g")
keyb=$(vsb info | sed -n 's/^key=//p')
runb=$(vsb info | sed -n 's/^run=//p')/$g
cgb=$(vsb info | sed -n 's/^cgroup=//p')/$g
cgb_dirs() { ls -d /sys/fs/cgroup/*/"$cgb" /sys/fs/cgroup/unified/"$cgb" 2>/dev/null; }
t_on_exit "VUNIFY_BASE=$B timeout 60 $VS $g stop --timeout 0 >/dev/null 2>&1; ip link del vuB$x 2>/dev/null"

[ "$keyb" != "$(sed -n 's/^key=//p' <<< "$VS_INFO")" ] || t_fail "two bases, one key: $keyb"
case $keyb in base-????????) ;; *) t_fail "key of $B: '$keyb', want base-HASH" ;; esac

# B's guest of the same name, stopped for now.
mkdir -p "$B/guests/$g"
vs_busybox_tree "$B/guests/$g/root"
printf '%s\n' "[guest]" "hostname = b-$g" "[network]" "mode = veth" "host_ifname = vuB$x" \
	"address = 10.234.$x.2/24" "host_address = 10.234.$x.1/24" > "$B/guests/$g/guest.conf"
chmod 000 "$B/guests/$g"

vs_start "$g"
[ -S "$(vs_run "$g")/sock" ] || t_fail "A's guest has no socket in $(vs_run "$g")"
vsb "$g" running; t_eq "B: running while only A's runs" $? 3
vsb "$g" status > "$T/st" 2>&1; t_eq "B: status while only A's runs" $? 3
grep -q "^$g: stopped" "$T/st" || t_fail "B's status: $(cat "$T/st")"
vsb "$g" stop >/dev/null 2>&1; t_eq "B: stop of a guest that does not run" $? 3
"$VS" "$g" running; t_eq "A's guest survives B's stop" $? 0

# Both run at once, each in its own groups and with its own veth.
t_timeout 60 env VUNIFY_BASE="$B" "$VS" "$g" start || t_fail "B's start failed"
t_eq "A's hostname" "$(vs_exec "$g" hostname)" "$g"
t_eq "B's hostname" "$(VUNIFY_BASE=$B timeout 30 "$VS" "$g" exec hostname)" "b-$g"
[ -n "$(cgb_dirs)" ] || t_fail "B's guest has no cgroup $cgb"
a_init=$(awk -F= '$1 == "init" { print $2 }' "$(vs_run "$g")/state")
b_init=$(awk -F= '$1 == "init" { print $2 }' "$runb/state")
[ "$a_init" != "$b_init" ] || t_fail "one init for two guests"
grep -q "$(vs_cgname "$g")\$" "/proc/$a_init/cgroup" || t_fail "A's init is not in $(vs_cgname "$g")"
grep -q "$cgb\$" "/proc/$b_init/cgroup" || t_fail "B's init is not in $cgb"

# B's stop stops B's guest only; A's keeps its veth, cgroup and mount.
t_timeout 60 env VUNIFY_BASE="$B" "$VS" "$g" stop || t_fail "B's stop failed"
"$VS" "$g" running; t_eq "A's guest survives B's stop" $? 0
ip link show "vuA$x" >/dev/null 2>&1 || t_fail "B's stop removed A's veth"
! ip link show "vuB$x" >/dev/null 2>&1 || t_fail "B's stop left its veth"
[ -z "$(cgb_dirs)" ] || t_fail "B's cgroup left: $(cgb_dirs)"
# B's level (vunify/KEY) went with its last guest; A's stays with A's.
! ls -d /sys/fs/cgroup/*/"${cgb%/*}" /sys/fs/cgroup/unified/"${cgb%/*}" 2>/dev/null ||
	t_fail "B's vunify/$keyb is left"
[ -d "$(vs_cg "$g" pids)/.." ] || t_fail "A's level went with B's stop"
[ -n "$(vs_cgroup_dirs "$g")" ] || t_fail "A's cgroup went with B's stop"
t_eq "A answers after B's stop" "$(vs_exec "$g" hostname)" "$g"

# B's delete takes B's guest and runtime directory, never A's.
vsb "$g" delete >/dev/null 2>&1 || t_fail "B's delete failed"
[ ! -e "$B/guests/$g" ] || t_fail "B's delete left its guest"
[ ! -e "$runb" ] || t_fail "B's delete left its runtime directory"
[ -s "$(vs_log "$g")/console.log" ] || t_fail "B's delete took A's console log"
"$VS" "$g" running; t_eq "A's guest survives B's delete" $? 0

vs_stop "$g"
vs_assert_gone "$g"
t_done
