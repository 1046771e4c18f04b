#!/bin/bash
# A private file that carries the mark (trusted.vunify) but is not an object
# of this store -- copied with its xattrs from another store's guest, say --
# is left alone: not hashed into an object, not linked, its mark kept, a
# warning and the foreign_files count say so.  Its unmarked twins are linked
# as usual.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-unify.sh"
t_require_root
t_require_cmd setfattr
uv_mounts

mark=0123456789abcdef0123456789abcdef
for g in g1 g2; do uv_file "$F/$g/usr/twin" 5000 twin 0644 0:0 @1600000000 @1600000000; done
uv_file "$F/g1/usr/stray" 5000 twin 0644 0:0 @1600000000 @1600000000
setfattr -n trusted.vunify -v "$mark" "$F/g1/usr/stray" 2>/dev/null ||
	t_skip "cannot set trusted.* xattrs here"

t_timeout 60 "$VH" --json --store "$F/store" "$F/g1" "$F/g2" > "$T/out" 2> "$T/err"
rc=$?
out=$(cat "$T/out")
t_log "vhashify exit $rc: $out; stderr: $(cat "$T/err")"
[ $rc = 0 ] || t_fail "vhashify exit $rc: $(cat "$T/err")"
t_eq "foreign files" "$(uv_json "$out" foreign_files)" 1
t_eq "linked files" "$(uv_json "$out" linked_files)" 2
t_eq "errors" "$(uv_json "$out" errors)" 0
grep -q "g1.*/usr/stray: carries trusted.vunify but is not an object of" "$T/err" ||
	t_fail "no warning about the marked file: $(cat "$T/err")"
t_eq "the marked file's links" "$(stat -c %h "$V/g1/usr/stray")" 1
t_eq "its mark" "$(getfattr --only-values -n trusted.vunify "$V/g1/usr/stray" 2>/dev/null)" "$mark"
t_eq "its content" "$(sha256sum < "$V/g1/usr/stray")" "$(sha256sum < "$V/g2/usr/twin")"
for g in g1 g2; do t_eq "$g twin links" "$(stat -c %h "$V/$g/usr/twin")" 3; done
t_check "verify" t_timeout 30 "$VH" verify -q --store "$F/store"
t_done
