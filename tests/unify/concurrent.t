#!/bin/bash
# timeout: 300
# Linkers share the store (issue 11, "never hold locks other guests need
# for the length of one guest's work"): while one vhashify runs, a vclone
# and a second vhashify on the same store work; gc is refused until the
# linkers end, then works; the second run's journal replay leaves the
# running one's slots alone; everything verifies and no guest changed.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
. "$(dirname "$0")/gen-guests.sh"
t_require_root
uv_mounts
S=$F/store

for n in 1 2 3 4; do uv_guest "$F/g$n" $n; done
uv_guest "$F/t1" 1
uv_guest "$F/t3" 3
for g in g1 g2 g3 g4 t1; do uv_fastsnap "$V/$g" > "$T/want.$g"; done
# A template unified before, for the clone.
t_check "template" t_timeout 60 "$VH" -q --store "$S" "$F/t1" "$F/t3"

# Run A: slow on purpose (every group waits 300 ms), one thread.
VUNIFY_TEST_GROUP_DELAY_MS=300 "$VH" -q -j 1 --store "$S" "$F/g1" "$F/g2" \
	> "$T/a.out" 2>&1 &
apid=$!
t_on_exit "kill -9 $apid 2>/dev/null"
# Linking has begun once A's journal slot exists.
for _ in $(seq 200); do
	ls "$S/journal" 2>/dev/null | grep -q "^s$apid\." && break
	kill -0 $apid 2>/dev/null || break
	sleep 0.1
done
slots=$(ls "$S/journal" | grep "^s$apid\.") || t_fail "run A made no journal slot: $(cat "$T/a.out")"

t_check "vclone beside a running vhashify" t_timeout 60 "$VC" -q --store "$S" "$F/t1" "$F/c1"
t_check "a second vhashify beside it" t_timeout 120 "$VH" -q --store "$S" "$F/g3" "$F/g4"
out=$(t_timeout 30 "$VH" gc --store "$S" 2>&1)
rc=$?
t_eq "gc beside linkers: exit" "$rc" 1
t_eq "gc beside linkers: message" "$out" \
	"vhashify: $S: store in use by vhashify or vclone (gc runs alone)"
for sl in $slots; do
	[ -e "$S/journal/$sl" ] || t_fail "the second run's replay removed the running run's slot $sl"
done
kill -0 $apid 2>/dev/null || t_fail "run A ended before the checks: nothing was tested beside it"

wait $apid
t_eq "run A: exit" "$?" 0
[ -s "$T/a.out" ] && t_fail "run A said: $(cat "$T/a.out")"
t_check "gc after the linkers" t_timeout 60 "$VH" gc -q --store "$S"
t_check "verify" t_timeout 60 "$VH" verify -q --store "$S"
t_eq "journal empty" "$(ls -A "$S/journal")" ""
uv_no_temporaries "$V"
for g in g1 g2 g3 g4 t1; do
	# near-atime's twins differ in atime only: linked, they share one.
	uv_fastsnap "$V/$g" | grep -v '^\./usr/share/near-atime ' |
		diff <(grep -v '^\./usr/share/near-atime ' "$T/want.$g") - >&2 || t_fail "$g changed"
done
uv_fastsnap "$V/c1" | grep -v '^\./usr/share/near-atime ' |
	diff <(grep -v '^\./usr/share/near-atime ' "$T/want.t1") - >&2 || t_fail "the clone differs from its template"
# The runs shared: g1..g4 each hold links to objects.
for g in g1 g2 g3 g4; do
	[ "$(stat -c %h "$V/$g/usr/bin/tool")" -gt 2 ] || t_fail "$g/usr/bin/tool not unified"
done
t_done
