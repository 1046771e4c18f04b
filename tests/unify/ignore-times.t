#!/bin/bash
# --ignore-atime (the default now, still accepted) and --ignore-mtime:
# files that differ only in those times are linked (and then show the
# object's times); with --strict-atime and without --ignore-mtime, never.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
t_require_root
uv_mounts

mk() {
	uv_file "$F/g1/usr/$1" 6000 "$1" 0644 0:0 @1600000000.1 @1600000000.2
	uv_file "$F/g2/usr/$1" 6000 "$1" 0644 0:0 "$2" "$3"
}
mk atime @1600000000.1 @1700000000.3
mk mtime @1500000000.4 @1600000000.2
mk both @1500000000.4 @1700000000.3
same() { [ "$(uv_inode "$V/g1/usr/$1")" = "$(uv_inode "$V/g2/usr/$1")" ]; }

out=$(t_timeout 60 "$VH" --strict-atime --store "$F/store" "$F/g1" "$F/g2") || t_fail "$out"
t_eq "--strict-atime: nothing linked" "$(uv_summary "$out" linked)" 0
out=$(t_timeout 60 "$VH" --ignore-atime --store "$F/store" "$F/g1" "$F/g2") || t_fail "$out"
t_eq "--ignore-atime linked" "$(uv_summary "$out" linked)" 2
same atime || t_fail "atime twins not linked"
same mtime && t_fail "mtime twins linked with --ignore-atime"
t_eq "g2 shows the object's atime" "$(stat -c %X "$V/g2/usr/atime")" "$(stat -c %X "$V/g1/usr/atime")"
out=$(t_timeout 60 "$VH" --ignore-mtime --ignore-atime --store "$F/store" "$F/g1" "$F/g2") || t_fail "$out"
t_eq "--ignore-mtime --ignore-atime linked" "$(uv_summary "$out" linked)" 4
same mtime && same both || t_fail "mtime twins not linked"
# Objects made without the mtime in their id verify as such.
t_check "verify" "$VH" verify -q --store "$F/store"
t_eq "key flags recorded" "$(sqlite3 "$V/store/index.db" 'SELECT group_concat(kflags) FROM (SELECT kflags FROM objects ORDER BY kflags)')" "0,1,1"
t_done
