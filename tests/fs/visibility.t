#!/bin/bash
# modes: passthrough uring
# What the guest sees of a unified file: a standalone file (st_nlink 1, an
# inode number of its own, stable, the same in readdir and stat), no trace of
# the mark, and open descriptors that follow a break made by another process.
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
vt=$VU_TEST_BIN/vutest

store=$T/store g=$T/g m=$T/m
mkdir -p "$g/sub"
echo "shared content" > "$T/src"
vu_unify "$store" 0123456789abcdef0123456789abcdef "$T/src" "$g/a" "$g/b" "$g/sub/c"
echo private > "$g/p"
objino=$(stat -c %i "$store/objects/01/23456789abcdef0123456789abcdef")

vu_mount "$g" "$m"

# --- st_nlink and st_ino ---
for f in a b sub/c; do
	[ "$(stat -c %h "$m/$f")" = 1 ] || t_fail "$f: st_nlink $(stat -c %h "$m/$f"), want 1"
	[ "$(stat -c %i "$m/$f")" != "$objino" ] || t_fail "$f: shows the object's inode number"
done
ia=$(stat -c %i "$m/a") ib=$(stat -c %i "$m/b") ic=$(stat -c %i "$m/sub/c")
[ "$ia" != "$ib" ] && [ "$ia" != "$ic" ] && [ "$ib" != "$ic" ] ||
	t_fail "unified names share an inode number: $ia $ib $ic"
[ "$(stat -c %i "$m/p")" = "$(stat -c %i "$g/p")" ] || t_fail "private file: inode number not the backing one"
# readdir's d_ino agrees with stat.
while read -r name ino; do
	[ -e "$m/$name" ] || continue
	[ "$ino" = "$(stat -c %i "$m/$name")" ] || t_fail "$name: d_ino $ino, st_ino $(stat -c %i "$m/$name")"
done < <($vt dirino "$m")
# Stable while mounted, also after the kernel dropped its caches.
echo 2 > /proc/sys/vm/drop_caches
[ "$(stat -c %i "$m/a")" = "$ia" ] || t_fail "st_ino changed after cache drop"
# ... and across the link break.
echo more >> "$m/a"
[ "$(stat -c %i "$m/a")" = "$ia" ] || t_fail "st_ino changed by the break"
[ "$(stat -c %h "$m/a")" = 1 ] || t_fail "nlink after break"
# ls -i style listing agrees too after the break.
[ "$($vt dirino "$m" | awk '$1 == "a" { print $2 }')" = "$ia" ] || t_fail "d_ino after break"

# --- the mark is invisible and untouchable ---
getfattr -m - -d "$m/b" 2>/dev/null | grep -q vunify && t_fail "listxattr shows the mark"
[ "$(getfattr --absolute-names -m - "$m/b" 2>/dev/null | grep -c trusted)" = 0 ] || t_fail "trusted names listed"
t_errno "getxattr of the mark" ENODATA $vt getxattr "$m/b" trusted.vunify
t_errno "setxattr of the mark" EPERM $vt setxattr "$m/b" trusted.vunify 0123456789abcdef0123456789abcdef
t_errno "setxattr of the mark on a private file" EPERM $vt setxattr "$m/p" trusted.vunify 0123456789abcdef0123456789abcdef
t_errno "removexattr of the mark" EPERM $vt removexattr "$m/b" trusted.vunify
[ "$(stat -c %i "$g/b")" = "$objino" ] || t_fail "refused mark changes broke the link"
# The size query of listxattr must not count the mark either.
setfattr -n user.x -v 1 "$m/p"
python_free_size=$(getfattr --absolute-names -m - "$m/p" | grep -c '^user.x')
[ "$python_free_size" = 1 ] || t_fail "user xattr on private file not listed"

# --- a descriptor opened before another process breaks the name ---
coproc HOLD { $vt hold "$m/b"; }
hold_pid=$HOLD_PID      # bash unsets HOLD_PID as soon as the coprocess ends
read -r first <&"${HOLD[0]}"
[ "$first" = "shared content" ] || t_fail "hold: first read '$first'"
echo "changed by another process" > "$m/b"       # O_TRUNC: breaks b
# Make the next read reach vunifyfs rather than the page cache.
echo 1 > /proc/sys/vm/drop_caches
echo again >&"${HOLD[1]}"
read -r second <&"${HOLD[0]}"
if [ "${VU_PASSTHROUGH:-}" = on ]; then
	# The documented difference of kernel passthrough: a descriptor opened
	# before the break keeps the shared content until reopened, while every
	# new open gets the private copy.
	[ "$second" = "shared content" ] || t_fail "passthrough: old descriptor reads '$second'"
else
	[ "$second" = "changed by another process" ] || t_fail "old descriptor still reads the shared content: '$second'"
fi
[ "$(cat "$m/b")" = "changed by another process" ] || t_fail "a new open does not see the private copy"
exec {HOLD[1]}>&-
wait "$hold_pid" 2>/dev/null
[ "$(cat "$g/sub/c")" = "shared content" ] || t_fail "other name changed"
[ "$(cat "$store/objects/01/23456789abcdef0123456789abcdef")" = "shared content" ] || t_fail "store changed"

# --- a malformed mark is still a mark: never written in place ---
echo "odd" > "$T/odd"
mkdir -p "$store/objects/ff"
cp -a "$T/odd" "$store/objects/ff/odd"
setfattr -n trusted.vunify -v "not-an-id" "$store/objects/ff/odd"
ln "$store/objects/ff/odd" "$g/odd"
vu_umount "$m"
"$VU_BIN/vunifyfs" -f "$g" "$m" 2> "$T/log" &
for i in $(seq 100); do mountpoint -q "$m" && break; sleep 0.1; done
mountpoint -q "$m" || t_fail "foreground mount did not come up"
echo changed >> "$m/odd"
[ "$(cat "$store/objects/ff/odd")" = odd ] || t_fail "malformed mark: object written in place"
[ "$(cat "$m/odd")" = "$(printf 'odd\nchanged')" ] || t_fail "malformed mark: wrong content after break"
vu_umount "$m"
wait
grep -q "malformed" "$T/log" || t_fail "malformed mark not logged: $(cat "$T/log")"

# A temporary a dead instance left behind (format.h, reserved names) is
# never listed, and listing the directory removes it.
echo leftover > "$g/.vunify-tmp.bdead0000.1"
vu_mount "$g" "$m"
ls -a "$m" | grep -q '^\.vunify-tmp' && t_fail "a reserved name is listed: $(ls -a "$m")"
[ -e "$g/.vunify-tmp.bdead0000.1" ] && t_fail "a dead instance's temporary was not removed"
vu_umount "$m"
t_done
