#!/bin/bash
# timeout: 600
# vserver NAME migrate root@localhost:BASE through a private sshd (sshlib.sh)
# into a second base of this host.  A stopped guest moved with --keep
# arrives equal (content, owner, mode, times, xattrs, hardlink groups,
# guest.conf) and boots there; a running clone of it moves without --keep:
# it is stopped, sent without the objects the other side has, started
# there and removed here; for a second clone of the same template only its
# private files and manifest travel (bytes sent <= its private bytes + 5 %).
# Failures leave the source as it was (running again if it ran) and nothing
# on the target: the target base's parent missing, connection refused, the
# name taken there, and an object the target lists but whose content is
# not its id (the receiver checks what it takes from its store).
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"
. "$(dirname "$0")/sshlib.sh"

[ -x "$VU_BIN/vhashify" ] || t_skip "vhashify is not built"
ssh_setup

g=$(vs_guest mg)
c=$(vs_name mgc)
c2=$(vs_name mgd)
VS_GUESTS+=("$c" "$c2")
root=$VUNIFY_BASE/guests/$g/root
vs_second_base -- "$g" "$c"

chmod 0700 "$VUNIFY_BASE/guests/$g"
mkdir -p "$root/srv/d"
vs_srv_file "$root"
chmod 2710 "$root/srv/d"
ln -s ../srv/a "$root/srv/sym"
mkfifo "$root/srv/fifo"
head -c 400000 /dev/urandom > "$root/srv/unified"
cp -a "$root/srv/unified" "$root/srv/unified-twin"
head -c 100000 /dev/urandom > "$root/etc/private"
chmod 000 "$VUNIFY_BASE/guests/$g"
t_timeout 120 "$VU_BIN/vhashify" --quiet --all --min-size 50000 --store "$VUNIFY_BASE/store" "$root" ||
	t_fail "vhashify of the guest failed"

sig() {
	(cd "$1" && find . -mindepth 1 -printf '%p %y %m %U:%G %s %T@ %l\n' | sort
	 find . -type f -links 1 -printf '%p %A@\n' | sort
	 find . -type f -print0 | sort -z | while IFS= read -r -d '' f; do echo "$f $(vu_hash "$f")"; done
	 getfattr -R -h -d -m - -e hex . 2>/dev/null)
}
objs() { find "$B/store/objects" -printf '%P %i %n\n' | sort; }
# Nothing on the target but the guests it had, its store as it was.
target_clean() {  # DESC
	[ -z "$(ls -A "$B/guests" | grep -v -x -e "$g" -e "${also:-$g}")" ] || t_fail "$1: left on the target: $(ls -A "$B/guests")"
	[ "$(objs)" = "$store_before" ] || t_fail "$1: the target's store changed: $(diff <(echo "$store_before") <(objs) | head -5)"
}

# 1. A stopped guest, --keep: equal there, kept here, boots there.
chmod 0700 "$VUNIFY_BASE/guests/$g"
before=$(sig "$root")
chmod 000 "$VUNIFY_BASE/guests/$g"
t0=$(date +%s%N)
ssh_migrate "$g" "root@localhost:$B" --keep 2> "$T/m1.err" || t_fail "migrate --keep: $(cat "$T/m1.err")"
t_log "busybox guest, all objects new: $(( ($(date +%s%N) - t0) / 1000000 )) ms, $(ssh_sent_bytes "$T/m1.err") bytes sent; $(cat "$T/m1.err")"
[ -d "$VUNIFY_BASE/guests/$g" ] || t_fail "--keep removed the source"
t_eq "barrier there" "$(stat -c %a "$B/guests/$g")" 0
cmp -s "$VUNIFY_BASE/guests/$g/guest.conf" "$B/guests/$g/guest.conf" || t_fail "guest.conf differs"
chmod 0700 "$VUNIFY_BASE/guests/$g" "$B/guests/$g"
[ "$(sig "$root")" = "$before" ] || t_fail "migrate changed the source"
a=$(sig "$B/guests/$g/root")
[ "$a" = "$before" ] || t_fail "the trees differ: $(diff <(echo "$before") <(echo "$a") | head -8)"
t_eq "hardlink group kept" "$(stat -c %i "$B/guests/$g/root/srv/a")" "$(stat -c %i "$B/guests/$g/root/srv/a-link")"
t_eq "twins one object there" "$(stat -c %i "$B/guests/$g/root/srv/unified")" "$(stat -c %i "$B/guests/$g/root/srv/unified-twin")"
chmod 000 "$VUNIFY_BASE/guests/$g" "$B/guests/$g"
t_timeout 60 env VUNIFY_BASE="$B" "$VS" "$g" start || t_fail "the moved guest does not start"
t_eq "the moved guest runs" "$(VUNIFY_BASE=$B timeout 30 "$VS" "$g" exec cat /srv/a)" data
t_timeout 60 env VUNIFY_BASE="$B" "$VS" "$g" stop || t_fail "the moved guest does not stop"
store_before=$(objs)

# 2. Failures, the source running: it runs again, unchanged; nothing there.
t_check "clone of the template" "$VS" "$c" build --template "$g" -q
vs_start "$c"
fails() {  # DESC TARGET WANT-IN-MESSAGE [ARGS]
	local desc=$1 target=$2 want=$3
	shift 3
	ssh_migrate "$c" "$target" "$@" 2> "$T/err"
	t_eq "$desc: exit" $? 1
	grep -q -- "$want" "$T/err" || t_fail "$desc: message: $(cat "$T/err")"
	grep -q "not moved: the guest stays here as it was" "$T/err" || t_fail "$desc: $(cat "$T/err")"
	"$VS" "$c" running || t_fail "$desc: the source is not running again"
	target_clean "$desc"
}
fails "target base's parent missing" "root@localhost:$T/nosuch/base" "No such file or directory"
[ ! -e "$T/nosuch" ] || t_fail "a failed migrate made $T/nosuch"
fails "connection refused" "root@localhost:$B" "ssh could not connect" --ssh-opt Port=1
vsb "$c" build >/dev/null 2>&1 || t_fail "an empty $c in B"
also=$c fails "the name taken there" "root@localhost:$B" "already exists"
t_check "delete the empty one" vsb "$c" delete
store_before=$(objs)
# An object B lists but whose content is not its id (same size and times):
# B refuses to take it from its store.
bid=$(getfattr --only-values -n trusted.vunify "$root/srv/unified" 2>/dev/null)
obj=$B/store/objects/${bid:0:2}/${bid:2}
[ -f "$obj" ] || t_fail "B has no object $bid"
cp -a "$obj" "$T/obj.save"
m=$(stat -c %y "$obj")
printf 'X' | dd of="$obj" bs=1 seek=1000 conv=notrunc status=none
touch -d "$m" "$obj"
store_before=$(objs)
fails "an object B has under a wrong id" "root@localhost:$B" "left out of the stream, but no instance"
cat "$T/obj.save" > "$obj"
touch -d "$m" "$obj"
store_before=$(objs)

# 3. The running clone moves.
t0=$(date +%s%N)
ssh_migrate "$c" "root@localhost:$B" 2> "$T/m2.err" || t_fail "migrate of the running clone: $(cat "$T/m2.err")"
t_log "busybox clone, running: $(( ($(date +%s%N) - t0) / 1000000 )) ms, $(ssh_sent_bytes "$T/m2.err") bytes sent; $(cat "$T/m2.err")"
grep -q "objects left out (the other side has them)" "$T/m2.err" || t_fail "no object left out: $(cat "$T/m2.err")"
[ ! -e "$VUNIFY_BASE/guests/$c" ] || t_fail "the source is still there"
VUNIFY_BASE=$B "$VS" "$c" running || t_fail "the moved clone does not run there"
t_eq "the moved clone runs" "$(VUNIFY_BASE=$B timeout 30 "$VS" "$c" exec cat /srv/a)" data
t_timeout 60 env VUNIFY_BASE="$B" "$VS" "$c" stop || t_fail "the moved clone does not stop"

# 4. A second clone of the template, with data of its own: the other side
# has every object already (the template's, and what the first clone
# unified of it), so its private bytes and its manifest travel.
t_check "second clone of the template" "$VS" "$c2" build --template "$g" -q
c2root=$VUNIFY_BASE/guests/$c2/root
chmod 0700 "$VUNIFY_BASE/guests/$c2"
head -c 2000000 /dev/urandom > "$c2root/srv/own-data"
own=$(vu_hash "$c2root/srv/own-data")
# Its private bytes: the regular files that are its own (not unified).
priv=$(vs_private_file_bytes "$c2root")
chmod 000 "$VUNIFY_BASE/guests/$c2"
t0=$(date +%s%N)
ssh_migrate "$c2" "root@localhost:$B" 2> "$T/m3.err" || t_fail "migrate of the second clone: $(cat "$T/m3.err")"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
bytes=$(ssh_sent_bytes "$T/m3.err")
t_log "busybox second clone: $ms ms, $bytes bytes sent for $priv private bytes; $(cat "$T/m3.err")"
grep -q ": sent .* 0 objects (0 bytes)" "$T/m3.err" || t_fail "objects were sent: $(cat "$T/m3.err")"
[ -n "$bytes" ] && [ "$bytes" -le $(( priv + priv / 20 )) ] ||
	t_fail "sent $bytes bytes for $priv private bytes (want <= +5 %)"
chmod 0700 "$B/guests/$c2"
t_eq "the second clone's data there" "$(vu_hash "$B/guests/$c2/root/srv/own-data")" "$own"
chmod 000 "$B/guests/$c2"
t_timeout 60 "$VU_BIN/vhashify" verify --quiet --store "$B/store" || t_fail "B's store does not verify"

"$VS" "$g" migrate 2>/dev/null; t_eq "migrate without a target" $? 2
"$VS" "$g" migrate host:base --bogus 2>/dev/null; t_eq "migrate with a bad option" $? 2
"$VS" nosuch migrate "root@localhost:$B" 2>/dev/null; t_eq "migrate of a missing guest" $? 5
t_done
