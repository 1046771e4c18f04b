#!/bin/bash
# vhashify on generated guests: exactly the files that are identical in
# content and in everything a hardlink shares become links to one object;
# the expected links and savings are computed independently; every path
# looks exactly the same before and after; objects are sound.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
. "$(dirname "$0")/gen-guests.sh"
t_require_root
t_require_cmd setfacl
uv_mounts

for n in 1 2 3; do uv_guest "$F/g$n" $n; done
read -r want_linked want_saved want_scanned < <(uv_expect "$V/g1" "$V/g2" "$V/g3")
t_log "expect: linked $want_linked, saved $want_saved, scanned $want_scanned"
[ "$want_linked" -gt 40 ] || t_fail "generator made too few twins ($want_linked)"
for n in 1 2 3; do uv_snap "$V/g$n" > "$T/before$n"; done
hl_ino=$(uv_inode "$V/g1/usr/lib/hl1")

out=$(t_timeout 120 "$VH" -j 2 --store "$F/store" "$F/g1" "$F/g2" "$F/g3") ||
	t_fail "vhashify failed: $out"
t_log "$out"
t_eq "linked" "$(uv_summary "$out" linked)" "$want_linked"
t_eq "saved" "$(uv_summary "$out" saved)" "$want_saved"
t_eq "scanned" "$(uv_summary "$out" scanned)" "$want_scanned"
t_eq "errors" "$(uv_summary "$out" errors)" 0

# Nothing a guest can see changed (the mark aside, which guests never see),
# but the atime of the twins that differ only in it: linked, they share the
# object's (vhashify(8), "Access times"; checked below).
for n in 1 2 3; do
	uv_snap "$V/g$n" > "$T/after$n"
	diff <(grep -v '^\./usr/share/near-atime ' "$T/before$n") \
		<(grep -v '^\./usr/share/near-atime ' "$T/after$n") >&2 || t_fail "g$n changed"
done
t_eq "near-atime: one shared atime" "$(stat -c %X "$V/g2/usr/share/near-atime")" \
	"$(stat -c %X "$V/g1/usr/share/near-atime")"
uv_no_temporaries "$V"

# Near-duplicates: 1 and 3 share an inode, 2 (the variant) has its own,
# except where it differs only in atime, which is not identity.
for v in base mode owner mtime atime xattr cap acl; do
	i1=$(uv_inode "$V/g1/usr/share/near-$v"); i2=$(uv_inode "$V/g2/usr/share/near-$v")
	i3=$(uv_inode "$V/g3/usr/share/near-$v")
	[ "$i1" = "$i3" ] || t_fail "near-$v: guests 1 and 3 not linked"
	if [ $v = base ] || [ $v = atime ]; then
		[ "$i1" = "$i2" ] || t_fail "near-$v: guest 2 not linked"
	else
		[ "$i1" != "$i2" ] || t_fail "near-$v: guest 2 linked although its $v differs"
	fi
done
# Equal xattrs, capability and ACL everywhere: one inode, attributes kept.
t_eq "withattrs links" "$(stat -c %h "$V/g2/usr/share/withattrs")" 4
getfattr -n security.capability "$V/g2/usr/share/withattrs" >/dev/null 2>&1 ||
	t_fail "withattrs lost its capability"
# The guest's own hardlinks, excluded and private files are left alone.
t_eq "hardlink group inode" "$(uv_inode "$V/g1/usr/lib/hl1")" "$hl_ino"
t_eq "hardlink group links" "$(stat -c %h "$V/g1/usr/lib/hl2")" 2
for p in etc/passwd etc/hostname var/lib/state usr/lib/uniq usr/lib/samesize usr/lib/empty; do
	t_eq "$p links" "$(stat -c %h "$V/g1/$p")" 1
done
# Duplicates, the sparse file and 1-byte files are shared by all three.
for p in usr/lib/dup1 usr/lib/dup24 usr/bin/tool usr/bin/one usr/lib/sparse; do
	t_eq "$p links" "$(stat -c %h "$V/g1/$p")" 4
done
[ "$(stat -c %b "$V/g1/usr/lib/sparse")" -lt 100 ] || t_fail "sparse object lost its holes"

# The store: 0700, objects named by their mark, marks only on objects.
t_eq "store mode" "$(stat -c %a "$V/store")" 700
nobj=0
for o in "$V"/store/objects/*/*; do
	id=$(getfattr --only-values -n trusted.vunify "$o") || t_fail "$o: no mark"
	name=${o#"$V"/store/objects/}; name=${name/\//}
	t_eq "mark of $o" "$id" "$name"
	nobj=$((nobj + 1))
done
t_log "$nobj objects"
for f in $(find "$V/g1" "$V/g2" "$V/g3" -type f -links 1); do
	getfattr -n trusted.vunify "$f" >/dev/null 2>&1 && t_fail "$f: private file carries the mark"
done
[ -z "$(ls -A "$V/store/journal")" ] || t_fail "journal slots left: $(ls "$V/store/journal")"
t_check "verify" "$VH" verify --store "$F/store"

# A rerun has nothing left to do.
out=$(t_timeout 60 "$VH" --store "$F/store" "$F/g1" "$F/g2" "$F/g3") || t_fail "rerun: $out"
t_eq "rerun linked" "$(uv_summary "$out" linked)" 0
t_eq "rerun scanned" "$(uv_summary "$out" scanned)" "$want_scanned"
t_done
