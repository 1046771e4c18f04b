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
# The guest is made by `vserver build -m debootstrap` with no init named,
# so that it gets Debian's default (systemd); the packages are cached in
# ${VUNIFY_TEST_CACHE:-/var/cache/vunify-tests}/debootstrap, so that only
# the first run on a machine downloads them.  The second guest is a clone
# of the first (`build --template`): its own host name and machine-id.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"
vs_debootstrap_setup
cache=$VS_DEB_CACHE mirror=$VS_DEB_MIRROR

# unified: the cgroup2 hierarchy that holds the guest's own subtree.
vs_cgroup2_mount
unified=$VS_CG2

# conf NAME [guest.conf lines]: the guest's configuration for this test.
conf() {
	local g=$1; shift
	printf '%s\n' "[guest]" "hostname = $g" "stop_timeout = 30" "$@" > "$VUNIFY_BASE/guests/$g/guest.conf"
}

init_of() { awk -F= '$1 == "init" { print $2 }' "$(vs_run "$1")/state" 2>/dev/null; }

# booted NAME: wait for the end of the boot; fail unless "running".
booted() {
	local g=$1 st
	# systemctl answers once systemd listens on its socket.
	listening() { timeout 20 "$VS" "$g" exec test -S /run/systemd/private; }
	vs_wait listening || t_fail "$g: systemd does not listen: $(tail -20 "$(vs_log "$g")/console.log")"
	st=$(timeout -k 5 120 "$VS" "$g" exec systemctl is-system-running --wait 2>&1)
	[ "$st" = running ] ||
		t_fail "$g: systemd says '$st': $(vs_exec "$g" systemctl --failed --no-pager 2>&1 | head -20)
$(tail -30 "$(vs_log "$g")/console.log")"
}

# stopped NAME: `vserver stop` halts it through systemd's shutdown.
stopped() {
	local g=$1 t0
	t0=$(date +%s%N)
	vs_stop "$g" --timeout 30
	t_log "$g: stop took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	grep -q "the guest halts" "$(vs_log "$g")/supervisor.log" ||
		t_fail "$g: systemd did not halt by itself: $(tail -5 "$(vs_log "$g")/supervisor.log")"
	grep -q "Halting system" "$(vs_log "$g")/console.log" ||
		t_fail "$g: systemd's shutdown did not run: $(tail -20 "$(vs_log "$g")/console.log")"
	vs_assert_gone "$g"
}

# Built from scratch with Debian's default init, unified into the store.
g=$(vs_name s)
VS_GUESTS+=("$g")
t0=$(date +%s)
t_timeout 1000 "$VS" "$g" build -m debootstrap --include dbus,cron,busybox,procps \
	--mirror "$mirror" --cache "$cache" -q > "$T/out" 2> "$T/err" ||
	t_fail "build -m debootstrap failed: $(cat "$T/err")"
t_log "$g: built in $(( $(date +%s) - t0 )) s"
[ ! -s "$T/out" ] && [ ! -s "$T/err" ] || t_fail "-q printed: $(cat "$T/out" "$T/err")"
root=$VUNIFY_BASE/guests/$g/root
[ -x "$root/usr/lib/systemd/systemd" ] && [ "$(readlink "$root/sbin/init")" = /lib/systemd/systemd ] ||
	t_fail "the guest's /sbin/init is not systemd"
[[ $(cat "$root/etc/machine-id") =~ ^[0-9a-f]{32}$ ]] || t_fail "machine-id: $(cat "$root/etc/machine-id")"
grep -qv '^#' "$root/etc/fstab" && t_fail "the guest's fstab is not comments only"
t_eq "hostname" "$(cat "$root/etc/hostname")" "$g"
n=$(find "$root/usr" -type f -links +1 | head -100 | wc -l)
[ "$n" -ge 100 ] || t_fail "only $n files of /usr unified into the store"
conf "$g" "[limits]" "pids = 2000" "memory = 1G"

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
grep -qx "$init" "$unified/$(vs_cgname "$g")/payload/init.scope/cgroup.procs" ||
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
grep -q . "$unified/$(vs_cgname "$g")/payload/system.slice/vt-httpd.service/cgroup.procs" ||
	t_fail "the service is not in its own cgroup"

# `systemctl reboot` restarts the guest: a new init, running again.
vs_exec "$g" systemctl reboot
rebooted() { local p; p=$(init_of "$g"); [ -n "$p" ] && [ "$p" != "$init" ]; }
vs_wait rebooted || t_fail "no new init after systemctl reboot: $(tail -5 "$(vs_log "$g")/supervisor.log")"
booted "$g"

stopped "$g"

# A clone of it (build --template) on the cgroup v2 backend (on a v1
# host: the unified hierarchy, which offers no controllers, hence no
# limits): its own host name and machine-id, the same boot.
g2=$(vs_name v)
VS_GUESTS+=("$g2")
t_timeout 300 "$VS" "$g2" build --template "$g" > "$T/out" 2>&1 || t_fail "build --template: $(cat "$T/out")"
root2=$VUNIFY_BASE/guests/$g2/root
t_eq "the clone's hostname" "$(cat "$root2/etc/hostname")" "$g2"
[ "$(cat "$root2/etc/machine-id")" != "$(cat "$root/etc/machine-id")" ] ||
	t_fail "the clone has the template's machine-id"
conf "$g2"
export VUNIFY_CGROUP=v2:$unified
vs_start "$g2"
booted "$g2"
[ -d "$unified/$(vs_cgname "$g2")/payload/init.scope" ] || t_fail "v2: no init.scope below payload"
t_eq "v2: exec joins init's group" "$(vs_exec "$g2" grep '^0::' /proc/self/cgroup)" "0::/init.scope"
t_eq "v2: the clone's machine-id" "$(vs_exec "$g2" cat /etc/machine-id)" "$(cat "$root2/etc/machine-id")"
stopped "$g2"
t_done
