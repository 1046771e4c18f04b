#!/bin/bash
# timeout: 400
# vclone killed at random moments: never a half-made NEW; the next vclone
# of the same NEW removes what the killed one left and makes a NEW equal to
# the template; the template and the store stay sound.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
. "$(dirname "$0")/gen-guests.sh"
t_require_root
uv_mounts

uv_guest "$F/src" 1
mkdir -p "$F/src/usr/many" && "$VU_TEST_BIN/uh_mkfiles" "$F/src/usr/many/d" 3000 5000 1 || t_fail mkfiles
touch -d $UV_T1 "$F/src/usr/many/d" "$F/src/usr/many" "$F/src/usr"
uv_fastsnap "$V/src" > "$T/want"
# The first clone also unifies the template; the later ones only copy.
t_check "first clone" "$VC" -q --store "$F/store" "$F/src" "$F/first"
t0=$(date +%s%N)
t_check "timing clone" "$VC" -q --store "$F/store" "$F/src" "$F/timing"
ms=$((($(date +%s%N) - t0) / 1000000 + 1))
t_log "an uninterrupted vclone takes ${ms} ms"
remains=0 kills=0
for i in $(seq 1 10); do
	uv_kill_within "$ms" "$VC" -q --store "$F/store" "$F/src" "$F/new" && kills=$((kills + 1))
	ls -a "$V" | grep -q '^\.new\.vclone-' && remains=$((remains + 1))
	if [ -e "$V/new" ]; then
		# It finished first, or was killed after the rename: complete.
		uv_fastsnap "$V/new" | diff "$T/want" - >&2 || t_fail "round $i: NEW exists but differs"
		rm -rf "$F/new"
	fi
done
t_log "$kills of 10 runs killed, $remains left remains"
[ $kills -ge 3 ] || t_fail "only $kills kills landed"
[ $remains -ge 1 ] || t_fail "no kill landed while the copy was being built"
# Each run removes what the one before left, so the last round may have
# cleaned up after itself (it was not killed, or killed before it began
# copying): kill more until remains are there for the final run to find.
for i in $(seq 1 20); do
	ls -a "$V" | grep -q '^\.new\.vclone-' && break
	t_log "no remains after the last round: one more kill ($i)"
	uv_kill_within "$ms" "$VC" -q --store "$F/store" "$F/src" "$F/new"
	[ -e "$V/new" ] && rm -rf "$F/new"
done
ls -a "$V" | grep -q '^\.new\.vclone-' || t_fail "no remains left for the final run in 20 more tries"
out=$(t_timeout 120 "$VC" -v --store "$F/store" "$F/src" "$F/new" 2>&1) || t_fail "vclone after kills: $out"
grep -q "removed the remains of an interrupted vclone" <<<"$out" || t_fail "remains not reported: $out"
ls -a "$V" | grep -q 'vclone-' && t_fail "remains left: $(ls -a "$V")"
uv_fastsnap "$V/new" | diff "$T/want" - >&2 || t_fail "NEW differs from the template"
uv_fastsnap "$V/src" | diff "$T/want" - >&2 || t_fail "the template changed"
t_check "verify" "$VH" verify -q --store "$F/store"
t_done
