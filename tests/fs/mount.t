#!/bin/bash
# Mounting and unmounting: the command line, mount(8)/fstab through
# mount.fuse3, fusermount3 -u, read-only mounts, fsname, and every bad input
# answered with one clear line and a non-zero exit, mounting nothing.
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
t_require_cmd mount.fuse3
v=$VU_BIN/vunifyfs
g=$T/g m=$T/m
mkdir -p "$g" "$m"
echo data > "$g/f"

# expect_error DESC PATTERN CMD...: fails, non-zero, one line naming the cause.
expect_error() {
	local desc=$1 pat=$2 out rc; shift 2
	out=$(timeout 20 "$@" 2>&1); rc=$?
	[ $rc != 0 ] || t_fail "$desc: exit 0"
	[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || t_fail "$desc: not one line: $out"
	case "$out" in vunifyfs:*$pat*) ;; *) t_fail "$desc: '$out' does not say '$pat'" ;; esac
	awk -v t="$T/" '$9 == "fuse.vunifyfs" && index($5, t) == 1 { f = 1 } END { exit !f }' \
		/proc/self/mountinfo && t_fail "$desc: something got mounted"
	return 0
}

expect_error "missing guest" "No such file or directory" $v "$T/nope" "$m"
expect_error "guest not a dir" "Not a directory" $v "$g/f" "$m"
expect_error "missing mountpoint" "No such file or directory" $v "$g" "$T/nope"
expect_error "mountpoint not a dir" "Not a directory" $v "$g" "$g/f"
expect_error "unknown -o key" "unknown mount option 'bogus'" $v -o bogus "$g" "$m"
expect_error "unknown -o key among known" "unknown mount option 'nosuchthing'" $v -o ro,nosuchthing "$g" "$m"
expect_error "unknown flag" "unknown option '-z'" $v -z "$g" "$m"
expect_error "one argument" "need GUEST_DIR and MOUNTPOINT" $v "$g"
expect_error "three arguments" "unexpected argument" $v "$g" "$m" "$T"
expect_error "mountpoint inside guest" "inside GUEST_DIR" $v "$g" "$g"
expect_error "bad timeout" "timeout=-1: not a number of seconds" $v -o timeout=-1 "$g" "$m"
expect_error "bad size" "not a size" $v -o space=12X "$g" "$m"
expect_error "bad reserve" "0 to 50" $v -o space=1G,reserved=80 "$g" "$m"
expect_error "reserve without space" "needs space=" $v -o reserved=5 "$g" "$m"
expect_error "bad passthrough mode" "auto, on or off" $v -o passthrough=maybe "$g" "$m"
expect_error "not root" "must run as root" setpriv --reuid=1000 --regid=1000 --clear-groups $v "$g" "$m"
# A filesystem without trusted xattrs (ramfs has no xattrs at all).
mkdir -p "$T/ramfs"; mount -t ramfs none "$T/ramfs"; mkdir "$T/ramfs/g"
expect_error "no trusted xattrs" "no trusted xattrs" $v "$T/ramfs/g" "$m"
umount "$T/ramfs"

# --- a plain mount, shown with the guest as source and type fuse.vunifyfs ---
vu_mount "$g" "$m"
line=$(awk -v m="$m" '$5 == m' /proc/self/mountinfo)
case "$line" in *" - fuse.vunifyfs $g "*) ;; *) t_fail "mountinfo: $line" ;; esac
case "$line" in *nodev*) ;; *) t_fail "not nodev by default: $line" ;; esac
expect_error "already mounted" "already a mount point" $v "$g" "$T/m"
mkdir -p "$T/m2"
expect_error "guest in use" "in use" $v "$g" "$T/m2"
[ "$(cat "$m/f")" = data ] || t_fail "read"
t_check "fusermount3 -u" fusermount3 -u "$m"
for i in $(seq 50); do pgrep -f "vunifyfs .*$m\$" >/dev/null || break; sleep 0.1; done
pgrep -f "vunifyfs .*$m\$" >/dev/null && t_fail "daemon still running after fusermount3 -u"

# --- mount(8) through mount.fuse3, options after the positionals.  mount(8)
# runs helpers with a fixed PATH, so "-t fuse.vunifyfs" finds an installed
# vunifyfs only; the "PROGRAM#SOURCE" form names the one under test.
t_check "mount -t fuse" mount -t fuse "$VU_BIN/vunifyfs#$g" "$m" \
	-o ro,noatime,fsname=guest1,x-systemd.automount,nofail
line=$(awk -v m="$m" '$5 == m' /proc/self/mountinfo)
case "$line" in *" - fuse.vunifyfs guest1 "*) ;; *) t_fail "fsname not used: $line" ;; esac
case "$line" in *" ro,"*|*" ro "*) ;; *) t_fail "not read-only: $line" ;; esac
echo x > "$m/new" 2>/dev/null && t_fail "wrote to a read-only mount"
[ "$(cat "$m/f")" = data ] || t_fail "read on ro mount"
t_check "umount" umount "$m"
for i in $(seq 50); do pgrep -f "vunifyfs .*$m" >/dev/null || break; sleep 0.1; done

# --- an fstab line ---
fstab=$T/fstab
echo "$VU_BIN/vunifyfs#$g $m fuse defaults,nofail,_netdev,comment=test 0 0" > "$fstab"
t_check "mount from an fstab" mount -T "$fstab" "$m"
[ "$(cat "$m/f")" = data ] || t_fail "read after fstab mount"
echo new > "$m/new" || t_fail "write after fstab mount"
vu_umount "$m"

# --- devices only when asked ---
vu_mount "$g" "$m" -o devices
case "$(awk -v m="$m" '$5 == m' /proc/self/mountinfo)" in *nodev*) t_fail "devices: still nodev" ;; esac
mknod "$m/zero" c 1 5
[ "$(head -c 3 "$m/zero" | od -An -tx1 | tr -d ' ')" = 000000 ] || t_fail "devices: node not usable"
vu_umount "$m"

# --- SIGTERM takes the mount down ---
vu_mount "$g" "$m"
pkill -TERM -f "vunifyfs .*$m\$"
for i in $(seq 50); do awk -v m="$m" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo || break; sleep 0.1; done
awk -v m="$m" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo && t_fail "mount left after SIGTERM"
# ... and the guest lock is free again.
vu_mount "$g" "$m"
vu_umount "$m"
# ... also where mountinfo escapes the mount point's name ("\040").
ms="$T/m x"
t_on_exit "umount -l '$ms'"
vu_mount "$g" "$ms"
t_mounted "$ms" || t_fail "'$ms' not mounted"
pkill -TERM -f "vunifyfs .*$ms\$"
for i in $(seq 50); do t_mounted "$ms" || break; sleep 0.1; done
t_mounted "$ms" && t_fail "mount at '$ms' left after SIGTERM"

# --- help and version ---
$v --help | grep -q "usage: vunifyfs" || t_fail "--help"
$v --version | grep -q "^vunifyfs " || t_fail "--version"
t_done
