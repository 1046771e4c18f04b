#!/bin/bash
# vserver NAME snapshot NEW: a stopped guest's copy-on-write copy.  The copy
# equals the guest (content, metadata, xattrs, hardlink groups, its
# guest.conf byte for byte), shares its files through the store, boots, and
# a write in either leaves the other alone.  A running guest, an existing
# name and a missing argument are refused and leave nothing.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"

g=$(vs_guest s "[limits]" "pids = 300")
s=$(vs_name s2)
VS_GUESTS+=("$s")
root=$VUNIFY_BASE/guests/$g/root
chmod 0700 "$VUNIFY_BASE/guests/$g"
vs_srv_file "$root"
ln -s a "$root/srv/sym"
chmod 000 "$VUNIFY_BASE/guests/$g"

# What a copy must keep (vu_snap less the access times, which reading a
# symlink to compare it updates).
sig() {
	(cd "$1" && find . -mindepth 1 -printf '%p %y %m %U:%G %s %T@ %l\n' | sort
	 find . -type f -exec sha256sum {} + | sort
	 getfattr -R -h -d -m - -e hex . 2>/dev/null)
}

vs_start "$g"
"$VS" "$g" snapshot "$s" 2> "$T/err"; t_eq "snapshot of a running guest" $? 1
grep -q "is running; stop it first" "$T/err" || t_fail "message: $(cat "$T/err")"
[ ! -e "$VUNIFY_BASE/guests/$s" ] || t_fail "a refused snapshot left $s"
vs_stop "$g"

t_check "snapshot" "$VS" "$g" snapshot "$s" -q
sroot=$VUNIFY_BASE/guests/$s/root
t_eq "barrier of the snapshot" "$(stat -c %a "$VUNIFY_BASE/guests/$s")" 0
cmp -s "$VUNIFY_BASE/guests/$g/guest.conf" "$VUNIFY_BASE/guests/$s/guest.conf" ||
	t_fail "guest.conf differs"
[ "$(sig "$root")" = "$(sig "$sroot")" ] ||
	t_fail "the trees differ: $(diff <(sig "$root") <(sig "$sroot") | head -5)"
t_eq "hardlink group kept" "$(stat -c %i "$sroot/srv/a")" "$(stat -c %i "$sroot/srv/a-link")"
# shared through the store: one inode for both guests' /bin/busybox
t_eq "busybox shared" "$(stat -c %i "$sroot/bin/busybox")" "$(stat -c %i "$root/bin/busybox")"

# The snapshot boots; its writes stay its own.
before=$(sig "$root")
vs_start "$s"
vs_exec "$s" sh -c 'echo changed > /srv/a; echo new > /srv/b' || t_fail "write in the snapshot"
t_eq "the snapshot sees its write" "$(vs_exec "$s" cat /srv/a)" changed
vs_stop "$s"
[ "$(sig "$root")" = "$before" ] || t_fail "a write in the snapshot changed the guest"

"$VS" "$g" snapshot "$s" 2>/dev/null; t_eq "snapshot onto an existing guest" $? 1
"$VS" "$g" snapshot 2>/dev/null; t_eq "snapshot without a name" $? 2
"$VS" "$g" snapshot "../x" 2>/dev/null; t_eq "snapshot to a bad name" $? 2
"$VS" nosuch snapshot x 2>/dev/null; t_eq "snapshot of a missing guest" $? 5
t_check "delete the snapshot" "$VS" "$s" delete
t_done
