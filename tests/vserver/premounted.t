#!/bin/bash
# "start mounts the guest's root with vunifyfs unless it is mounted": a
# vunifyfs mount the administrator made on RUN/NAME/root is used as it is,
# left mounted by the stop, and watched: if its vunifyfs dies, the guest is
# killed all the same.  The administrator's mount may allow device nodes
# (-o devices): the guest's / is nodev all the same.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"

g=$(vs_guest p)
mnt=$(vs_run "$g")/root
premount() {
	mkdir -p "$mnt"
	vu_mount "$VUNIFY_BASE/guests/$g/root" "$mnt" -o "fsname=vunify:$g,devices"
}
# mount_opts DIR [MOUNTINFO-CMD...]: the per-mount options (field 6) of the
# mount on DIR, one a line.
mount_opts() {
	local dir=$1; shift
	"${@:-cat}" /proc/self/mountinfo | awk -v m="$dir" '$5 == m { o = $6 } END { print o }' |
		tr , '\n'
}
mounted() { awk -v m="$mnt" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo; }

premount
vs_start "$g"
t_eq "exec on the premounted root" "$(vs_exec "$g" hostname)" "$g"
mount_opts "$mnt" | grep -qx nodev && t_fail "the premount with -o devices is nodev"
t_eq "the guest's / is nodev" "$(mount_opts / vs_exec "$g" cat | grep -cx nodev)" 1
[ "$(grep -c " $mnt " /proc/self/mountinfo)" = 1 ] || t_fail "a second mount was stacked on $mnt"
grep -q "using the vunifyfs mount already on" "$(vs_log "$g")/supervisor.log" ||
	t_fail "the supervisor did not say it reuses the mount"
vs_stop "$g"
mounted || t_fail "the stop unmounted the administrator's mount"
t_eq "the mount still works" "$(cat "$mnt/etc/passwd")" "root:x:0:0:root:/root:/bin/sh"
# ... and a new start uses it again, it is not "left over".
vs_start "$g"
mounted || t_fail "the start unmounted the administrator's mount"

# Its vunifyfs dies: the guest goes too.
fs=$(pgrep -f "vunifyfs .*$mnt\$")
[ -n "$fs" ] || t_fail "no vunifyfs for $mnt"
kill -9 $fs
stopped() { ! "$VS" "$g" running; }
vs_wait stopped || t_fail "the guest runs on without its root file system"
grep -q "vunifyfs on .* died" "$(vs_log "$g")/supervisor.log" || t_fail "the supervisor did not notice"
umount -l "$mnt"
vs_assert_gone "$g"
t_done
