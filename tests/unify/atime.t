#!/bin/bash
# atime is not part of a file's identity: two trees that differ only in
# their files' access times are linked by default (both names then show the
# one atime of the object, the first twin's), and not with --strict-atime.
# --ignore-atime, the old way to ask for this, still works; with
# --strict-atime it is a usage error.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
t_require_root
uv_mounts

for i in 1 2 3; do
	uv_file "$F/g1/usr/f$i" 5000 "f$i" 0644 0:0 @1600000000.1 @1600000000.2
	uv_file "$F/g2/usr/f$i" 5000 "f$i" 0644 0:0 @1600000000.1 "@170000000$i.3"
done
same() { [ "$(uv_inode "$V/g1/usr/$1")" = "$(uv_inode "$V/g2/usr/$1")" ]; }
a1=$(stat -c %X "$V/g1/usr/f1")
a2=$(stat -c %X "$V/g2/usr/f1")

"$VH" --ignore-atime --strict-atime --store "$F/store" "$F/g1" 2>/dev/null
t_eq "--ignore-atime --strict-atime: usage error" $? 2
[ -e "$F/store" ] && t_fail "a usage error made the store"

out=$(t_timeout 60 "$VH" --strict-atime --store "$F/store" "$F/g1" "$F/g2") || t_fail "$out"
t_eq "--strict-atime: nothing linked" "$(uv_summary "$out" linked)" 0
same f1 && t_fail "--strict-atime linked files of different atimes"
t_eq "--strict-atime: g2's atime kept" "$(stat -c %X "$V/g2/usr/f1")" "$a2"

out=$(t_timeout 60 "$VH" --store "$F/store" "$F/g1" "$F/g2") || t_fail "$out"
t_eq "default: every twin linked" "$(uv_summary "$out" linked)" 6
for i in 1 2 3; do
	same "f$i" || t_fail "f$i: twins of different atimes not linked by default"
done
# One inode, one atime: the object's, made from the first twin of each pair.
t_eq "one shared atime" "$(stat -c %X "$V/g2/usr/f1")" "$(stat -c %X "$V/g1/usr/f1")"
case $(stat -c %X "$V/g1/usr/f1") in
"$a1" | "$a2") ;;
*) t_fail "the shared atime is neither twin's: $(stat -c %X "$V/g1/usr/f1")" ;;
esac
t_eq "mtime untouched" "$(stat -c %Y "$V/g2/usr/f1")" 1600000000
t_check "verify" "$VH" verify -q --store "$F/store"

# A third tree linked to the existing objects, whatever its atimes.
uv_file "$F/g3/usr/f1" 5000 "f1" 0644 0:0 @1600000000.1 @1800000000.5
out=$(t_timeout 60 "$VH" --ignore-atime --store "$F/store" "$F/g3") || t_fail "$out"
t_eq "--ignore-atime still accepted, g3 linked" "$(uv_summary "$out" linked)" 1
[ "$(uv_inode "$V/g3/usr/f1")" = "$(uv_inode "$V/g1/usr/f1")" ] || t_fail "g3 not linked to the object"
t_eq "one instance per id" "$(find "$V/store/objects" -type f | wc -l)" 3
t_done
