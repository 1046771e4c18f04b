# SPDX-License-Identifier: GPL-2.0-or-later
# Shared pieces of the vserver tests (tests/vserver/*.t).  Source it after
# tests/lib.sh:
#
#   . "$(dirname "$0")/../lib.sh"
#   . "$(dirname "$0")/vslib.sh"
#
# Everything lives below $T: the base directory ($T/base) and the runtime
# directory ($T/run, through VUNIFY_RUNDIR), so that the runner's leftover
# check sees every mount.  Guest names carry the test's PID so that cgroups
# (/sys/fs/cgroup/*/vunify/NAME) and veth names never collide with anything
# else.  Whatever a test starts is stopped, killed and removed at exit, even
# when it fails.

t_require_root
[ -x "$VU_BIN/vserver" ] || t_skip "vserver is not built"
[ -x "$VU_BIN/vunifyfs" ] || t_skip "vunifyfs is not built"
[ -x /bin/busybox ] || t_skip "needs busybox-static"

export VUNIFY_BASE=$T/base
export VUNIFY_RUNDIR=$T/run
export VUNIFY_LOGDIR=$T/log
# Guests use lxcfs only where a test starts its own (lxcfs.t): a host whose
# lxcfs service runs would otherwise change every guest's /proc under the
# tests (vserver(8), LXCFS).
export VUNIFY_LXCFS=$T/no-lxcfs
VS=$VU_BIN/vserver
VS_PROBE=$VU_TEST_BIN/vs_probe
VS_GUESTS=()
# A marker that exists only on the host: escape probes look for it.
VS_MARKER=$T/host-only-marker
mkdir -p "$VUNIFY_BASE/guests" "$VUNIFY_BASE/store" "$VUNIFY_RUNDIR"
chmod 0700 "$VUNIFY_BASE/store"
echo host > "$VS_MARKER"

# vs_name SUFFIX: a guest name unique to this test run (<= 12 characters,
# so that the host's veth end is "vu-NAME").
vs_name() { printf 't%s%s' "$(( $$ % 100000 ))" "$1"; }

# This base's runtime directory and cgroup (vserver info: they carry the
# base's key, so that two bases never share them).
VS_INFO=$("$VS" info) || t_fail "vserver info failed"
VS_RUNKEY=$(sed -n 's/^run=//p' <<< "$VS_INFO")
VS_CGKEY=$(sed -n 's/^cgroup=//p' <<< "$VS_INFO")
VS_LOGKEY=$(sed -n 's/^log=//p' <<< "$VS_INFO")
# vs_run NAME: the guest's runtime directory (state, socket, its mount).
vs_run() { echo "$VS_RUNKEY/$1"; }
# vs_log NAME: the directory of its console.log and supervisor.log.
vs_log() { echo "$VS_LOGKEY/$1"; }
# vs_cgname NAME: the guest's group, relative to a hierarchy's root.
vs_cgname() { echo "$VS_CGKEY/$1"; }

# Host side of a guest, for checks and for the cleanup.
vs_cgroup_dirs() { ls -d /sys/fs/cgroup/*/"$(vs_cgname "$1")" /sys/fs/cgroup/unified/"$(vs_cgname "$1")" 2>/dev/null; }
vs_cgroup_procs() {
	local d
	for d in $(vs_cgroup_dirs "$1"); do cat "$d/cgroup.procs" 2>/dev/null; done | sort -u
}

# vs_cg NAME CONTROLLER: the guest's cgroup directory for CONTROLLER, on
# cgroup v1 (this build machine) or v2 (production).
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
	vs_cg() { echo "/sys/fs/cgroup/$(vs_cgname "$1")"; }
	VS_CGV=2
else
	vs_cg() { echo "/sys/fs/cgroup/$2/$(vs_cgname "$1")"; }
	VS_CGV=1
fi

# Force everything of guest $1 away, whatever state it is in.
vs_force_cleanup() {
	local name=$1 d i
	timeout 60 "$VS" "$name" stop --timeout 0 >/dev/null 2>&1
	for i in 1 2 3; do
		for d in $(vs_cgroup_dirs "$name"); do
			[ -w "$d/cgroup.kill" ] && echo 1 > "$d/cgroup.kill"
			[ -w "$d/freezer.state" ] && echo FROZEN > "$d/freezer.state"
			xargs -r kill -9 < "$d/cgroup.procs" 2>/dev/null
			[ -w "$d/freezer.state" ] && echo THAWED > "$d/freezer.state"
		done
		sleep 0.2
		# children first: the guest's own groups below its cgroup2 one
		for d in $(vs_cgroup_dirs "$name"); do
			find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
			# the base's level too, once its last guest is gone
			rmdir "${d%/*}" 2>/dev/null
		done
	done
	ip link del "vu-$name" 2>/dev/null
	return 0
}
t_on_exit 'for g in "${VS_GUESTS[@]:-}"; do [ -n "$g" ] && vs_force_cleanup "$g"; done'

# vs_install_prog GUESTROOT PROG...: copy host programs and the libraries
# they need into a guest tree (for the probes in the busybox guest).
vs_install_prog() {
	local root=$1 p lib; shift
	for p in "$@"; do
		mkdir -p "$root/usr/local/bin"
		cp "$p" "$root/usr/local/bin/"
		for lib in $(ldd "$p" 2>/dev/null | grep -o '/[^ ]*'); do
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	done
}

# vs_busybox_tree DIR: a small guest tree: busybox-static, its applets,
# busybox init with an inittab that logs boot and shutdown, the probes.
vs_busybox_tree() {
	local root=$1 a
	mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,run,tmp,root,var/log,usr/bin,usr/sbin,mnt}
	chmod 1777 "$root/tmp"
	cp /bin/busybox "$root/bin/busybox"
	for a in $("$root/bin/busybox" --list); do
		[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
	done
	ln -sf ../bin/busybox "$root/sbin/init"
	cat > "$root/etc/inittab" <<-'EOF'
	::sysinit:/bin/echo vs-guest: booted
	::respawn:/bin/sleep 1000000
	::ctrlaltdel:/bin/poweroff
	::shutdown:/bin/echo vs-guest: shutting down
	EOF
	echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
	echo 'root:x:0:' > "$root/etc/group"
	[ -x "$VS_PROBE" ] && vs_install_prog "$root" "$VS_PROBE"
	return 0
}

# vs_tree_groups DIR: the guest's own hardlink groups (files with several
# names, unmarked), each as its sorted list of names.
vs_tree_groups() {
	(cd "$1" && find . -type f -links +1 -printf '%i %p\n' | while read -r i p; do
		getfattr -n trusted.vunify "$p" >/dev/null 2>&1 || echo "$i $p"; done |
		sort -k1,1n -k2 | awk '$1 != i { if (l) print l; l = ""; i = $1 } { l = l " " $2 } END { if (l) print l }' | sort)
}

# vs_private_file_bytes ROOT: the bytes of the guest's own regular files
# (unmarked; each inode once), what a stream must carry as file data.
vs_private_file_bytes() {
	(cd "$1" && find . -type f -printf '%i %s %p\n' | sort -u -k1,1n | while read -r i s p; do
		getfattr -n trusted.vunify "$p" >/dev/null 2>&1 || echo "$s"; done |
		awk '{ t += $1 } END { print t + 0 }')
}

# vs_srv_file ROOT: ROOT/srv/a with everything a copy must keep: content,
# a second name (a-link), a user xattr, owner, mode and times.
vs_srv_file() {
	mkdir -p "$1/srv" &&
		printf 'data\n' > "$1/srv/a" &&
		ln "$1/srv/a" "$1/srv/a-link" &&
		setfattr -n user.note -v kept "$1/srv/a" &&
		chown 1234:55 "$1/srv/a" &&
		chmod 0640 "$1/srv/a" &&
		touch -d '2001-02-03 04:05:06.789' "$1/srv/a" || t_fail "vs_srv_file $1"
}

# vs_second_base [DIR] -- NAME...: a second base B (default $T/baseB) with
# its own guests and store, vsb() to run vserver on it, and its guests
# NAME... stopped at exit (a test that moves guests between bases).
vs_second_base() {
	B=$T/baseB
	[ $# -gt 0 ] && [ "$1" != -- ] && { B=$1; shift; }
	[ "${1:-}" = -- ] && shift
	mkdir -p "$B/guests" "$B/store" && chmod 0700 "$B/store" || t_fail "mkdir $B"
	local n
	for n in "$@"; do
		t_on_exit "VUNIFY_BASE=$B timeout 180 $VS $n stop --timeout 0 >/dev/null 2>&1"
	done
}
vsb() { VUNIFY_BASE=$B "$VS" "$@"; }

# vs_guest SUFFIX [guest.conf lines...]: build a busybox guest, print its
# name.  The configuration gets [guest] hostname = NAME plus the lines given
# (which may open further sections).
vs_guest() {
	local name dir
	name=$(vs_name "$1"); shift
	dir=$VUNIFY_BASE/guests/$name
	mkdir -p "$dir"
	vs_busybox_tree "$dir/root"
	{
		echo "[guest]"
		echo "hostname = $name"
		printf '%s\n' "$@"
	} > "$dir/guest.conf"
	# The barrier `vserver build` makes (vserver(8), BARRIER).
	chmod 000 "$dir"
	echo "$name"
}

# vs_start NAME: start the guest (registered for the cleanup), fail the test
# if that fails.
vs_start() {
	VS_GUESTS+=("$1")
	t_timeout 60 "$VS" "$1" start || t_fail "vserver $1 start failed"
}

# vs_exec NAME CMD...: run CMD in the guest (bounded).
vs_exec() { local n=$1; shift; timeout -k 5 60 "$VS" "$n" exec "$@"; }

# vs_stop NAME [ARGS]: stop, fail the test if that fails.
vs_stop() { local n=$1; shift; t_timeout 120 "$VS" "$n" stop "$@" || t_fail "vserver $n stop failed"; }

# vs_assert_gone NAME: nothing of the guest is left on the host: no mount,
# no cgroup, no supervisor, watchdog or vunifyfs, no guest process, no veth,
# no socket or state file; `vserver NAME running` says stopped.
vs_assert_gone() {
	local name=$1 run rc
	run=$(vs_run "$1")
	"$VS" "$name" running; rc=$?
	[ $rc = 3 ] || t_fail "$name: running says $rc after the stop, want 3"
	awk -v p="$run/" 'substr($5, 1, length(p)) == p { f = 1 } END { exit f }' /proc/self/mountinfo ||
		t_fail "$name: a mount is left below $run"
	[ -z "$(vs_cgroup_dirs "$name")" ] || t_fail "$name: cgroups left: $(vs_cgroup_dirs "$name")"
	[ ! -e "$run/sock" ] || t_fail "$name: control socket left"
	[ ! -e "$run/state" ] || t_fail "$name: state file left"
	! ip link show "vu-$name" >/dev/null 2>&1 || t_fail "$name: veth vu-$name left"
	# Live processes only: this machine's PID 1 does not reap orphans,
	# so a finished supervisor may linger as a zombie.
	local p
	for p in $(pgrep -f -- "$VUNIFY_BASE.* $name( |\$)|/guests/$name/root"); do
		[ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" = Z ] && continue
		[ -d "/proc/$p" ] && t_fail "$name: process left: $p $(tr '\0' ' ' < "/proc/$p/cmdline")"
	done
	return 0
}

# vs_wait COND_CMD...: poll (up to 30 s) until COND_CMD succeeds.
vs_wait() {
	local i
	for i in $(seq 300); do "$@" && return 0; sleep 0.1; done
	return 1
}

# vs_cgroup2_mount: set VS_CG2 to the cgroup2 hierarchy guests get their
# own subtree in (/sys/fs/cgroup on v2, the hybrid layout's unified mount on
# v1), or skip the test if there is none.
vs_cgroup2_mount() {
	local m
	for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		[ "$(stat -f -c %T "$m" 2>/dev/null)" = cgroup2fs ] && { VS_CG2=$m; return 0; }
	done
	t_skip "no cgroup2 hierarchy (neither /sys/fs/cgroup nor /sys/fs/cgroup/unified)"
}

# vs_debootstrap_setup: for tests that build with -m debootstrap: set
# VS_DEB_CACHE (the package cache, ${VUNIFY_TEST_CACHE:-/var/cache/vunify-tests}/
# debootstrap, so that only a machine's first run downloads) and
# VS_DEB_MIRROR ($VUNIFY_TEST_MIRROR or Debian's); skip the test if
# debootstrap is missing or the mirror cannot be reached.
vs_debootstrap_setup() {
	local hostport
	t_require_cmd debootstrap
	[ -x "$VU_BIN/vhashify" ] || t_skip "vhashify is not built"
	VS_DEB_CACHE=${VUNIFY_TEST_CACHE:-/var/cache/vunify-tests}/debootstrap
	VS_DEB_MIRROR=${VUNIFY_TEST_MIRROR:-http://deb.debian.org/debian}
	mkdir -p "$VS_DEB_CACHE" && chmod 0755 "$VS_DEB_CACHE"
	hostport=${VS_DEB_MIRROR#*://}; hostport=${hostport%%/*}
	case "$hostport" in *:*) ;; *) hostport=$hostport:80 ;; esac
	timeout 20 bash -c "exec 3<>/dev/tcp/${hostport%:*}/${hostport##*:}" 2>/dev/null ||
		t_skip "cannot reach $VS_DEB_MIRROR to debootstrap a guest"
}
