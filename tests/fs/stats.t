#!/bin/bash
# vunifyfs --stats MOUNT: the daemon's request counters, for the admin only.
# The counts follow what the kernel asked (creating N files is at least N
# CREATE requests, each stat of a file whose attributes the kernel may not
# cache is a GETATTR), the time in the daemon grows, a host user other than
# root and a path that no vunifyfs serves get one clear line, and the
# daemon's socket goes away with the mount.
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
v=$VU_BIN/vunifyfs
g=$T/g m=$T/m
mkdir -p "$g" "$m"

# field NAME: a line "NAME VALUE" of the report; op OPCODE: its count.
report() { timeout 20 "$v" --stats "$m"; }
field() { report | awk -v k="$1" '$1 == k { print $2 }'; }
op() { report | awk -v k="$1" '$1 == "op" && $2 == k { n = $3 } END { print n + 0 }'; }

vu_mount "$g" "$m" -o timeout=0
t_eq "requests counted" "$(field requests | grep -c '^[0-9][0-9]*$')" 1
c0=$(op CREATE) g0=$(op GETATTR) r0=$(field requests) u0=$(field daemon_us)
for i in $(seq 20); do echo "$i" > "$m/f$i"; done
c1=$(op CREATE)
[ "$c1" -ge $((c0 + 20)) ] || t_fail "20 files made, CREATE went from $c0 to $c1"
# timeout=0: the kernel keeps no attributes, every stat asks.
for i in $(seq 20); do stat "$m/f$i" > /dev/null; done
g1=$(op GETATTR)
[ "$g1" -ge $((g0 + 20)) ] || t_fail "20 stats, GETATTR went from $g0 to $g1"
[ "$(field requests)" -gt "$r0" ] || t_fail "the total did not grow"
[ "$(field daemon_us)" -ge "$u0" ] || t_fail "the daemon's time went down"

# Only root asks; the socket is in a directory of root's alone.
t_eq "socket directory" "$(stat -c '%a %U' /run/vunifyfs)" "700 root"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$v" --stats "$m" 2>&1) &&
	t_fail "a host user read the counters: $out"
case "$out" in vunifyfs:*"Permission denied") ;; *) t_fail "non-root: '$out'" ;; esac
# Not a vunifyfs mount; a usage error.
out=$(timeout 20 "$v" --stats "$T" 2>&1) && t_fail "--stats of a plain directory succeeded"
case "$out" in "vunifyfs: $T: not served by a vunifyfs"*) ;; *) t_fail "plain dir: '$out'" ;; esac
timeout 20 "$v" --stats "$m" "$T" >/dev/null 2>&1; t_eq "two arguments" $? 2

dev=$(stat -c '%Hd:%Ld' "$m")
[ -S "/run/vunifyfs/$dev" ] || t_fail "no socket /run/vunifyfs/$dev"
vu_umount "$m"
for i in $(seq 50); do [ -e "/run/vunifyfs/$dev" ] || break; sleep 0.1; done
[ ! -e "/run/vunifyfs/$dev" ] || t_fail "the socket outlived its mount"

# The daemon removes its socket after the unmount, when the device number may
# already be the next mount's: it must leave that mount's socket alone.
# (Stand-in: the socket is moved away and another file put in its place.)
vu_mount "$g" "$m"
dev=$(stat -c '%Hd:%Ld' "$m")
sock=/run/vunifyfs/$dev
t_on_exit "rm -f '$sock' '$sock.ours'"
mv "$sock" "$sock.ours" && touch "$sock" || t_fail "cannot replace $sock"
vu_umount "$m"
[ -e "$sock" ] || t_fail "a stopping daemon removed the socket of the next mount with its device number"
rm -f "$sock" "$sock.ours"
t_done
