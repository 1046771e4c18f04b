#!/bin/bash
# vhashify stats, gc and verify.
#  stats: per guest files, unified files, private, shared and saved bytes,
#         store totals -- checked against numbers computed here from stat
#  gc:    removes exactly the objects no guest links any more, and their
#         index rows; forgets guests that are gone
#  verify: catches an object changed from the host (content or mark)
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
t_require_root
uv_mounts

for g in g1 g2 g3; do
	for i in 1 2 3 4 5; do uv_file "$F/$g/usr/f$i" $((i * 1000)) "file $i" 0644 0:0 @1600000000 @1600000000; done
	uv_file "$F/$g/usr/own" 777 "own $g" 0644 0:0 @1600000000 @1600000000
done
# f5 only in g1 and g2.
rm "$F/g3/usr/f5"
t_check "vhashify" "$VH" -q --store "$F/store" "$F/g1" "$F/g2" "$F/g3"

# stats, computed independently: a unified file of size S whose inode has
# L links saves S*(L-2)/(L-1) for its guest.  Private: format.h's rule,
# allocated bytes of every inode once (the top too) but the store objects
# (here: every file with more than one link, all of them vhashify's).
expect_guest() {
	find "$V/$1" -printf '%y %i %n %s %b\n' | awk '
		$1 == "f" { files++ }
		$1 == "f" && $3 > 1 { unified++; shared += $4; saved += int($4 * ($3 - 2) / ($3 - 1)); next }
		!seen[$2]++ { private += $5 * 512 }
		END { printf "%d %d %d %d %d\n", files, unified, private, shared, saved }'
}
json=$("$VH" stats --json --store "$F/store" "$F/g1" "$F/g2" "$F/g3") || t_fail "stats: $json"
t_log "$json"
for g in g1 g2 g3; do
	want=$(expect_guest $g)
	got=$(grep -o "\"path\":\"$F/$g\",[^}]*" <<<"$json" |
		sed -E 's/.*"files":([0-9]+),"unified_files":([0-9]+),"private_bytes":([0-9]+),"shared_bytes":([0-9]+),"saved_bytes":([0-9]+).*/\1 \2 \3 \4 \5/')
	t_eq "stats $g (files unified private shared saved)" "$got" "$want"
done
want_store=$(find "$V/store/objects" -type f -printf '%n %s\n' | awk '
	{ n++; b += $2; l += $1 - 1; s += $2 * ($1 - 2) } END { printf "%d %d %d %d", n, b, l, s }')
got_store=$(sed -E 's/.*"store":\{"objects":([0-9]+),"bytes":([0-9]+),"links":([0-9]+),"saved_bytes":([0-9]+).*/\1 \2 \3 \4/' <<<"$json")
t_eq "store stats (objects bytes links saved)" "$got_store" "$want_store"
"$VH" stats --store "$F/store" | grep -q '^store: 5 objects' || t_fail "stats text output"
# Without guest arguments: the guests the index knows.
t_eq "known guests" "$("$VH" stats --store "$F/store" | grep -c "^$F/g")" 3

# gc: f5 loses both its names -> its object is unreferenced; f4 loses one
# of three -> kept.
rm "$F/g1/usr/f5" "$F/g2/usr/f5" "$F/g3/usr/f4"
obj5=$(find "$V/store/objects" -type f -size 5000c)
obj4=$(find "$V/store/objects" -type f -size 4000c)
[ -n "$obj5" ] && [ -n "$obj4" ] || t_fail "objects not found"
out=$("$VH" gc -n --store "$F/store") || t_fail "gc -n: $out"
t_eq "gc -n" "$out" "would remove 1 objects (5000 bytes), kept 4 objects (10000 bytes), 0 errors"
[ -e "$obj5" ] || t_fail "gc -n removed something"
out=$("$VH" gc --json --store "$F/store") || t_fail "gc: $out"
t_log "$out"
t_eq "gc removed" "$(uv_json "$out" removed)" 1
[ -e "$obj5" ] && t_fail "unreferenced object not removed"
[ -e "$obj4" ] || t_fail "referenced object removed"
id5=$(basename "$(dirname "$obj5")")$(basename "$obj5")
t_eq "index row of the removed object" "$(sqlite3 "$V/store/index.db" "SELECT count(*) FROM objects WHERE id = '$id5'")" 0
t_eq "index rows" "$(sqlite3 "$V/store/index.db" "SELECT count(*) FROM objects")" 4
rm -rf "$F/g3"
out=$("$VH" gc --json --store "$F/store") || t_fail "gc: $out"
t_eq "guest forgotten" "$(uv_json "$out" guests_forgotten)" 1
t_eq "guests left" "$(sqlite3 "$V/store/index.db" "SELECT count(*) FROM guests")" 2

# verify: sound store first, then writes from the host that bypass vunifyfs.
t_check "verify" "$VH" verify -q --store "$F/store"
printf 'X' | dd of="$F/g1/usr/f2" bs=1 seek=10 conv=notrunc status=none   # writes the shared object
out=$("$VH" verify --store "$F/store" 2>&1); rc=$?
t_eq "verify exit after a host write" $rc 1
case "$out" in *"content no longer matches its id"*"1 bad"*) ;; *) t_fail "verify: $out" ;; esac
obj1=$(find "$V/store/objects" -type f -size 1000c)
setfattr -x trusted.vunify "$obj1"
out=$("$VH" verify --json --store "$F/store" 2>&1); rc=$?
t_eq "verify exit, mark removed" $rc 1
t_eq "bad objects" "$(uv_json "$(tail -n 1 <<<"$out")" bad)" 2
t_done
