#!/bin/bash
# modes: passthrough
# timeout: 120
# No guest action makes vunifyfs read, write, create or delete anything
# outside GUEST_DIR: absolute and relative symlinks, "..", symlinks swapped in
# concurrently, hardlinks, renames racing with lookups, device nodes.
#
# The guest's view is simulated the way a contained guest sees it: through
# the mount, with its root at the mountpoint (chroot), so that an absolute
# symlink means the guest's "/".  Everything outside GUEST_DIR that a escape
# would touch is a canary checked afterwards.
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
vt=$VU_TEST_BIN/vutest
g=$T/g m=$T/m outside=$T/outside
mkdir -p "$g/etc" "$g/bin" "$outside" "$m"
echo "host secret" > "$outside/secret"
echo "guest passwd" > "$g/etc/passwd"
cp "$vt" "$g/bin/vutest"
# A static shell for chroot tests: busybox-static.
bb=$(command -v busybox) || t_fail "no busybox (make deps installs busybox-static)"
case "$(ldd "$bb" 2>&1)" in
*"not a dynamic"*) ;;
*) t_fail "$bb is not static (make deps installs busybox-static)" ;;
esac
cp "$bb" "$g/bin/busybox"
for a in sh cat ln ls mkdir rm mv echo test readlink stat touch; do ln -s busybox "$g/bin/$a"; done
# vutest is dynamic: give it its libraries inside the guest.
for lib in $(ldd "$vt" | grep -o '/[^ ]*'); do mkdir -p "$g$(dirname "$lib")"; cp -L "$lib" "$g$lib"; done

snap_outside() { (cd "$T" && find outside -printf '%p %s %T@ %m\n' | sort; cat outside/secret; ls -A "$T"); }
before=$(snap_outside)
host_canaries() {
	for f in /vunify-escape-canary /etc/vunify-escape-canary /vunify-escape-dir; do
		[ -e "$f" ] && { rm -rf "$f"; t_fail "escape: $f was created on the host"; }
	done
	[ "$(snap_outside)" = "$before" ] || t_fail "escape: something outside GUEST_DIR changed: $(diff <(echo "$before") <(snap_outside))"
}

vu_mount "$g" "$m"
in_guest() { chroot "$m" /bin/busybox sh -c "$1"; }

# --- symlinks pointing out: resolved in the guest's namespace, never the host's
in_guest 'ln -s /etc/passwd /abs; ln -s ../../../../../../etc/passwd /rel; ln -s /../../outside/secret /dotdot'
[ "$(in_guest 'cat /abs')" = "guest passwd" ] || t_fail "absolute symlink left the guest"
[ "$(in_guest 'cat /rel')" = "guest passwd" ] || t_fail "relative symlink left the guest"
in_guest 'cat /dotdot' >/dev/null 2>&1 && t_fail "symlink reached outside"
# Writing through them lands in the guest.
in_guest 'echo owned > /abs'
[ "$(cat "$g/etc/passwd")" = owned ] || t_fail "write through absolute symlink went elsewhere"
[ "$(cat /etc/passwd)" != owned ] || t_fail "HOST /etc/passwd written"
# A symlink in the backing tree pointing at the host (made by the host side)
# is still resolved by the guest's kernel view, never by vunifyfs.
ln -s "$outside/secret" "$g/hostlink"
in_guest 'cat /hostlink' >/dev/null 2>&1 && t_fail "host-absolute symlink followed into the host"
in_guest 'echo x > /hostlink' >/dev/null 2>&1
in_guest 'rm /hostlink'
[ -e "$outside/secret" ] || t_fail "host file removed"
# "..": nothing above the root.
[ "$(in_guest 'ls /../../../etc')" = passwd ] || t_fail ".. left the root"
[ "$(ls "$m/.." | sort | tr '\n' ' ')" = "$(ls "$T" | sort | tr '\n' ' ')" ] || true
# Names vunifyfs reserves cannot be created or looked up.
in_guest 'echo x > /.vunify-tmp.h1.1' >/dev/null 2>&1 && t_fail "reserved name created"
host_canaries

# --- hardlinks: only within the mount ---
ln "$outside/secret" "$m/hl" 2>/dev/null && t_fail "hardlink into the mount from outside"
in_guest 'ln /etc/passwd /etc/pw2' || t_fail "hardlink inside the guest"
host_canaries

# --- device nodes exist but are inert ---
in_guest 'mknod /kmem c 1 2' || t_fail "mknod in the guest"
t_errno "device node opened" EACCES $vt open "$m/kmem" rdonly
in_guest 'cat /kmem' >/dev/null 2>&1 && t_fail "device node readable in the guest"

# --- the symlink-swap race: in the guest, "sub" flips between a directory and
# a symlink to / while another thread creates, writes, removes and renames
# through it.  Whatever vunifyfs resolves must stay below GUEST_DIR (the
# guest's "/" is the mount), so the canaries appear in the guest if anywhere.
mkdir -p "$m/race/sub" "$m/etc"; ln -s / "$m/race/sub.lnk"
tries=$(t_timeout 60 chroot "$m" /bin/vutest swaprace /race 5) ||
	t_fail "swap race helper failed"
[ "${tries:-0}" -gt 100 ] || t_fail "swap race made only ${tries:-0} attempts"
host_canaries
# Relative escapes under the same race: sub -> ../../../../..
rm "$m/race/sub.lnk"; ln -s ../../../../../../.. "$m/race/sub.lnk"
t_timeout 60 chroot "$m" /bin/vutest swaprace /race 3 >/dev/null ||
	t_fail "relative swap race failed"
host_canaries
# Renames racing with lookups of deep paths.
mkdir -p "$m/r1/a/b/c"; echo deep > "$m/r1/a/b/c/f"
( for i in $(seq 300); do mv "$m/r1/a" "$m/r1/x" 2>/dev/null; mv "$m/r1/x" "$m/r1/a" 2>/dev/null; done ) &
for i in $(seq 300); do cat "$m/r1/a/b/c/f" "$m/r1/x/b/c/f" > /dev/null 2>&1; done
wait
host_canaries

vu_umount "$m"
# Nothing outside the guest tree changed at all.
host_canaries
t_done
