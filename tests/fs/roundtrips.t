#!/bin/bash
# modes: passthrough
# timeout: 180
# What the daemon does per metadata operation (counts, never timings):
# - readdirplus of a directory whose files the daemon already has a node
#   for opens no new descriptor per entry (no openat2: one fstatat);
# - open+close of a private file opens the backing inode once, not twice
#   (in passthrough mode the open file's descriptor is the one registered),
#   and registers it with the kernel once, not at every open; a write
#   through such a kept registration lands in the file, and the file can
#   still be executed (the kept registration is not a writer);
# - the cheap readdirplus path still sees a private inode marked in place
#   on the host since its node was made: the name turns unified, and a
#   write through it breaks the link instead of writing the object.
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
t_require_cmd strace
t_require_cmd setfattr
g=$T/g m=$T/m n=200
mkdir -p "$g" "$m"

vu_mount "$g" "$m"
pid=$(pgrep -f "vunifyfs.* $m\$") || t_fail "no daemon for $m"

# count SYSCALL CMD...: how many SYSCALL the daemon made while CMD ran.
count() {
	local sc=$1 sp; shift
	timeout -k 5 60 strace -f -qq -e trace="$sc" -o "$T/strace" -p "$pid" 2>/dev/null &
	sp=$!
	t_on_exit "kill $sp 2>/dev/null"
	# strace says nothing once attached: give it time to reach every thread.
	sleep 0.7
	# (t_fail would end only this command substitution: print no number.)
	"$@" > /dev/null || { t_log "$* failed"; kill "$sp"; echo failed; return; }
	sleep 0.3
	kill -INT "$sp"
	wait "$sp" 2>/dev/null
	grep -c "^[0-9]* *$sc(" "$T/strace"
}

mkdir "$m/d"
for i in $(seq $n); do echo "$i" > "$m/d/f$i"; done
# Attributes and entries the kernel holds must not hide the listing: a
# fresh opendir of a directory asks readdirplus again after this.
echo 2 > /proc/sys/vm/drop_caches
for i in $(seq $n); do stat "$m/d/f$i" > /dev/null; done    # nodes exist again

c=$(count openat2 ls -l "$m/d")
t_log "ls -l of $n known files: $c openat2"
[ "$c" -le $((n / 10)) ] 2>/dev/null || t_fail "ls -l of $n files the daemon knows: $c openat2 (a full lookup per entry)"

c=$(count openat bash -c 'for i in $(seq "$1"); do : < "$2/f$i"; done' - $n "$m/d")
t_log "$n open+close: $c openat"
[ "$c" -le $((n + n / 10)) ] 2>/dev/null || t_fail "$n open+close: $c openat in the daemon (more than one per open)"
# A registration lives as long as its node: a cache drop elsewhere on the
# machine (another test) makes the kernel forget nodes and the next open
# register again.  Measure again if the kernel forgot any meanwhile.
forgets() { timeout 20 "$VU_BIN/vunifyfs" --stats "$m" |
	awk '$1 == "op" && ($2 == "FORGET" || $2 == "BATCH_FORGET") { n += $3 } END { print n + 0 }'; }
for try in 1 2 3; do
	f0=$(forgets)
	c=$(count ioctl bash -c 'for i in $(seq "$1"); do : < "$2/f$i"; : < "$2/f$i"; done' - $n "$m/d")
	[ "$(forgets)" = "$f0" ] && break
	t_log "the kernel forgot nodes while counting (a cache drop elsewhere): again"
done
t_log "2 x $n open+close: $c ioctl"
[ "$c" -le $((n / 10)) ] 2>/dev/null || t_fail "2 x $n open+close: $c ioctl (a backing registration per open)"
echo more >> "$m/d/f1" || t_fail "append to f1"
t_eq "f1 after append" "$(cat "$m/d/f1")" "1
more"
printf '#!/bin/sh\necho ran\n' > "$m/d/run"
chmod +x "$m/d/run"
: < "$m/d/run"
t_eq "exec after a kept registration" "$("$m/d/run" 2>&1)" ran

# A private file, known to the daemon and the kernel, marked in place on the
# host (what a store made of a guest's own inode would look like).
echo private > "$m/d/x"
stat "$m/d/x" > /dev/null
ln "$g/d/x" "$T/object"
setfattr -n trusted.vunify -v "$(printf '%064d' 7)" "$g/d/x"
ls -l "$m/d" > /dev/null
t_eq "marked inode seen as shared (nlink)" "$(stat -c %h "$m/d/x")" 1
[ "$(stat -c %i "$m/d/x")" != "$(stat -c %i "$T/object")" ] ||
	t_fail "marked inode still shown with its own inode number"
echo more >> "$m/d/x" || t_fail "write to a marked file failed (no break?)"
t_eq "object unchanged" "$(cat "$T/object")" private
t_eq "guest's copy" "$(cat "$m/d/x")" "private
more"
[ "$(stat -c %i "$g/d/x")" != "$(stat -c %i "$T/object")" ] ||
	t_fail "the object was written in place"
vu_umount "$m"
t_done
