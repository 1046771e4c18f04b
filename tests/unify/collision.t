#!/bin/bash
# Ids are never trusted.  VUNIFY_HASH_BITS=3 leaves 8 possible ids, so the
# 64 distinct contents below collide all the time; still only byte-identical
# files are linked, each content gets objects of its own (REST.N for the
# colliding ones), and every path keeps its content.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
t_require_root
uv_mounts
export VUNIFY_HASH_BITS=3

# f0..f63 equal between the guests, all distinct from each other; g1 has
# 64 more distinct ones of the same size and metadata (no twin anywhere).
mkdir -p "$F/g1" "$F/g2" && "$VU_TEST_BIN/uh_mkfiles" "$F/g1/d" 64 4096 0 && "$VU_TEST_BIN/uh_mkfiles" "$F/g2/d" 64 4096 0 &&
	"$VU_TEST_BIN/uh_mkfiles" "$F/g1/e" 64 4096 1000 || t_fail "mkfiles"
# Equal content, one piece of metadata apart between the guests: the ids
# (over content and metadata) differ, but with 3 bits many such pairs
# collide, and only the comparison of owner, mode, mtime and xattrs keeps
# them apart.  Contents and times are fixed, so the collisions are too.
mkdir -p "$F/g1/m" "$F/g2/m"
for i in $(seq 0 15); do
	for k in own mode xattr; do
		for g in g1 g2; do
			printf 'meta %s %s\n' "$k" "$i" > "$F/$g/m/$k$i"
			chmod 0644 "$F/$g/m/$k$i"
		done
	done
	chown 1234 "$F/g2/m/own$i"
	chmod 0640 "$F/g2/m/mode$i"
	setfattr -n user.tag -v "$i" "$F/g2/m/xattr$i"
	touch -d '2020-01-01 00:00:00' "$F/g1/m/"*"$i" "$F/g2/m/"*"$i"
done
for g in g1 g2; do uv_fastsnap "$V/$g" > "$T/before.$g"; done

out=$(t_timeout 120 "$VH" -j 2 --store "$F/store" "$F/g1" "$F/g2") || t_fail "vhashify: $out"
t_log "$out"
t_eq "linked" "$(uv_summary "$out" linked)" 128
t_eq "saved" "$(uv_summary "$out" saved)" $((64 * 4096))
for g in g1 g2; do
	uv_fastsnap "$V/$g" > "$T/after.$g"
	diff "$T/before.$g" "$T/after.$g" >&2 || t_fail "$g changed"
done

# Pairs share an inode; no inode holds two contents.
for i in $(seq 0 63); do
	[ "$(uv_inode "$V/g1/d/f$i")" = "$(uv_inode "$V/g2/d/f$i")" ] || t_fail "f$i: pair not linked"
	t_eq "e/f$i links" "$(stat -c %h "$V/g1/e/f$i")" 1
done
for f in "$V"/g1/m/*; do
	[ "$(uv_inode "$f")" = "$(uv_inode "$V/g2/m/${f##*/}")" ] &&
		t_fail "m/${f##*/}: linked to a file with other metadata"
done
find "$V/g1" "$V/g2" "$V/store/objects" -type f -printf '%i %p\n' | while read -r ino p; do
	echo "$ino $(sha256sum < "$p" | cut -c1-16)"
done | sort -u | awk '{ n[$1]++ } END { for (i in n) if (n[i] > 1) { print "inode " i " holds " n[i] " contents"; bad = 1 } exit bad }' ||
	t_fail "distinct contents share an inode"
nobj=$(find "$V/store/objects" -type f | wc -l)
t_eq "objects" "$nobj" 64
[ "$(find "$V/store/objects" -type f -name '*.[0-9]*' | wc -l)" -gt 40 ] ||
	t_fail "colliding contents did not get further instances (REST.N)"
ids=$(find "$V/store/objects" -type f -printf '%h%f\n' | sed 's|.*/||; s|\..*||' | sort -u)
[ "$(wc -l <<<"$ids")" -le 8 ] || t_fail "more than 8 ids with 3 bits: $ids"
grep -qv '^[02468ace]0000000000000000000000000000000$' <<<"$ids" && t_fail "ids not truncated: $ids"

t_check "verify with the same id width" "$VH" verify --store "$F/store"
# A store made with truncated ids refuses full ones, and the other way round.
out=$(VUNIFY_HASH_BITS= "$VH" --store "$F/store" "$F/g1" 2>&1) && t_fail "mixed id widths accepted"
case "$out" in *"ids have 3 bits"*) ;; *) t_fail "unclear error: $out" ;; esac
out=$(VUNIFY_HASH_BITS=abc "$VH" --store "$F/store" "$F/g1" 2>&1); rc=$?
t_eq "bad VUNIFY_HASH_BITS exit" $rc 2
t_done
