#!/bin/bash
# modes: passthrough
# timeout: 240
# Disk limits count every byte the guest owns, also in files no name shows:
# a file unlinked while open and an O_TMPFILE file are charged like any
# other private inode, refused with EDQUOT at the limit, and given back when
# the last reference goes; linking an O_TMPFILE file in costs nothing more
# and cannot take the guest past its limit.  The usage record stays what a
# scan of the tree finds.
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
sf=$VU_TEST_BIN/sec_fill
g=$T/g m=$T/m
mkdir -p "$g" "$m"
echo seed > "$g/seed"
M=$((1024 * 1024))

used() { df -B1 --output=used "$m" | tail -n 1 | tr -d ' '; }
iused() { df --output=iused "$m" | tail -n 1 | tr -d ' '; }
# written OUT: the byte count of a sec_fill result line
written() { cut -d' ' -f1 <<<"$1"; }

vu_mount "$g" "$m" -o space=20M,inodes=100
base=$(used) ibase=$(iused)

# 1. A file unlinked while open: 200 MiB into it stops at the limit.
out=$(t_timeout 60 "$sf" unlinked "$m/gone" $((200 * M)))
t_log "unlinked: $out"
case "$out" in *EDQUOT*) ;; *) t_fail "unlinked file: no EDQUOT: $out" ;; esac
[ "$(written "$out")" -le $((21 * M)) ] || t_fail "unlinked file took $(written "$out") bytes past a 20M limit"
# ... and it is given back once closed.
for i in $(seq 50); do [ "$(used)" -le $((base + 65536)) ] && break; sleep 0.1; done
[ "$(used)" -le $((base + 65536)) ] || t_fail "unlinked file not given back: used $(used), was $base"

# 2. O_TMPFILE: the same.
out=$(t_timeout 60 "$sf" tmpfile "$m" $((200 * M)))
t_log "tmpfile: $out"
case "$out" in *EDQUOT*) ;; *) t_fail "O_TMPFILE: no EDQUOT: $out" ;; esac
[ "$(written "$out")" -le $((21 * M)) ] || t_fail "O_TMPFILE took $(written "$out") bytes past a 20M limit"
for i in $(seq 50); do [ "$(used)" -le $((base + 65536)) ] && break; sleep 0.1; done
[ "$(used)" -le $((base + 65536)) ] || t_fail "O_TMPFILE not given back: used $(used), was $base"

# 3. While an unnamed file holds 15 MiB, a visible file cannot take 10 MiB.
coproc HOLD { "$sf" tmpfile "$m" $((15 * M)) hold; }
hold_pid=$HOLD_PID      # bash unsets HOLD_PID as soon as the coprocess ends
read -r -t 30 line <&"${HOLD[0]}" || t_fail "holder did not report"
t_eq "15M into O_TMPFILE" "$line" "$((15 * M)) ok"
[ "$(iused)" = $((ibase + 1)) ] || t_fail "O_TMPFILE inode not counted: iused $(iused), was $ibase"
out=$(head -c $((10 * M)) /dev/zero 2>&1 > "$m/big") && t_fail "10M beside a held 15M O_TMPFILE fit in 20M"
rm -f "$m/big"
# The snapshot of the usage record (every 5 s while mounted) is what the
# tree holds: 1 MiB written after the 15 MiB shows up in it, the 15 MiB
# that no name holds do not.
head -c $M /dev/zero > "$m/vis" || t_fail "1M beside a held 15M O_TMPFILE"
for i in $(seq 150); do
	rb=$(getfattr --absolute-names --only-values -n trusted.vunify.usage "$g" | sed -n 's/^v1 bytes=\([0-9]*\) .*/\1/p')
	[ "${rb:-0}" -ge $M ] && break
	sleep 0.1
done
t_log "record while an O_TMPFILE holds 15M: $rb bytes"
[ "${rb:-0}" -ge $M ] || t_fail "the usage record never showed the visible 1M: $rb"
[ "$rb" -le $((2 * M)) ] || t_fail "the usage record counts the unnamed file: $rb bytes"
rm -f "$m/vis"
echo >&"${HOLD[1]}"
wait "$hold_pid" 2>/dev/null

# 4. linkat of an O_TMPFILE: 50 MiB never fits; 5 MiB links and is counted once.
out=$(t_timeout 60 "$sf" tmpfile "$m" $((50 * M)) link:fifty)
t_log "tmpfile 50M + link: $(echo $out)"
case "$out" in *EDQUOT*) ;; *) t_fail "50M O_TMPFILE under 20M: $out" ;; esac
rm -f "$m/fifty"
for i in $(seq 50); do [ "$(used)" -le $((base + 65536)) ] && break; sleep 0.1; done
out=$(t_timeout 60 "$sf" tmpfile "$m" $((5 * M)) link:five)
t_eq "5M O_TMPFILE linked" "$(echo $out)" "$((5 * M)) ok link ok"
[ "$(stat -c %s "$m/five")" = $((5 * M)) ] || t_fail "linked O_TMPFILE size"
u=$(used)
[ "$u" -ge $((base + 5 * M)) ] && [ "$u" -le $((base + 6 * M)) ] || t_fail "linked O_TMPFILE counted $((u - base)) bytes, want 5M"
[ "$(iused)" = $((ibase + 1)) ] || t_fail "linked O_TMPFILE: iused $(iused), want $((ibase + 1))"

# 5. At the inode limit, neither kind of unnamed file can be made.
vu_umount "$m"
vu_mount "$g" "$m" -o space=20M,inodes=$((ibase + 1))
out=$("$sf" tmpfile "$m" 1)
case "$out" in *EDQUOT*) ;; *) t_fail "O_TMPFILE at the inode limit: $out" ;; esac
vu_umount "$m"

# 6. The record is what the tree holds (nothing of the unnamed files).
rec=$(getfattr --absolute-names --only-values -n trusted.vunify.usage "$g" | sed -n 's/^v1 bytes=\([0-9]*\) inodes=\([0-9]*\) state=clean$/\1 \2/p')
[ -n "$rec" ] || t_fail "no clean usage record"
vu_mount "$g" "$m" -o space=20M,rescan
vu_umount "$m"
rec2=$(getfattr --absolute-names --only-values -n trusted.vunify.usage "$g" | sed -n 's/^v1 bytes=\([0-9]*\) inodes=\([0-9]*\) state=clean$/\1 \2/p')
t_eq "usage record against a fresh scan" "$rec" "$rec2"
t_done
