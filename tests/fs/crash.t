#!/bin/bash
# modes: passthrough
# timeout: 400
# kill -9 of vunifyfs at any moment of the break of a 256 MiB file leaves
# either the untouched shared name or the complete private copy, never a
# partial file; no temporary is visible after remount, and the leftovers in
# the backing tree are removed; the store object never changes.
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
store=$T/store g=$T/g m=$T/m
mkdir -p "$g" "$m"
rounds=${VU_CRASH_ROUNDS:-8}

head -c 256M /dev/urandom > "$T/src"
names=()
for i in $(seq "$rounds"); do names+=("$g/f$i"); done
vu_unify "$store" 5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a "$T/src" "${names[@]}"
obj=$store/objects/5a/5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a
rm "$T/src"
objhash=$(vu_hash "$obj")
objstat=$(stat -c '%i %f %u %g %s %Y.%y' "$obj")
appended=$( (dd if="$obj" iflag=noatime status=none; echo x) | sha256sum | cut -c1-64)

daemon_pid() { pgrep -f "vunifyfs .*$m\$" | head -n 1; }
seen_shared=0 seen_private=0
for i in $(seq "$rounds"); do
	vu_mount "$g" "$m"
	pid=$(daemon_pid)
	[ -n "$pid" ] || t_fail "no daemon pid"
	# Appending opens for writing: the break copies all 256 MiB first.
	( echo x >> "$m/f$i" ) 2>/dev/null &
	writer=$!
	# Kill somewhere between before-the-copy and after-the-swap.
	sleep "0.$(( (i * 37) % 10 ))$(( RANDOM % 10 ))"
	kill -9 "$pid"
	wait "$writer" 2>/dev/null
	t_abort "$m"
	umount -l "$m" 2>/dev/null
	for k in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done

	# The store object is untouched, whatever happened.
	[ "$(vu_hash "$obj")" = "$objhash" ] || t_fail "round $i: store object content changed"
	[ "$(stat -c '%i %f %u %g %s %Y.%y' "$obj")" = "$objstat" ] || t_fail "round $i: store object stat changed"

	vu_mount "$g" "$m"
	ls -A "$m" | grep -q '^\.vunify' && t_fail "round $i: temporary visible in the guest"
	h=$(vu_hash "$m/f$i")
	if [ "$(stat -c %i "$g/f$i")" = "$(stat -c %i "$obj")" ]; then
		[ "$h" = "$objhash" ] || t_fail "round $i: shared name has other content"
		seen_shared=$((seen_shared + 1))
	else
		# A private copy: complete, with or without the appended byte.
		[ "$h" = "$objhash" ] || [ "$h" = "$appended" ] ||
			t_fail "round $i: partial private copy ($(stat -c %s "$g/f$i") bytes)"
		[ "$(stat -c %h "$g/f$i")" = 1 ] || t_fail "round $i: private copy has links"
		seen_private=$((seen_private + 1))
	fi
	# Listing the directory removed what the dead instance left.
	ls -A "$g" | grep -q '^\.vunify-tmp' && t_fail "round $i: leftovers not cleaned: $(ls -A "$g" | grep vunify)"
	vu_umount "$m"
done
t_log "rounds: $rounds, interrupted before the swap: $seen_shared, after: $seen_private"
# Every object link that is left is a guest name or the store's own.
links=$(stat -c %h "$obj")
[ "$links" = $((seen_shared + 1)) ] || t_fail "object has $links links, want $((seen_shared + 1))"
t_done
