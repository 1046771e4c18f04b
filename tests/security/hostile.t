#!/bin/bash
# timeout: 240
# Hostile guest trees against the host tools (security issue 11).
#  1. Names with terminal escapes (OSC 52 clipboard, clear screen, CR, LF,
#     a C1 CSI byte) reach no terminal raw: vhashify -v, vhashify stats and
#     vclone -vv print no ESC, CR or C1 byte and no line that is not theirs;
#     --json output parses with jq and holds the exact name.
#  2. Two sparse files of 16 TiB (or as near as the filesystem allows) with
#     the same few bytes of data: vhashify ends within seconds (timeout 60)
#     and reads less than 10 MB; they are left alone (sparse_files).  Files
#     with some holes are still linked, their holes not read.
#  3. While vhashify links guests l1 and l2 (thousands of twins, one
#     thread), `vhashify stats` on the store works, and l2 can be mounted
#     (a guest start); vhashify then leaves l2 alone: no file of it that was
#     private when the mount came is linked under the running vunifyfs.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/../unify/lib-unify.sh"
t_require_root
t_require_cmd jq
uv_mounts

S=$F/store
# Every line of a tool's output is its own: "PROG: ..." or a summary.
own_lines() {
	local what=$1 file=$2 bad
	[ "$(grep -c $'\x1b' "$file")" = 0 ] || t_fail "$what: a raw ESC in the output"
	[ "$(grep -c $'\r' "$file")" = 0 ] || t_fail "$what: a raw CR in the output"
	[ "$(LC_ALL=C grep -c $'\x9b' "$file")" = 0 ] || t_fail "$what: a raw C1 CSI in the output"
	bad=$(grep -Ev '^(vhashify|vclone)( stats)?: |^scanned [0-9]+ files|^cloned [0-9]+ files|^ ?foreign marks: [0-9]+ files|^GUEST |^store: |^[^ ]+ +[0-9]+ +[0-9]+ ' "$file")
	[ -z "$bad" ] || t_fail "$what: lines that are not the tool's: $bad"
}

# ---- 1. names with escape sequences ----
names=($'osc52\033]52;c;aGFja2Vk\007' $'clear\033[2J\033[H' $'cr\rvhashify: all is well' \
	$'lf\nvhashify: forged line' $'csi\x9b31m' 'back\slash')
G1=$'g1\033]0;title\007'
M1=$'mark\033[31m'
M2=$'mark2\033[31m'
for g in "$G1" g2; do
	for n in "${names[@]}"; do
		uv_file "$F/$g/usr/$n" 3000 "$n" 0644 0:0 @1600000000 @1600000000
	done
	# Marked (malformed) but no object of the store: a foreign mark, unified
	# anew and named at -v.
	uv_file "$F/$g/usr/$M1" 3000 mark 0644 0:0 @1600000000 @1600000000
	setfattr -n trusted.vunify -v junk "$F/$g/usr/$M1"
	ln "$F/$g/usr/$M1" "$F/$g/usr/$M2"
done
"$VH" -v --store "$S" "$F/$G1" "$F/g2" > "$T/out" 2>&1
rc=$?
cat "$T/out" | cat -v >&2
[ $rc = 0 ] || t_fail "vhashify -v: exit $rc"
grep -q 'linked to' "$T/out" || t_fail "vhashify -v said nothing about linking"
grep -qF 'osc52\x1b]52;c;aGFja2Vk\x07' "$T/out" || t_fail "no escaped OSC 52 name in the output"
grep -qF 'lf\x0avhashify: forged line' "$T/out" || t_fail "no escaped newline in the output"
grep -qF 'back\x5cslash' "$T/out" || t_fail "no escaped backslash in the output"
grep -qF 'mark\x1b[31m: carries trusted.vunify' "$T/out" || t_fail "no escaped name of the foreign mark"
own_lines "vhashify -v" "$T/out"
t_eq "linked (the names, and the 2 x 2 foreign-marked)" "$(uv_summary "$(cat "$T/out")" linked)" $((2 * ${#names[@]} + 4))

# JSON: valid, and the guest's name exact in vhashify stats.
"$VH" --json --store "$S" "$F/$G1" "$F/g2" > "$T/json" 2> "$T/err" || t_fail "vhashify --json: $(cat -v "$T/err")"
jq -e . "$T/json" > /dev/null || t_fail "vhashify --json is not JSON: $(cat -v "$T/json")"
own_lines "vhashify --json (stderr)" "$T/err"
"$VH" stats --json --store "$S" "$F/$G1" "$F/g2" > "$T/json" 2> "$T/err" || t_fail "stats --json: $(cat -v "$T/err")"
jq -e . "$T/json" > /dev/null || t_fail "vhashify stats --json is not JSON: $(cat -v "$T/json")"
t_eq "the guest's name in JSON" "$(jq -r '.guests[0].path' "$T/json")" "$F/$G1"
"$VH" stats --store "$S" "$F/$G1" "$F/g2" > "$T/out" 2>&1 || t_fail "stats: $(cat -v "$T/out")"
own_lines "vhashify stats" "$T/out"

# vclone: hashing the template at -vv, warnings, the summary.
"$VC" -vv --store "$S" "$F/$G1" "$F/new" > "$T/out" 2>&1 || t_fail "vclone: $(cat -v "$T/out")"
cat "$T/out" | cat -v >&2
own_lines "vclone -vv" "$T/out"
"$VC" --store "$S" "$F/g2" "$F/$G1" > "$T/out" 2>&1 && t_fail "vclone onto an existing guest succeeded"
own_lines "vclone error" "$T/out"
grep -qF 'g1\x1b]0;title\x07' "$T/out" || t_fail "vclone's error does not name the template escaped"
"$VC" --json --store "$S" "$F/$G1" "$F/new2" > "$T/json" 2> "$T/err" || t_fail "vclone --json: $(cat -v "$T/err")"
jq -e . "$T/json" > /dev/null || t_fail "vclone --json is not JSON"

# ---- 2. sparse files ----
mkdir -p "$F/s1/usr" "$F/s2/usr"
for g in s1 s2; do
	f=$F/$g/usr/huge
	printf 'same small data' > "$f"
	truncate -s 16T "$f" 2>/dev/null || truncate -s $((16 * 2**40 - 4096)) "$f" 2>/dev/null ||
		truncate -s 15T "$f" 2>/dev/null || truncate -s 1T "$f" || t_fail "cannot make a sparse file"
	touch -d @1600000000 "$f"
done
t_log "sparse files of $(stat -c %s "$F/s1/usr/huge") bytes"
start=$(date +%s)
out=$(t_timeout 60 "$VU_TEST_BIN/uh_rchar" "$T/rchar" "$VH" -v --json --store "$S" "$F/s1" "$F/s2" 2> "$T/err")
rc=$?
t_log "vhashify on the sparse files: $(( $(date +%s) - start )) s, rchar $(cat "$T/rchar"): $out"
[ $rc = 0 ] || t_fail "vhashify on sparse files: exit $rc: $(cat "$T/err")"
[ "$(cat "$T/rchar")" -lt 10000000 ] || t_fail "vhashify read $(cat "$T/rchar") bytes for sparse files"
t_eq "sparse files left alone" "$(jq .sparse_files <<<"$out")" 2
grep -q 'usr/huge: mostly holes' "$T/err" || t_fail "no word about the sparse files: $(cat "$T/err")"
t_eq "huge not linked" "$(stat -c %h "$F/s1/usr/huge")" 1

# Some holes, mostly data: still unified, and the holes are not read (6 MiB
# of data: hashed twice, compared once, copied into the store once).
mkdir -p "$F/h1/usr" "$F/h2/usr"
for g in h1 h2; do
	f=$F/$g/usr/holey
	head -c $((6 << 20)) < <(yes holey) > "$f" && truncate -s $((64 << 20)) "$f" || t_fail "holey"
	fallocate -l $((40 << 20)) -o $((8 << 20)) "$f" 2>/dev/null   # allocated, reads as zeros
	touch -d @1600000000 "$f"
done
out=$(t_timeout 60 "$VH" --json --store "$S" "$F/h1" "$F/h2" 2> "$T/err") || t_fail "holey: $(cat "$T/err")"
t_log "holey files: $out"
t_eq "holey files linked" "$(jq .linked_files <<<"$out")" 2
t_eq "holey linked" "$(stat -c %i "$F/h1/usr/holey")" "$(stat -c %i "$F/h2/usr/holey")"
[ "$(jq .read_bytes <<<"$out")" -lt $((64 << 20)) ] || t_fail "the holes were read: $out"
t_eq "holey content" "$(vu_hash "$V/h1/usr/holey")" \
	"$( { head -c $((6 << 20)) < <(yes holey); head -c $((58 << 20)) /dev/zero; } | sha256sum | cut -c1-64)"

# ---- 3. locks while vhashify runs ----
# vhashify is stopped (SIGSTOP) in the middle of its linking, at a moment it
# holds no lock of l2 (it takes it only around each change: a few tries
# find such a moment; the old code held it all along), so that what follows
# happens while it runs, however fast the machine.
[ -x "$VU_BIN/vunifyfs" ] || t_fail "no $VU_BIN/vunifyfs (build it: make)"
for g in l1 l2; do
	mkdir -p "$F/$g/usr"
	"$VU_TEST_BIN/uh_mkfiles" "$F/$g/usr" 6000 4096 1 || t_fail "uh_mkfiles $g"
done
"$VH" -j 1 --json --store "$S" "$F/l1" "$F/l2" > "$T/lout" 2> "$T/lerr" &
vpid=$!
t_on_exit "kill -CONT $vpid; kill $vpid"
for i in $(seq 1000); do
	[ -n "$(find "$V/l1/usr" -type f -links +1 -print -quit)" ] && break
	kill -0 $vpid 2>/dev/null || t_fail "vhashify ended before linking: $(cat "$T/lout" "$T/lerr")"
	sleep 0.02
done
for i in $(seq 20); do
	kill -STOP $vpid || t_fail "vhashify ended too early: $(cat "$T/lout" "$T/lerr")"
	flock -n "$F/l2" true && break
	[ $i = 20 ] && break        # the old code: l2 is never free
	kill -CONT $vpid
	sleep 0.01
done
t_log "vhashify stopped while linking (try $i)"
for i in 1 2 3; do
	"$VH" stats --store "$S" "$F/l1" > "$T/sout" 2>&1 ||
		t_fail "vhashify stats while vhashify runs: $(cat "$T/sout")"
done
vu_mount "$F/l2" "$T/lmnt"
private=$(find "$V/l2/usr" -type f -links 1 | sort)
t_log "l2 mounted while vhashify runs; $(grep -c . <<<"$private") files of it private then"
kill -CONT $vpid
wait $vpid
rc=$?
t_log "vhashify on l1, l2: exit $rc: $(cat "$T/lout")"
[ $rc = 0 ] || t_fail "vhashify on l1, l2: exit $rc: $(cat "$T/lerr")"
now=$(find "$V/l2/usr" -type f -links 1 | sort)
[ "$private" = "$now" ] || t_fail "files of the mounted guest l2 were linked under vunifyfs"
[ "$(jq .changed "$T/lout")" -gt 0 ] || t_fail "no file of l2 skipped: $(cat "$T/lout")"
echo written > "$T/lmnt/usr/f1" || t_fail "write through the mount"
vu_umount "$T/lmnt"
t_eq "the write is there" "$(cat "$V/l2/usr/f1")" written
t_done
