#!/bin/bash
# modes: passthrough
# A node whose descriptor went cold stands for its inode by file handle
# only, so nothing pins the inode number any more: when the host removes
# the file and the number is given to a new file that takes its name, a
# lookup through the mount must show the new file, not fail with ESTALE
# for the old node's handle (the generation differs).
# With passthrough on, the kernel's registration keeps the old inode and
# its number: then only the new file under the name is checked.
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
t_require_cmd mkfs.ext4
v=$VU_BIN/vunifyfs
g=$T/fs/g m=$T/m
mkdir -p "$T/fs" "$m"
# A small filesystem of its own, where a freed inode number is the lowest
# free one and so is given to the next file made.
truncate -s 32M "$T/ext4.img" && mkfs.ext4 -q -F -N 4096 "$T/ext4.img" || t_fail "mkfs.ext4"
mount -o loop "$T/ext4.img" "$T/fs" 2> "$T/err" || t_skip "cannot mount a loop device: $(cat "$T/err")"
t_on_exit "umount -l '$T/fs' 2>/dev/null"
mkdir "$g" "$g/r" "$g/push"
echo old > "$g/r/a"

(ulimit -n 256 && vu_mount "$g" "$m" -o timeout=0) || exit 1
t_on_exit "umount -l '$m' 2>/dev/null"
stats() { timeout 20 "$v" --stats "$m" | awk '$1 == "node_fds" { print $2, $3, $4, $5 }'; }
t_eq "before" "$(cat "$m/r/a")" old
read -r w budget ev0 re0 <<< "$(stats)"
(cd "$m/push" && seq 600 | xargs touch) || t_fail "push"
read -r w budget ev re <<< "$(stats)"
[ "$ev" -gt "$ev0" ] || t_fail "no descriptor went cold ($w open, budget $budget)"

# On the host: the file goes, its number goes to a new file of that name.
ino=$(stat -c %i "$g/r/a")
rm "$g/r/a"
# With passthrough the kernel's registration of the old file's backing
# keeps its inode (and number) alive: no reuse, but the name must still
# show the new file.
for i in $(seq 100); do
	echo new > "$g/r/n$i"
	[ "$(stat -c %i "$g/r/n$i")" = "$ino" ] && break
	[ "$i" = 100 ] || rm "$g/r/n$i"
done
if [ "$(stat -c %i "$g/r/n$i")" = "$ino" ]; then
	t_log "inode $ino reused by the new file"
else
	[ "${VU_PASSTHROUGH:-}" = on ] || t_fail "ext4 did not reuse inode $ino for 100 new files"
	t_log "inode $ino not reused (held by the passthrough registration)"
fi
mv "$g/r/n$i" "$g/r/a"
t_eq "the new file, under the old file's number" "$(cat "$m/r/a" 2>&1)" new
t_eq "its size" "$(stat -c %s "$m/r/a" 2>&1)" 4
echo more >> "$m/r/a" || t_fail "write to the new file"
t_eq "written" "$(cat "$g/r/a")" "$(printf 'new\nmore')"
vu_umount "$m"
t_done
