#!/bin/bash
# modes: passthrough
# No descriptor per cold inode: a tree of 200,000 files walked and stat'ed
# through a mount whose daemon runs with the open-file limit at 1024.  The
# daemon keeps about half the limit as inode descriptors (vunifyfs --stats,
# node_fds), closes cold ones and opens them again by handle, and every
# answer stays right: what was stat'ed, read, written, renamed, linked,
# unlinked and removed after its descriptor was closed, and a directory
# removed while a process still sits in it.
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
v=$VU_BIN/vunifyfs
g=$T/g m=$T/m
N=${VU_MANYFILES:-200000}
mkdir -p "$g" "$m"

# The tree, made on the host side: 400 directories of 500 files.
python3 - "$g" "$N" <<'PY' || t_fail "making the tree"
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
per = 500
for i in range(n):
    d = os.path.join(root, "d%03d" % (i // per))
    if i % per == 0:
        os.mkdir(d)
    with open(os.path.join(d, "f%03d" % (i % per)), "w") as f:
        f.write(str(i))
PY
# A probe that the handle path works here at all: a filesystem without
# file handles keeps one descriptor per inode, which this test is not about.
python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(8 + 128); ctypes.c_uint.from_buffer(buf).value = 128
mid = ctypes.c_int()
sys.exit(0 if libc.name_to_handle_at(-100, sys.argv[1].encode(), buf, ctypes.byref(mid), 0) == 0 else 1)
' "$g/d000" || t_skip "$g's filesystem gives no file handles"

# timeout=0: the kernel keeps no attributes, so every stat below asks the
# daemon, with whatever descriptor it has (or no longer has) at the time.
(ulimit -n 1024 && vu_mount "$g" "$m" -o timeout=0) || exit 1
t_on_exit "umount -l '$m' 2>/dev/null"
stats() { timeout 20 "$v" --stats "$m" | awk '$1 == "node_fds" { print $2, $3, $4, $5 }'; }
read -r w budget ev re <<< "$(stats)"
[ "$budget" -le 512 ] || t_fail "budget $budget with a limit of 1024"

# Walk and stat everything: no EMFILE, every file seen.
count=$(timeout 600 find "$m" -type f -printf '%s\n' 2> "$T/err" | wc -l)
[ -s "$T/err" ] && t_fail "find: $(head -3 "$T/err")"
t_eq "files seen" "$count" "$N"
read -r w budget ev re <<< "$(stats)"
[ "$w" -le "$budget" ] || t_fail "$w descriptors open, budget $budget"
t_log "after the walk: $w open of $budget, $ev closed while cold, $re opened again"

# Every kind of operation on inodes whose descriptors went cold.  Look
# them up first (the kernel keeps them), then push them out with a
# thousand new inodes, then use them.
push() { mkdir "$m/push$1" && (cd "$m/push$1" && seq 1000 | xargs touch) || t_fail "push $1"; }
f=$m/d000/f001 d=$m/d001
cat "$f" > /dev/null; ls "$d" > /dev/null; stat "$m/d002/f007" > /dev/null
read -r w budget ev0 re0 <<< "$(stats)"
push 1
read -r w budget ev re <<< "$(stats)"
[ "$ev" -gt "$ev0" ] || t_fail "new inodes closed no cold descriptor"
t_eq "read after" "$(cat "$f")" 1
echo changed > "$f" || t_fail "write after"
t_eq "written" "$(cat "$g/d000/f001")" changed
chmod 0600 "$m/d002/f007" && t_eq "chmod after" "$(stat -c %a "$g/d002/f007")" 600
mv "$d/f000" "$d/moved" && [ -e "$g/d001/moved" ] || t_fail "rename after"
ln "$d/moved" "$d/linked" && t_eq "link after" "$(stat -c %h "$g/d001/moved")" 2
rm "$d/linked" "$d/moved" && [ ! -e "$g/d001/moved" ] || t_fail "unlink after"
mkdir "$d/sub" && t_eq "mkdir after" "$(stat -c %F "$g/d001/sub")" directory

# A stat of a cold inode opens it by handle for that request alone: the
# node stays cold, no descriptor of the budget is spent on it (warming it
# would evict another).  A cold inode used again at once (cat with
# timeout=0: GETATTR, OPEN, GETATTR) is warmed on its second use.  Nodes
# warmed = new descriptors held + descriptors closed since.
push 3
warmed() { read -r w budget ev re <<< "$(stats)"; echo $((w + ev)) "$re"; }
read -r k0 r0 <<< "$(warmed)"
for i in $(seq 100 349); do stat -c %s "$m/d003/f$i"; done > "$T/sizes" || t_fail "stat of cold files"
t_eq "sizes of cold files" "$(sort -u "$T/sizes")" 4
read -r k1 r1 <<< "$(warmed)"
for i in $(seq 100 349); do cat "$m/d004/f$i"; echo; done > "$T/content" || t_fail "read of cold files"
t_eq "content of cold files" "$(sed -n '1p;250p' "$T/content" | tr '\n' ' ')" "2100 2349 "
read -r k2 r2 <<< "$(warmed)"
t_log "250 stats: $((k1 - k0)) nodes warmed, $((r1 - r0)) opens by handle; 250 reads: $((k2 - k1)), $((r2 - r1))"
[ $((k1 - k0)) -lt 60 ] || t_fail "250 stats of cold files warmed $((k1 - k0)) nodes"
[ $((r1 - r0)) -ge 250 ] || t_fail "250 stats of cold files opened $((r1 - r0)) by handle"
[ $((k2 - k1)) -ge 250 ] || t_fail "250 reads of cold files warmed only $((k2 - k1)) nodes"

# A working directory gone cold, then removed under its process: the
# process still gets its directory's attributes (a handle cannot open an
# inode without names, so its descriptor is opened again before the rmdir
# and kept).
mkdir "$m/gone"
(cd "$m/gone" && sleep 3 && stat -c %h . > "$T/gone-nlink" 2> "$T/gone-err") &
sh_pid=$!
sleep 0.5
push 2
rmdir "$m/gone" || t_fail "rmdir"
wait "$sh_pid"
t_eq "stat of a removed working directory" "$(cat "$T/gone-nlink")" 0
[ -s "$T/gone-err" ] && t_fail "stat of a removed working directory: $(cat "$T/gone-err")"

read -r w budget ev re <<< "$(stats)"
[ "$re" -gt "$re0" ] || t_fail "no cold inode was opened again by handle"
t_log "at the end: $w open of $budget, $ev closed while cold, $re opened again"
vu_umount "$m"
t_done
