#!/bin/bash
# modes: passthrough
# timeout: 120
# Defence in depth inside vunifyfs: should the link break ever report
# success without breaking, vunifyfs still never opens a store object for
# writing (fs/file.c checks the mark of the very descriptor it opened) and
# the object stays byte- and stat-identical.  The test-only switch
# VUNIFYFS_TEST_FAKE_BREAK makes the break at open do nothing and succeed.
. "$(dirname "$0")/../lib.sh"
t_require_root
vt=$VU_TEST_BIN/vutest
store=$T/store g=$T/g m=$T/m
mkdir -p "$g"
echo original > "$T/src"
chmod 0644 "$T/src"
id=0b$(printf '%030d' 1)
obj=$store/objects/0b/$(printf '%030d' 1)
vu_unify "$store" "$id" "$T/src" "$g/f" "$g/twin"
sig() { stat -c '%i %f %u %g %s %Y.%y' "$obj"; vu_hash "$obj"; }
before=$(sig)

VUNIFYFS_TEST_FAKE_BREAK=1 vu_mount "$g" "$m"
t_eq "a read of the object still works" "$(cat "$m/f")" original
t_errno "O_RDWR open of an object with a fake break" EIO $vt open "$m/f" rdwr
t_errno "O_WRONLY|O_TRUNC open of an object with a fake break" EIO $vt open "$m/f" "wronly|trunc"
(echo PWNED >> "$m/f") 2>/dev/null && t_fail "append to an object succeeded with a fake break"
vu_umount "$m"

t_eq "object after the attempts" "$(sig)" "$before"
t_eq "object content" "$(cat "$obj")" original
t_eq "twin name still the object" "$(stat -c %i "$g/twin")" "$(stat -c %i "$obj")"
t_done
