#!/bin/bash
# timeout: 1500
# A Debian 12 guest with its default init, systemd, booted isolated: the
# capability bounding set without CAP_SYS_ADMIN and the seccomp filter on,
# as for every guest.  It must reach "running" (not "degraded"), journald
# must log, systemctl must work, a real daemon run as a systemd service
# must answer, `systemctl reboot` must restart the guest, and `vserver
# stop` must halt it through systemd's own shutdown, leaving no cgroup,
# mount or process behind.  Then the same boot on the cgroup v2 backend.
#
# The Debian tree (minbase + systemd-sysv, dbus, cron, busybox, procps) is cached as
# a tarball in /var/cache/vunify-tests/ (or $VUNIFY_TEST_CACHE): only the
# first run on a machine downloads.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vslib.sh"
t_require_cmd debootstrap

cache=${VUNIFY_TEST_CACHE:-/var/cache/vunify-tests}
mirror=${VUNIFY_TEST_MIRROR:-http://deb.debian.org/debian}
tarball=$cache/debian-bookworm-minbase-systemd.tar
mkdir -p "$cache"

if [ ! -s "$tarball" ]; then
	exec 9> "$cache/.lock"
	flock 9
	if [ ! -s "$tarball" ]; then
		timeout 20 bash -c "exec 3<>/dev/tcp/$(echo "${mirror#http://}" | cut -d/ -f1)/80" \
			2>/dev/null || t_skip "cannot reach $mirror to debootstrap the Debian guest"
		t_log "debootstrapping bookworm with systemd into the cache (first run only)"
		mkdir -p "$cache/debs"
		t_timeout 1000 debootstrap --variant=minbase --cache-dir="$cache/debs" \
			--include=systemd-sysv,dbus,cron,busybox,procps bookworm "$T/debootstrap" "$mirror" \
			> "$T/debootstrap.log" 2>&1 ||
			t_fail "debootstrap failed: $(tail -5 "$T/debootstrap.log")"
		tar -C "$T/debootstrap" --numeric-owner --xattrs --xattrs-include='*' -cf "$tarball.tmp" . ||
			t_fail "tar of the Debian tree failed"
		mv "$tarball.tmp" "$tarball"
		rm -rf --one-file-system "$T/debootstrap"
	fi
	exec 9>&-
fi

# unified: the cgroup2 hierarchy that holds the guest's own subtree.
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
	unified=/sys/fs/cgroup
elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	unified=/sys/fs/cgroup/unified
else
	t_skip "no cgroup2 hierarchy for systemd (neither /sys/fs/cgroup nor /sys/fs/cgroup/unified)"
fi

# make_guest SUFFIX [guest.conf lines]: a guest from the cached tree.
make_guest() {
	local g dir
	g=$(vs_name "$1"); shift
	dir=$VUNIFY_BASE/guests/$g
	mkdir -p "$dir/root"
	t_timeout 300 tar -C "$dir/root" --numeric-owner --xattrs --xattrs-include='*' -xpf "$tarball" ||
		t_fail "unpacking $tarball"
	echo "$g" > "$dir/root/etc/hostname"
	printf '%s\n' "[guest]" "hostname = $g" "stop_timeout = 30" "$@" > "$dir/guest.conf"
	chmod 000 "$dir"
	echo "$g"
}

init_of() { awk -F= '$1 == "init" { print $2 }' "$VUNIFY_RUNDIR/$1/state" 2>/dev/null; }

# booted NAME: wait for the end of the boot; fail unless "running".
booted() {
	local g=$1 st
	# systemctl answers once systemd listens on its socket.
	listening() { timeout 20 "$VS" "$g" exec test -S /run/systemd/private; }
	vs_wait listening || t_fail "$g: systemd does not listen: $(tail -20 "$VUNIFY_RUNDIR/$g/console.log")"
	st=$(timeout -k 5 120 "$VS" "$g" exec systemctl is-system-running --wait 2>&1)
	[ "$st" = running ] ||
		t_fail "$g: systemd says '$st': $(vs_exec "$g" systemctl --failed --no-pager 2>&1 | head -20)
$(tail -30 "$VUNIFY_RUNDIR/$g/console.log")"
}

# stopped NAME: `vserver stop` halts it through systemd's shutdown.
stopped() {
	local g=$1 t0
	t0=$(date +%s%N)
	vs_stop "$g" --timeout 30
	t_log "$g: stop took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	grep -q "the guest halts" "$VUNIFY_RUNDIR/$g/supervisor.log" ||
		t_fail "$g: systemd did not halt by itself: $(tail -5 "$VUNIFY_RUNDIR/$g/supervisor.log")"
	grep -q "Halting system" "$VUNIFY_RUNDIR/$g/console.log" ||
		t_fail "$g: systemd's shutdown did not run: $(tail -20 "$VUNIFY_RUNDIR/$g/console.log")"
	vs_assert_gone "$g"
}

g=$(make_guest s "[limits]" "pids = 2000" "memory = 1G")
root=$VUNIFY_BASE/guests/$g/root
[ -x "$root/usr/lib/systemd/systemd" ] && [ "$(readlink "$root/sbin/init")" = /lib/systemd/systemd ] ||
	t_fail "the tree's /sbin/init is not systemd"
# Unified through a store, as guests are in production.
t_timeout 300 "$VU_BIN/vhashify" --quiet --all --store "$VUNIFY_BASE/store" "$root" ||
	t_fail "vhashify of the Debian tree failed"

t0=$(date +%s%N)
vs_start "$g"
booted "$g"
t_log "$g: booted to running in $(( ($(date +%s%N) - t0) / 1000000 )) ms"

# Isolated as every guest: no CAP_SYS_ADMIN (bit 21) in init's bounding set,
# the seccomp filter on.
init=$(init_of "$g")
capbnd=$(awk '$1 == "CapBnd:" { print $2 }' "/proc/$init/status")
[ $(( 0x$capbnd & (1 << 21) )) = 0 ] || t_fail "CAP_SYS_ADMIN in the bounding set: $capbnd"
t_eq "seccomp of init" "$(awk '$1 == "Seccomp:" { print $2 }' "/proc/$init/status")" 2
t_eq "PID 1" "$(vs_exec "$g" cat /proc/1/comm)" systemd
t_eq "container= for systemd" "$(vs_exec "$g" systemd-detect-virt --container)" container-other

# Its cgroup tree is its own: the guest's / is our payload group.
t_eq "/sys/fs/cgroup" "$(vs_exec "$g" stat -f -c %T /sys/fs/cgroup)" cgroup2fs
grep -qx "$init" "$unified/vunify/$g/payload/init.scope/cgroup.procs" ||
	t_fail "init is not in the guest's init.scope"
vs_exec "$g" test -e /sys/fs/cgroup/vunify && t_fail "the guest sees the host's cgroup tree"

# journald logs, systemctl works, cron runs.
vs_exec "$g" logger -t vutest "hello from $g" || t_fail "logger failed"
vs_wait sh -c "timeout 20 '$VS' '$g' exec journalctl -t vutest --no-pager | grep -q 'hello from $g'" ||
	t_fail "journald did not log: $(vs_exec "$g" journalctl -n 20 --no-pager 2>&1)"
t_eq "cron" "$(vs_exec "$g" systemctl is-active cron)" active
t_eq "journald" "$(vs_exec "$g" systemctl is-active systemd-journald)" active

# A real daemon as a systemd service: busybox's httpd, in its own group.
vs_exec "$g" sh -c 'mkdir -p /srv/www && echo "served by $(hostname)" > /srv/www/index.html'
vs_exec "$g" systemd-run --unit=vt-httpd busybox httpd -f -p 127.0.0.1:8080 -h /srv/www ||
	t_fail "systemd-run failed"
served() { [ "$(vs_exec "$g" busybox wget -qO- http://127.0.0.1:8080/index.html 2>/dev/null)" = "served by $g" ]; }
vs_wait served || t_fail "the httpd service does not answer: $(vs_exec "$g" systemctl status vt-httpd --no-pager 2>&1)"
grep -q . "$unified/vunify/$g/payload/system.slice/vt-httpd.service/cgroup.procs" ||
	t_fail "the service is not in its own cgroup"

# `systemctl reboot` restarts the guest: a new init, running again.
vs_exec "$g" systemctl reboot
rebooted() { local p; p=$(init_of "$g"); [ -n "$p" ] && [ "$p" != "$init" ]; }
vs_wait rebooted || t_fail "no new init after systemctl reboot: $(tail -5 "$VUNIFY_RUNDIR/$g/supervisor.log")"
booted "$g"

stopped "$g"

# The same boot on the cgroup v2 backend (on a v1 host: the unified
# hierarchy, which offers no controllers, hence no limits).
export VUNIFY_CGROUP=v2:$unified
g2=$(make_guest v)
vs_start "$g2"
booted "$g2"
[ -d "$unified/vunify/$g2/payload/init.scope" ] || t_fail "v2: no init.scope below payload"
t_eq "v2: exec joins init's group" "$(vs_exec "$g2" grep '^0::' /proc/self/cgroup)" "0::/init.scope"
stopped "$g2"
t_done
