#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: the main job of vunify, end to end, in a temporary directory.
#
#  1. two guests made as unrelated copies of one template tree;
#  2. vhashify turns their identical files into links to one store object;
#  3. both guests mounted with vunifyfs; a write in guest 1 breaks the link
#     for that one name, while guest 2 and the store stay unchanged;
#  4. (tools/vserver/demo.sh) a guest cloned from a template is started in
#     its own security context, runs commands, and is stopped.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/build/bin
[ "$(id -u)" = 0 ] || { echo "demo: must run as root" >&2; exit 1; }
for p in vunifyfs vhashify vclone vserver; do
	[ -x "$bin/$p" ] || { echo "demo: $bin/$p is not built (make all)" >&2; exit 1; }
done

d=$(mktemp -d /tmp/vunify-demo.XXXXXX)
cleanup() {
	for m in "$d/m1" "$d/m2"; do mountpoint -q "$m" 2>/dev/null && umount "$m"; done
	rm -rf --one-file-system "$d"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
cd "$d"

say "1. a template tree, and two guests copied from it"
mkdir -p template/bin template/usr/share template/etc
cp /bin/busybox template/bin/
cp -a /usr/share/doc template/usr/share/
echo 'root:x:0:0:root:/root:/bin/sh' > template/etc/passwd
run cp -a template g1
run cp -a template g2
run du -sch g1 g2

say "2. vhashify: identical files (content and metadata) become links to one store object"
echo "(reading the template for the first copy moved its access times, so the copies"
echo " differ in atime: atime is not identity, they are linked and show the object's atime)"
run "$bin/vhashify" --store store g1 g2
run du -sch g1 g2 store
f=usr/share/doc/busybox-static/copyright
[ -f "g1/$f" ] || f=bin/busybox
echo "inode and link count of $f in both guests (the same object):"
stat -c '  %n: inode %i, %h links' "g1/$f" "g2/$f"
getfattr --absolute-names -n trusted.vunify "g1/$f" | sed -n 's/^/  /; 2p'

say "3. both guests mounted with vunifyfs"
mkdir m1 m2
run "$bin/vunifyfs" g1 m1
run "$bin/vunifyfs" g2 m2
echo "what guest 1 sees of $f: its own file (1 link, its own inode number, no mark)"
stat -c '  %n: inode %i, %h link' "m1/$f"
getfattr --absolute-names -d -m - "m1/$f" | grep -c vunify | sed 's/^/  marks visible: /'
obj=$(find store/objects -type f -samefile "g1/$f")
sum() { dd if="$1" iflag=noatime status=none | sha256sum | cut -c1-16; }
before_obj=$(sum "$obj") before_g2=$(sum "m2/$f")
run sh -c "echo 'changed in guest 1' >> m1/$f"
echo "after the write:"
stat -c '  backing g1/%n: inode %i, %h link (a private copy now)' "g1/$f" | sed "s|g1/g1/|g1/|"
stat -c '  backing g2/%n: inode %i, %h links (still the shared object)' "g2/$f" | sed "s|g2/g2/|g2/|"
echo "  guest 1 ends with: $(tail -n 1 "m1/$f")"
echo "  guest 2 unchanged: $([ "$(sum "m2/$f")" = "$before_g2" ] && echo yes || echo NO)"
echo "  store unchanged:   $([ "$(sum "$obj")" = "$before_obj" ] && echo yes || echo NO)"
run umount m1
run umount m2
run du -sch g1 g2 store

say "4. vserver: a guest in its own security context"
"$top/tools/vserver/demo.sh" "$bin"
