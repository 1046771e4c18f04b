#!/bin/bash
# modes: passthrough
# Two guests share store objects, both mounted: writes, truncations, chmods
# and xattr changes in one guest leave the other guest and the store
# byte-for-byte and stat-for-stat the same (but link count and ctime).
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
store=$T/store
mkdir -p "$T/g1/etc" "$T/g2/etc" "$T/m1" "$T/m2"
for i in 1 2 3 4; do
	head -c $((i * 300000)) /dev/urandom > "$T/src$i"
	chmod 0755 "$T/src$i"; chown 10:20 "$T/src$i"
	setfattr -n user.tag -v "file$i" "$T/src$i"
	touch -d "2019-0$i-01 12:00:00.5" "$T/src$i"
	vu_unify "$store" "$(printf '%02d' $i)$(printf '%030d' 0)" "$T/src$i" "$T/g1/etc/f$i" "$T/g2/etc/f$i"
done
# Every stat field but nlink and ctime, content and xattrs.
sig() { stat -c '%i %f %u %g %s %b %X.%x %Y.%y' "$1"; vu_hash "$1"; getfattr --absolute-names -d -m - -e hex "$1" | grep -v '^#' | sort; }
declare -A objs g2sig
for o in "$store"/objects/*/*; do objs[$o]=$(sig "$o"); done

vu_mount "$T/g1" "$T/m1"
vu_mount "$T/g2" "$T/m2"
for i in 1 2 3 4; do g2sig[$i]=$(sig "$T/m2/etc/f$i"); done

echo appended >> "$T/m1/etc/f1"
truncate -s 100 "$T/m1/etc/f2"
chmod 0700 "$T/m1/etc/f3"
setfattr -n user.tag -v changed "$T/m1/etc/f4"
dd if=/dev/zero of="$T/m1/etc/f4" bs=4096 count=1 seek=10 conv=notrunc status=none

for o in "${!objs[@]}"; do
	[ "$(sig "$o")" = "${objs[$o]}" ] || t_fail "store object $o changed"
	[ "$(stat -c %h "$o")" = 2 ] || t_fail "store object $o: $(stat -c %h "$o") links, want 2 (store + g2); $(ls -li "$T"/g1/etc "$T"/g2/etc)"
done
for i in 1 2 3 4; do
	[ "$(sig "$T/m2/etc/f$i")" = "${g2sig[$i]}" ] || t_fail "guest 2 sees f$i changed"
	[ "$(vu_hash "$T/m1/etc/f$i")" != "$(vu_hash "$T/m2/etc/f$i")" ] || [ $i = 3 ] ||
		t_fail "guest 1 change of f$i not visible in guest 1"
done
[ "$(stat -c %a "$T/m1/etc/f3")" = 700 ] && [ "$(stat -c %a "$T/m2/etc/f3")" = 755 ] ||
	t_fail "chmod leaked across guests"
[ "$(getfattr --only-values -n user.tag "$T/m2/etc/f4")" = file4 ] || t_fail "xattr leaked across guests"
# The other guest can still break its own copy independently.
echo g2 >> "$T/m2/etc/f1"
[ "$(tail -c 3 "$T/m2/etc/f1")" = "g2" ] || t_fail "guest 2 write lost"
[ "$(tail -c 9 "$T/m1/etc/f1")" = appended ] || t_fail "guest 2 write reached guest 1"
[ "$(stat -c %h "$store/objects/01/$(printf '%030d' 0)")" = 1 ] || t_fail "object 1 still linked after both broke"
vu_umount "$T/m1"
vu_umount "$T/m2"
t_done
