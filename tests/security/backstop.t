#!/bin/bash
# modes: passthrough
# timeout: 120
# Defence in depth inside vunifyfs: should the link break ever report
# success without breaking, vunifyfs still never opens a store object for
# writing (fs/file.c checks the mark of the very descriptor it opened) and
# the object stays byte- and stat-identical.  The test-only switch
# VUNIFYFS_TEST_FAKE_BREAK makes the break at open do nothing and succeed.
# The refusal must come from that gate itself, not from a later layer
# (passthrough.c, the kernel's guard), or a broken gate would go unnoticed.
. "$(dirname "$0")/../lib.sh" || exit 1
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

# In the foreground, to read which check refused: vunifyfs's own gate must
# (passthrough.c's refusal and the kernel's guard come after it).
mkdir -p "$m"
VUNIFYFS_TEST_FAKE_BREAK=1 "$VU_BIN/vunifyfs" -f ${VU_PASSTHROUGH:+-o passthrough=$VU_PASSTHROUGH} \
	"$g" "$m" 2> "$T/log" &
for i in $(seq 100); do mountpoint -q "$m" && break; sleep 0.1; done
mountpoint -q "$m" || t_fail "vunifyfs -f did not mount: $(cat "$T/log")"
t_eq "a read of the object still works" "$(cat "$m/f")" original
t_errno "O_RDWR open of an object with a fake break" EIO $vt open "$m/f" rdwr
t_errno "O_WRONLY|O_TRUNC open of an object with a fake break" EIO $vt open "$m/f" "wronly|trunc"
(echo PWNED >> "$m/f") 2>/dev/null && t_fail "append to an object succeeded with a fake break"
vu_umount "$m"
wait
grep -q "refusing to open store object inode" "$T/log" ||
	t_fail "the gate did not refuse the writable open: $(cat "$T/log")"
grep -q "refusing to truncate store object inode" "$T/log" ||
	t_fail "the gate did not refuse O_TRUNC: $(cat "$T/log")"

t_eq "object after the attempts" "$(sig)" "$before"
t_eq "object content" "$(cat "$obj")" original
t_eq "twin name still the object" "$(stat -c %i "$g/twin")" "$(stat -c %i "$obj")"
t_done
