#!/bin/bash
# timeout: 120
# The last window before a link: vhashify has compared a guest's file with
# an object and holds the guest's lock, and the file changes right then
# (VUNIFY_TEST_LINK_DELAY_MS holds every link in that window).  Whatever the
# change, the guest's new content is what stays, as the guest's own private
# file: written in place (same inode, same size, new bytes and mtime: the
# swap's size and mtime check), replaced by a rename (a new inode: the
# swap's inode check), and for the twin that is linked after it, changed
# since it was hashed (the reopen's check against the scan; with --all it
# would otherwise seed an object of its own under the old content's id).
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
t_require_root
uv_mounts
S=$F/store

# The switch is a number like every other (size.h): garbage is an error.
mkdir -p "$F/g0/usr"
out=$(VUNIFY_TEST_LINK_DELAY_MS=5x t_timeout 30 "$VH" --store "$F/s0" "$F/g0" 2>&1)
rc=$?
[ $rc != 0 ] || t_fail "VUNIFY_TEST_LINK_DELAY_MS=5x accepted: $out"
case "$out" in *"VUNIFY_TEST_LINK_DELAY_MS=5x: not a number"*) ;;
*) t_fail "VUNIFY_TEST_LINK_DELAY_MS=5x: $out" ;; esac

# window KIND: two twins in a fresh guest, a run with --all whose every link
# waits 2 s; once the first object exists (the first link is waiting), KIND
# changes both twins (inplace, rename; none: no change).  Leaves the run's
# output in $T/out.
window() {
	local kind=$1 pid rc
	rm -rf "$F/g1" "$S" || t_fail "rm"
	for f in a b; do uv_file "$F/g1/usr/$f" 5000 twin 0644 0:0 @1600000000 @1600000000; done
	VUNIFY_TEST_LINK_DELAY_MS=2000 "$VH" --json --all -j 1 --store "$S" "$F/g1" \
		> "$T/out" 2>&1 &
	pid=$!
	t_on_exit "kill -9 $pid 2>/dev/null"
	for _ in $(seq 200); do
		[ -n "$(find "$S/objects" -type f -name '[0-9a-f]*' 2>/dev/null)" ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	sleep 0.3
	kill -0 $pid 2>/dev/null || t_fail "$kind: the run ended before the window: $(cat "$T/out")"
	for f in a b; do
		[ "$(stat -c %h "$V/g1/usr/$f")" = 1 ] || t_fail "$kind: $f linked before the window"
	done
	case $kind in
	inplace)
		for f in a b; do
			printf 'NEW %s' $f | dd of="$F/g1/usr/$f" conv=notrunc status=none ||
				t_fail "write $f"
		done ;;
	rename)
		for f in a b; do
			printf 'renamed over %s\n' $f > "$F/g1/usr/$f.new" &&
				mv -f "$F/g1/usr/$f.new" "$F/g1/usr/$f" || t_fail "rename over $f"
		done ;;
	esac
	wait $pid
	rc=$?
	t_log "$kind: vhashify exit $rc: $(cat "$T/out")"
	[ $rc = 0 ] || t_fail "$kind: vhashify exit $rc: $(cat "$T/out")"
	t_eq "$kind: errors" "$(uv_json "$(cat "$T/out")" errors)" 0
	[ $kind = none ] || t_eq "$kind: changed" "$(uv_json "$(cat "$T/out")" changed)" 2
	uv_no_temporaries "$V/g1"
	t_check "$kind: verify" t_timeout 30 "$VH" verify -q --store "$S"
}

# Without a change both twins are linked: the window is where the links are.
window none
for f in a b; do t_eq "none: $f links" "$(stat -c %h "$V/g1/usr/$f")" 3; done

for kind in inplace rename; do
	window $kind
	for f in a b; do
		want=$(head -c 5000 < <(yes twin))
		if [ $kind = inplace ]; then
			want="NEW $f${want:5}"
		else
			want="renamed over $f"
		fi
		[ "$(cat "$V/g1/usr/$f")" = "$want" ] || t_fail "$kind: $f lost the guest's change"
		t_eq "$kind: $f links" "$(stat -c %h "$V/g1/usr/$f")" 1
	done
done
t_done
