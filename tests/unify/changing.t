#!/bin/bash
# Files that change or vanish while vhashify runs are skipped, not
# clobbered: a writer replaces files (write a new version, rename it over
# the old one, as package managers do) and removes others during the run.
# Afterwards every file holds exactly the writer's last version, removed
# files stay removed, the rest of the guests is untouched, and the store is
# sound.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
. "$(dirname "$0")/gen-guests.sh"
t_require_root
uv_mounts

for n in 1 2 3; do
	uv_guest "$F/g$n" $n
	mkdir -p "$F/g$n/usr/churn" && "$VU_TEST_BIN/uh_mkfiles" "$F/g$n/usr/churn/d" 400 40000 ||
		t_fail mkfiles
done
for n in 1 2 3; do
	(cd "$V/g$n" && find . -path ./usr/churn -prune -o -printf '%p %y %m %U %G %s %T@ %A@\n' |
		grep -v '^\./usr ' | sort) > "$T/rest$n"
done

# The writer: three passes over g1's churn files (new content, renamed over
# the old; the new versions are twins of each other across passes only by
# accident), and removal of every 7th file of g2's.
writer() {
	for pass in 1 2 3; do
		for i in $(seq 0 399); do
			f=$F/g1/usr/churn/d/f$i
			printf 'version %s of %s\n' $pass $i > "$f.new" && mv -f "$f.new" "$f" || exit 1
			[ $pass = 1 ] && [ $((i % 7)) = 0 ] && { rm -f "$F/g2/usr/churn/d/f$i" || exit 1; }
		done
	done
	exit 0
}
writer &
wpid=$!
t_on_exit "kill $wpid"
out=$(t_timeout 120 "$VH" --json -j 2 --store "$F/store" "$F/g1" "$F/g2" "$F/g3"); rc=$?
wait $wpid || t_fail "the writer failed"
t_log "vhashify rc $rc: $out"
[ $rc = 0 ] || [ $rc = 1 ] || t_fail "vhashify exit $rc"
t_eq "errors" "$(uv_json "$out" errors)" 0

for i in $(seq 0 399); do
	t_eq "g1 f$i" "$(cat "$V/g1/usr/churn/d/f$i")" "version 3 of $i"
	if [ $((i % 7)) = 0 ]; then
		[ -e "$V/g2/usr/churn/d/f$i" ] && t_fail "g2 f$i came back"
	else
		cmp -s "$V/g2/usr/churn/d/f$i" "$V/g3/usr/churn/d/f$i" || t_fail "g2 f$i changed"
	fi
done
for n in 1 2 3; do
	(cd "$V/g$n" && find . -path ./usr/churn -prune -o -printf '%p %y %m %U %G %s %T@ %A@\n' |
		grep -v '^\./usr ' | sort) | grep -v '^\./usr/share/near-atime ' |
		diff <(grep -v '^\./usr/share/near-atime ' "$T/rest$n") - >&2 ||
		t_fail "g$n: files nobody touched changed (near-atime's atime aside: linked, it is shared)"
done
uv_no_temporaries "$V/g1" "$V/g2" "$V/g3"
t_check "verify" "$VH" verify -q --store "$F/store"
# Once things are quiet, a rerun links the rest and fails on nothing.
out=$(t_timeout 120 "$VH" --store "$F/store" "$F/g1" "$F/g2" "$F/g3") || t_fail "rerun: $out"
t_eq "rerun errors" "$(uv_summary "$out" errors)" 0
t_eq "g3 churn twins left private" "$(find "$V/g3/usr/churn" -type f -links 1 | wc -l)" 0
t_done
