#!/bin/bash
# Foreign marks: a template copied with cp -a from a tree unified against
# store A keeps A's trusted.vunify marks.  vclone and vhashify against store
# B treat such files as unmarked ones: hashed, unified into B (B's objects
# carry B's marks, the copied files too), and say how many foreign marks
# they met (one summary line; silent with -q; in --json).  Store A and its
# guests are untouched.  A mark is never trusted: a file whose forged mark
# names a real object of B is not that object.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
t_require_root
uv_mounts

s=$F/src
uv_file "$s/usr/bin/a" 7000 "twin" 0755 0:0 @1600000000.1 @1600000000.2
uv_file "$s/usr/lib/b" 7000 "twin" 0755 0:0 @1600000000.1 @1600000000.2
uv_file "$s/usr/share/c" 9000 "c" 0644 0:0 @1600000000.1 @1600000000.2
uv_file "$s/etc/conf" 3000 "conf" 0644 0:0 @1600000000.1 @1600000000.2
t_check "unify the template into A" "$VH" -q --all --store "$F/A" "$s"
t_check "a guest of A" "$VC" -q --store "$F/A" "$s" "$F/guestA"
t_eq "a and b: one object of A" "$(uv_inode "$V/src/usr/bin/a")" "$(uv_inode "$V/src/usr/lib/b")"
snapA() {
	(cd "$V/A" && find . -printf '%p %i %n %s %T@\n' | LC_ALL=C sort
	 getfattr -R -d -m - -e hex objects 2>/dev/null)
	(cd "$V/guestA" && find . -printf '%p %i %n\n' | LC_ALL=C sort)
}

# The copy an operator makes to take the template to another host.
cp -a "$F/src" "$F/copy" || t_fail "cp -a"
marks() { getfattr -R -m trusted.vunify --absolute-names "$1" 2>/dev/null | grep -c '^# file:'; }
t_eq "the copy carries A's marks" "$(marks "$V/copy")" 4
t_eq "cp -a kept a and b one inode" "$(stat -c %h "$V/copy/usr/bin/a")" 2
# stats counts them (shared by the format's rule, but no object of A's).
out=$(t_timeout 60 "$VH" stats --json --store "$F/A" "$F/copy") || t_fail "stats: $out"
t_eq "stats: foreign_marks" "$(uv_json "$out" foreign_marks)" 4
out=$(t_timeout 60 "$VH" stats --store "$F/A" "$F/copy") || t_fail "stats: $out"
grep -qx "  foreign marks: 4 files carry trusted.vunify naming no object of this store (vhashify --all unifies them)" <<<"$out" ||
	t_fail "stats: no foreign-mark line: $out"
snapA > "$T/A.before"

out=$(t_timeout 120 "$VC" --store "$F/B" "$F/copy" "$F/newB") || t_fail "vclone: $out"
t_log "$out"
grep -qx "foreign marks: 4 files of the template carried trusted.vunify naming no object of this store; unified like any other file" <<<"$out" ||
	t_fail "no foreign-mark line: $out"
for p in usr/bin/a usr/lib/b usr/share/c etc/conf; do
	i=$(uv_inode "$V/newB/$p")
	[ "$i" = "$(uv_inode "$V/copy/$p")" ] || t_fail "$p: not linked to the copy's object"
	o=$(find "$V/B/objects" -inum "$i")
	[ -n "$o" ] || t_fail "$p: not an object of B"
	id=$(basename "$(dirname "$o")")$(basename "$o")
	t_eq "$p: B's mark" "$(getfattr --absolute-names --only-values -n trusted.vunify "$V/newB/$p")" "${id%%.*}"
	cmp "$V/src/$p" "$V/newB/$p" || t_fail "$p: content"
done
# Nothing of the clone is private but its directories.
t_eq "private bytes of the clone" "$(t_timeout 60 "$VH" stats --json --store "$F/B" "$F/newB" |
	sed -E 's/.*"private_bytes":([0-9]+).*/\1/')" \
	"$(find "$V/newB" -type d -printf '%b\n' | awk '{ s += $1 * 512 } END { print s }')"
t_eq "stats after: no foreign mark left" "$(uv_json "$(t_timeout 60 "$VH" stats --json --store "$F/B" "$F/copy")" foreign_marks)" 0
t_check "verify B" "$VH" verify -q --store "$F/B"
snapA | diff "$T/A.before" - >&2 || t_fail "store A or its guest changed"

# vhashify: the same; quiet means silent; JSON counts them.
cp -a "$F/src" "$F/copy2" && cp -a "$F/src" "$F/copy3" && cp -a "$F/src" "$F/copy4" || t_fail "cp -a"
out=$(t_timeout 60 "$VH" --store "$F/B" "$F/copy2") || t_fail "vhashify: $out"
grep -qx "foreign marks: 3 files carried trusted.vunify naming no object of this store; unified like any other file" <<<"$out" ||
	t_fail "vhashify: no foreign-mark line: $out"
t_eq "copy2: usr/share/c linked to B" "$(uv_inode "$V/copy2/usr/share/c")" "$(uv_inode "$V/newB/usr/share/c")"
t_eq "copy2: usr/bin/a linked to B" "$(uv_inode "$V/copy2/usr/bin/a")" "$(uv_inode "$V/newB/usr/bin/a")"
out=$(t_timeout 60 "$VH" -q --store "$F/B" "$F/copy3" 2>&1) || t_fail "vhashify -q: $out"
t_eq "-q: silent" "$out" ""
out=$(t_timeout 60 "$VH" --json --store "$F/B" "$F/copy4") || t_fail "vhashify --json: $out"
t_eq "--json foreign_files (etc/conf excluded)" "$(uv_json "$out" foreign_files)" 3
snapA | diff "$T/A.before" - >&2 || t_fail "store A or its guest changed"

# A forged mark naming a real object of B, on a private file of other
# content (alone, and as a hardlink pair): never taken for that object.
obj=$(getfattr --absolute-names --only-values -n trusted.vunify "$V/newB/usr/share/c")
oino=$(uv_inode "$V/newB/usr/share/c")
osum=$(sha256sum < "$V/newB/usr/share/c")
mkdir -p "$F/evil/usr/share" "$F/evil/usr/lib"
uv_file "$F/evil/usr/share/c" 9000 "evil" 0644 0:0 @1600000000.1 @1600000000.2
uv_file "$F/evil/usr/lib/d" 9000 "evil2" 0644 0:0 @1600000000.1 @1600000000.2
ln "$F/evil/usr/lib/d" "$F/evil/usr/lib/d2"
setfattr -n trusted.vunify -v "$obj" "$F/evil/usr/share/c" "$F/evil/usr/lib/d" || t_fail "setfattr"
out=$(t_timeout 60 "$VH" --all --store "$F/B" "$F/evil") || t_fail "vhashify evil: $out"
for p in usr/share/c usr/lib/d usr/lib/d2; do
	[ "$(uv_inode "$V/evil/$p")" != "$oino" ] || t_fail "$p: a forged mark made it B's object"
	[ "$(getfattr --absolute-names --only-values -n trusted.vunify "$V/evil/$p")" != "$obj" ] ||
		t_fail "$p: still carries the forged id"
done
grep -q evil "$V/evil/usr/share/c" && grep -q evil2 "$V/evil/usr/lib/d2" || t_fail "evil content lost"
t_eq "B's object unchanged" "$(sha256sum < "$V/newB/usr/share/c")" "$osum"
out=$(t_timeout 60 "$VC" --store "$F/B" "$F/evil" "$F/evil2") || t_fail "vclone evil: $out"
[ "$(uv_inode "$V/evil2/usr/share/c")" != "$oino" ] || t_fail "vclone: a forged mark linked the object"
t_check "verify B" "$VH" verify -q --store "$F/B"
t_done
