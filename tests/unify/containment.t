#!/bin/bash
# vhashify and vclone stay inside the guest trees: symlinks in a guest
# (to directories and files outside it, or to another guest) are never
# followed, and whatever is mounted inside a guest (another filesystem, or
# a bind mount of the same one) is not entered.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
t_require_root
uv_mounts

twin() { uv_file "$1" 3000 "twin content" 0644 0:0 @1600000000 @1600000000; }
mkdir -p "$F/outside" "$F/g1/usr" "$F/g2/usr" "$F/g2/bind" "$F/g1/tmpfs"
twin "$F/outside/secret"
twin "$F/g1/usr/a"; twin "$F/g2/usr/a"
ln -s "$F/outside" "$F/g1/usr/dirlink"
ln -s "$F/outside/secret" "$F/g1/usr/filelink"
ln -s ../../g2/usr "$F/g1/usr/relative"
# A bind mount of the same filesystem (same device!) and a tmpfs, with twins.
twin "$F/outside/bound"
mount --bind "$F/outside" "$F/g2/bind" || t_fail "bind mount"
mount -t tmpfs -o size=1m tmpfs "$F/g1/tmpfs" || t_fail "tmpfs"
twin "$F/g1/tmpfs/t"
outside_ino=$(uv_inode "$V/outside/secret")

out=$(t_timeout 60 "$VH" -v --store "$F/store" "$F/g1" "$F/g2" 2>"$T/err") || t_fail "vhashify: $out $(cat "$T/err")"
t_log "$out"
# Only usr/a in each guest: nothing behind a symlink or a mount point.
t_eq "scanned" "$(uv_summary "$out" scanned)" 2
t_eq "linked" "$(uv_summary "$out" linked)" 2
grep -q "g2/bind: a mount point; not entered" "$T/err" || t_fail "bind mount not reported: $(cat "$T/err")"
grep -q "g1/tmpfs: a mount point; not entered" "$T/err" || t_fail "tmpfs not reported"
t_eq "outside file" "$(uv_inode "$V/outside/secret")" "$outside_ino"
t_eq "outside links" "$(stat -c %h "$V/outside/secret")" 1
t_eq "bound file links" "$(stat -c %h "$V/outside/bound")" 1
[ -L "$V/g1/usr/dirlink" ] && [ -L "$V/g1/usr/filelink" ] || t_fail "symlinks replaced"
getfattr -n trusted.vunify "$V/outside/secret" >/dev/null 2>&1 && t_fail "outside file marked"

# vclone: the symlinks are copied as symlinks, the mount points as empty
# directories, nothing behind them.
out=$(t_timeout 60 "$VC" --store "$F/store" "$F/g1" "$F/new" 2>&1) || t_fail "vclone: $out"
t_eq "copied symlink" "$(readlink "$V/new/usr/dirlink")" "$F/outside"
[ -d "$V/new/tmpfs" ] && [ -z "$(ls -A "$V/new/tmpfs")" ] || t_fail "mount point not an empty directory"
t_eq "outside links after vclone" "$(stat -c %h "$V/outside/secret")" 1
umount "$F/g1/tmpfs" "$F/g2/bind"
t_done
