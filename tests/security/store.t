#!/bin/bash
# modes: passthrough
# timeout: 300
# A guest must never write a store object, whatever path reaches its inode.
# Two guests share files through a real store (vhashify); g1 is mounted and
# attacked through every way an open or a metadata change can reach a
# unified inode without a fresh name lookup: /proc/self/fd of a read-only
# and of an O_PATH descriptor, after the name was unlinked, renamed or broken
# through itself or another name, /proc/PID/fd of another process, a
# descriptor passed over a unix socket, /proc/self/map_files.  Each attempt
# may fail or write a private copy; afterwards the store verifies, every
# object is byte- and stat-identical and g2 sees exactly what it saw.
# Run without and with a disk limit (private files lose passthrough then).
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
sr=$VU_TEST_BIN/sec_reopen
VH=$VU_BIN/vhashify

store=$T/store g1=$T/g1 g2=$T/g2 m=$T/m
mkdir -p "$g1/d" "$g2/d"

# One unified file per attack; a.N and b.N in g1 are two names of one
# object (so one can be broken while the other is attacked).
cases=40
for i in $(seq $cases); do
	printf 'original %s\n' "$i" > "$g1/f.$i"
	head -c 8192 /dev/zero >> "$g1/f.$i"
	printf 'twin %s\n' "$i" > "$g1/a.$i"
	cp -a "$g1/a.$i" "$g1/b.$i"
done
chmod 0644 "$g1"/f.* "$g1"/a.* "$g1"/b.*
cp -a "$g1/." "$g2/"
t_check "vhashify" "$VH" -q --ignore-atime --store "$store" "$g1" "$g2"
[ "$(stat -c %h "$g1/f.1")" -ge 3 ] || t_fail "f.1 was not unified"

objects_sig() {
	(cd "$store/objects" && find . -type f -printf '%p %i %f %u %g %s %Y\n' | sort
	 find . -type f -exec sha256sum {} + | sort)
}
g2_sig() { (cd "$g2" && find . -type f -exec sha256sum {} + | sort; stat -c '%n %f %u %g %s %Y' ./*  | sort); }
objs_before=$(objects_sig)
g2_before=$(g2_sig)

check_store() {
	local what=$1
	[ "$(objects_sig)" = "$objs_before" ] || t_fail "$what: a store object changed"
	[ "$(g2_sig)" = "$g2_before" ] || t_fail "$what: the other guest's files changed"
}

# attack KIND FILE [PRE]: run one attack in the mount; the store must hold.
attack() {
	local out
	out=$(cd "$m" && t_timeout 20 "$sr" "$@" 2>&1)
	case $? in 0) ;; *) t_fail "sec_reopen $*: could not run the attack: $out" ;; esac
	t_log "$1 $2 ${3:-}: $(echo $out)"
	check_store "sec_reopen $*"
	# The documented outcomes are ESTALE and a write to the guest's own
	# copy; EIO means a backstop caught what the link break should have
	# handled (say, a nameless node made private in place).
	case "$out" in *EIO*|*"Input/output"*) t_fail "$*: EIO, want ESTALE or a private copy: $out" ;; esac
	# Whatever the guest wrote must be in its own copy, if anywhere.
	case "$out" in
	*wrote*) grep -rqs PWNED "$g1" || t_fail "$*: reported a write that landed nowhere" ;;
	esac
}

run_attacks() {
	local i=$1
	attack fd "f.$((i))"
	attack opath "f.$((i + 1))"
	attack fd "f.$((i + 2))" unlink
	attack opath "f.$((i + 3))" unlink
	attack fd "f.$((i + 4))" "rename:f.$((i + 4)).moved"
	attack fd "f.$((i + 5))" "write:f.$((i + 5))"
	attack opath "f.$((i + 6))" "write:f.$((i + 6))"
	attack fd "a.$((i))" "write:b.$((i))"
	attack fdpass "f.$((i + 7))"
	attack fdpass "f.$((i + 8))" "write:f.$((i + 8))"
	attack mapfiles "f.$((i + 9))"
	attack mapfiles "f.$((i + 10))" "write:f.$((i + 10))"
	attack meta "f.$((i + 11))"
	attack meta "f.$((i + 12))" "write:f.$((i + 12))"
	attack meta "a.$((i + 1))" "write:b.$((i + 1))"
	# /proc/PID/fd of another process holding a read-only descriptor,
	# also after that process's name was broken.
	local f pid
	for f in "f.$((i + 13))" "f.$((i + 14))"; do
		(cd "$m" && exec sleep 30 3<"$f") &
		pid=$!
		sleep 0.3
		[ "$f" = "f.$((i + 14))" ] && echo private >> "$m/$f"
		(echo PWNED 1<>"/proc/$pid/fd/3") 2>/dev/null
		(echo PWNED >> "/proc/$pid/fd/3") 2>/dev/null
		(truncate -s 0 "/proc/$pid/fd/3") 2>/dev/null
		kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
		check_store "/proc/PID/fd of $f"
	done
}

vu_mount "$g1" "$m"
run_attacks 1
vu_umount "$m"

# The same with a disk limit: private files are then served by vunifyfs,
# shared ones still through the kernel.
vu_mount "$g1" "$m" -o space=100M,inodes=10000
run_attacks 21
vu_umount "$m"

check_store "after unmount"
out=$("$VH" verify --store "$store" 2>&1) || t_fail "vhashify verify: $out"
t_done
