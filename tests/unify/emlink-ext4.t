#!/bin/bash
# timeout: 600
# ext4's real link limit (65000 links an inode): 65002 identical files in
# one guest on a small ext4 image.  The first object fills up (EMLINK), a
# second instance (REST.1) takes the rest; nothing is lost or left private.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
t_require_root
t_require_cmd mkfs.ext4

truncate -s 160M "$T/ext4.img" && mkfs.ext4 -q -F -b 1024 -N 70000 -O inline_data "$T/ext4.img" ||
	t_fail "mkfs.ext4"
mkdir "$T/mnt"
mount -o loop "$T/ext4.img" "$T/mnt" 2>"$T/err" || t_skip "cannot mount a loop device: $(cat "$T/err")"
F=$T/mnt
mkdir -p "$F/g" && "$VU_TEST_BIN/uh_mkfiles" "$F/g/d" 65002 100 || t_fail "mkfiles"

out=$(t_timeout 500 "$VH" -j 2 --store "$F/store" "$F/g") || t_fail "vhashify: $out"
t_log "$out"
t_eq "linked" "$(uv_summary "$out" linked)" 65002
t_eq "saved" "$(uv_summary "$out" saved)" $((65000 * 100))
objs=$(find "$F/store/objects" -type f -printf '%f %n\n' | sed 's/^[0-9a-f]*//' | sort)
t_eq "instances and their links" "$(tr '\n' ' ' <<<"$objs")" " 65000 .1 4 "
t_eq "private files left" "$(find "$F/g" -type f -links 1 | wc -l)" 0
uv_no_temporaries "$F/g"
t_check "verify" "$VH" verify -q --store "$F/store"
umount "$T/mnt" || t_fail "umount"
t_done
