#!/bin/bash
# An object that reached the link limit gets a further instance (REST.1,
# ...).  The limit is simulated with VUNIFY_LINK_MAX=4 (the code path is
# the one a real EMLINK takes; emlink-ext4.t hits ext4's real limit).
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
t_require_root
uv_mounts
export VUNIFY_LINK_MAX=4

mkdir -p "$F/g" && "$VU_TEST_BIN/uh_mkfiles" "$F/g/d" 10 1000 || t_fail mkfiles
uv_fastsnap "$V/g" > "$T/before"
out=$(t_timeout 60 "$VH" --store "$F/store" "$F/g") || t_fail "vhashify: $out"
t_log "$out"
# 3 links each for .0, .1, .2; the tenth file alone would need an object
# of its own and stays private.
t_eq "linked" "$(uv_summary "$out" linked)" 9
t_eq "saved" "$(uv_summary "$out" saved)" $((6 * 1000))
uv_fastsnap "$V/g" > "$T/after"
diff "$T/before" "$T/after" >&2 || t_fail "guest changed"
objs=$(cd "$V/store/objects" && ls */ | grep -v '/:$' | grep -v '^$' | sed 's/^[0-9a-f]*//' | sort | tr '\n' ' ')
t_eq "instances (REST, REST.1, REST.2)" "$objs" " .1 .2 "
for o in "$V"/store/objects/*/*; do
	[ "$(stat -c %h "$o")" -le 4 ] || t_fail "$o has more than 4 links"
done
# A rerun finds the tenth file a place in no instance either.
out=$(t_timeout 60 "$VH" --store "$F/store" "$F/g") || t_fail "rerun: $out"
t_eq "rerun linked" "$(uv_summary "$out" linked)" 0
t_check verify "$VH" verify --store "$F/store"
t_done
