#!/bin/bash
# vserver NAME send | vserver NAME receive between two bases of this host.
# The received guest equals the sent one (content, owner, mode with set-id
# bits, times, xattrs, hardlink groups, symlinks, fifo, device node, holes,
# guest.conf), its unified files link to the receiving store -- to the
# objects it already had where their ids match --, and it boots.  Refused,
# with the stream offset in one line and nothing left behind (no guest, no
# temporary, the store's objects as they were): a truncated stream, one
# flipped byte, an object whose content is not its id, an object left out
# (checksums made good
# by tests/helpers/vs_streamedit), a guest.conf with [mounts] unless
# --trust-config, a full disk, names "../srv", "/srv" and "a/b", an
# interrupted receive.  A running guest is not sent.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"

[ -x "$VU_BIN/vhashify" ] || t_skip "vhashify is not built"
EDIT=$VU_TEST_BIN/vs_streamedit
[ -x "$EDIT" ] || t_skip "vs_streamedit is not built"

g=$(vs_guest m)
r=$(vs_name mr)
root=$VUNIFY_BASE/guests/$g/root
vs_second_base -- "$r" "${r}x"

# Varied metadata in the guest to send.
chmod 0700 "$VUNIFY_BASE/guests/$g"
touch -d @1700000000 "$root/bin/busybox"
mkdir -p "$root/srv/d"
vs_srv_file "$root"
printf 'x' > "$root/srv/suid"
chmod 4755 "$root/srv/suid"
chmod 2710 "$root/srv/d"
setfattr -n user.dir -v yes "$root/srv/d"
ln -s ../srv/a "$root/srv/sym"
mkfifo "$root/srv/fifo"
mknod "$root/srv/null" c 1 3
: > "$root/srv/empty"
printf 'name with spaces\n' > "$root/srv/we ird name"
truncate -s 8M "$root/srv/sparse"
printf 'mid' | dd of="$root/srv/sparse" bs=1 seek=4000000 conv=notrunc status=none
# /etc is left private by vhashify's default excludes.
head -c 300000 /dev/urandom > "$root/etc/private-big"
truncate -s 8M "$root/etc/private-sparse"
printf 'mid' | dd of="$root/etc/private-sparse" bs=1 seek=5000000 conv=notrunc status=none
head -c 200000 /dev/urandom > "$root/srv/unified"
cp -a "$root/srv/unified" "$root/srv/unified-twin"
chmod 000 "$VUNIFY_BASE/guests/$g"
# Unified files: the store holds them, the guest's names link to them.
t_timeout 120 "$VU_BIN/vhashify" --quiet --all --min-size 100000 --store "$VUNIFY_BASE/store" "$root" ||
	t_fail "vhashify of the guest failed"
getfattr -n trusted.vunify "$root/srv/unified" >/dev/null 2>&1 || t_fail "srv/unified not unified"

# The receiving base already has busybox (same content and metadata: the
# same id) in a guest of its own.
mkdir -p "$B/guests/have/root/bin"
cp -a "$root/bin/busybox" "$B/guests/have/root/bin/busybox"
setfattr -x trusted.vunify "$B/guests/have/root/bin/busybox" 2>/dev/null
t_timeout 60 "$VU_BIN/vhashify" --quiet --all --store "$B/store" "$B/guests/have/root" ||
	t_fail "vhashify of B's guest failed"
objs() { find "$B/store/objects" -printf '%P %i %n\n' | sort; }

# What a copy must keep (as snapshot.t's), plus the atimes of files with
# one name (contents are read with O_NOATIME: vu_hash); a unified file has
# the atime of the receiver's object, one for all its names (vhashify(8)).
sig() {
	(cd "$1" && find . -mindepth 1 -printf '%p %y %m %U:%G %s %T@ %l\n' | sort
	 find . -type f -links 1 -printf '%p %A@\n' | sort
	 find . -type f -print0 | sort -z | while IFS= read -r -d '' f; do echo "$f $(vu_hash "$f")"; done
	 getfattr -R -h -d -m - -e hex . 2>/dev/null)
}

vs_start "$g"
"$VS" "$g" send --to-file "$T/run.s" 2> "$T/err"; t_eq "send of a running guest" $? 1
grep -q "is running; stop it first" "$T/err" || t_fail "message: $(cat "$T/err")"
[ ! -e "$T/run.s" ] || t_fail "a refused send left its file"
vs_stop "$g"

before=$(sig "$root")
t_check "send to a file" "$VS" "$g" send -q --to-file "$T/s1"
[ "$(sig "$root")" = "$before" ] || t_fail "sending changed the guest"

# Through a pipe into base B.
"$VS" "$g" send 2> "$T/send.err" | vsb "$r" receive 2> "$T/recv.err"
t_eq "send | receive" "${PIPESTATUS[*]}" "0 0"
t_log "$(cat "$T/send.err" "$T/recv.err")"
rroot=$B/guests/$r/root
t_eq "barrier of the received guest" "$(stat -c %a "$B/guests/$r")" 0
cmp -s "$VUNIFY_BASE/guests/$g/guest.conf" "$B/guests/$r/guest.conf" || t_fail "guest.conf differs"
chmod 0700 "$VUNIFY_BASE/guests/$g" "$B/guests/$r"
a=$(sig "$root") b=$(sig "$rroot")
[ "$a" = "$b" ] || t_fail "the trees differ: $(diff <(echo "$a") <(echo "$b") | head -8)"
t_eq "hardlink group kept" "$(stat -c %i "$rroot/srv/a")" "$(stat -c %i "$rroot/srv/a-link")"
t_eq "holes kept" "$(( $(stat -c %b "$rroot/srv/sparse") * 512 < 1048576 ))" 1
t_eq "device kept" "$(stat -c '%F %t:%T' "$rroot/srv/null")" "character special file 1:3"
# Unified names link to B's store; busybox to the object B already had.
t_eq "busybox shared with what B had" "$(stat -c %i "$rroot/bin/busybox")" \
	"$(stat -c %i "$B/guests/have/root/bin/busybox")"
id=$(getfattr --only-values -n trusted.vunify "$rroot/srv/unified")
t_eq "twins one object in B" "$(stat -c %i "$rroot/srv/unified")" "$(stat -c %i "$B/store/objects/${id:0:2}/${id:2}")"
t_eq "twins one object in B (2)" "$(stat -c %i "$rroot/srv/unified-twin")" "$(stat -c %i "$rroot/srv/unified")"
[ "$(stat -c %h "$rroot/etc/private-big")" = 1 ] || t_fail "a private file got linked"
getfattr -n trusted.vunify "$rroot/etc/private-big" >/dev/null 2>&1 && t_fail "a private file got a mark"
t_eq "holes kept (private)" "$(( $(stat -c %b "$rroot/etc/private-sparse") * 512 < 1048576 ))" 1
grep -q "objects the store had" "$T/recv.err" || t_fail "receive summary: $(cat "$T/recv.err")"
t_timeout 60 "$VU_BIN/vhashify" verify --quiet --store "$B/store" || t_fail "B's store does not verify"
chmod 000 "$VUNIFY_BASE/guests/$g" "$B/guests/$r"

# The received guest boots in B.
t_timeout 60 env VUNIFY_BASE="$B" "$VS" "$r" start || t_fail "received guest does not start"
t_eq "received guest runs" "$(VUNIFY_BASE=$B timeout 30 "$VS" "$r" exec cat /srv/a)" data
t_timeout 60 env VUNIFY_BASE="$B" "$VS" "$r" stop || t_fail "received guest does not stop"

# Instances that are full (VUNIFY_LINK_MAX=2: the store name and one
# more) get successors: the twins land on two instances of one id.
D=$T/baseD
mkdir -p "$D/guests" "$D/store"
chmod 0700 "$D/store"
t_check "receive with full instances" env VUNIFY_LINK_MAX=2 VUNIFY_BASE="$D" "$VS" "$r" receive -q --from-file "$T/s1"
droot=$D/guests/$r/root
[ "$(stat -c %i "$droot/srv/unified")" != "$(stat -c %i "$droot/srv/unified-twin")" ] ||
	t_fail "a full instance took a third link"
t_eq "successor instance" "$(ls "$D/store/objects/${id:0:2}/" | grep -c "^${id:2}")" 2
chmod 0700 "$D/guests/$r"
[ "$(sig "$droot")" = "$a" ] || t_fail "the tree with full instances differs"
rm -rf "$D"

# Refusals: nothing left, B's store as it was.
store_before=$(objs)
refused() {  # DESC FILE WANT-IN-MESSAGE
	vsb "${r}x" receive --from-file "$2" 2> "$T/err"
	t_eq "$1: exit" $? 1
	[ "$(wc -l < "$T/err")" = 1 ] || t_fail "$1: not one line: $(cat "$T/err")"
	grep -q -- "$3" "$T/err" || t_fail "$1: message: $(cat "$T/err")"
	[ -z "$(ls -A "$B/guests" | grep -v -x -e have -e "$r")" ] ||
		t_fail "$1: left $(ls -A "$B/guests")"
	[ "$(objs)" = "$store_before" ] || t_fail "$1: the store changed"
}
size=$(stat -c %s "$T/s1")
head -c $((size / 2)) "$T/s1" > "$T/trunc"
refused "truncated in the middle" "$T/trunc" "stream offset [0-9]*: truncated"
head -c $((size - 3)) "$T/s1" > "$T/trunc2"
refused "truncated at the end" "$T/trunc2" "truncated"
cat "$T/s1" "$T/s1" > "$T/twice"
refused "data after the end" "$T/twice" "stream offset $size: data after the end of the stream"
# One flipped byte: the message names the record that holds it.
pos=$((size / 3))
cp "$T/s1" "$T/flip"
printf "\\x$(printf %02x $(( $(od -An -tu1 -j $pos -N1 "$T/s1") ^ 0x20 )))" |
	dd of="$T/flip" bs=1 seek=$pos conv=notrunc status=none
rec=$("$EDIT" --list < "$T/s1" | awk -v p=$pos '$1 <= p { o = $1 } END { print o }')
refused "one flipped byte" "$T/flip" "stream offset $rec: record checksum mismatch"
# An object whose content is not its id, with good checksums.
"$EDIT" --flip-data 1 < "$T/s1" > "$T/badobj" || t_fail "vs_streamedit --flip-data"
refused "object not its id" "$T/badobj" "does not have that id"
# An object left out (END made to fit): busybox's, which B has -- its id
# alone must not fetch B's object into the guest.  Objects are sent in
# the order of their ids.
bid=$(getfattr --only-values -n trusted.vunify "$root/bin/busybox")
nth=$(find "$root" -type f -exec sh -c 'for f; do getfattr --only-values -n trusted.vunify "$f"; echo; done' _ {} + 2>/dev/null |
	grep -x '[0-9a-f]\{32\}' | sort -u | grep -n -x "$bid" | cut -d: -f1)
[ -n "$nth" ] || t_fail "busybox's id not among the objects"
"$EDIT" --drop-object "$nth" < "$T/s1" > "$T/noobj" || t_fail "vs_streamedit --drop-object"
refused "object left out" "$T/noobj" "is not in the stream"
# A private file must never look shared: the mark (or any trusted.vunify*
# name) is not taken from a stream.
"$EDIT" --replace-str user.note trusted.vunify < "$T/s1" > "$T/mark" || t_fail "vs_streamedit --replace-str"
refused "a mark in the stream" "$T/mark" "extended attribute trusted.vunify is vunify's own"
for n in ../srv /srv a/b ..; do
	"$EDIT" --rename srv "$n" < "$T/s1" > "$T/name" || t_fail "vs_streamedit --rename"
	refused "name $n" "$T/name" "refused (a name is one path component)"
done
[ ! -e "$B/srv" ] && [ ! -e /srv/d/suid ] || t_fail "a name escaped"
# Interrupted while it reads: the signal's exit, nothing left.
mkfifo "$T/fifo"
VUNIFY_BASE=$B "$VS" "${r}x" receive --from-file "$T/fifo" 2> "$T/err" &
pid=$!
exec 3> "$T/fifo"
head -c $((size / 2)) "$T/s1" >&3
sleep 1
kill -INT "$pid"
wait "$pid"; rc=$?
exec 3>&-
[ "$rc" = 130 ] || t_fail "interrupted receive: exit $rc ($(cat "$T/err"))"
[ -z "$(ls -A "$B/guests" | grep -v -x -e have -e "$r")" ] || t_fail "interrupt left $(ls -A "$B/guests")"
[ "$(objs)" = "$store_before" ] || t_fail "interrupt: the store changed"

# A guest.conf that reaches into the host is taken only when trusted.
conf=$VUNIFY_BASE/guests/$g/guest.conf
cp "$conf" "$T/conf.orig"
printf '[mounts]\n/mnt = %s ro\n' "$T" >> "$conf"
t_check "send with mounts" "$VS" "$g" send -q --to-file "$T/s-mounts"
cp "$T/conf.orig" "$conf"
refused "guest.conf with [mounts]" "$T/s-mounts" "asks for \[mounts\] of host paths: receive it with --trust-config"
t_check "receive --trust-config" vsb "${r}t" receive -q --trust-config --from-file "$T/s-mounts"
grep -q "^/mnt = $T ro" "$B/guests/${r}t/guest.conf" || t_fail "trusted guest.conf not kept"
t_check "delete the trusted one" vsb "${r}t" delete

# A full disk: a base on a small tmpfs.
C=$T/baseC
mkdir -p "$C"
if mount -t tmpfs -o size=4m,mode=0755 vunify-send-test "$C" 2>/dev/null; then
	t_on_exit "umount -l '$C' 2>/dev/null"
	VUNIFY_BASE=$C "$VS" "$r" receive --from-file "$T/s1" 2> "$T/err"
	t_eq "receive onto a full disk: exit" $? 1
	[ "$(wc -l < "$T/err")" = 1 ] || t_fail "full disk: not one line: $(cat "$T/err")"
	grep -q "No space left on device" "$T/err" || t_fail "full disk: $(cat "$T/err")"
	[ -z "$(ls -A "$C/guests")" ] || t_fail "full disk: left $(ls -A "$C/guests")"
	[ -z "$(find "$C/store/objects" -type f)" ] || t_fail "full disk: objects left"
	umount "$C" || t_fail "umount $C"
else
	t_log "no tmpfs mount here: the full-disk case is not tested"
fi

vsb "$r" receive --from-file "$T/s1" 2>/dev/null; t_eq "receive onto an existing guest" $? 1
vsb "${r}y" receive --from-file /dev/null 2> "$T/err"; t_eq "empty stream" $? 1
grep -q "stream offset 0" "$T/err" || t_fail "empty: $(cat "$T/err")"
"$VS" nosuch send --to-file "$T/x" 2>/dev/null; t_eq "send of a missing guest" $? 5
"$VS" "$g" send --bogus 2>/dev/null; t_eq "send with a bad option" $? 2
t_done
