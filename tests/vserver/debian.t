#!/bin/bash
# timeout: 1200
# A real Debian guest: bookworm, debootstrap --variant=minbase plus
# sysvinit-core, unified into a store with vhashify, booted UNMODIFIED with
# its own /sbin/init to its default runlevel (2), a command run in it, then
# stopped cleanly: init runs its shutdown scripts and halts by itself, the
# supervisor never has to kill it.
#
# The debootstrap result is cached as a tarball in /var/cache/vunify-tests/
# (or $VUNIFY_TEST_CACHE), so that only the first run on a machine
# downloads.  Run it alone with:   make check TESTS=tests/vserver/debian.t
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"
t_require_cmd debootstrap

cache=${VUNIFY_TEST_CACHE:-/var/cache/vunify-tests}
mirror=${VUNIFY_TEST_MIRROR:-http://deb.debian.org/debian}
tarball=$cache/debian-bookworm-minbase-sysvinit.tar
mkdir -p "$cache"

if [ ! -s "$tarball" ]; then
	# One download per machine, even with two runs at once.
	exec 9> "$cache/.lock"
	flock 9
	if [ ! -s "$tarball" ]; then
		timeout 20 bash -c "exec 3<>/dev/tcp/${mirror#http://}" 2>/dev/null ||
			t_timeout 20 getent hosts "$(echo "${mirror#http://}" | cut -d/ -f1)" >/dev/null ||
			t_skip "cannot reach $mirror to debootstrap the Debian guest"
		t_log "debootstrapping bookworm into the cache (first run only)"
		t_timeout 900 debootstrap --variant=minbase --include=sysvinit-core bookworm \
			"$T/debootstrap" "$mirror" > "$T/debootstrap.log" 2>&1 ||
			t_fail "debootstrap failed: $(tail -5 "$T/debootstrap.log")"
		tar -C "$T/debootstrap" --numeric-owner --xattrs --xattrs-include='*' -cf "$tarball.tmp" . ||
			t_fail "tar of the Debian tree failed"
		mv "$tarball.tmp" "$tarball"
		rm -rf --one-file-system "$T/debootstrap"
	fi
	exec 9>&-
fi

g=$(vs_name d)
root=$VUNIFY_BASE/guests/$g/root
mkdir -p "$root"
t_timeout 300 tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' -xpf "$tarball" ||
	t_fail "unpacking $tarball"
[ -x "$root/sbin/init" ] && [ -f "$root/etc/inittab" ] || t_fail "no sysvinit in the Debian tree"
sum_before=$(cd "$root" && sha256sum usr/sbin/init etc/inittab | sha256sum)
printf '%s\n' "[guest]" "hostname = $g" "stop_timeout = 120" "[limits]" "pids = 2000" \
	"memory = 1G" > "$VUNIFY_BASE/guests/$g/guest.conf"

# Unified through a store, as guests are in production.
if [ -x "$VU_BIN/vhashify" ]; then
	t_timeout 300 "$VU_BIN/vhashify" --quiet --all --store "$VUNIFY_BASE/store" "$root" ||
		t_fail "vhashify of the Debian tree failed"
	n=$(find "$root/usr" -type f -links +1 | head -100 | wc -l)
	[ "$n" -ge 100 ] || t_fail "vhashify unified only $n files of /usr"
fi

t0=$(date +%s%N)
vs_start "$g"
log=$(vs_log "$g")/console.log
in_runlevel_2() { [ "$(vs_exec "$g" runlevel 2>/dev/null)" = "N 2" ]; }
vs_wait in_runlevel_2 || t_fail "not in runlevel 2 after 30 s: $(tail -20 "$log")"
t_log "$g: booted to runlevel 2 in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
grep -q "INIT: Entering runlevel: 2" "$log" || t_fail "the console log lacks the runlevel change"

# It is Debian, its init is PID 1, and it works.
t_eq "PID 1" "$(vs_exec "$g" cat /proc/1/comm)" init
t_eq "/sbin/init is sysvinit" "$(vs_exec "$g" readlink -f /proc/1/exe)" /usr/sbin/init
case "$(vs_exec "$g" cat /etc/debian_version)" in 12.*) ;; *) t_fail "not bookworm" ;; esac
t_eq "dpkg" "$(vs_exec "$g" dpkg-query -W -f '${Status}' sysvinit-core)" "install ok installed"
t_eq "hostname" "$(vs_exec "$g" hostname)" "$g"
t_eq "shell pipeline" "$(vs_exec "$g" bash -c 'seq 1 100 | sort -n | tail -1')" 100
vs_exec "$g" bash -c 'echo guest-data > /root/written-in-guest' || t_fail "cannot write in the guest"
t_eq "the write reached the tree" "$(cat "$root/root/written-in-guest")" guest-data
# Only the guest's processes, all in its cgroup.
n=$(vs_exec "$g" bash -c 'ls -d /proc/[0-9]* | wc -l')
c=$(wc -l < "$(vs_cg "$g" pids)/cgroup.procs")
# (+3: the bash, ls and wc of this very check)
[ "$n" -ge 1 ] && [ "$n" -le "$((c + 3))" ] || t_fail "$n processes visible, $c in the cgroup"

# A clean stop: SIGINT is ctrl-alt-del for sysvinit, which runs the
# runlevel 6 scripts and calls reboot(2); the supervisor takes that as the
# end of the stop.
t0=$(date +%s%N)
vs_stop "$g"
t_log "$g: stop took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
grep -q "the guest halts" "$(vs_log "$g")/supervisor.log" ||
	t_fail "init did not halt by itself: $(tail -5 "$(vs_log "$g")/supervisor.log")"
grep -q "did not finish in time" "$(vs_log "$g")/supervisor.log" && t_fail "the stop timed out"
grep -q "Asking all remaining processes to terminate" "$log" ||
	t_fail "the shutdown scripts did not run: $(tail -20 "$log")"
vs_assert_gone "$g"

# Unmodified: the guest's init and its scripts are what debootstrap made.
t_eq "init untouched" "$(cd "$root" && sha256sum usr/sbin/init etc/inittab | sha256sum)" "$sum_before"
t_done
