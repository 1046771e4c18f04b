# SPDX-License-Identifier: GPL-2.0-or-later
# Common functions for the integration tests (tests/*/*.t).  Source it first:
#
#   . "$(dirname "$0")/../lib.sh"
#
# A test works only inside $T (its scratch directory, removed afterwards),
# mounts with vu_mount, and ends with `t_done`.  t_fail/t_skip end it early.
# Whatever happens, the EXIT trap unmounts everything below $T: a stuck
# FUSE connection is aborted through fusectl first, so cleanup never blocks.

set -u
set -o pipefail

VU_TOP=${VU_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
VU_BIN=${VU_BIN:-$VU_TOP/build/bin}
VU_TEST_BIN=${VU_TEST_BIN:-$VU_TOP/build/tests/bin}
T_NAME=$(basename "$0" .t)

# A sanitized build (make SANITIZE=...) run by hand, without tests/run:
# a finding still stops the program (tests/run sets these with a log_path
# and fails the test on any report).
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:halt_on_error=1:print_stacktrace=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-abort_on_error=1:halt_on_error=1:print_stacktrace=1}

if [ -n "${VU_SCRATCH:-}" ]; then
	T=$VU_SCRATCH
else
	T=$(mktemp -d "${TMPDIR:-/tmp}/vunify-test.XXXXXX")
	T_OWN_SCRATCH=1
fi

t_log() { printf '%s: %s\n' "$T_NAME" "$*" >&2; }

# "MAJOR:MINOR TARGET" of every mount, TARGET with mountinfo's "\040" (and
# other octal escapes) undone, so that names with blanks compare.  Paths
# are passed through the environment: awk -v would undo escapes itself.
t_mountinfo() {
	awk '{ t = $5; o = ""
	       while (match(t, /\\[0-7][0-7][0-7]/)) {
		       c = substr(t, RSTART + 1, 3)
		       o = o substr(t, 1, RSTART - 1) sprintf("%c", (substr(c, 1, 1) * 64) + (substr(c, 2, 1) * 8) + substr(c, 3, 1))
		       t = substr(t, RSTART + 4)
	       }
	       print $3, o t }' /proc/self/mountinfo
}

# Mounts below $1, deepest first, "MAJOR:MINOR TARGET"; from mountinfo only.
t_mounts_below() {
	t_mountinfo | P="$1/" awk '{ d = $1; t = substr($0, length(d) + 2) }
		substr(t, 1, length(ENVIRON["P"])) == ENVIRON["P"] { print length(t), d, t }' |
		sort -rn | cut -d' ' -f2-
}

# t_mounted MNT: is something mounted at MNT?
t_mounted() {
	t_mountinfo | M="$1" awk '{ d = $1; t = substr($0, length(d) + 2) }
		t == ENVIRON["M"] { f = 1 } END { exit !f }'
}

# Abort the FUSE connection behind mountpoint $1 (no-op if not FUSE).
t_abort() {
	local dev
	dev=$(t_mountinfo | M="$1" awk '{ d = $1; t = substr($0, length(d) + 2) }
		t == ENVIRON["M"] { print d }' | tail -n 1)
	[ -n "$dev" ] && [ -w "/sys/fs/fuse/connections/${dev#*:}/abort" ] &&
		echo 1 > "/sys/fs/fuse/connections/${dev#*:}/abort"
	return 0
}

t_cleanup() {
	local rc=$? dev target
	trap - EXIT
	# Hooks a test registered (kill helpers, remove cgroups, ...).
	for h in "${T_CLEANUP[@]:-}"; do [ -n "$h" ] && eval "$h" >/dev/null 2>&1; done
	while read -r dev target; do
		[ -n "$target" ] || continue
		umount "$target" 2>/dev/null && continue
		[ -w "/sys/fs/fuse/connections/${dev#*:}/abort" ] &&
			echo 1 > "/sys/fs/fuse/connections/${dev#*:}/abort"
		umount -l "$target" 2>/dev/null
	done < <(t_mounts_below "$T")
	[ -n "${T_OWN_SCRATCH:-}" ] && rm -rf --one-file-system "$T"
	exit $rc
}
T_CLEANUP=()
trap t_cleanup EXIT
trap 'exit 143' TERM INT

# t_on_exit CMD: run CMD (a string) at cleanup, before the unmounts.
t_on_exit() { T_CLEANUP+=("$1"); }

t_fail() { t_log "FAIL: $*"; exit 1; }
t_skip() { echo "skip: $*"; exit 77; }
t_done() { t_log "ok"; exit 0; }

# t_check DESC CMD...: run CMD, fail the test with DESC if it fails.
t_check() {
	local desc=$1; shift
	"$@" || t_fail "$desc (command: $*)"
}

# t_eq DESC GOT WANT
t_eq() {
	[ "$2" = "$3" ] || t_fail "$1: got '$2', want '$3'"
}

# t_errno DESC ERRNAME CMD...: CMD (a tests helper that prints the errno
# name on failure, see vutest) must fail with ERRNAME.
t_errno() {
	local desc=$1 want=$2 got; shift 2
	got=$("$@" 2>&1) && t_fail "$desc: succeeded, want $want"
	case "$got" in *"$want"*) ;; *) t_fail "$desc: got '$got', want $want" ;; esac
}

# t_sanitized: true if build/ holds a sanitized build (make SANITIZE=...).
t_sanitized() { grep -q -- '-fsanitize=' "$VU_TOP/build/flags" 2>/dev/null; }

t_require_root() { [ "$(id -u)" = 0 ] || t_skip "needs root"; }
t_require_cmd() { command -v "$1" >/dev/null || t_skip "needs $1"; }

# t_timeout SECS CMD...: run CMD, fail the test if it does not end in time.
t_timeout() {
	local secs=$1; shift
	timeout -k 5 "$secs" "$@"
	local rc=$?
	[ $rc = 124 ] || [ $rc = 137 ] && t_fail "timed out after ${secs}s: $*"
	return $rc
}

# vu_uring_enable: turn the kernel's FUSE over io_uring on for this test
# (fuse.enable_uring, global, restored at exit), or skip saying why.  The
# runner's uring mode (VU_URING=on) calls it when this file is sourced.
vu_uring_enable() {
	local p=/sys/module/fuse/parameters/enable_uring old
	[ -e "$p" ] || t_skip "kernel without FUSE over io_uring (no $p)"
	[ "$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo 0)" = 0 ] ||
		t_skip "io_uring is disabled on this host (kernel.io_uring_disabled)"
	old=$(cat "$p") || t_skip "cannot read $p"
	# A connection that took the ring keeps it: restoring is safe mounted.
	t_on_exit "echo $old > $p"
	echo 1 > "$p" 2>/dev/null || t_skip "cannot turn on $p"
}

# vu_mount GUEST MNT [vunifyfs args...]: mount and wait until it is up.
# Tests that run in both I/O modes ("# modes: passthrough" in their first
# lines) get VU_PASSTHROUGH=on|off from the runner, passed on here.
vu_mount() {
	local guest=$1 mnt=$2; shift 2
	mkdir -p "$mnt"
	[ -n "${VU_PASSTHROUGH:-}" ] && set -- -o "passthrough=$VU_PASSTHROUGH" "$@"
	[ -n "${VU_URING:-}" ] && set -- -o "uring=$VU_URING" "$@"
	t_timeout 30 "$VU_BIN/vunifyfs" "$@" "$guest" "$mnt" ||
		t_fail "vunifyfs $* $guest $mnt failed"
	t_mounted "$mnt" ||
		t_fail "$mnt is not mounted after vunifyfs returned"
}

# vu_umount MNT: unmount; abort the connection if a plain unmount fails.
vu_umount() {
	local mnt=$1 i
	if ! timeout 20 umount "$mnt" 2>/dev/null; then
		t_abort "$mnt"
		umount -l "$mnt" 2>/dev/null
		t_fail "umount $mnt failed (aborted and detached)"
	fi
	# The daemon ends once the kernel drops the connection; wait for it so
	# that the guest lock is free for whoever comes next.
	for i in $(seq 600); do
		pgrep -f "vunifyfs.* $mnt\$" >/dev/null || return 0
		sleep 0.05
	done
	t_fail "vunifyfs for $mnt did not exit after unmount"
}

# vu_snap DIR: one line per path under DIR with everything a guest can see
# of it (type, mode, owner, size, blocks, nanosecond times, link target,
# content hash, xattrs), sorted, for before/after comparisons.  Inode numbers,
# link counts and ctime are left out on purpose; see vu_snap_full.
vu_snap() {
	(cd "$1" && find . -mindepth 1 -printf '%p\0' | sort -z |
		while IFS= read -r -d '' p; do
			printf '%s %s %s:%s %s %s %s %s' "$p" "$(stat -c '%F %a' "$p")" \
				"$(stat -c %u "$p")" "$(stat -c %g "$p")" "$(stat -c %s "$p")" \
				"$(stat -c %y "$p")" "$(stat -c %x "$p")" \
				"$([ -L "$p" ] && readlink "$p")"
			[ -f "$p" ] && [ ! -L "$p" ] && printf ' %s' "$(vu_hash "$p" | cut -c1-16)"
			printf ' %s\n' "$(getfattr -h -d -m - -e hex "$p" 2>/dev/null | grep -v '^#' | sort | tr '\n' ' ')"
		done)
}

# vu_hash FILE: content hash that does not update FILE's atime (reading a
# store object directly must not change it, or comparisons of it fail).
vu_hash() { dd if="$1" iflag=noatime status=none | sha256sum | cut -c1-64; }

# vu_stat_all FILE: the complete stat of FILE (including ino, nlink, ctime).
vu_stat_all() { stat -c '%d %i %h %f %u %g %s %b %X.%x %Y.%y %Z.%z' "$1"; }

# vu_unify STORE ID SRC FILE...: unify by hand, independent of vhashify (so
# that the filesystem tests do not depend on it): a copy of SRC (content and
# metadata) becomes the marked object STORE/objects/xx/rest, and every FILE
# becomes a link to it.  SRC itself is left alone.
vu_unify() {
	local store=$1 id=$2 src=$3 obj f; shift 3
	obj=$store/objects/${id:0:2}/${id:2}
	mkdir -p "${obj%/*}"
	cp -a "$src" "$obj"
	setfattr -n trusted.vunify -v "$id" "$obj"
	for f in "$@"; do ln -f "$obj" "$f"; done
}

# The runner's uring mode: the kernel must offer the ring to this test.
if [ "${VU_URING:-}" = on ]; then vu_uring_enable; fi
