#!/bin/bash
# make deb-check: the package built by `make deb`, checked as a user gets it.
#
#   dist/deb-check.sh build/vunify_VERSION_ARCH.deb
#
# lintian must report no error; `dpkg -i` installs it on this machine (run
# as root, on a machine where vunify is not installed otherwise: CI's, or a
# developer's scratch machine); then the installed files are checked, a
# tree is mounted with `mount -t fuse.vunifyfs` and through an fstab line
# (mount -T FILE, a temporary fstab), and the package is purged again.
# Whatever fails, the EXIT trap unmounts and purges.
set -u
set -o pipefail

deb=${1:?usage: dist/deb-check.sh PACKAGE.deb}
fail() { echo "deb-check: FAIL: $*" >&2; exit 1; }
log() { echo "deb-check: $*"; }

[ "$(id -u)" = 0 ] || fail "must run as root (it installs the package)"
[ -r "$deb" ] || fail "$deb: no such package (make deb)"
for c in lintian dpkg mount.fuse3; do
	command -v "$c" >/dev/null || fail "needs $c (make deps)"
done

# Never overwrite, then remove, a vunify that is not ours.
if dpkg-query -W -f='${Status}' vunify 2>/dev/null | grep -q 'ok installed'; then
	fail "the vunify package is installed already; deb-check installs and purges its own"
fi
for p in /usr/sbin/vserver /usr/sbin/vunifyfs /usr/sbin/vhashify /usr/sbin/vclone; do
	[ -e "$p" ] && fail "$p exists (make install?); deb-check would overwrite and remove it"
done

# --- lintian: error-level tags fail -------------------------------------
log "lintian $deb"
lint=$(lintian --tag-display-limit 0 "$deb" 2>&1 | grep -v '^running with root privileges')
[ -n "$lint" ] && printf '%s\n' "$lint"
printf '%s\n' "$lint" | grep -q '^E: ' && fail "lintian reports errors"

T=$(mktemp -d /var/tmp/vunify-deb-check.XXXXXX) || fail "mktemp"
installed=0
cleanup() {
	local m
	for m in "$T/m" "$T/m2"; do
		mountpoint -q "$m" 2>/dev/null && { umount "$m" 2>/dev/null || umount -l "$m"; }
	done
	[ $installed = 1 ] && dpkg -P vunify >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

# --- install -------------------------------------------------------------
log "dpkg -i $deb"
dpkg -i "$deb" || fail "dpkg -i failed"
installed=1
for f in /usr/sbin/vserver /usr/sbin/vunifyfs /usr/sbin/vhashify /usr/sbin/vclone \
	/etc/init.d/vunify /lib/systemd/system/vunify.service \
	/usr/share/doc/vunify/copyright /usr/share/doc/vunify/changelog.Debian.gz; do
	[ -e "$f" ] || fail "$f not installed"
done
for t in vserver vunifyfs vhashify vclone; do
	[ -r "/usr/share/man/man8/$t.8.gz" ] || fail "man page $t.8.gz not installed"
	out=$(bash -c ". /usr/share/bash-completion/completions/$t && complete -p $t" 2>&1) ||
		fail "bash completion for $t does not load: $out"
	"/usr/sbin/$t" --version >/dev/null || fail "/usr/sbin/$t --version"
done
grep -qx 'ExecStart=/usr/sbin/vserver --all start' /lib/systemd/system/vunify.service ||
	fail "vunify.service does not run /usr/sbin/vserver --all start"
grep -q '^VSERVER=/usr/sbin/vserver$' /etc/init.d/vunify ||
	fail "/etc/init.d/vunify does not run /usr/sbin/vserver"
ls /etc/rc2.d/S*vunify >/dev/null 2>&1 || fail "postinst did not register the init script (update-rc.d)"
# The installed service on an empty base: nothing to start, status 0.
mkdir -p "$T/base/guests"
out=$(VUNIFY_BASE=$T/base _SYSTEMCTL_SKIP_REDIRECT=1 /etc/init.d/vunify start 2>&1) ||
	fail "/etc/init.d/vunify start on an empty base: $out"
VUNIFY_BASE=$T/base _SYSTEMCTL_SKIP_REDIRECT=1 /etc/init.d/vunify status >/dev/null ||
	fail "/etc/init.d/vunify status on an empty base"

# --- mounts through mount(8): the helper finds the installed vunifyfs -----
g=$T/guest m=$T/m
mkdir -p "$g" "$m"
echo from-tree > "$g/file"
# is_vunifyfs MNT: MNT is a vunifyfs mount served by /usr/sbin/vunifyfs.
is_vunifyfs() {
	local pid
	awk -v m="$1" '$5 == m && / - fuse\.vunifyfs / { f = 1 } END { exit !f }' /proc/self/mountinfo ||
		fail "$1 is not a fuse.vunifyfs mount"
	pid=$(pgrep -f "vunifyfs .*$1( |\$)" | head -1)
	[ -n "$pid" ] && [ "$(readlink "/proc/$pid/exe")" = /usr/sbin/vunifyfs ] ||
		fail "$1 is not served by /usr/sbin/vunifyfs (pid '${pid:-}')"
}
check_mount() {
	local m=$1
	is_vunifyfs "$m"
	[ "$(cat "$m/file")" = from-tree ] || fail "read through $m"
	echo "written via $m" > "$m/new-$2" || fail "write through $m"
	[ "$(cat "$g/new-$2")" = "written via $m" ] || fail "a write through $m did not reach the tree"
	timeout 20 umount "$m" || fail "umount $m"
	for _ in $(seq 50); do pgrep -f "vunifyfs .*$m( |\$)" >/dev/null || break; sleep 0.1; done
	pgrep -f "vunifyfs .*$m( |\$)" >/dev/null && fail "vunifyfs for $m still running after umount"
	return 0
}

log "mount -t fuse.vunifyfs"
timeout 30 mount -t fuse.vunifyfs "$g" "$m" || fail "mount -t fuse.vunifyfs $g $m"
check_mount "$m" t

log "mount through an fstab line (mount -T)"
printf '# deb-check\n%s %s fuse.vunifyfs noauto,noatime 0 0\n' "$g" "$m" > "$T/fstab"
timeout 30 mount -T "$T/fstab" "$m" || fail "mount -T $T/fstab $m"
grep -q " $m .*noatime" /proc/self/mountinfo || fail "fstab option noatime not applied"
check_mount "$m" fstab

# --- purge -----------------------------------------------------------------
log "dpkg -P vunify"
dpkg -P vunify || fail "dpkg -P vunify"
installed=0
for f in /usr/sbin/vserver /usr/sbin/vunifyfs /etc/init.d/vunify /lib/systemd/system/vunify.service; do
	[ -e "$f" ] && fail "$f left after purge"
done
ls /etc/rc2.d/S*vunify >/dev/null 2>&1 && fail "rc links left after purge"
log "ok"
