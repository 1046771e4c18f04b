#!/bin/bash
# -n/--dry-run reports what a real run would link and save, and changes
# nothing (not even the store); output options: --json, --progress, -q, -v.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
. "$(dirname "$0")/gen-guests.sh"
t_require_root
uv_mounts

for n in 1 2 3; do uv_guest "$F/g$n" $n; done
read -r want_linked want_saved want_scanned < <(uv_expect "$V/g1" "$V/g2" "$V/g3")
for n in 1 2 3; do uv_fastsnap "$V/g$n" > "$T/before$n"; find "$V/g$n" -printf '%p %i %C@\n' > "$T/ino$n"; done

out=$(t_timeout 60 "$VH" -n --json --store "$F/store" "$F/g1" "$F/g2" "$F/g3") || t_fail "dry run: $out"
t_log "$out"
t_eq "dry_run" "$(uv_json "$out" dry_run)" true
t_eq "would link" "$(uv_json "$out" linked_files)" "$want_linked"
t_eq "would save" "$(uv_json "$out" saved_bytes)" "$want_saved"
t_eq "scanned" "$(uv_json "$out" scanned_files)" "$want_scanned"
[ -e "$V/store" ] && t_fail "the dry run made a store"
for n in 1 2 3; do
	uv_fastsnap "$V/g$n" | diff "$T/before$n" - >&2 || t_fail "g$n changed"
	find "$V/g$n" -printf '%p %i %C@\n' | diff "$T/ino$n" - >&2 || t_fail "g$n: inodes or ctimes changed"
done

# A real run on two guests, then a dry run on three: the store and its
# index stay as they were.
t_check "real run" "$VH" -q --store "$F/store" "$F/g1" "$F/g2"
# (sqlite makes and removes its -wal and -shm files next to the index
# whoever opens it, so the store directory's own mtime may move.)
state() { (cd "$V/store" && find . -mindepth 1 -printf '%p %i %n %s %T@\n' | sort; sqlite3 index.db .dump | md5sum); }
state > "$T/store.before"
for n in 1 2 3; do uv_fastsnap "$V/g$n" > "$T/before$n"; done
out=$(t_timeout 60 "$VH" --dry-run --store "$F/store" "$F/g1" "$F/g2" "$F/g3" 2>"$T/err") || t_fail "dry run: $out"
t_log "$out"
grep -q 'dry run: nothing was changed' "$T/err" || t_fail "no dry-run note on stderr"
[ "$(uv_summary "$out" linked)" -gt 30 ] || t_fail "dry run over g3 should find twins: $out"
state | diff "$T/store.before" - >&2 || t_fail "the dry run changed the store"
for n in 1 2 3; do uv_fastsnap "$V/g$n" | diff "$T/before$n" - >&2 || t_fail "g$n changed"; done
# ... and the real run then does what the dry run said.
real=$(t_timeout 60 "$VH" --store "$F/store" "$F/g1" "$F/g2" "$F/g3") || t_fail "real: $real"
t_eq "dry run = real run" "$real" "$out"

# Output options.
out=$("$VH" -q --store "$F/store" "$F/g1" 2>&1) || t_fail "-q: $out"
t_eq "-q prints nothing" "$out" ""
uv_file "$F/g1/usr/new" 3000 new 0644 0:0 $UV_T1 $UV_A1
uv_file "$F/g2/usr/new" 3000 new 0644 0:0 $UV_T1 $UV_A1
"$VH" -v --progress --store "$F/store" "$F/g1" "$F/g2" > "$T/out" 2> "$T/err" || t_fail "-v --progress"
grep -q "^vhashify: $F/g[12]/usr/new: linked to [0-9a-f]\{32\}$" "$T/err" || t_fail "-v: no 'linked to' line: $(cat "$T/err")"
grep -q $'\r' "$T/err" && grep -q 'files/s' "$T/err" || t_fail "--progress drew no progress line"
grep -q $'\r' "$T/out" && t_fail "progress on stdout"
"$VH" --store "$F/store" "$F/g1" 2> "$T/err" > /dev/null
grep -q $'\r' "$T/err" && t_fail "progress drawn although stderr is not a terminal"
t_done
