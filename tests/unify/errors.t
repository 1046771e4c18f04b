#!/bin/bash
# Bad input gets one clear line on stderr, a documented exit code (2 for
# the caller's mistakes, 1 for what failed), and changes nothing.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
t_require_root
uv_mounts

mkdir -p "$F/g1/usr" "$F/g2/usr" "$F/g3/usr"
for g in g1 g2 g3; do uv_file "$F/$g/usr/twin" 5000 twin 0644 0:0 @1600000000 @1600000000; done
snap() { for g in g1 g2 g3; do uv_fastsnap "$V/$g"; done; }
snap > "$T/before"

# expect DESC CODE PATTERN CMD...: CMD exits CODE and prints exactly one
# line on stderr, matching PATTERN (a glob).
expect() {
	local desc=$1 code=$2 pat=$3 err rc; shift 3
	"$@" > "$T/out" 2> "$T/err"; rc=$?
	err=$(cat "$T/err")
	[ $rc = "$code" ] || t_fail "$desc: exit $rc, want $code ($err)"
	[ "$(grep -c . "$T/err")" = 1 ] || t_fail "$desc: want one line on stderr, got: $err"
	case "$err" in $pat) ;; *) t_fail "$desc: got '$err', want '$pat'" ;; esac
	t_log "$desc: $err"
}

# hold_lock FILE: flock FILE from this shell (as vunifyfs or another
# vhashify would hold it) until release_lock.
hold_lock() {
	exec {lockfd}<"$1" && flock -n $lockfd || t_fail "cannot lock $1"
}
release_lock() { exec {lockfd}<&-; }

S=$F/store
t_eq "vhashify --version" "$("$VH" --version)" "vhashify 0.1"
t_eq "vclone -V" "$("$VC" -V)" "vclone 0.1"
expect "no guest" 2 "vhashify: no GUEST_DIR given (see --help)" "$VH" --store "$S"
expect "no store" 2 "vhashify: --store DIR is required" "$VH" "$F/g1"
expect "bad jobs" 2 "*--jobs 0: not a number*" "$VH" -j 0 --store "$S" "$F/g1"
expect "bad size" 2 "*--min-size 1x: not a size*" "$VH" --min-size 1x --store "$S" "$F/g1"
expect "bad rule" 2 "*exclude rule 'usr': the pattern must start with '/'*" \
	"$VH" --exclude usr --store "$S" "$F/g1"
expect "missing rule file" 2 "vhashify: $T/nope: No such file or directory" \
	"$VH" --exclude-from "$T/nope" --store "$S" "$F/g1"
expect "missing guest" 2 "vhashify: $F/nope: No such file or directory" "$VH" --store "$S" "$F/g1" "$F/nope"
expect "guest is a file" 2 "vhashify: $F/g1/usr/twin: Not a directory" "$VH" --store "$S" "$F/g1/usr/twin"
expect "guest twice" 2 "*g1*: named twice" "$VH" --store "$S" "$F/g1" "$F/g1/"
expect "nested guests" 2 "*nested with the guest*" "$VH" --store "$S" "$F/g1" "$F/g1/usr"
expect "store in a guest" 2 "*must not contain each other*" "$VH" --store "$F/g1/store" "$F/g1"
[ -e "$S" ] || [ -e "$F/g1/store" ] && t_fail "a store was made although the arguments were bad"
expect "bad hash bits" 2 "vhashify: VUNIFY_HASH_BITS=0: *" env VUNIFY_HASH_BITS=0 "$VH" --store "$S" "$F/g1"

# Another filesystem: one clear error, nothing done.
mkdir -p "$T/tmpfs" && mount -t tmpfs -o size=4m tmpfs "$T/tmpfs" || t_fail "tmpfs"
mkdir "$T/tmpfs/g"
expect "other filesystem" 2 "vhashify: $T/tmpfs/g: not on the filesystem of the store $S (hardlinks cannot cross filesystems)" \
	"$VH" --store "$S" "$F/g1" "$T/tmpfs/g"
expect "other mount" 2 "vhashify: $V/g2: not on the same mount as the store $S (hardlinks cannot cross mount points)" \
	"$VH" --store "$S" "$F/g1" "$V/g2"

# A working store for what follows.
t_check "first run" "$VH" -q --store "$S" "$F/g1" "$F/g2"
snap > "$T/before"

# A guest in use (vunifyfs holds its lock): that guest fails, others go on.
hold_lock "$F/g1"
expect "guest in use" 1 "vhashify: $F/g1: in use (mounted by vunifyfs?)" "$VH" -q --store "$S" "$F/g1" "$F/g3"
[ "$(stat -c %h "$V/g3/usr/twin")" = 4 ] || t_fail "the free guest g3 was not processed"
release_lock
snap > "$T/before"

# The store locked by another vhashify (or gc, or vclone).
hold_lock "$S/lock"
expect "store in use" 1 "vhashify: $S: store in use by vhashify gc" "$VH" --store "$S" "$F/g1"
expect "gc, store in use" 1 "vhashify: $S: store in use*" "$VH" gc --store "$S"
release_lock

# The index locked by someone else (a writer that does not let go).
sqlite3 "$S/index.db" "BEGIN IMMEDIATE;" "INSERT INTO meta VALUES ('x', 1);" ".shell sleep 30" &
lpid=$!; t_on_exit "pkill -P $lpid; kill $lpid"
sleep 0.5
expect "locked index" 1 "vhashify: $S/index.db: database is locked (another process holds it)" \
	"$VH" --store "$S" "$F/g1" "$F/g2"
pkill -P $lpid; kill $lpid 2>/dev/null; wait $lpid 2>/dev/null

# A damaged index.
cp "$S/index.db" "$T/index.good"
head -c 8192 /dev/urandom > "$S/index.db"; rm -f "$S/index.db-wal" "$S/index.db-shm"
expect "damaged index" 1 "vhashify: $S/index.db: file is not a database (the index is damaged; remove it*" \
	"$VH" --store "$S" "$F/g1" "$F/g2"
expect "verify, damaged index" 1 "*file is not a database*" "$VH" verify --store "$S"
snap | diff "$T/before" - >&2 || t_fail "guests changed by failed runs"
# Removing it is the cure: rebuilt from the store.
rm -f "$S/index.db"
out=$(t_timeout 60 "$VH" --json --store "$S" "$F/g1" "$F/g2" "$F/g3") || t_fail "after removing the index: $out"
t_eq "rebuilt: unified files recognised" "$(uv_json "$out" unified_files)" 3
t_eq "rebuilt: nothing new" "$(uv_json "$out" linked_files)" 0

# A store others could enter is refused.
chmod 0755 "$S"
expect "store mode" 1 "vhashify: $S: store must be mode 0700*" "$VH" --store "$S" "$F/g1"
chmod 0700 "$S"
expect "store is a file" 1 "vhashify: $F/g1/usr/twin: Not a directory" "$VH" --store "$F/g1/usr/twin" "$F/g2"
# Not root: no permission.
chmod 0755 "$T"
expect "no permission" 1 "vhashify: $F/store2: Permission denied" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$VH" --store "$F/store2" "$F/g1"
expect "no permission (existing store)" 1 "vhashify: $S*: Permission denied" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$VH" --store "$S" "$F/g1"
chmod 0700 "$T"

expect "verify, no store" 2 "vhashify: $F/nostore: No such file or directory" "$VH" verify --store "$F/nostore"
expect "stats, no store" 2 "vhashify: $F/nostore: No such file or directory" "$VH" stats --store "$F/nostore"
expect "gc, no such store" 2 "vhashify: $T/nostore: No such file or directory" "$VH" gc --store "$T/nostore"
[ -e "$T/nostore" ] && t_fail "gc made a store"
expect "gc, extra argument" 2 "vhashify gc: unexpected argument '$F/g1'" "$VH" gc --store "$S" "$F/g1"

# vclone
expect "vclone, no source" 2 "vclone: $F/nope: No such file or directory" "$VC" --store "$S" "$F/nope" "$F/new"
expect "vclone, NEW exists" 2 "vclone: $F/g2: already exists (NEW_GUEST must not exist)" "$VC" --store "$S" "$F/g1" "$F/g2"
expect "vclone, other filesystem" 2 "vclone: $T/tmpfs/new: not on the filesystem and mount of the store*" \
	"$VC" --store "$S" "$F/g1" "$T/tmpfs/new"
[ -z "$(ls -A "$T/tmpfs/g")" ] && [ "$(ls -A "$T/tmpfs")" = g ] || t_fail "vclone left something on the tmpfs"
expect "vclone, NEW's parent missing" 2 "vclone: $T/nope/new: parent directory: No such file or directory" \
	"$VC" --store "$S" "$F/g1" "$T/nope/new"
expect "vclone, NEW inside SOURCE" 2 "vclone: $F/g1/usr/new: inside SOURCE_GUEST $F/g1 (a clone cannot contain itself)" \
	"$VC" --store "$S" "$F/g1" "$F/g1/usr/new"
ln -s "$F/g1/usr" "$T/g1link"
expect "vclone, NEW inside SOURCE through a symlink" 2 "vclone: $T/g1link/new: inside SOURCE_GUEST $F/g1*" \
	"$VC" --store "$S" "$F/g1" "$T/g1link/new"
expect "vclone, one argument" 2 "vclone: need SOURCE_GUEST and NEW_GUEST (see --help)" "$VC" --store "$S" "$F/g1"
snap | diff "$T/before" - >&2 || t_fail "guests changed by failed runs"
umount "$T/tmpfs"
t_done
