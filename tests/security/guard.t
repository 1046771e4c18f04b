#!/bin/bash
# timeout: 120
# Defence in depth: with kernel passthrough, the kernel itself refuses to
# open a store object for writing, even when vunifyfs hands the object's
# backing file to a writable open.  The test-only switch
# VUNIFYFS_TEST_NO_BREAK skips the link break at open (and vunifyfs's own
# checks), so that only the guard (fs/guard.c) stands between the guest and
# the object; VUNIFYFS_TEST_NO_GUARD then takes the guard away too, to show
# that the same write would land without it.
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
VH=$VU_BIN/vhashify
store=$T/store g1=$T/g1 g2=$T/g2 m=$T/m
mkdir -p "$g1" "$g2" "$m"
echo original > "$g1/f"
echo other > "$g1/h"
cp -a "$g1/." "$g2/"
t_check "vhashify" "$VH" -q --ignore-atime --store "$store" "$g1" "$g2"

# Needs FUSE passthrough and Landlock (vunifyfs refuses passthrough=on
# without them, and says which is missing).
if ! out=$(timeout 30 "$VU_BIN/vunifyfs" -o passthrough=on "$g1" "$m" 2>&1); then
	t_skip "no passthrough here: $(tail -n 1 <<<"$out")"
fi
vu_umount "$m"

VUNIFYFS_TEST_NO_BREAK=1 vu_mount "$g1" "$m" -o passthrough=on
t_eq "a read of the object still works" "$(cat "$m/f")" original
(echo PWNED 1<>"$m/f") 2>/dev/null && t_fail "read-write open of an object succeeded with the break skipped"
(echo PWNED >> "$m/f") 2>/dev/null && t_fail "append to an object succeeded with the break skipped"
out=$(cd "$m" && "$VU_TEST_BIN/sec_reopen" fd h)
t_eq "reopen through /proc/self/fd with the break skipped" "$out" EIO
vu_umount "$m"
t_eq "object content (through g2)" "$(cat "$g2/f")" original
t_eq "object content (through g2)" "$(cat "$g2/h")" other
out=$("$VH" verify --store "$store" 2>&1) || t_fail "vhashify verify: $out"

# Without the guard the same write reaches the object: what the guard stops.
VUNIFYFS_TEST_NO_BREAK=1 VUNIFYFS_TEST_NO_GUARD=1 vu_mount "$g1" "$m" -o passthrough=on
(echo PWNED 1<>"$m/f") 2>/dev/null
vu_umount "$m"
t_eq "without the guard the object is written (the check above has teeth)" \
	"$(head -n 1 "$g2/f")" PWNED
t_done
