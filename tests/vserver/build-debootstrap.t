#!/bin/bash
# timeout: 1500
# vserver build -m debootstrap: a Debian 12 minbase guest with sysvinit
# made from scratch, configured for a container (hostname, hosts, fstab,
# inittab, boot scripts), unified into the store, booted to runlevel 2 with
# no failed mount and no getty respawning in its console log.  A second
# build takes every package from the cache (it downloads none); an
# interrupted build and one from an unreachable mirror leave nothing.  (A
# build with Debian's default init, systemd, is tests/vserver/systemd.t.)
#
# Packages are cached in ${VUNIFY_TEST_CACHE:-/var/cache/vunify-tests}/
# debootstrap (build --cache), so that only the first run on a machine
# downloads them; VUNIFY_TEST_MIRROR names another mirror.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"
vs_debootstrap_setup
cache=$VS_DEB_CACHE mirror=$VS_DEB_MIRROR

no_leftovers() {
	local g=$1
	[ ! -e "$VUNIFY_BASE/guests/$g" ] || t_fail "$2 left $VUNIFY_BASE/guests/$g"
	t_mounts_below "$VUNIFY_BASE" | grep -q . && t_fail "$2 left mounts: $(t_mounts_below "$VUNIFY_BASE")"
	return 0
}

# An unreachable mirror: non-zero, one line naming the cause, nothing left.
f=$(vs_name f)
t_timeout 120 "$VS" "$f" build -m debootstrap --mirror http://127.0.0.1:9/debian --cache "$cache" \
	> "$T/out" 2> "$T/err"; rc=$?
[ "$rc" != 0 ] || t_fail "a build from a dead mirror succeeded"
t_eq "dead mirror: one line" "$(wc -l < "$T/err")" 1
grep -q "debootstrap bookworm from http://127.0.0.1:9/debian: .*E: " "$T/err" ||
	t_fail "dead mirror: $(cat "$T/err")"
no_leftovers "$f" "a failed build"

# The first build (downloads only on a machine's first run).
g=$(vs_name d)
root=$VUNIFY_BASE/guests/$g/root
start=$(date +%s)
t_timeout 1000 "$VS" "$g" build -m debootstrap --include sysvinit-core --mirror "$mirror" \
	--cache "$cache" > "$T/out" 2> "$T/err" ||
	t_fail "build -m debootstrap failed: $(cat "$T/err")"
t_log "first build: $(( $(date +%s) - start )) s"
# Not on a terminal: no progress, one summary line.
[ ! -s "$T/err" ] || t_fail "stderr is not empty: $(cat "$T/err")"
grep -qx "vserver: $g: built bookworm (minbase) in [0-9]* s" "$T/out" || t_fail "summary: $(cat "$T/out")"
[ ! -e "$VUNIFY_BASE/guests/$g/.build-root" ] || t_fail "the build tree was left"
case "$(cat "$root/etc/debian_version")" in 12.*) ;; *) t_fail "not bookworm" ;; esac
[ -z "$(find "$root/var/cache/apt/archives" -name '*.deb')" ] || t_fail "the apt cache holds .debs"

# Configured for a container.
t_eq "hostname" "$(cat "$root/etc/hostname")" "$g"
grep -qx "127.0.0.1	localhost" "$root/etc/hosts" || t_fail "hosts: no localhost"
grep -qx "127.0.1.1	$g" "$root/etc/hosts" || t_fail "hosts: no 127.0.1.1 $g"
grep -q "^::1	localhost" "$root/etc/hosts" || t_fail "hosts: no IPv6 localhost"
grep -v '^#' "$root/etc/fstab" | grep -v ' noauto ' | grep -q . &&
	t_fail "fstab mounts something: $(cat "$root/etc/fstab")"
grep -E '^[^#].*getty.* tty[0-9]' "$root/etc/inittab" && t_fail "gettys on ttys left in inittab"
grep -q '^#1:2345:respawn:/sbin/getty' "$root/etc/inittab" || t_fail "the tty1 getty is not commented out"
grep -q '^$' "$root/etc/inittab" || t_fail "inittab lost its blank lines"
grep -qx 'RAMLOCK=no' "$root/etc/default/tmpfs" || t_fail "RAMLOCK=no missing"
ls "$root"/etc/rcS.d | grep -Eq 'S..(checkroot|hostname|checkfs|hwclock)' &&
	t_fail "boot scripts that fail in a guest are still linked: $(ls "$root/etc/rcS.d")"

# Unified into the store at once.
n=$(find "$root/usr" -type f -links +1 | head -200 | wc -l)
[ "$n" -ge 200 ] || t_fail "only $n files of /usr are links into the store"
getfattr -n trusted.vunify "$root/usr/bin/bash" >/dev/null 2>&1 || t_fail "bash is not a store object"

# It boots to runlevel 2 with a clean console log.
sed -i 's/^# stop_timeout = 30/stop_timeout = 120/' "$VUNIFY_BASE/guests/$g/guest.conf"
vs_start "$g"
log=$(vs_log "$g")/console.log
in_runlevel_2() { [ "$(vs_exec "$g" runlevel 2>/dev/null)" = "N 2" ]; }
vs_wait in_runlevel_2 || t_fail "not in runlevel 2 after 30 s: $(tail -20 "$log")"
t_eq "hostname in the guest" "$(vs_exec "$g" hostname)" "$g"
sleep 5     # a getty on a missing tty respawns "too fast" within seconds
grep -E "mount: |[Pp]ermission denied|not permitted|respawning too fast|failed|[Ee]rror" "$log" &&
	t_fail "the boot logged failures: $(cat "$log")"
vs_stop "$g"
vs_assert_gone "$g"

# A second build takes every package from the cache: it downloads none
# (debootstrap says "Retrieving" per package it fetches), the cache is
# unchanged.
find "$cache" -printf '%f %s %T@\n' | sort > "$T/cache.before"
g2=$(vs_name e)
start=$(date +%s)
t_timeout 1000 "$VS" "$g2" build -m debootstrap --include sysvinit-core --mirror "$mirror" \
	--cache "$cache" > "$T/out" 2> "$T/err" ||
	t_fail "the second build failed: $(cat "$T/err")"
t_log "second build (cached): $(( $(date +%s) - start )) s"
find "$cache" -printf '%f %s %T@\n' | sort > "$T/cache.after"
diff "$T/cache.before" "$T/cache.after" >&2 || t_fail "the second build changed the cache"
grep -E '^I: Retrieving [a-z0-9].* [0-9]' "$VUNIFY_BASE/guests/$g2/build.log" | grep -v 'Packages\|Release' &&
	t_fail "the second build downloaded packages"
grep -q '^I: Validating ' "$VUNIFY_BASE/guests/$g2/build.log" || t_fail "no package validated from the cache"
# The two guests share their files through the store.
[ "$(stat -c %i "$root/usr/bin/bash")" = "$(stat -c %i "$VUNIFY_BASE/guests/$g2/root/usr/bin/bash")" ] ||
	t_fail "the two builds do not share /usr/bin/bash"

# Interrupted (SIGINT, as ^C): nothing left, 130.
i=$(vs_name i)
"$VS" "$i" build -m debootstrap --include sysvinit-core --mirror "$mirror" --cache "$cache" \
	> "$T/out" 2> "$T/err" &
pid=$!
t_on_exit "kill $pid"
for _ in $(seq 600); do
	[ -e "$VUNIFY_BASE/guests/$i/.build-root/usr/bin" ] && break
	sleep 0.1
done
[ -e "$VUNIFY_BASE/guests/$i/.build-root/usr/bin" ] || t_fail "the interrupted build did not start"
kill -INT "$pid"
wait "$pid"; rc=$?
t_eq "interrupted build" "$rc" 130
grep -q "interrupted" "$T/err" || t_fail "interrupted: $(cat "$T/err")"
no_leftovers "$i" "an interrupted build"
t_done
