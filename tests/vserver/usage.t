#!/bin/bash
# timeout: 300
# One rule for "private" (format.h, "Private usage"): `vserver NAME status`,
# `vhashify stats` and vunifyfs's usage record give the same private bytes
# and inodes for one guest, and they are what the rule says, computed here
# independently with find(1).  The guest mixes everything the rule has a
# case for: files shared through the store (a vclone of a busybox
# template), private files, a hardlink pair the guest made (one inode), a
# sparse file (allocated blocks, not its size), symlinks, a marked file with
# a single name (shared all the same), and a chain of directories deeper
# than the descriptor limit both tools run under.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"
[ -x "$VU_BIN/vclone" ] || t_skip "vclone is not built"
[ -x "$VU_BIN/vhashify" ] || t_skip "vhashify is not built"
t_require_cmd getfattr
t_require_cmd jq

vs_busybox_tree "$T/template"
mkdir -p "$T/template/usr/share"
head -c 300000 /dev/urandom > "$T/template/usr/share/shared-data"
g=$(vs_name u)
VS_GUESTS+=("$g")
t_check "build" "$VS" "$g" build --template "$T/template"
root=$VUNIFY_BASE/guests/$g/root
getfattr -n trusted.vunify "$root/usr/share/shared-data" >/dev/null 2>&1 ||
	t_fail "the template's files are not shared: nothing to tell apart"

# What the guest made of its own.
head -c 123457 /dev/urandom > "$root/root/private"
ln "$root/root/private" "$root/tmp/private-again"
truncate -s 64M "$root/root/sparse"
printf 'data in the middle' | dd of="$root/root/sparse" bs=1 seek=$((32 << 20)) conv=notrunc status=none
ln -s /usr/share/shared-data "$root/root/link"
ln -s "$(printf 'x%.0s' $(seq 200))" "$root/root/long-link"   # a symlink with a block
echo lone > "$root/root/lone"
setfattr -n trusted.vunify -v 0123456789abcdef0123456789abcdef "$root/root/lone"
depth=300
( cd "$root/root" && mkdir -p "$(printf 'd/%.0s' $(seq $depth))" &&
  cd "$(printf 'd/%.0s' $(seq $depth))" && echo bottom > deepest ) || t_fail "cannot build the chain"
[ "$(stat -c %b "$root/root/sparse")" -lt 1024 ] || t_skip "this file system does not keep holes"

# The rule, computed here: every inode once (the top too), allocated
# bytes, nothing for a regular file that carries the mark.
expect() {
	find "$root" -printf '%i %y %b %p\n' | sort -u -k1,1n | while read -r ino type blocks path; do
		if [ "$type" = f ] && getfattr -h -n trusted.vunify "$path" >/dev/null 2>&1; then
			continue
		fi
		echo "$blocks"
	done | awk '{ b += $1 * 512; n++ } END { printf "%d %d\n", b, n }'
}

# vserver status: "private 1.2M (BYTES bytes) in INODES inodes".
status_numbers() {
	local out
	out=$(ulimit -n 64; "$VS" "$g" status 2>&1)
	sed -nE 's/.*disk: *private [^ ]* \(([0-9]+) bytes\) in ([0-9]+) inodes.*/\1 \2/p' <<<"$out" |
		grep . || t_fail "status: no private usage in: $out"
}

# vhashify stats --json: private_bytes and private_inodes of the guest.
stats_numbers() {
	local out
	out=$(ulimit -n 64; "$VU_BIN/vhashify" stats --json --store "$VUNIFY_BASE/store" "$root" 2>&1) ||
		t_fail "vhashify stats: $out"
	jq -r '.guests[0] | "\(.private_bytes) \(.private_inodes)"' <<<"$out" ||
		t_fail "vhashify stats: not the JSON expected: $out"
}

want=$(expect)
t_log "by the rule: $want (bytes inodes)"
t_eq "vserver status: private bytes and inodes" "$(status_numbers)" "$want"
t_eq "vhashify stats: private bytes and inodes" "$(stats_numbers)" "$want"

# vunifyfs with a disk limit counts the tree at mount and keeps the count
# in its usage record at a clean unmount; after a remount (from the clean
# record) it is still the same, and so are the other two.
vu_mount "$root" "$T/mnt" -o space=1G
t_eq "the guest sees its files" "$(cat "$T/mnt/root/$(printf 'd/%.0s' $(seq 5))../../../../../private" | wc -c)" 123457
vu_umount "$T/mnt"
vu_mount "$root" "$T/mnt" -o space=1G
vu_umount "$T/mnt"
rec=$(getfattr --only-values -n trusted.vunify.usage "$root" 2>/dev/null) ||
	t_fail "no usage record after a clean unmount"
t_log "usage record: $rec"
got=$(sed -nE 's/^v1 bytes=([0-9]+) inodes=([0-9]+) state=clean$/\1 \2/p' <<<"$rec")
want=$(expect)
t_eq "vunifyfs's usage record" "$got" "$want"
t_eq "vserver status after the mounts" "$(status_numbers)" "$want"
t_eq "vhashify stats after the mounts" "$(stats_numbers)" "$want"
t_done
