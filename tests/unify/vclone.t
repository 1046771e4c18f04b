#!/bin/bash
# vclone: the new guest is an exact copy of the template (every path's
# type, content, mode, owner, nanosecond times, xattrs, device numbers,
# link targets, hardlink groups, holes) in which every eligible file is one
# more link to a store object and excluded files are real copies (here with
# --default-excludes, so that /etc and /var are such copies; vclone-share.t
# tests the default, which links them).
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
. "$(dirname "$0")/gen-guests.sh"
. "$(dirname "$0")/gen-template.sh"
t_require_root
t_require_cmd setfacl
uv_mounts

uv_template "$F/src"
uv_template_snap "$V/src" > "$T/want"
top() { stat -c '%a %u:%g %y %x' "$1"; getfattr -d -m - -e hex "$1" 2>/dev/null | grep -v '^#' || true; }
top "$V/src" > "$T/want.top"
# Eligible: one link, not empty, not below /etc or /var.
want_linked=$(cd "$V/src" && find . -type f -links 1 -size +0 ! -path './etc/*' ! -path './var/*' \
	! -name '.vunify-tmp.*' | wc -l)

out=$(t_timeout 120 "$VC" --default-excludes --store "$F/store" "$F/src" "$F/new") || t_fail "vclone: $out"
t_log "$out"
grep -qE '^cloned [0-9]+ files \([0-9]+ bytes\): linked [0-9]+ files \([0-9]+ bytes\), copied [0-9]+ files \([0-9]+ bytes\), 0 errors$' <<<"$out" ||
	t_fail "summary: $out"
t_eq "linked" "$(sed -E 's/.*linked ([0-9]+) files.*/\1/' <<<"$out")" "$want_linked"

uv_template_snap "$V/new" > "$T/got"
diff "$T/want" "$T/got" >&2 || t_fail "the copy differs from the template"
top "$V/new" | diff "$T/want.top" - >&2 || t_fail "the copy's top directory differs"
uv_template_snap "$V/src" | diff "$T/want" - >&2 || t_fail "the template changed"
uv_no_temporaries "$V/new" "$V/src"
ls -a "$V" | grep -q vclone && t_fail "a temporary clone directory is left"

# Linked: same inode as the template's (an object); copies: own inodes.
for p in usr/lib/dup1 usr/bin/tool usr/share/near-cap srv/a/suid usr/lib/sparse; do
	[ "$(uv_inode "$V/src/$p")" = "$(uv_inode "$V/new/$p")" ] || t_fail "$p not linked"
	getfattr -n trusted.vunify "$V/new/$p" >/dev/null 2>&1 || t_fail "$p: no mark"
done
for p in etc/passwd etc/hostname etc/disk.img var/lib/state srv/a/group srv/a/empty usr/lib/hl1; do
	[ "$(uv_inode "$V/src/$p")" != "$(uv_inode "$V/new/$p")" ] || t_fail "$p linked, not copied"
	getfattr -n trusted.vunify "$V/new/$p" >/dev/null 2>&1 && t_fail "$p: a copy with the mark"
done
# Hardlink groups are groups in the copy too.
g=$(uv_inode "$V/new/srv/a/group")
t_eq "group b" "$(uv_inode "$V/new/srv/b/group")" "$g"
t_eq "group again" "$(uv_inode "$V/new/srv/b/again")" "$g"
t_eq "group links" "$(stat -c %h "$V/new/srv/a/group")" 3
t_eq "hl2" "$(uv_inode "$V/new/usr/lib/hl2")" "$(uv_inode "$V/new/usr/lib/hl1")"
# Holes kept in the real copy.
[ "$(stat -c %b "$V/new/etc/disk.img")" -le "$(($(stat -c %b "$V/src/etc/disk.img") + 16))" ] ||
	t_fail "sparse copy: $(stat -c %b "$V/new/etc/disk.img") blocks"
t_eq "device numbers" "$(stat -c '%F %t:%T' "$V/new/dev/loop9")" "block special file 7:9"
t_eq "socket" "$(stat -c %F "$V/new/run/sock")" "socket"

# NEW must not exist.
out=$("$VC" --store "$F/store" "$F/src" "$F/new" 2>&1); rc=$?
t_eq "NEW exists: exit" $rc 2
t_eq "NEW exists: message" "$out" "vclone: $F/new: already exists (NEW_GUEST must not exist)"

# More clones share the same objects.
links=$(stat -c %h "$V/src/usr/lib/dup1")
t_check "second clone" "$VC" -q --store "$F/store" "$F/src" "$F/new2"
t_eq "links after a second clone" "$(stat -c %h "$V/src/usr/lib/dup1")" $((links + 1))
uv_template_snap "$V/new2" | diff "$T/want" - >&2 || t_fail "the second copy differs"
# Skipped paths are left out; excluded ones are copies.
t_check "clone with rules" "$VC" -q --store "$F/store" --exclude '~/usr/share' --exclude /usr/bin "$F/src" "$F/new3"
[ -e "$V/new3/usr/share" ] && t_fail "~/usr/share was copied"
[ "$(uv_inode "$V/new3/usr/bin/tool")" != "$(uv_inode "$V/src/usr/bin/tool")" ] || t_fail "/usr/bin linked"
[ "$(uv_inode "$V/new3/usr/lib/dup1")" = "$(uv_inode "$V/src/usr/lib/dup1")" ] || t_fail "/usr/lib not linked"
# Default store: next to the template.
t_check "default store" "$VC" -q "$F/src" "$F/new4"
[ -d "$V/.vunify-store/objects" ] || t_fail "no default store next to the template"
# Two names of one object in the template are two files to its guest: a
# copy (here: excluded) makes two files, not a hardlink group.
mkdir -p "$F/t2/opt"
uv_file "$F/t2/opt/a" 4000 twin 0644 0:0 $UV_T1 $UV_A1
uv_file "$F/t2/opt/b" 4000 twin 0644 0:0 $UV_T1 $UV_A1
t_check "unify t2" "$VH" -q --store "$F/store" "$F/t2"
t_eq "t2 twins linked" "$(uv_inode "$V/t2/opt/a")" "$(uv_inode "$V/t2/opt/b")"
t_check "clone t2 without /opt" "$VC" -q --store "$F/store" --exclude /opt "$F/t2" "$F/new5"
[ "$(uv_inode "$V/new5/opt/a")" != "$(uv_inode "$V/new5/opt/b")" ] || t_fail "object names copied as a hardlink group"
t_eq "copy links" "$(stat -c %h "$V/new5/opt/a") $(stat -c %h "$V/new5/opt/b")" "1 1"
t_check "verify" "$VH" verify -q --store "$F/store"
t_done
