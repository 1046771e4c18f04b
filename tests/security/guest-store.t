#!/bin/bash
# timeout: 300
# The store attacks of store.t, run by guest root inside a real vserver
# guest (its default I/O mode, its capabilities and syscall filter): two
# busybox guests share their files through the base's store; every attempt
# from inside g1 to write a shared inode reached without a name lookup
# fails or writes g1's own copy, and the store, g2 and the host are
# unchanged.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/../vserver/vslib.sh"
SR=$VU_TEST_BIN/sec_reopen
VH=$VU_BIN/vhashify
store=$VUNIFY_BASE/store

g1=$(vs_guest s1) g2=$(vs_guest s2)
r1=$VUNIFY_BASE/guests/$g1/root r2=$VUNIFY_BASE/guests/$g2/root
for r in "$r1" "$r2"; do
	vs_install_prog "$r" "$SR"
	mkdir -p "$r/data"
	for i in $(seq 20); do printf 'shared %s\n' "$i" > "$r/data/f.$i"; done
	printf 'twin\n' > "$r/data/a"; printf 'twin\n' > "$r/data/b"
	find "$r" -exec touch -h -d "2021-01-01 00:00:00" {} +
done
t_check "vhashify" "$VH" -q --ignore-atime --store "$store" "$r1" "$r2"
[ "$(stat -c %h "$r1/data/f.1")" -ge 3 ] || t_fail "data/f.1 was not unified"
[ "$(stat -c %h "$r1/bin/busybox")" -ge 3 ] || t_fail "busybox was not unified"

sig() { (cd "$1" && find . -type f -exec sha256sum {} + | sort); }
objs_before=$(sig "$store/objects")
g2_before=$(sig "$r2")

vs_start "$g1"
in_guest() { vs_exec "$g1" sh -c "cd /data && $*" 2>&1; }
run() {
	local out
	out=$(in_guest "$@")
	t_log "$*: $(echo $out)"
	[ "$(sig "$store/objects")" = "$objs_before" ] || t_fail "$*: a store object changed"
	[ "$(sig "$r2")" = "$g2_before" ] || t_fail "$*: the other guest changed"
}
run sec_reopen fd f.1
run sec_reopen opath f.2
run sec_reopen fd f.3 unlink
run sec_reopen fd f.4 rename:f.4.moved
run sec_reopen fd f.5 write:f.5
run sec_reopen fd a write:b
run sec_reopen fdpass f.6
run sec_reopen fdpass f.7 write:f.7
run sec_reopen mapfiles f.8
run sec_reopen meta f.9
run sec_reopen meta f.10 write:f.10
run sec_reopen fd /bin/busybox
run 'sleep 30 3<f.11 & p=$!; sleep 0.3; echo PWNED 1<>/proc/$p/fd/3; echo PWNED >>/proc/$p/fd/3; kill $p'
run 'sleep 30 3<f.12 & p=$!; sleep 0.3; echo private >>f.12; echo PWNED 1<>/proc/$p/fd/3; kill $p'
# The guest still works, and sees its own writes where they landed.
t_eq "busybox in g1 after the attacks" "$(vs_exec "$g1" echo alive)" alive
vs_stop "$g1"
out=$("$VH" verify --store "$store" 2>&1) || t_fail "vhashify verify: $out"
t_done
