#!/bin/bash
# timeout: 1200
# A real Debian guest (the bookworm minbase + sysvinit tree debian.t caches)
# unified into base A, sent through a pipe into base B: the tree is equal
# (content, owner, mode, times, xattrs, hardlink groups), every unified
# file of A is one in B, and the received guest boots to runlevel 2 and
# stops cleanly.  A clone of it (build --template) sent afterwards finds
# every object in B already.  Logs bytes and times.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"
. "$(dirname "$0")/debtree.sh"

[ -x "$VU_BIN/vhashify" ] || t_skip "vhashify is not built"

g=$(vs_name sd)
c=$(vs_name sdc)
r=$(vs_name sdr)
VS_GUESTS+=("$c")
root=$VUNIFY_BASE/guests/$g/root
vs_second_base -- "$r"

vs_debian_guest "$g"

t0=$(date +%s%N)
t_timeout 600 "$VS" "$g" send 2> "$T/send.err" | t_timeout 600 env VUNIFY_BASE="$B" "$VS" "$r" receive 2> "$T/recv.err"
t_eq "send | receive" "${PIPESTATUS[*]}" "0 0"
t_log "Debian guest: $(( ($(date +%s%N) - t0) / 1000000 )) ms; $(cat "$T/send.err" "$T/recv.err")"
rroot=$B/guests/$r/root
a=$(vs_tree_sig "$root") b=$(vs_tree_sig "$rroot")
[ "$a" = "$b" ] || t_fail "the trees differ: $(diff <(echo "$a") <(echo "$b") | head -8)"
t_eq "hardlink groups" "$(vs_tree_groups "$rroot")" "$(vs_tree_groups "$root")"
ua=$(find "$root" -type f -links +1 -exec getfattr -n trusted.vunify {} + 2>/dev/null | grep -c '^trusted.vunify')
ub=$(find "$rroot" -type f -links +1 -exec getfattr -n trusted.vunify {} + 2>/dev/null | grep -c '^trusted.vunify')
t_eq "unified files in B" "$ub" "$ua"
[ "$ua" -ge 1000 ] || t_fail "only $ua unified files"

# It boots in B.
t_timeout 60 env VUNIFY_BASE="$B" "$VS" "$r" start || t_fail "received guest does not start"
in_runlevel_2() { [ "$(VUNIFY_BASE=$B timeout 30 "$VS" "$r" exec runlevel 2>/dev/null)" = "N 2" ]; }
vs_wait in_runlevel_2 || t_fail "received guest not in runlevel 2 after 30 s"
case "$(VUNIFY_BASE=$B timeout 30 "$VS" "$r" exec cat /etc/debian_version)" in 12.*) ;; *) t_fail "not bookworm" ;; esac
t_timeout 180 env VUNIFY_BASE="$B" "$VS" "$r" stop || t_fail "received guest does not stop"

# A clone of the same template: B has every object of the first send
# already (build --template unifies more of the template: /etc, /var).
t_timeout 300 "$VS" "$c" build --template "$g" -q || t_fail "build --template"
t0=$(date +%s%N)
t_timeout 600 "$VS" "$c" send 2> "$T/send2.err" | t_timeout 600 env VUNIFY_BASE="$B" "$VS" "$c" receive 2> "$T/recv2.err"
t_eq "send | receive of the clone" "${PIPESTATUS[*]}" "0 0"
t_log "clone: $(( ($(date +%s%N) - t0) / 1000000 )) ms; $(cat "$T/send2.err" "$T/recv2.err")"
first=$(sed -n 's/.* \([0-9]*\) new .*/\1/p' "$T/recv.err")
had=$(sed -n 's/.*: \([0-9]*\) objects the store had.*/\1/p' "$T/recv2.err")
[ -n "$first" ] && [ "$had" = "$first" ] || t_fail "B had $had of the clone's objects, want $first: $(cat "$T/recv2.err")"
t_done
