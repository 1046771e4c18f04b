#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The vserver part of `make demo`: build a small busybox guest from a
# template directory with vclone, start it (vunifyfs root, own namespaces,
# cgroup limits), run commands in it, show its status, stop it, and show
# that nothing is left.  Everything happens below a temporary directory.
#
#   tools/vserver/demo.sh [BUILD_BIN_DIR]
set -eu
bin=${1:-$(cd "$(dirname "$0")/../../build/bin" && pwd)}
[ "$(id -u)" = 0 ] || { echo "demo: must run as root" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "demo: needs busybox-static" >&2; exit 1; }
for p in vserver vunifyfs vclone; do
	[ -x "$bin/$p" ] || { echo "demo: $bin/$p is not built" >&2; exit 1; }
done

d=$(mktemp -d /tmp/vunify-demo.XXXXXX)
export VUNIFY_BASE=$d/base VUNIFY_RUNDIR=$d/run VUNIFY_LOGDIR=$d/log
vs=$bin/vserver
cleanup() {
	"$vs" demo stop --timeout 0 >/dev/null 2>&1 || true
	rm -rf --one-file-system "$d"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "a template tree: busybox-static and an inittab"
t=$d/template
mkdir -p "$t"/{bin,sbin,etc,proc,sys,dev,run,tmp,root}
cp /bin/busybox "$t/bin/"
for a in $("$t/bin/busybox" --list); do [ -e "$t/bin/$a" ] || ln -s busybox "$t/bin/$a"; done
ln -s ../bin/busybox "$t/sbin/init"
printf '%s\n' '::sysinit:/bin/echo demo guest booted' '::respawn:/bin/sleep 1000000' \
	'::ctrlaltdel:/bin/poweroff' > "$t/etc/inittab"
echo 'root:x:0:0:root:/root:/bin/sh' > "$t/etc/passwd"
mkdir -p "$VUNIFY_BASE/store" && chmod 700 "$VUNIFY_BASE/store"

say "build the guest as a clone of the template (files shared through the store)"
run "$vs" demo build --template "$t"
printf '%s\n' '[limits]' 'memory = 128M' 'pids = 100' >> "$VUNIFY_BASE/guests/demo/guest.conf"
run cat "$VUNIFY_BASE/guests/demo/guest.conf" | grep -v '^#'

say "start it: init runs when this returns"
run "$vs" demo start
run "$vs" list

say "inside: its own PID 1, host name, mounts, no way to mount or load modules"
run "$vs" demo exec ps
run "$vs" demo exec hostname
run "$vs" demo exec sh -c 'cat /proc/self/mountinfo | cut -d" " -f5,9 | head -5'
run "$vs" demo exec mount -t tmpfs none /mnt || true
run "$vs" demo exec sh -c 'exit 7' || echo "(exit status $? passed through)"

say "status"
run "$vs" demo status

say "stop: init shuts down, then the cgroup is emptied and the root unmounted"
run "$vs" demo stop
run "$vs" demo running || echo "(exit status $?: stopped)"
run cat "$(sed -n 's/^log=//p' < <("$vs" info))/demo/console.log"
