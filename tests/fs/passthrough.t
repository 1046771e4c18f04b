#!/bin/bash
# timeout: 240
# Kernel FUSE passthrough: with it, reads and writes never reach vunifyfs
# and guests sharing a store object share one page cache; without it
# (passthrough=off) every read and write is a request.  A guest tree on
# overlayfs works too (deeper stacking).
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
store=$T/store g=$T/g m=$T/m
mkdir -p "$g" "$m"
if ! "$VU_BIN/vunifyfs" -o passthrough=on "$g" "$m" 2> "$T/err"; then
	grep -q "does not offer FUSE passthrough" "$T/err" || t_fail "passthrough=on: $(cat "$T/err")"
	t_skip "kernel without FUSE passthrough: $(cat "$T/err")"
fi
umount "$m"

head -c 32M /dev/urandom > "$T/src"
vu_unify "$store" 7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e "$T/src" "$g/shared"
echo small > "$g/private"

# count_io MODE: read, write and map through a debug mount; print how many
# READ and WRITE requests reached the daemon.
count_io() {
	"$VU_BIN/vunifyfs" -f -d -o "passthrough=$1" "$g" "$m" 2> "$T/log.$1" &
	for i in $(seq 100); do mountpoint -q "$m" && break; sleep 0.1; done
	cat "$m/shared" > /dev/null
	cat "$m/private" > /dev/null
	dd if=/dev/zero of="$m/new" bs=1M count=8 status=none
	dd if="$m/new" of=/dev/null bs=1M status=none
	$VU_TEST_BIN/vutest mmapread "$m/private" > /dev/null
	echo appended >> "$m/private"
	vu_umount "$m"
	wait
	grep -cE 'opcode: (READ|WRITE) ' "$T/log.$1"
}
on=$(count_io on)
off=$(count_io off)
t_log "READ/WRITE requests reaching vunifyfs: passthrough=on $on, off $off"
[ "$on" = 0 ] || t_fail "passthrough=on: $on read/write requests reached the daemon"
[ "$off" -gt 0 ] || t_fail "passthrough=off: no read/write requests (test is blind)"
[ "$(tail -n 1 "$g/private")" = appended ] || t_fail "write through passthrough lost"
cmp -s "$T/src" "$store/objects/7e/7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e" || t_fail "store object changed"

# --- one page cache for all guests: 3 mounts read the same 128 MiB object.
# Counted per mapping with cachestat(2) (the machine's total is too noisy):
# each guest's FUSE inode and the store object, in pages of 4 KiB.
head -c 128M /dev/urandom > "$T/big"
vu_unify "$store" 8e8e8e8e8e8e8e8e8e8e8e8e8e8e8e8e "$T/big" "$g/big"
obj=$store/objects/8e/8e8e8e8e8e8e8e8e8e8e8e8e8e8e8e
rm "$T/big"
mkdir -p "$T/g2" "$T/g3"
ln "$g/big" "$T/g2/big"; ln "$g/big" "$T/g3/big"
$VU_TEST_BIN/vutest cachestat "$obj" > /dev/null || t_skip "no cachestat(2) to count page cache"
pages() {  # MODE: pages cached in total by reading through 3 mounts
	local i total=0
	for i in 1 2 3; do
		vu_mount "$([ $i = 1 ] && echo "$g" || echo "$T/g$i")" "$T/m$i" -o "passthrough=$1"
	done
	sync; echo 3 > /proc/sys/vm/drop_caches
	for i in 1 2 3; do cat "$T/m$i/big" > /dev/null; done
	for i in 1 2 3; do total=$((total + $($VU_TEST_BIN/vutest cachestat "$T/m$i/big"))); done
	total=$((total + $($VU_TEST_BIN/vutest cachestat "$obj")))
	for i in 1 2 3; do vu_umount "$T/m$i"; done
	echo "$total"
}
pon=$(pages on)
poff=$(pages off)
t_log "pages cached after 3 guests read one 32768-page object: passthrough=on $pon, off $poff"
[ "$pon" -le $((32768 * 11 / 10)) ] || t_fail "passthrough: $pon pages cached for one 32768-page object"
[ "$poff" -ge $((32768 * 3)) ] || t_fail "passthrough=off shares the cache? $poff pages (test is blind)"

# --- read-only opens of a private file in passthrough hold no descriptor ---
# The kernel reads through the node's backing file; the daemon opens one of
# its own only when asked for something else (lseek, fsync, copy_file_range).
truncate -s 64M "$g/sparse" && echo data | dd of="$g/sparse" bs=1 seek=$((32 << 20)) conv=notrunc status=none
vu_mount "$g" "$m" -o passthrough=on
pid=$(pgrep -f "vunifyfs.* $m\$")
cat "$m/sparse" > /dev/null             # in passthrough from now on
before=$($VU_TEST_BIN/vutest fdcount "$pid")
fds=()
for i in $(seq 100); do exec {fd}<"$m/sparse" && fds+=("$fd"); done
held=$(($($VU_TEST_BIN/vutest fdcount "$pid") - before))
t_log "daemon descriptors for 100 read-only opens: $held"
[ "$held" -lt 10 ] || t_fail "100 read-only opens in passthrough hold $held daemon descriptors"
[ "$(head -c $(((32 << 20) + 4)) <&"${fds[42]}" | tail -c 4)" = data ] || t_fail "read through a held open"
for fd in "${fds[@]}"; do exec {fd}<&-; done
t_eq "SEEK_DATA/SEEK_HOLE of a read-only open" "$($VU_TEST_BIN/vutest segments "$m/sparse")" \
	"$($VU_TEST_BIN/vutest segments "$g/sparse")"
sync "$m/sparse" || t_fail "fsync of a read-only open"
$VU_TEST_BIN/vutest copyrange "$m/sparse" "$m/copy" && cmp -s "$m/copy" "$g/sparse" ||
	t_fail "copy_file_range from a read-only open"
vu_umount "$m"

# --- a guest tree on overlayfs: the backing files are one level deeper ---
mkdir -p "$T/lower" "$T/upper" "$T/work" "$T/ovl"
echo "from lower" > "$T/lower/f"
mount -t overlay overlay -o "lowerdir=$T/lower,upperdir=$T/upper,workdir=$T/work" "$T/ovl" ||
	t_skip "no overlayfs"
vu_mount "$T/ovl" "$m" -o passthrough=on
[ "$(cat "$m/f")" = "from lower" ] || t_fail "read through passthrough on overlayfs"
echo more >> "$m/f"
[ "$(tail -n 1 "$T/upper/f")" = more ] || t_fail "write through passthrough on overlayfs"
vu_umount "$m"
umount "$T/ovl"
t_done
