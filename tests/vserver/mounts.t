#!/bin/bash
# [mounts]: extra bind mounts, read-only or read-write, of directories and
# files; missing targets are created; a target that is a symlink in the
# guest tree (pointing anywhere, here at the host's paths) is refused and
# nothing is mounted through it.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"

mkdir -p "$T/share-ro" "$T/share-rw"
echo from-host > "$T/share-ro/file"
echo single > "$T/one-file"
g=$(vs_guest b "[mounts]" "/srv/ro = $T/share-ro ro" "/srv/rw = $T/share-rw rw" \
	"/srv/deep/er/dir = $T/share-ro" "/etc/one-file = $T/one-file ro")
vs_start "$g"
t_eq "ro mount read" "$(vs_exec "$g" cat /srv/ro/file)" from-host
vs_exec "$g" sh -c 'echo x > /srv/ro/new' 2>/dev/null && t_fail "wrote to a ro mount"
t_eq "ro mount, errno" "$(vs_exec "$g" vs_probe mkdir /srv/ro/d)" EROFS
vs_exec "$g" sh -c 'echo from-guest > /srv/rw/new' || t_fail "cannot write to the rw mount"
t_eq "rw mount write reaches the host" "$(cat "$T/share-rw/new")" from-guest
t_eq "default is ro" "$(vs_exec "$g" vs_probe mkdir /srv/deep/er/dir/x)" EROFS
t_eq "file mount" "$(vs_exec "$g" cat /etc/one-file)" single
t_eq "file mount is ro" "$(vs_exec "$g" vs_probe write /etc/one-file x)" EROFS
vs_exec "$g" grep -q " /srv/rw .*nosuid,nodev" /proc/self/mountinfo || t_fail "rw mount not nosuid,nodev"
vs_stop "$g"
vs_assert_gone "$g"
[ -d "$VUNIFY_BASE/guests/$g/root/srv/deep/er/dir" ] || t_fail "missing target not created"

# A symlink in the guest's tree must not redirect a mount: not as the
# target itself, not as a directory on the way.
root=$VUNIFY_BASE/guests/$g/root
mkdir -p "$T/victim"
for target in /srv/link /srv/linkdir/sub; do
	rm -rf "$root/srv"
	mkdir -p "$root/srv"
	ln -s "$T/victim" "$root/srv/link"
	ln -s "$T/victim" "$root/srv/linkdir"
	printf '%s\n' "[guest]" "[mounts]" "$target = $T/share-ro" > "$VUNIFY_BASE/guests/$g/guest.conf"
	"$VS" "$g" start 2> "$T/err" && t_fail "$target: started through a symlink"
	grep -q "a symlink in the guest" "$T/err" || t_fail "$target: $(cat "$T/err")"
	[ -z "$(ls -A "$T/victim")" ] || t_fail "$target: something was created in the host's $T/victim"
	awk -v p="$T/victim" '$5 == p { f = 1 } END { exit !f }' /proc/self/mountinfo &&
		t_fail "$target: mounted on the host's $T/victim"
	vs_assert_gone "$g"
done

# A missing source is an error naming it.
printf '%s\n' "[guest]" "[mounts]" "/srv/x = $T/nothing-here" > "$VUNIFY_BASE/guests/$g/guest.conf"
"$VS" "$g" start 2> "$T/err" && t_fail "started with a missing source"
grep -q "$T/nothing-here: No such file or directory" "$T/err" || t_fail "missing source: $(cat "$T/err")"
vs_assert_gone "$g"
t_done
