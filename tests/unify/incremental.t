#!/bin/bash
# A rerun over unchanged guests reads no file contents: ids come from the
# index, unified files are known by their inode.  Measured two ways: the
# tool's own counters, and independently the bytes the process read
# (rchar from /proc, taken by uh_rchar) -- far less than the private files
# a rerun without the index would have to hash again.  A changed file is
# read again (so the measurement can tell).
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
. "$(dirname "$0")/gen-guests.sh"
t_require_root
uv_mounts

for n in 1 2 3; do
	uv_guest "$F/g$n" $n
	# 8 MiB each, same size and metadata, other content: grouped and
	# hashed, never linked -- what an index-less rerun would read again.
	uv_file "$F/g$n/usr/lib/bigsame" $((8 << 20)) "big but different $n" 0644 0:0 $UV_T1 $UV_A1
done
out=$(t_timeout 120 "$VH" --json --store "$F/store" "$F/g1" "$F/g2" "$F/g3") || t_fail "first run: $out"
t_log "first: $out"
[ "$(uv_json "$out" hashed_bytes)" -gt $((24 << 20)) ] || t_fail "first run did not hash the big files"

out=$(t_timeout 120 "$VU_TEST_BIN/uh_rchar" "$T/rchar" "$VH" --json --store "$F/store" \
	"$F/g1" "$F/g2" "$F/g3") || t_fail "rerun: $out"
rchar=$(cat "$T/rchar")
t_log "rerun: $out; rchar $rchar"
t_eq "rerun files read" "$(uv_json "$out" read_files)" 0
t_eq "rerun bytes read" "$(uv_json "$out" read_bytes)" 0
t_eq "rerun hashed" "$(uv_json "$out" hashed_files)" 0
t_eq "rerun linked" "$(uv_json "$out" linked_files)" 0
[ "$(uv_json "$out" candidates)" -ge 3 ] || t_fail "rerun had no candidates: nothing measured"
[ "$rchar" -lt $((4 << 20)) ] || t_fail "rerun read $rchar bytes"

# Change one big file (same size, same times; only ctime moves): read again.
printf 'X' | dd of="$F/g2/usr/lib/bigsame" bs=1 seek=100 conv=notrunc status=none
touch -m -d $UV_T1 "$F/g2/usr/lib/bigsame" && touch -a -d $UV_A1 "$F/g2/usr/lib/bigsame"
out=$(t_timeout 120 "$VU_TEST_BIN/uh_rchar" "$T/rchar" "$VH" --json --store "$F/store" \
	"$F/g1" "$F/g2" "$F/g3") || t_fail "third run: $out"
rchar=$(cat "$T/rchar")
t_log "after a change: $out; rchar $rchar"
t_eq "changed file hashed" "$(uv_json "$out" hashed_files)" 1
[ "$rchar" -ge $((8 << 20)) ] || t_fail "the changed file was not read (rchar $rchar)"

# A new guest: only its files are read (each twin twice: hashed, then
# compared with the object).
uv_guest "$F/g4" 4
g4_bytes=$(find "$V/g4" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
out=$(t_timeout 120 "$VH" --json --store "$F/store" "$F/g1" "$F/g2" "$F/g3" "$F/g4") ||
	t_fail "run with g4: $out"
t_log "with g4: $out"
[ "$(uv_json "$out" linked_files)" -gt 30 ] || t_fail "g4 not unified"
[ "$(uv_json "$out" read_bytes)" -le $((2 * g4_bytes)) ] || t_fail "read more than g4's files"
t_done
