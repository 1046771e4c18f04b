#!/bin/bash
# modes: passthrough uring
# timeout: 240
# POSIX through the mount: what a guest gets must be what ext4 gives.
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
t_require_cmd setpriv
t_require_cmd setfacl
vt=$VU_TEST_BIN/vutest
g=$T/g m=$T/m
chmod 0755 "$T"   # unprivileged callers must reach the mount
mkdir -p "$g"
vu_mount "$g" "$m"
as_user() { setpriv --reuid=1000 --regid=1000 --clear-groups -- "$@"; }

# --- file types ---
echo hello > "$m/file"
[ "$(cat "$m/file")" = hello ] || t_fail "regular file"
[ "$(cat "$g/file")" = hello ] || t_fail "regular file not in the backing tree"
mkdir -p "$m/d1/d2/d3"
[ -d "$g/d1/d2/d3" ] || t_fail "mkdir -p"
ln -s ../file "$m/d1/sym"
[ "$(readlink "$m/d1/sym")" = ../file ] || t_fail "readlink"
[ "$(cat "$m/d1/sym")" = hello ] || t_fail "symlink resolution"
ln "$m/file" "$m/hard"
[ "$(stat -c %h "$m/file")" = 2 ] || t_fail "hardlink count"
[ "$(stat -c %i "$m/file")" = "$(stat -c %i "$m/hard")" ] || t_fail "hardlink inode"
echo more >> "$m/hard"
[ "$(cat "$m/file")" = "$(printf 'hello\nmore')" ] || t_fail "hardlink content shared"
mkfifo "$m/fifo"
[ -p "$m/fifo" ] || t_fail "fifo"
(echo through-fifo > "$m/fifo" &) ; [ "$(timeout 5 cat "$m/fifo")" = through-fifo ] || t_fail "fifo I/O"
$vt socket "$m/sock" || t_fail "socket bind"
[ -S "$m/sock" ] || t_fail "socket type"
mknod "$m/null" c 1 3 || t_fail "mknod"
[ -c "$m/null" ] && [ "$(stat -c '%t:%T' "$m/null")" = 1:3 ] || t_fail "device node"
t_errno "device node inert (nodev)" EACCES $vt open "$m/null" rdonly
rmdir "$m/d1" 2>/dev/null && t_fail "rmdir of a non-empty directory succeeded"
rm -r "$m/d1/d2"
[ ! -e "$g/d1/d2" ] || t_fail "rm -r"

# --- rename ---
echo a > "$m/ra"; echo b > "$m/rb"
t_errno "RENAME_NOREPLACE onto an existing name" EEXIST $vt rename2 "$m/ra" "$m/rb" noreplace
t_check "RENAME_NOREPLACE to a new name" $vt rename2 "$m/ra" "$m/rc" noreplace
t_check "RENAME_EXCHANGE" $vt rename2 "$m/rc" "$m/rb" exchange
[ "$(cat "$m/rb")" = a ] && [ "$(cat "$m/rc")" = b ] || t_fail "exchange did not swap"
mkdir "$m/rd"; touch "$m/rd/x"
mv "$m/rd" "$m/re"
[ -e "$m/re/x" ] && [ ! -e "$m/rd" ] || t_fail "directory rename"
t_check "exchange file and dir" $vt rename2 "$m/re" "$m/rb" exchange
[ -d "$m/rb" ] && [ -f "$m/re" ] || t_fail "exchange of file and directory"

# --- xattrs ---
setfattr -n user.u -v 1 "$m/file" || t_fail "user xattr"
setfattr -n trusted.t -v 2 "$m/file" || t_fail "trusted xattr"
setfattr -n security.s -v 3 "$m/file" || t_fail "security xattr"
for x in user.u trusted.t security.s; do
	getfattr --absolute-names -n $x "$m/file" >/dev/null || t_fail "$x not readable"
	getfattr --absolute-names -n $x "$g/file" >/dev/null || t_fail "$x not on the backing file"
done
t_errno "XATTR_CREATE on existing" EEXIST $vt setxattr "$m/file" user.u 9 create
t_errno "XATTR_REPLACE on missing" ENODATA $vt setxattr "$m/file" user.none 9 replace
setfattr -x user.u "$m/file"
t_errno "removed xattr" ENODATA $vt getxattr "$m/file" user.u
# trusted xattrs on a symlink itself.
setfattr -h -n trusted.l -v 4 "$m/sym2" 2>/dev/null; ln -s file "$m/sym2"
setfattr -h -n trusted.l -v 4 "$m/sym2" || t_fail "xattr on a symlink"
[ "$($vt getxattr "$m/sym2" trusted.l)" = 4 ] || t_fail "xattr on a symlink: value"
getfattr --absolute-names -h -n trusted.l "$g/sym2" >/dev/null || t_fail "symlink xattr not on the symlink"
getfattr --absolute-names -n trusted.l "$g/file" >/dev/null 2>&1 && t_fail "symlink xattr landed on its target"

# --- POSIX ACLs, enforced ---
echo secret > "$m/acl"; chmod 0600 "$m/acl"
t_errno "no access without ACL" EACCES as_user $vt open "$m/acl" rdonly
setfacl -m u:1000:r "$m/acl" || t_fail "setfacl"
getfacl -n -p "$m/acl" 2>/dev/null | grep -q '^user:1000:r--' || t_fail "getfacl"
as_user cat "$m/acl" >/dev/null || t_fail "ACL grant not honoured"
mkdir "$m/dacl"; setfacl -d -m u:1000:rwx "$m/dacl"; setfacl -m u:1000:rwx "$m/dacl"
as_user sh -c "umask 077; echo x > '$m/dacl/new'" || t_fail "create under default ACL"
getfacl -n -p "$m/dacl/new" 2>/dev/null | grep -q '^user:1000:rwx' || t_fail "default ACL not inherited"

# --- timestamps with nanoseconds ---
touch -d '2001-02-03 04:05:06.123456789' "$m/file"
[ "$(stat -c %y "$m/file")" = "2001-02-03 04:05:06.123456789 +0000" ] || t_fail "ns mtime: $(stat -c %y "$m/file")"
$vt futimens "$m/file" 1000000000 987654321 1000000001 5
[ "$(stat -c '%X.%x|%Y.%y' "$m/file")" = "$(stat -c '%X.%x|%Y.%y' "$g/file")" ] || t_fail "times differ from backing"
[ "$(stat -c %x "$m/file")" = "2001-09-09 01:46:40.987654321 +0000" ] || t_fail "ns atime: $(stat -c %x "$m/file")"

# --- statfs ---
[ "$(stat -f -c '%b %S' "$m")" = "$(stat -f -c '%b %S' "$g")" ] || t_fail "statfs differs from backing"

# --- sparse files, SEEK_DATA/SEEK_HOLE, fallocate ---
truncate -s 1G "$m/sparse"
echo data | dd of="$m/sparse" bs=1 seek=$((512 * 1024 * 1024)) conv=notrunc status=none
[ "$(stat -c %s "$m/sparse")" = 1073741824 ] || t_fail "sparse size"
[ "$(du -k "$g/sparse" | cut -f1)" -lt 1024 ] || t_fail "sparse file allocated"
segs=$($vt segments "$m/sparse")
case "$segs" in 536870912-*) ;; *) t_fail "SEEK_DATA: '$segs'" ;; esac
$vt fallocate "$m/sparse" punch 536870912 4096 || t_fail "punch hole"
[ "$(head -c 5 <(tail -c +536870913 "$m/sparse") | tr -d '\0')" = "" ] || t_fail "punched data still there"

# --- O_APPEND ---
printf 1 > "$m/app"; $vt append "$m/app" 2; $vt append "$m/app" 3
[ "$(cat "$m/app")" = 123 ] || t_fail "O_APPEND"

# --- O_TMPFILE ---
t_check "O_TMPFILE linked in" $vt tmpfile "$m" tmpdata "$m/fromtmp"
[ "$(cat "$m/fromtmp")" = tmpdata ] || t_fail "O_TMPFILE content"
[ "$(cat "$g/fromtmp")" = tmpdata ] || t_fail "O_TMPFILE not in backing tree"
n0=$(ls -A "$g" | wc -l)
t_check "O_TMPFILE unlinked" $vt tmpfile "$m" gone
[ "$(ls -A "$g" | wc -l)" = "$n0" ] || t_fail "unlinked O_TMPFILE left a name"

# --- ownership of new objects, setgid directories ---
mkdir -m 1777 "$m/pub"
as_user sh -c "echo u > '$m/pub/f'; mkdir '$m/pub/dd'; ln -s f '$m/pub/l'; mkfifo '$m/pub/p'"
for f in f dd l p; do
	[ "$(stat -c %u:%g "$g/pub/$f")" = 1000:1000 ] || t_fail "pub/$f owned by $(stat -c %u:%g "$g/pub/$f")"
done
mkdir "$m/sg"; chgrp 3000 "$m/sg"; chmod 2777 "$m/sg"
as_user sh -c "echo x > '$m/sg/f'; mkdir '$m/sg/sub'"
[ "$(stat -c %g "$m/sg/f")" = 3000 ] || t_fail "setgid dir: file gid $(stat -c %g "$m/sg/f")"
[ "$(stat -c %g "$m/sg/sub")" = 3000 ] || t_fail "setgid dir: dir gid"
[ "$(stat -c %A "$m/sg/sub" | cut -c7)" = s ] || t_fail "setgid dir: subdir lost S_ISGID"
as_user sh -c "umask 027; echo x > '$m/pub/masked'"
[ "$(stat -c %a "$m/pub/masked")" = 640 ] || t_fail "umask: mode $(stat -c %a "$m/pub/masked")"

# --- permissions for unprivileged callers ---
echo root-only > "$m/ro"; chmod 0600 "$m/ro"
t_errno "read of 0600 root file" EACCES as_user $vt open "$m/ro" rdonly
t_errno "create in root's 0755 dir" EACCES as_user $vt open "$m/nope" "wronly|creat"
mkdir "$m/sticky"; chmod 1777 "$m/sticky"; echo r > "$m/sticky/rootfile"; chmod 666 "$m/sticky/rootfile"
as_user rm -f "$m/sticky/rootfile" 2>/dev/null; [ -e "$m/sticky/rootfile" ] || t_fail "sticky dir: unlinked another's file"

# --- writes by unprivileged callers drop setuid/setgid and capabilities ---
echo x > "$m/suid"; chown 1000:1000 "$m/suid"; chmod 6777 "$m/suid"
as_user sh -c "echo y >> '$m/suid'"
[ "$(stat -c %a "$m/suid")" = 777 ] || t_fail "write kept setuid/setgid: $(stat -c %a "$m/suid")"
[ "$(stat -c %a "$g/suid")" = 777 ] || t_fail "backing kept setuid/setgid"
echo x > "$m/cap"; chown 1000:1000 "$m/cap"; chmod 0755 "$m/cap"
setfattr -n security.capability -v 0x0100000200200000000000000000000000000000 "$m/cap" || t_fail "set capability"
as_user sh -c "echo y >> '$m/cap'"
getfattr --absolute-names -n security.capability "$m/cap" >/dev/null 2>&1 && t_fail "write kept file capabilities"
echo x > "$m/suid2"; chmod 4755 "$m/suid2"
echo y >> "$m/suid2"
[ "$(stat -c %a "$m/suid2")" = 4755 ] || t_fail "root write dropped setuid (ext4 keeps it)"
# Truncation and O_TRUNC by an unprivileged caller drop them too; setgid
# stays where the group cannot execute (as the kernel does).
echo x > "$m/suid3"; chown 1000:1000 "$m/suid3"; chmod 6777 "$m/suid3"
as_user truncate -s 1 "$m/suid3"
[ "$(stat -c %a "$m/suid3")" = 777 ] || t_fail "unprivileged truncate kept setuid/setgid: $(stat -c %a "$m/suid3")"
chmod 6767 "$m/suid3"
as_user sh -c "echo z > '$m/suid3'"
[ "$(stat -c %a "$m/suid3")" = 2767 ] || t_fail "unprivileged O_TRUNC: $(stat -c %a "$m/suid3"), want 2767"
[ "$(stat -c %a "$g/suid3")" = 2767 ] || t_fail "backing after unprivileged O_TRUNC: $(stat -c %a "$g/suid3")"
# Repeated writes: the kernel's view and the backing file agree.
chmod 6777 "$m/suid3"
for i in 1 2 3; do as_user sh -c "echo $i >> '$m/suid3'"; done
[ "$(stat -c %a "$m/suid3") $(stat -c %a "$g/suid3")" = "777 777" ] || t_fail "repeated writes: view/backing $(stat -c %a "$m/suid3") $(stat -c %a "$g/suid3")"

# --- big data round trip ---
head -c 50M /dev/urandom > "$T/big"
cp "$T/big" "$m/big"
cmp -s "$T/big" "$m/big" || t_fail "50 MiB copy through the mount differs"
cmp -s "$T/big" "$g/big" || t_fail "50 MiB copy differs in the backing tree"

vu_umount "$m"
t_done
