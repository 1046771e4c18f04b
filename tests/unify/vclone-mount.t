#!/bin/bash
# vclone's result, mounted with vunifyfs, is indistinguishable from the
# template: vu_snap of the mount equals vu_snap of the template as it was.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
. "$(dirname "$0")/gen-guests.sh"
. "$(dirname "$0")/gen-template.sh"
t_require_root
t_require_cmd setfacl
[ -x "$VU_BIN/vunifyfs" ] || t_fail "no $VU_BIN/vunifyfs (build it: make)"
uv_mounts

uv_template "$F/src"
vu_snap "$V/src" | grep -v '\.vunify-tmp\.' > "$T/want"
out=$(t_timeout 120 "$VC" --store "$F/store" "$F/src" "$F/new") || t_fail "vclone: $out"
t_log "$out"
# Mounted through the noatime view, so that looking reads no atime away.
vu_mount "$V/new" "$T/mnt"
vu_snap "$T/mnt" > "$T/got"
diff "$T/want" "$T/got" >&2 || t_fail "the mounted clone differs from the template"
# A write breaks the link: the template and the store keep the old content.
echo changed > "$T/mnt/usr/lib/dup1"
t_eq "written" "$(cat "$T/mnt/usr/lib/dup1")" "changed"
cmp -s "$V/src/usr/lib/dup1" "$V/new/usr/lib/dup1" && t_fail "the write reached the template"
vu_umount "$T/mnt"
t_check "verify" "$VH" verify -q --store "$F/store"
t_done
