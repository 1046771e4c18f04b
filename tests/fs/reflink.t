#!/bin/bash
# modes: passthrough
# timeout: 120
# Where the backing filesystem shares extents (xfs with reflink), the link
# break clones instead of copying: breaking a 256 MiB file costs no data
# blocks.  On ext4 it copies in the kernel and keeps holes.
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
t_require_cmd mkfs.xfs
img=$T/xfs.img
truncate -s 1G "$img"
mkfs.xfs -q -m reflink=1 "$img" || t_skip "mkfs.xfs cannot make a reflink filesystem"
loop=$(losetup -f --show "$img") || t_skip "no loop device"
mkdir -p "$T/x"
# Hooks run in order: the vunifyfs mount on top first, then xfs, then loop.
t_on_exit "umount -l $T/m; umount -l $T/x; losetup -d $loop"
mount "$loop" "$T/x" || t_skip "cannot mount xfs"
g=$T/x/g m=$T/m store=$T/x/store
mkdir -p "$g" "$m"
head -c 256M /dev/urandom > "$T/x/src"
# A sparse object too: 64 MiB hole, 1 MiB data, 64 MiB hole.
truncate -s 129M "$T/x/sparse"
head -c 1M /dev/urandom | dd of="$T/x/sparse" bs=1M seek=64 conv=notrunc status=none
vu_unify "$store" 1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f "$T/x/src" "$g/big"
vu_unify "$store" 2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f "$T/x/sparse" "$g/sparse"
rm "$T/x/src" "$T/x/sparse"
sync
vu_mount "$g" "$m"
used() { df -k --output=used "$T/x" | tail -n 1; }
u0=$(used)
echo x >> "$m/big"
sync
u1=$(used)
t_log "xfs used before ${u0} KiB, after breaking 256 MiB: ${u1} KiB"
[ $((u1 - u0)) -lt 16384 ] || t_fail "the break copied data instead of cloning: $((u1 - u0)) KiB"
cmp -s <(head -c 268435456 "$m/big") "$store/objects/1f/1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f" || t_fail "clone content differs"
# Sparse: a partial break (truncate) cannot clone the whole file; it copies
# the data segments only, so the copy stays sparse.
truncate -s 100M "$m/sparse"
[ "$(du -k "$g/sparse" | cut -f1)" -lt 4096 ] || t_fail "sparse copy allocated $(du -k "$g/sparse" | cut -f1) KiB"
cmp -s <(head -c 104857600 "$store/objects/2f/2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f") "$m/sparse" || t_fail "sparse copy differs"
vu_umount "$m"
t_done
