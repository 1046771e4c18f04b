#!/bin/bash
# timeout: 300
# modes: passthrough
# Disk limits: every operation class stops at the limit with EDQUOT before
# changing anything, reserved space is root's, df shows the budget, a break
# that does not fit leaves the shared name alone, the counters equal a fresh
# scan after thousands of random operations and after a crash, and a full
# guest leaves others writable.
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
vt=$VU_TEST_BIN/vutest
store=$T/store g=$T/g m=$T/m
mkdir -p "$g" "$m"
chmod 0755 "$T"
as_user() { setpriv --reuid=1000 --regid=1000 --clear-groups -- "$@"; }

# scan DIR: "BYTES INODES" of the tree as format.h defines them, computed
# independently of vunifyfs: every inode once, store objects excluded.
scan() {
	local marked
	marked=$(getfattr -R -P --absolute-names -n trusted.vunify "$1" 2>/dev/null |
		sed -n 's/^# file: //p')
	find "$1" -xdev -printf '%i %b %p\n' |
		awk -v marked="$marked" 'BEGIN { n = split(marked, m, "\n"); for (i = 1; i <= n; i++) skip[m[i]] = 1 }
			{ p = substr($0, index(substr($0, index($0, " ") + 1), " ") + index($0, " ") + 1) }
			skip[p] { next }
			!seen[$1]++ { bytes += $2 * 512; inodes++ }
			END { print bytes + 0, inodes + 0 }'
}
# The tree changed on the host while unmounted: drop the usage record, as
# vhashify and vclone do (format.h), so the next mount counts anew.
host_changed() { setfattr -x trusted.vunify.usage "$g" 2>/dev/null; true; }
# record DIR: "BYTES INODES STATE" from the usage record vunifyfs keeps.
record() { getfattr --absolute-names --only-values -n trusted.vunify.usage "$1" 2>/dev/null |
	sed -n 's/^v1 bytes=\([0-9]*\) inodes=\([0-9]*\) state=\([a-z]*\)$/\1 \2 \3/p'; }

# --- df without and with limits ---
echo x > "$g/seed"
vu_mount "$g" "$m"
[ "$(stat -f -c '%b %S' "$m")" = "$(stat -f -c '%b %S' "$g")" ] || t_fail "no limits: statfs is not the backing one"
vu_umount "$m"
getfattr -n trusted.vunify.usage "$g" >/dev/null 2>&1 && t_fail "a mount without limits left a usage record"

vu_mount "$g" "$m" -o space=8M,inodes=200
[ "$(df -B1 --output=size "$m" | tail -n 1 | tr -d ' ')" = $((8 * 1024 * 1024)) ] || t_fail "df total: $(df -B1 --output=size "$m" | tail -n 1)"
read -r sb si <<< "$(scan "$g")"
[ "$(df -B1 --output=used "$m" | tail -n 1 | tr -d ' ')" -le "$sb" ] || t_fail "df used"
[ "$(df --output=itotal "$m" | tail -n 1 | tr -d ' ')" = 200 ] || t_fail "df -i total"
[ "$(df --output=iused "$m" | tail -n 1 | tr -d ' ')" = "$si" ] || t_fail "df -i used: $(df --output=iused "$m" | tail -n 1), scan $si"
# The usage record is not the guest's business.
getfattr -d -m - "$m" 2>/dev/null | grep -q vunify && t_fail "usage record visible in the guest"
t_errno "usage record writable by the guest" EPERM $vt setxattr "$m" trusted.vunify.usage x

# --- each operation class stops at the limit, before changing anything ---
# 7.5 MiB used: a 1 MiB write (one request: the kernel splits larger ones,
# and a split write ends short, as on any filesystem) must fail whole.
head -c 7680K /dev/urandom > "$m/six"
sum6=$(vu_hash "$m/six")
# The record on disk follows within seconds (for vserver status and
# vhashify stats), also while the guest keeps vunifyfs's notifier busy:
# each unprivileged O_TRUNC of a setuid file queues an invalidation.
touch "$m/suid"
for i in $(seq 150); do
	chmod 4777 "$m/suid" && as_user sh -c ': > "$1"' sh "$m/suid" || t_fail "suid round $i"
	read -r rb ri rs <<< "$(record "$g")"
	[ "${rb:-0}" -ge 7864320 ] && break
	sleep 0.1
done
[ "${rb:-0}" -ge 7864320 ] || t_fail "usage record not refreshed while mounted and busy: $(record "$g")"
[ "$(stat -c %a "$m/suid")" = 777 ] || t_fail "setuid not dropped by an unprivileged O_TRUNC"
rm -f "$m/suid"
t_errno "write beyond the limit" EDQUOT $vt writez "$m/six" 7864320 1048576
[ "$(stat -c %s "$m/six")" = 7864320 ] && [ "$(vu_hash "$m/six")" = "$sum6" ] || t_fail "failed write changed the file"
t_check "overwrite inside the file needs no space" $vt writez "$m/six" 0 1048576
t_errno "fallocate beyond the limit" EDQUOT $vt fallocate "$m/six" 0 7864320 4194304
[ "$(stat -c %s "$m/six")" = 7864320 ] || t_fail "failed fallocate changed the size"
# truncate up allocates nothing (sparse), so it fits.
t_check "truncate up (sparse)" truncate -s 100M "$m/six"
t_errno "write into the hole beyond the limit" EDQUOT $vt writez "$m/six" 52428800 1048576
truncate -s 6M "$m/six"
# Fill the rest, to the last block, then everything that allocates fails.
dd if=/dev/zero of="$m/fill" bs=64k 2>/dev/null
dd if=/dev/zero of="$m/fill2" bs=4k 2>/dev/null
[ "$(df -B1 --output=avail "$m" | tail -n 1 | tr -d ' ')" -lt 4096 ] || t_fail "could not fill the guest"
t_errno "mkdir when full" EDQUOT $vt mkdir "$m/newdir"
t_errno "long symlink when full" EDQUOT $vt symlink "$(head -c 200 /dev/zero | tr '\0' a)" "$m/longlink"
t_errno "append when full" EDQUOT $vt append "$m/six" "$(head -c 5000 /dev/zero | tr '\0' a)"
rm -f "$m/fill" "$m/fill2"
# Inodes: create, mkdir, mknod, symlink until the limit.
n=0
while touch "$m/i$n" 2>/dev/null; do n=$((n + 1)); [ $n -gt 300 ] && break; done
[ "$(df --output=iused "$m" | tail -n 1 | tr -d ' ')" = 200 ] || t_fail "inode limit not reached at 200"
t_errno "create beyond the inode limit" EDQUOT $vt open "$m/one-more" "wronly|creat"
mkdir "$m/d-more" 2>/dev/null && t_fail "mkdir beyond the inode limit"
mkfifo "$m/p-more" 2>/dev/null && t_fail "mknod beyond the inode limit"
ln -s x "$m/l-more" 2>/dev/null && t_fail "symlink beyond the inode limit"
$vt tmpfile "$m" x "$m/t-more" >/dev/null && t_fail "O_TMPFILE linked in beyond the inode limit"
rm -f "$m"/i*
vu_umount "$m"

# --- a break that does not fit fails cleanly; the shared name stays ---
rm -rf "${g:?}"/*
head -c 3M /dev/urandom > "$T/src"
vu_unify "$store" 4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d "$T/src" "$g/shared"
host_changed
obj=$store/objects/4d/4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d
vu_mount "$g" "$m" -o space=8M
head -c 6M /dev/zero > "$m/big6" || t_fail "6 MiB do not fit in an empty 8 MiB guest"
t_errno "link break beyond the limit" EDQUOT $vt open "$m/shared" rdwr
[ "$(stat -c %i "$g/shared")" = "$(stat -c %i "$obj")" ] || t_fail "failed break replaced the shared name"
cmp -s "$m/shared" "$T/src" || t_fail "failed break changed what the guest reads"
ls -A "$g" | grep -q vunify-tmp && t_fail "failed break left a temporary"
rm "$m/big6"
t_check "link break that fits" $vt open "$m/shared" rdwr
[ "$(stat -c %h "$g/shared")" = 1 ] || t_fail "break did not happen"
vu_umount "$m"
read -r rb ri rs <<< "$(record "$g")"
[ "$rb $ri" = "$(scan "$g")" ] || t_fail "after breaks: record '$rb $ri', scan '$(scan "$g")'"
# A break while the file is open for reading: under kernel passthrough the
# copy becomes a new inode that the break itself must charge (its node,
# made later, finds it counted).
rm -rf "${g:?}"/*
vu_unify "$store" 4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e "$T/src" "$g/shared"
host_changed
vu_mount "$g" "$m" -o space=8M
exec {reader}<"$m/shared" || t_fail "open $m/shared for reading"
t_check "link break beside a reader" $vt open "$m/shared" rdwr
exec {reader}<&-
[ "$(stat -c %h "$g/shared")" = 1 ] || t_fail "break beside a reader did not happen"
vu_umount "$m"
read -r rb ri rs <<< "$(record "$g")"
[ "$rb $ri" = "$(scan "$g")" ] ||
	t_fail "after a break beside a reader: record '$rb $ri', scan '$(scan "$g")'"

# --- reserved space is for uid 0 ---
rm -f "$g"/*
host_changed
vu_mount "$g" "$m" -o space=10M,reserved=20
mkdir -m 1777 "$m/pub"
as_user dd if=/dev/zero of="$m/pub/user" bs=64k 2>/dev/null
u=$(stat -c %b "$m/pub/user")
[ $((u * 512)) -le $((8 * 1024 * 1024)) ] && [ $((u * 512)) -gt $((7 * 1024 * 1024)) ] ||
	t_fail "unprivileged user got $((u * 512)) bytes of 8 MiB"
dd if=/dev/zero of="$m/root" bs=64k count=16 status=none 2>/dev/null || t_fail "root cannot use the reserve"
[ "$(stat -c %s "$m/root")" = 1048576 ] || t_fail "root write into the reserve"
vu_umount "$m"

# --- exact counters after thousands of random operations ---
rm -rf "$g"/*
for i in $(seq 5); do
	head -c $((i * 40000)) /dev/urandom > "$T/u$i"
	vu_unify "$store" "$(printf '5%031d' $i)" "$T/u$i" "$g/u$i"
done
host_changed
vu_mount "$g" "$m" -o space=1G,inodes=100000
RANDOM=42
for op in $(seq 3000); do
	f=$m/d$((RANDOM % 4))/f$((RANDOM % 40)); d=$(dirname "$f")
	case $((RANDOM % 14)) in
	0|1) mkdir -p "$d"; head -c $((RANDOM * 3)) /dev/zero > "$f" ;;
	2) [ -f "$f" ] && head -c $((RANDOM % 9000)) /dev/zero >> "$f" ;;
	3) [ -f "$f" ] && truncate -s $((RANDOM * 4)) "$f" ;;
	4) rm -f "$f" ;;
	5) mkdir -p "$d" && ln -f "$f" "$d/h$((RANDOM % 10))" 2>/dev/null ;;
	6) [ -d "$d" ] && mv -f "$f" "$m/d$((RANDOM % 4))/f$((RANDOM % 40))" 2>/dev/null ;;
	7) mkdir -p "$d/sub$((RANDOM % 3))" ;;
	8) rmdir "$d/sub$((RANDOM % 3))" 2>/dev/null ;;
	9) mkdir -p "$d" && ln -sf "$(head -c $((RANDOM % 120)) /dev/zero | tr '\0' s)x" "$d/s$((RANDOM % 5))" ;;
	10) [ -f "$f" ] && setfattr -n user.big -v "$(head -c $((RANDOM % 3000 + 1)) /dev/zero | tr '\0' v)" "$f" ;;
	11) modes=(0 keep punch); [ -f "$f" ] && $vt fallocate "$f" "${modes[RANDOM % 3]}" $((RANDOM * 2)) $((RANDOM)) > /dev/null ;;
	12) u=$m/u$((RANDOM % 5 + 1)); [ -f "$u" ] && echo w >> "$u" ;;
	13) mkdir -p "$d" && $vt tmpfile "$d" data "$d/t$((RANDOM % 10))" > /dev/null ;;
	esac
	[ $((op % 1000)) = 0 ] && rm -rf "$m/d$((RANDOM % 4))"
done
vu_umount "$m"
sync -f "$g"    # what ext4 allocates at writeback must be in the record
read -r rb ri rs <<< "$(record "$g")"
[ "$rs" = clean ] || t_fail "record after a clean unmount: '$rs'"
t_log "after 3000 random operations: record $rb bytes, $ri inodes; scan $(scan "$g")"
[ "$rb $ri" = "$(scan "$g")" ] || t_fail "counters drifted: record '$rb $ri', scan '$(scan "$g")'"

# --- what the backing filesystem allocates only at writeback ---
# ext4 gives a fragmented file an extent block when its dirty pages are
# written back, after every operation on it was charged: the node that
# dies (the kernel forgot it) and the mount that ends must count it.
rm -rf "$g"/d* && host_changed
vu_mount "$g" "$m" -o space=1G,inodes=100000
for f in frag1 frag2; do
	for i in $(seq 0 199); do
		dd if=/dev/zero of="$m/$f" bs=4k seek=$((i * 2)) count=1 conv=notrunc status=none
	done
done
echo 2 > /proc/sys/vm/drop_caches       # frag1 and frag2 forgotten, maybe
touch "$m/frag2"                        # frag2 known again
for i in $(seq 0 199); do
	dd if=/dev/zero of="$m/frag3" bs=4k seek=$((i * 2)) count=1 conv=notrunc status=none
done
vu_umount "$m"
sync -f "$g"
read -r rb ri rs <<< "$(record "$g")"
[ "$rb $ri" = "$(scan "$g")" ] || t_fail "writeback allocation not counted: record '$rb $ri', scan '$(scan "$g")'"

# --- a lookup while a forgotten node is being settled ---
# The settle of a node the kernel forgot charges what writeback allocates; a
# lookup of the same inode meanwhile must find that node, not make a second
# one that adopts the inode as it was before and charges the extent block
# again.  The daemon waits 500 ms before each settle, so the lookup comes
# in the middle of it.
forgets() { timeout 20 "$VU_BIN/vunifyfs" --stats "$m" |
	awk '$1 == "op" && ($2 == "FORGET" || $2 == "BATCH_FORGET") { n += $3 } END { print n + 0 }'; }
rm -f "$g"/frag* && host_changed
VUNIFYFS_TEST_SETTLE_DELAY_MS=500 vu_mount "$g" "$m" -o space=1G,inodes=100000
for i in $(seq 0 199); do
	dd if=/dev/zero of="$m/frag4" bs=4k seek=$((i * 2)) count=1 conv=notrunc status=none
done
f0=$(forgets)
echo 2 > /proc/sys/vm/drop_caches       # frag4 forgotten: its settle starts, and waits
for i in $(seq 40); do [ "$(forgets)" -gt "$f0" ] && break; sleep 0.05; done
[ "$(forgets)" -gt "$f0" ] || t_fail "the kernel forgot nothing after drop_caches"
stat "$m/frag4" > /dev/null             # a lookup while the settle waits
touch "$m/frag4"                        # charged again through whichever node it found
vu_umount "$m"
sync -f "$g"
read -r rb ri rs <<< "$(record "$g")"
[ "$rb $ri" = "$(scan "$g")" ] ||
	t_fail "lookup during a settle counted the writeback twice: record '$rb $ri', scan '$(scan "$g")'"

# --- kill -9, remount: counted anew, right again ---
vu_mount "$g" "$m" -o space=1G,inodes=100000
head -c 3M /dev/urandom > "$m/after-crash"
mkdir "$m/dir-after-crash"
pkill -9 -f "vunifyfs .*$m\$"
t_abort "$m"; umount -l "$m" 2>/dev/null
for i in $(seq 50); do pgrep -f "vunifyfs .*$m\$" >/dev/null || break; sleep 0.1; done
read -r rb ri rs <<< "$(record "$g")"
[ "$rs" = dirty ] || t_fail "record after kill -9 is '$rs', not dirty"
vu_mount "$g" "$m" -o space=1G,inodes=100000
[ "$(df --output=iused "$m" | tail -n 1 | tr -d ' ')" = "$(scan "$g" | cut -d' ' -f2)" ] ||
	t_fail "after a crash: df -i $(df --output=iused "$m" | tail -n 1), scan $(scan "$g")"
vu_umount "$m"
read -r rb ri rs <<< "$(record "$g")"
[ "$rb $ri" = "$(scan "$g")" ] || t_fail "after a crash: record '$rb $ri', scan '$(scan "$g")'"
# And a clean record is trusted: no recount (shown by a record we fake).
setfattr -n trusted.vunify.usage -v "v1 bytes=12345 inodes=67 state=clean" "$g"
vu_mount "$g" "$m" -o space=1G,inodes=100000
[ "$(df --output=iused "$m" | tail -n 1 | tr -d ' ')" = 67 ] || t_fail "a clean record was not used"
vu_umount "$m"
vu_mount "$g" "$m" -o space=1G,inodes=100000,rescan
[ "$(df --output=iused "$m" | tail -n 1 | tr -d ' ')" = "$(scan "$g" | cut -d' ' -f2)" ] || t_fail "rescan"
vu_umount "$m"

# --- a full guest does not stop another guest on the same filesystem ---
mkdir -p "$T/g2" "$T/m2"
vu_mount "$g" "$m" -o space=4M
vu_mount "$T/g2" "$T/m2" -o space=64M
dd if=/dev/zero of="$m/fill" bs=64k 2>/dev/null
echo x > "$m/more" 2>/dev/null && [ -s "$m/more" ] && t_fail "full guest still writes"
t_check "the other guest writes" dd if=/dev/zero of="$T/m2/ok" bs=1M count=16 status=none
[ "$(stat -c %s "$T/m2/ok")" = 16777216 ] || t_fail "the other guest's write was cut short"
vu_umount "$m"
vu_umount "$T/m2"

# --- vhashify stats shows what the guest is charged; vhashify itself
# changes guests without counting, so it drops the record ---
getfattr -n trusted.vunify.usage "$g" >/dev/null 2>&1 || t_fail "no record before vhashify"
chmod 0700 "$store"
read -r rb ri rs <<< "$(record "$g")"
"$VU_BIN/vhashify" stats --json --store "$store" "$g" | grep -q "\"limit_usage\":{\"bytes\":$rb,\"inodes\":$ri,\"state\":\"$rs\"}" ||
	t_fail "vhashify stats does not show the usage record: $("$VU_BIN/vhashify" stats --json --store "$store" "$g")"
t_timeout 60 "$VU_BIN/vhashify" -q --store "$store" "$g" "$T/g2" || t_fail "vhashify failed"
getfattr -n trusted.vunify.usage "$g" >/dev/null 2>&1 && t_fail "vhashify left a stale usage record"
t_done
