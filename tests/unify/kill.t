#!/bin/bash
# timeout: 400
# kill -9 at random moments, then a rerun: nothing lost, nothing changed
# that a guest can see (directory times included: the journal restores
# them), no temporaries left, every object sound.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
. "$(dirname "$0")/gen-guests.sh"
t_require_root
uv_mounts

# A pristine set of guests, copied afresh for every round.
for n in 1 2 3; do
	uv_guest "$F/pristine/g$n" $n
	mkdir -p "$F/pristine/g$n/usr/many" &&
		"$VU_TEST_BIN/uh_mkfiles" "$F/pristine/g$n/usr/many/a" 300 20000 &&
		"$VU_TEST_BIN/uh_mkfiles" "$F/pristine/g$n/usr/many/b" 300 30000 7 || t_fail mkfiles
	touch -d $UV_T1 "$F/pristine/g$n/usr/many"/* "$F/pristine/g$n/usr/many" "$F/pristine/g$n/usr"
done
for n in 1 2 3; do uv_fastsnap "$V/pristine/g$n" > "$T/want$n"; done
# Contents only, for the checks between kills (temporaries may exist then).
contents() { (cd "$1" && find . -type f ! -name '.vunify-tmp.*' -exec sha256sum {} + | sort -k2); }
for n in 1 2 3; do contents "$V/pristine/g$n" > "$T/content$n"; done

# How long one uninterrupted run takes here: kills land within that.
for n in 1 2 3; do cp -a "$V/pristine/g$n" "$F/g$n" || t_fail "cp"; done
t0=$(date +%s%N)
t_timeout 120 "$VH" -q -j 2 --store "$F/store" "$F/g1" "$F/g2" "$F/g3" || t_fail "timing run"
ms=$((($(date +%s%N) - t0) / 1000000 + 1))
t_log "an uninterrupted run takes ${ms} ms"

# Fresh copies of the pristine guests, and no store.
fresh() {
	rm -rf "$F/g1" "$F/g2" "$F/g3" "$F/store"
	for n in 1 2 3; do cp -a "$V/pristine/g$n" "$F/g$n" || t_fail "cp"; done
	for n in 1 2 3; do
		uv_fastsnap "$V/g$n" | diff - "$T/want$n" >/dev/null || t_fail "cp -a did not copy exactly"
	done
}

kills=0 runs=0
for round in 1 2 3 4; do
	fresh
	# Up to 4 kills that land, in at most 8 runs.  Each run resumes what
	# the killed ones left, so it has less to do: on average half as much
	# as the one before.  Aim the kill within that, or it lands after the
	# run has ended.  A run that ended by itself left nothing to kill:
	# start again from fresh copies.
	landed=0 depth=0
	for k in 1 2 3 4 5 6 7 8; do
		[ $landed -lt 4 ] || break
		within=$((ms >> depth))
		runs=$((runs + 1))
		uv_kill_within "$((within > 0 ? within : 1))" \
			"$VH" -q -j 2 --store "$F/store" "$F/g1" "$F/g2" "$F/g3"
		for n in 1 2 3; do
			contents "$V/g$n" | diff - "$T/content$n" >&2 ||
				t_fail "round $round, run $k: content of g$n lost or changed"
		done
		case $UV_KILL_STATUS in
		137) landed=$((landed + 1)) depth=$((depth + 1)) ;;
		0) fresh; depth=0 ;;
		*) t_fail "round $round, run $k: vhashify failed with status $UV_KILL_STATUS" ;;
		esac
	done
	kills=$((kills + landed))
	out=$(t_timeout 120 "$VH" --store "$F/store" "$F/g1" "$F/g2" "$F/g3") ||
		t_fail "round $round: the rerun failed: $out"
	t_log "round $round: $out"
	t_eq "errors" "$(uv_summary "$out" errors)" 0
	for n in 1 2 3; do
		uv_fastsnap "$V/g$n" > "$T/got$n"
		# near-atime's twins differ in atime only: linked, they share one.
		diff <(grep -v '^\./usr/share/near-atime ' "$T/want$n") \
			<(grep -v '^\./usr/share/near-atime ' "$T/got$n") >&2 ||
			t_fail "round $round: g$n differs after the rerun"
	done
	uv_no_temporaries "$V/g1" "$V/g2" "$V/g3"
	[ -z "$(ls -A "$V/store/journal")" ] || t_fail "journal not empty"
	# Everything that can be linked is linked.
	t_eq "twins left" "$(find "$V/g1/usr/many" -type f -links 1 | wc -l)" 0
	t_check "verify" "$VH" verify -q --store "$F/store"
	# No object that nothing links (a killed run's leftovers are gc's job,
	# and gc must find them unreferenced, not broken).
	t_check "gc" "$VH" gc -q --store "$F/store"
	t_check "verify after gc" "$VH" verify -q --store "$F/store"
done
t_log "$kills of $runs runs killed before they ended"
[ $kills -ge 6 ] || t_fail "only $kills kills landed: the runs are too short for this test"
t_done
