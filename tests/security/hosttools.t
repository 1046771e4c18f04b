#!/bin/bash
# timeout: 180
# Host tools honour the guest lock of the guest a path is in, whatever path
# they are given (security issue 11): vhashify on a subdirectory of a
# mounted guest, vclone from or into one, are refused with one line naming
# the guest in use, and change nothing; sibling guests are not in the way.
# vunifyfs refuses a mount point that is the guest directory or anywhere
# below it, also reached through a symlink or a bind mount, and mounts
# nothing.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/../unify/lib-unify.sh"
t_require_root
[ -x "$VU_BIN/vunifyfs" ] || t_fail "no $VU_BIN/vunifyfs (build it: make)"
uv_mounts

S=$F/store
for g in g1 g2 src; do
	uv_file "$F/$g/usr/a/twin1" 5000 twin 0644 0:0 @1600000000 @1600000000
	uv_file "$F/$g/usr/a/twin2" 5000 twin 0644 0:0 @1600000000 @1600000000
done
t_check "a working store" "$VH" -q --store "$S" "$F/src"
# A store inside g1, for a view of g1's subtree through a bind mount.
uv_file "$F/src2/x" 5000 x 0644 0:0 @1600000000 @1600000000
t_check "a store in g1" "$VH" -q --store "$F/g1/usr/store" "$F/src2"

# refused DESC PATTERN CMD...: CMD fails, with exactly one line on stderr
# matching PATTERN (a glob).
refused() {
	local desc=$1 pat=$2 err rc; shift 2
	"$@" > "$T/out" 2> "$T/err"; rc=$?
	err=$(cat "$T/err")
	[ $rc != 0 ] || t_fail "$desc: succeeded ($err)"
	[ "$(grep -c . "$T/err")" = 1 ] || t_fail "$desc: want one line on stderr, got: $err"
	case "$err" in $pat) ;; *) t_fail "$desc: got '$err', want '$pat'" ;; esac
	t_log "$desc: $err"
}

nothing_mounted() {
	awk -v p="$T/" 'substr($5, 1, length(p)) == p && $5 != p"fs" && $5 != p"view" { print $5 }' \
		/proc/self/mountinfo | grep -q . && t_fail "$1: something is mounted: $(t_mounts_below "$T")"
	return 0
}

vu_mount "$F/g1" "$T/mnt"
uv_snap "$V/g1" | grep -v "^./usr/store" > "$T/before"

# vhashify on a subdirectory, directly and through a symlink.
refused "vhashify on a subdirectory" "*usr/a: inside the guest $T/*g1, which is in use*" \
	"$VH" --store "$S" "$F/g1/usr/a"
ln -s "$F/g1/usr" "$T/link"
refused "vhashify through a symlink" "*link/a: inside the guest $T/*g1, which is in use*" \
	"$VH" --store "$S" "$T/link/a"
# A bind mount of a subtree of g1: ".." leaves g1 there, the lock is found
# through g1's own filesystem.
mkdir -p "$T/b" && mount --bind "$F/g1" "$T/b" || t_fail "bind mount $T/b"
refused "vhashify through a bind mount of a subtree" \
	"*b/usr/a: inside the guest $T/b, which is in use*" "$VH" --store "$T/b/usr/store" "$T/b/usr/a"
umount "$T/b" && mount --bind "$F/g1/usr" "$T/b" || t_fail "bind mount $T/b"
refused "vhashify on a bind-mounted subtree" "*b/a: inside the guest $T/*g1, which is in use*" \
	"$VH" --store "$T/b/store" "$T/b/a"
umount "$T/b"
refused "vhashify on the guest itself" "*g1: in use*" "$VH" --store "$S" "$F/g1"
# vclone from and into the mounted guest.
refused "vclone from a subdirectory" "*usr: inside the guest $T/*g1, which is in use*" \
	"$VC" --store "$S" "$F/g1/usr" "$F/new1"
refused "vclone into a subdirectory" "*usr/new2: inside the guest $T/*g1, which is in use*" \
	"$VC" --store "$S" "$F/src" "$F/g1/usr/new2"
refused "vclone into the guest's top" "*g1/new3: inside the guest $T/*g1, which is in use*" \
	"$VC" --store "$S" "$F/src" "$F/g1/new3"
[ -e "$F/new1" ] && t_fail "vclone made $F/new1"
uv_snap "$V/g1" | grep -v "^./usr/store" > "$T/after"
diff "$T/before" "$T/after" >&2 || t_fail "the mounted guest changed"
t_eq "twins still apart" "$(stat -c %h "$V/g1/usr/a/twin1")" 1

# A sibling under the same parent is not in the way, nor is it hindered.
out=$("$VH" --store "$S" "$F/g2" 2>&1) || t_fail "vhashify on the sibling g2: $out"
t_eq "g2 linked" "$(uv_summary "$out" linked)" 2
out=$("$VC" -q --store "$S" "$F/src" "$F/new4" 2>&1) || t_fail "vclone next to g1: $out"
vu_umount "$T/mnt"

# Once unmounted, the subdirectory is fine.
out=$("$VH" --store "$S" "$F/g1/usr/a" 2>&1) || t_fail "vhashify after unmount: $out"
t_eq "linked after unmount" "$(uv_summary "$out" linked)" 2

# The other way round: while vhashify works on a subdirectory of g1, g1
# cannot be mounted (vhashify is stopped in the middle, holding its locks).
"$VU_TEST_BIN/uh_mkfiles" "$F/g1/usr/a/many" 3000 4096 || t_fail "uh_mkfiles"
"$VH" -j 1 --store "$S" "$F/g1/usr/a" > "$T/vout" 2>&1 &
vpid=$!
t_on_exit "kill -CONT $vpid; kill $vpid"
for i in $(seq 1000); do
	[ -n "$(find "$V/g1/usr/a/many" -type f -links +1 -print -quit)" ] && break
	kill -0 $vpid 2>/dev/null || t_fail "vhashify ended before linking: $(cat "$T/vout")"
	sleep 0.02
done
kill -STOP $vpid || t_fail "vhashify ended too early: $(cat "$T/vout")"
refused "vunifyfs above a tree vhashify changes" "vunifyfs: $T/*g1: in use*" \
	"$VU_BIN/vunifyfs" "$F/g1" "$T/mnt"
nothing_mounted "vunifyfs above a tree vhashify changes"
kill -CONT $vpid
wait $vpid || t_fail "vhashify on g1/usr/a: $(cat "$T/vout")"

# vunifyfs: a mount point inside the guest directory, however it is named.
G=$T/d/gm
mkdir -p "$G/a/b/c" "$G/x"
ln -s "$G/a" "$T/glink"
refused "mount point = guest" "vunifyfs: $G: mount point inside GUEST_DIR $G*" \
	"$VU_BIN/vunifyfs" "$G" "$G"
nothing_mounted "mount point = guest"
refused "mount point 3 levels deep" "vunifyfs: $G/a/b/c: mount point inside GUEST_DIR $G*" \
	"$VU_BIN/vunifyfs" -o ro "$G" "$G/a/b/c"
nothing_mounted "3 levels deep"
refused "mount point through a symlink" "vunifyfs: $G/a/b: mount point inside GUEST_DIR $G*" \
	"$VU_BIN/vunifyfs" "$G" "$T/glink/b"
nothing_mounted "through a symlink"
# $F is a bind mount of $T/d: the same directory under another name.
refused "mount point through a bind mount" "vunifyfs: $F/gm/x: mount point inside GUEST_DIR $G*" \
	"$VU_BIN/vunifyfs" -o ro "$G" "$F/gm/x"
nothing_mounted "through a bind mount"
refused "guest below through a bind mount" "vunifyfs: $F/gm/a: mount point inside GUEST_DIR $G/a*" \
	"$VU_BIN/vunifyfs" "$G/a" "$F/gm/a"
nothing_mounted "guest through a bind mount"
# Next to the guest is fine.
mkdir -p "$T/d/mnt2"
vu_mount "$G" "$T/d/mnt2"
vu_umount "$T/d/mnt2"
t_done
