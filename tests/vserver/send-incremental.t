#!/bin/bash
# vserver NAME send --incremental-from SNAP and receive --incremental-from
# SNAP: a guest that changed one private file since its snapshot sends that
# file only (one FILE record, no OBJECT; the others are BASE_FILE records of
# a content hash), and the other base, which has the snapshot, makes the
# guest equal to the source (content, metadata, xattrs, hardlink groups,
# holes).  Deleted files, new ones, changed metadata, a new hardlink and a
# new unified file follow through the manifest.  Refused with one line and
# nothing left behind: an incremental stream received without
# --incremental-from, from another base guest, onto a base whose file is
# not the sender's, and a full stream received with --incremental-from.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"

[ -x "$VU_BIN/vhashify" ] || t_skip "vhashify is not built"
EDIT=$VU_TEST_BIN/vs_streamedit
[ -x "$EDIT" ] || t_skip "vs_streamedit is not built"

g=$(vs_guest ig)
s=$(vs_name is)
VS_GUESTS+=("$s")
root=$VUNIFY_BASE/guests/$g/root
vs_second_base
open_g() { chmod 0700 "$VUNIFY_BASE/guests/$g"; }
close_g() { chmod 000 "$VUNIFY_BASE/guests/$g"; }

open_g
mkdir -p "$root/srv/d"
printf 'data\n' > "$root/srv/a"
ln "$root/srv/a" "$root/srv/a-link"
setfattr -n user.note -v kept "$root/srv/a"
chown 1234:55 "$root/srv/a"
printf 'going\n' > "$root/srv/del"
printf 'meta\n' > "$root/srv/meta"
truncate -s 4M "$root/srv/sparse"
printf 'mid' | dd of="$root/srv/sparse" bs=1 seek=2000000 conv=notrunc status=none
head -c 300000 /dev/urandom > "$root/etc/private-big"
head -c 200000 /dev/urandom > "$root/srv/unified"
close_g
t_timeout 120 "$VU_BIN/vhashify" --quiet --all --min-size 100000 --store "$VUNIFY_BASE/store" "$root" ||
	t_fail "vhashify of the guest failed"

sig() {
	(cd "$1" && find . -mindepth 1 -printf '%p %y %m %U:%G %s %T@ %l\n' | sort
	 find . -type f -print0 | sort -z | while IFS= read -r -d '' f; do echo "$f $(vu_hash "$f")"; done
	 getfattr -R -h -d -m - -e hex . 2>/dev/null)
}
count() { "$EDIT" --list < "$1" | awk -v t="$2" '$2 == t { n++ } END { print n + 0 }'; }
objs() { find "$B/store/objects" -printf '%P %i %n\n' | sort; }

# The snapshot, and the other base has it (a full stream).
t_check "snapshot" "$VS" "$g" snapshot "$s" -q
t_check "send the snapshot" "$VS" "$s" send -q --to-file "$T/full"
t_check "receive the snapshot" vsb "$s" receive -q --from-file "$T/full"

# One file changes (same size, one byte), written by the guest: through
# vunifyfs, which copies a file shared with the snapshot on its first write.
vs_start "$g"
vs_exec "$g" sh -c 'printf Z | dd of=/etc/private-big bs=1 seek=1000 conv=notrunc 2>/dev/null' ||
	t_fail "write in the guest"
vs_stop "$g"
t0=$(date +%s%N)
"$VS" "$g" send --incremental-from "$s" --to-file "$T/inc" 2> "$T/send.err" ||
	t_fail "incremental send: $(cat "$T/send.err")"
size=$(stat -c %s "$T/inc")
manifest=$("$EDIT" --list < "$T/inc" | awk '$2 <= 4 || $2 == 9 { t += $3 + 16 } END { print t + 0 }')
t_log "incremental, one file changed: $(( ($(date +%s%N) - t0) / 1000000 )) ms, $size bytes ($manifest of manifest, full stream $(stat -c %s "$T/full")); $(cat "$T/send.err")"
t_eq "FILE records" "$("$EDIT" --contents < "$T/inc" | grep '^file ')" "file /etc/private-big"
t_eq "OBJECT records" "$(count "$T/inc" 5)" 0
[ "$(count "$T/inc" 10)" -ge 2 ] || t_fail "no BASE_FILE records"
# The one FILE is the changed one: 300000 bytes of DATA, nothing else.
t_eq "DATA bytes" "$("$EDIT" --list < "$T/inc" | awk '$2 == 7 { t += $3 - 8 } END { print t + 0 }')" 300000
[ "$size" -le $(( manifest + 300000 + 300000 / 20 )) ] || t_fail "incremental stream of $size bytes"

t0=$(date +%s%N)
vsb "$g" receive --incremental-from "$s" --from-file "$T/inc" 2> "$T/recv.err" ||
	t_fail "incremental receive: $(cat "$T/recv.err")"
t_log "incremental receive: $(( ($(date +%s%N) - t0) / 1000000 )) ms; $(cat "$T/recv.err")"
open_g
chmod 0700 "$B/guests/$g"
a=$(sig "$root") b=$(sig "$B/guests/$g/root")
[ "$a" = "$b" ] || t_fail "the trees differ: $(diff <(echo "$a") <(echo "$b") | head -8)"
t_eq "hardlink groups" "$(vs_tree_groups "$B/guests/$g/root")" "$(vs_tree_groups "$root")"
t_eq "holes kept" "$(( $(stat -c %b "$B/guests/$g/root/srv/sparse") * 512 < 1048576 ))" 1
[ "$(stat -c %h "$B/guests/$g/root/etc/private-big")" = 1 ] || t_fail "a base file got linked"
cmp -s "$VUNIFY_BASE/guests/$g/guest.conf" "$B/guests/$g/guest.conf" || t_fail "guest.conf differs"
chmod 000 "$B/guests/$g"
t_check "delete the received one" vsb "$g" delete

# Deleted, new, changed metadata, a new hardlink, a new unified file: made
# by the guest (files it shares with the snapshot are its own once changed).
close_g
vs_start "$g"
vs_exec "$g" sh -c 'rm /srv/del && chmod 0600 /srv/meta && chown 7:7 /srv/meta &&
	touch -d "2020-01-02 03:04:05" /srv/meta && ln /srv/meta /srv/meta-link &&
	echo new > /srv/new && head -c 150000 /dev/urandom > /srv/unified2' || t_fail "changes in the guest"
vs_stop "$g"
open_g
setfattr -n user.new -v yes "$root/srv/new"
close_g
t_timeout 60 "$VU_BIN/vhashify" --quiet --all --min-size 100000 --store "$VUNIFY_BASE/store" "$root" ||
	t_fail "vhashify (2)"
t_check "second incremental send" "$VS" "$g" send -q --incremental-from "$s" --to-file "$T/inc2"
t_eq "objects sent (the new one)" "$(count "$T/inc2" 5)" 1
# The changed file, the new one, and the new hardlink group if the walk
# met its new name first (the base is asked by the name the manifest gives
# an inode: /srv/meta-link is not in the base).
files=$("$EDIT" --contents < "$T/inc2" | grep '^file ' | sort | tr '\n' ' ')
case "$files" in
"file /etc/private-big file /srv/new "|"file /etc/private-big file /srv/meta-link file /srv/new ") ;;
*) t_fail "files sent in the second: $files" ;;
esac
"$EDIT" --list < "$T/inc2" | awk '$2 == 10' | grep -q . || t_fail "no BASE_FILE in the second"
t_check "second incremental receive" vsb "$g" receive -q --incremental-from "$s" --from-file "$T/inc2"
open_g
chmod 0700 "$B/guests/$g"
a=$(sig "$root") b=$(sig "$B/guests/$g/root")
[ "$a" = "$b" ] || t_fail "the trees differ (2): $(diff <(echo "$a") <(echo "$b") | head -8)"
t_eq "hardlink groups (2)" "$(vs_tree_groups "$B/guests/$g/root")" "$(vs_tree_groups "$root")"
[ ! -e "$B/guests/$g/root/srv/del" ] || t_fail "a deleted file came back"
close_g
chmod 000 "$B/guests/$g"
t_check "delete the received one (2)" vsb "$g" delete

# Refusals: one line, nothing left, the store as it was.
store_before=$(objs)
refused() {  # DESC WANT-IN-MESSAGE RECEIVE-ARGS...
	local desc=$1 want=$2
	shift 2
	vsb "$g" receive "$@" 2> "$T/err"
	t_eq "$desc: exit" $? 1
	[ "$(wc -l < "$T/err")" = 1 ] || t_fail "$desc: not one line: $(cat "$T/err")"
	grep -q -- "$want" "$T/err" || t_fail "$desc: message: $(cat "$T/err")"
	[ -z "$(ls -A "$B/guests" | grep -v -x -e "$s" -e other)" ] || t_fail "$desc: left $(ls -A "$B/guests")"
	[ "$(objs)" = "$store_before" ] || t_fail "$desc: the store changed"
}
refused "without --incremental-from" "receive it with --incremental-from BASE" --from-file "$T/inc"
refused "full stream with --incremental-from" "not an incremental stream" --from-file "$T/full" --incremental-from "$s"
t_check "another guest in B" vsb other build
refused "from another base guest" "incremental from guest $s, not from other" --from-file "$T/inc" --incremental-from other
# The base's copy of a file the stream takes from it differs.
chmod 0700 "$B/guests/$s"
printf 'Q' | dd of="$B/guests/$s/root/srv/a" bs=1 seek=0 conv=notrunc status=none
chmod 000 "$B/guests/$s"
refused "a base file not the sender's" "the base guest's file is not the sender's" --from-file "$T/inc" --incremental-from "$s"
# On a terminal, send shows the bytes sent as it goes (script(1) gives it one).
if command -v script >/dev/null; then
	t_timeout 60 script -qec "$VS $g send --to-file $T/tty.s" /dev/null > "$T/tty.out" 2>&1 ||
		t_fail "send on a terminal: $(cat "$T/tty.out")"
	tr '\r' '\n' < "$T/tty.out" | grep -q "^vserver: $g: [0-9.]* *[KMG]\?i\?B\? sent" ||
		t_fail "no progress on a terminal: $(tr '\r' '\n' < "$T/tty.out" | head -3)"
	rm -f "$T/tty.s"
fi
"$VS" "$g" send --incremental-from nosuch --to-file "$T/x" 2>/dev/null; t_eq "from a missing guest" $? 5
[ ! -e "$T/x" ] || t_fail "a refused send left its file"
"$VS" "$g" send --incremental-from "$g" --to-file "$T/x" 2>/dev/null; t_eq "from itself" $? 2
t_done
