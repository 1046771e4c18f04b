#!/bin/bash
# Numbers and sizes on every command line go through one strict grammar
# (include/vunify/size.h): issue 12's reproducers.  vunifyfs -o inodes=1e9
# mounted with a limit of 1 inode, inodes=5x with 5, threads=-3 and
# threads=0 mounted; vhashify --min-size refused 1T and 4KiB (which space=
# took) and let 20000000000G wrap.  Now a bad value is a usage error (exit
# 2), one line naming the option and the value, and nothing is mounted or
# written; the sizes every other command takes are taken.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
t_require_root
t_require_cmd timeout
uv_mounts

# expect DESC PATTERN CMD...: CMD exits 2 with exactly one line on stderr
# matching PATTERN (a glob), and no vunifyfs is mounted below $T.
expect() {
	local desc=$1 pat=$2 err rc; shift 2
	t_timeout 30 "$@" > "$T/out" 2> "$T/err"; rc=$?
	err=$(cat "$T/err")
	[ $rc = 2 ] || t_fail "$desc: exit $rc, want 2 ($err)"
	[ "$(grep -c . "$T/err")" = 1 ] || t_fail "$desc: want one line on stderr, got: $err"
	case "$err" in $pat) ;; *) t_fail "$desc: got '$err', want '$pat'" ;; esac
	awk -v t="$T/" '$9 == "fuse.vunifyfs" && index($5, t) == 1 { f = 1 } END { exit !f }' \
		/proc/self/mountinfo && t_fail "$desc: something got mounted"
	t_log "$desc: $err"
}

# --- vunifyfs -o: every numeric option ---
g=$F/g m=$T/m
mkdir -p "$g" "$m"
echo data > "$g/f"
for o in inodes=1e9 inodes=5x inodes=0 inodes=-1 inodes=9223372036854775808 \
	 threads=-3 threads=0 threads=1025 threads=4x \
	 max_read=1x max_read=100 max_read=4294967296 \
	 timeout=nan timeout=5x timeout=-1 timeout=1e3 \
	 space=20000000000G space=1x space=0 \
	 reserved=5x reserved=51; do
	extra=
	case $o in reserved=*) extra=space=1G, ;; esac
	expect "vunifyfs -o $o" "vunifyfs: $o: not *" "$VU_BIN/vunifyfs" -o "$extra$o" "$g" "$m"
done

# The values the issue meant are taken, and mean what they say: statfs
# shows the inode limit given, not its first digit.
vu_mount "$g" "$m" -o inodes=1000000000,threads=4,timeout=0.5,max_read=128K,space=1T,reserved=5
t_eq "inodes=1000000000: statfs total inodes" "$(stat -f -c %c "$m")" 1000000000
t_eq "space=1T: statfs total blocks" "$(( $(stat -f -c '%b * %S' "$m") ))" $((1 << 40))
vu_umount "$m"

# --- vhashify / vclone --min-size: the same grammar ---
for x in g1 g2; do uv_file "$F/$x/usr/twin" 5000 twin 0644 0:0 @1600000000 @1600000000; done
S=$F/store
expect "vhashify --min-size 20000000000G" "vhashify: --min-size 20000000000G: too large" \
	"$VH" --min-size 20000000000G --store "$S" "$F/g1" "$F/g2"
expect "vhashify --min-size 18446744073709551616" \
	"vhashify: --min-size 18446744073709551616: too large" \
	"$VH" --min-size 18446744073709551616 --store "$S" "$F/g1" "$F/g2"
expect "vhashify --min-size 1e9" "vhashify: --min-size 1e9: not a size*" \
	"$VH" --min-size 1e9 --store "$S" "$F/g1" "$F/g2"
expect "vhashify --jobs -3" "vhashify: --jobs -3: not a number*" \
	"$VH" --jobs -3 --store "$S" "$F/g1" "$F/g2"
expect "vclone --min-size 20000000000G" "vclone: --min-size 20000000000G: too large" \
	"$VC" --min-size 20000000000G --store "$S" "$F/g1" "$F/new"
[ ! -e "$S" ] || t_fail "a refused command made the store"
[ ! -e "$F/new" ] || t_fail "a refused vclone made NEW_GUEST"

# 1T: the 5000-byte twins are smaller, so left alone; 4KiB: linked.
out=$(t_timeout 60 "$VH" --json --min-size 1T --store "$S" "$F/g1" "$F/g2") ||
	t_fail "vhashify --min-size 1T: $out"
case $out in *'"linked_files":0,'*) ;; *) t_fail "--min-size 1T linked something: $out" ;; esac
out=$(t_timeout 60 "$VH" --json --min-size 4KiB --store "$S" "$F/g1" "$F/g2") ||
	t_fail "vhashify --min-size 4KiB: $out"
case $out in *'"linked_files":2,'*) ;; *) t_fail "--min-size 4KiB did not link the twins: $out" ;; esac
out=$(t_timeout 60 "$VC" --json --min-size 1P --store "$S" "$F/g1" "$F/new") ||
	t_fail "vclone --min-size 1P: $out"
case $out in *'"copied_files":1,'*) ;; *) t_fail "vclone --min-size 1P linked: $out" ;; esac
t_done
