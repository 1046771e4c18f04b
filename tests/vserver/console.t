#!/bin/bash
# vserver NAME console: a shell on the guest's console answers what the
# client types, Ctrl-] detaches (the guest runs on), the log keeps what was
# said under LOG/KEY/NAME and outlives the stop; a stopped guest is exit 3.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"

g=$(vs_guest c)
root=$VUNIFY_BASE/guests/$g/root
chmod 0700 "$VUNIFY_BASE/guests/$g"
# busybox init runs entries without a tty on /dev/console.
echo '::respawn:/bin/sh' >> "$root/etc/inittab"
chmod 000 "$VUNIFY_BASE/guests/$g"

timeout 10 "$VS" "$g" console < /dev/null 2>/dev/null; t_eq "console of a stopped guest" $? 3
vs_start "$g"
log=$(vs_log "$g")/console.log

# Typed commands run on the console; the output comes back.  The input
# ends with Ctrl-] while more would follow: the client leaves at the key.
timeout 30 "$VS" "$g" console > "$T/out" \
	< <(sleep 1; echo 'echo con-$((6*7))'; sleep 2; printf 'echo aft""er\n\035'; sleep 60)
t_eq "console detaches at Ctrl-]" $? 0
grep -q '^con-42' "$T/out" || t_fail "no answer on the console: $(od -c "$T/out" | head)"
"$VS" "$g" running; t_eq "the guest runs on after the detach" $? 0
grep -q '^con-42' "$log" || t_fail "the console log lacks it: $(cat "$log")"
# the text before the key was sent, the key itself was not
vs_wait grep -q '^after' "$log" || t_fail "the input before Ctrl-] was lost"

# Two clients at once both see the output; the end of input detaches.
timeout 30 "$VS" "$g" console > "$T/watch" < <(sleep 4) &
watcher=$!
sleep 1
timeout 30 "$VS" "$g" console > "$T/out2" < <(sleep 1; echo 'echo two-$((2*3))'; sleep 2)
t_eq "console ends with its input" $? 0
wait "$watcher"; t_eq "the watching client" $? 0
grep -q '^two-6' "$T/out2" || t_fail "second client got no answer"
grep -q '^two-6' "$T/watch" || t_fail "the watching client saw nothing"

# The guest stops under an attached client: it is told, exit 3.
timeout 40 "$VS" "$g" console > /dev/null 2> "$T/err" < <(sleep 30) &
watcher=$!
sleep 1
vs_stop "$g"
wait "$watcher"; t_eq "console when the guest stops" $? 3
grep -q "the guest's console went away" "$T/err" || t_fail "stop message: $(cat "$T/err")"
# Logs live under LOG/KEY/NAME, private, and outlive the stop.
[ -s "$log" ] || t_fail "no console log after the stop"
t_eq "log directory mode" "$(stat -c %a "$(vs_log "$g")")" 700
t_eq "console log mode" "$(stat -c %a "$log")" 600
"$VS" "$g" console extra 2>/dev/null; t_eq "console with an argument" $? 2
vs_assert_gone "$g"
t_done
