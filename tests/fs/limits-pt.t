#!/bin/bash
# timeout: 300
# Disk limits with passthrough (the write gate, fs/wgate.c): under -o space=
# writes to private files go through kernel passthrough (no WRITE request
# reaches the daemon; one fanotify event per write does), yet the limit
# holds to the byte: a write, an append (whose event names the stale file
# position) and a fallocate beyond it fail with EDQUOT and change nothing,
# an overwrite in place and reads at the edge still work, overwrites do not
# pile up into a refusal of free space, several writers
# and hard links are charged once, a mapping's stores are charged by the
# release, and the record equals a scan after unmount, also after a crash
# with writers open.
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
vt=$VU_TEST_BIN/vutest
v=$VU_BIN/vunifyfs
g=$T/g m=$T/m
mkdir -p "$g" "$m"

# The host feature: fanotify pre-content events on this filesystem.
out=$($vt precontent "$g") ||
	t_skip "no fanotify pre-content events here ($out; Linux 6.14+ on ext4, xfs or btrfs)"
t_timeout 30 "$v" -o passthrough=on "$g" "$m" 2>/dev/null ||
	t_skip "no FUSE passthrough here"
vu_umount "$m"

report() { timeout 20 "$v" --stats "$m"; }
op() { report | awk -v k="$1" '$1 == "op" && $2 == k { n = $3 } END { print n + 0 }'; }
gate() { report | awk '$1 == "write_gate" { print $2, $3, $4 }'; }
avail() { df -B1 --output=avail "$m" | tail -n 1 | tr -d ' '; }
# No store objects here: the private usage is what du counts (allocated
# bytes and inodes, each inode once).
scan() { echo "$(du -sxB1 "$1" | cut -f1) $(du -sx --inodes "$1" | cut -f1)"; }
record() { getfattr --absolute-names --only-values -n trusted.vunify.usage "$1" 2>/dev/null |
	sed -n 's/^v1 bytes=\([0-9]*\) inodes=\([0-9]*\) state=\([a-z]*\)$/\1 \2 \3/p'; }
at_rest() {
	local rb ri rs
	read -r rb ri rs <<< "$(record "$g")"
	[ "$rb $ri" = "$(scan "$g")" ] || t_fail "$1: record '$rb $ri $rs', scan '$(scan "$g")'"
}

vu_mount "$g" "$m" -o passthrough=on,space=32M
read -r on ev0 den0 <<< "$(gate)"
t_eq "write gate" "$on" on

# --- the data goes through passthrough: events, no WRITE requests ---
w0=$(op WRITE)
dd if=/dev/zero of="$m/big" bs=1M count=16 status=none || t_fail "16 MiB into 32"
read -r on ev1 den1 <<< "$(gate)"
t_eq "WRITE requests for 16 MiB written in passthrough" "$(op WRITE)" "$w0"
[ "$ev1" -ge $((ev0 + 16)) ] || t_fail "16 writes, gate events went from $ev0 to $ev1"
t_eq "size" "$(stat -c %s "$m/big")" 16777216

# --- the edge: fill to less than 1 MiB, then nothing that allocates fits ---
dd if=/dev/zero of="$m/fill" bs=64k status=none 2>/dev/null
[ "$(avail)" -lt 65536 ] || t_fail "could not fill the guest: $(avail) bytes left"
sum=$(vu_hash "$m/big")
t_errno "write beyond the limit" EDQUOT $vt writez "$m/big" 16777216 1048576
# O_APPEND from a fresh open: the event says offset 0, the data lands at
# the end.
out=$(dd if=/dev/zero of="$m/big" bs=1M count=1 oflag=append conv=notrunc 2>&1) &&
	t_fail "append beyond the limit succeeded"
case "$out" in *"Disk quota exceeded"*) ;; *) t_fail "append beyond the limit: $out" ;; esac
t_errno "fallocate beyond the limit" EDQUOT $vt fallocate "$m/big" 0 16777216 1048576
[ "$(stat -c %s "$m/big")" = 16777216 ] && [ "$(vu_hash "$m/big")" = "$sum" ] ||
	t_fail "a refused write changed the file"
read -r on ev2 den2 <<< "$(gate)"
[ "$den2" -gt "$den1" ] || t_fail "no write was refused by the gate ($den1 -> $den2)"
# In place needs no space; reading needs none either, also across the end
# of the file by a process that holds it open for appending too (cat
# inherits the shell's descriptor): the event does not say read or write.
t_check "overwrite in place at the edge" $vt writez "$m/big" 0 1048576
exec {w}>>"$m/big" || t_fail "open for appending"
[ "$(cat "$m/big" | wc -c)" = 16777216 ] || t_fail "read at the edge beside a writer"
t_errno "append by the holder" EDQUOT $vt append "/proc/$$/fd/$w" "$(head -c 70000 /dev/zero | tr '\0' a)"
exec {w}>&-
rm -f "$m/fill"
# Writes in place by short-lived processes beside an open appender are
# reserved as appends until they are seen to be over: they must not pile
# up into a refusal of space that is free.
exec {w}>>"$m/big" || t_fail "open for appending"
for i in $(seq 24); do $vt writez "$m/big" $((i * 4096)) 1048576 > /dev/null || t_fail "overwrite $i"; done
dd if=/dev/zero of="$m/more" bs=1M count=14 status=none || t_fail "14 MiB into 16 MiB free, beside an appender"
exec {w}>&-
rm -f "$m/more"

# --- several writers, hard links, a mapping: charged once, by release ---
ln "$m/big" "$m/big2"
exec {a}<>"$m/big" {b}<>"$m/big2" || t_fail "two writers"
$vt writez "/proc/$$/fd/$a" 16777216 1048576 > /dev/null || t_fail "first writer"
$vt writez "/proc/$$/fd/$b" 17825792 1048576 > /dev/null || t_fail "second writer"
exec {a}>&- {b}>&-
truncate -s 24M "$m/big"
t_check "store through a mapping" $vt mmapwrite "$m/big" 20971520 "$(head -c 4096 /dev/zero | tr '\0' m)"
t_eq "size after the writers" "$(stat -c %s "$m/big2")" 25165824
used=$(df -B1 --output=used "$m" | tail -n 1 | tr -d ' ')
[ "$used" -ge "$(du -sxB1 "$g" | cut -f1)" ] ||
	t_fail "after release df says $used used, the tree holds $(du -sxB1 "$g" | cut -f1)"
vu_umount "$m"
at_rest "after passthrough writes"

# --- kill -9 with writers open and events answered: recounted, exact ---
vu_mount "$g" "$m" -o passthrough=on,space=64M
exec {w}>"$m/crash" || t_fail "open for writing"
head -c 3M /dev/urandom >&$w
pkill -9 -f "vunifyfs .*$m\$"
exec {w}>&-
t_abort "$m"; umount -l "$m" 2>/dev/null
for i in $(seq 50); do pgrep -f "vunifyfs .*$m\$" >/dev/null || break; sleep 0.1; done
vu_mount "$g" "$m" -o passthrough=on,space=64M
head -c 1M /dev/urandom > "$m/after" || t_fail "write after the crash"
vu_umount "$m"
at_rest "after a crash with a writer open"
t_done
