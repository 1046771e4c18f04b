#!/bin/bash
# timeout: 300
# Entering a guest must not hand the guest the admin (issue 11, item 7).
# Each attack runs as root in a busybox guest, against `vserver exec`:
# (a) a background process of the command reopens /proc/PID/fd/0-2 of every
#     process it sees, after exec returned: the admin's later stdin lines,
#     a host file on stdin and a host log on stdout stay out of its reach;
# (b) a poller reads /proc/PID/environ of, and PTRACE_SEIZEs, every joining
#     process while the admin runs exec with a secret in its environment;
# (c) kill(0, SIGTERM) from the command does not reach the admin's script
#     or its other children;
# (d) a command that is a "#!/proc/self/exe" script runs the joining
#     process's image again in the guest: it must not be the host's
#     vserver file, which a guest could then open for writing.
# Also: exec on a terminal gets a pty of the guest's, -u/-w/-e.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/../vserver/vslib.sh"

for h in vs_steal vs_snoop vs_grabexe; do
	[ -x "$VU_TEST_BIN/$h" ] || t_skip "$VU_TEST_BIN/$h is not built (make check builds it)"
done
t_require_cmd mkfifo
t_require_cmd setsid

g=$(vs_guest x)
root=$VUNIFY_BASE/guests/$g/root
vs_install_prog "$root" "$VU_TEST_BIN/vs_steal" "$VU_TEST_BIN/vs_snoop" \
	"$VU_TEST_BIN/vs_grabexe" "$VS"
# For (d): vserver's libraries are there, so that this runs.
printf '#!/proc/self/exe --help\n' > "$root/usr/local/bin/vs-evil"
chmod 755 "$root/usr/local/bin/vs-evil"
# A long /etc/passwd, root last: the guest decides how long the joining
# process spends reading it, which widens any window it leaves open.
awk 'BEGIN { for (i = 1; i <= 100000; i++)
	printf "u%d:x:%d:100:user:/home/u%d:/bin/sh\n", i, i + 1000, i
	print "root:x:0:0:root:/root:/bin/sh" }' > "$root/etc/passwd"
echo 'users:x:100:' >> "$root/etc/group"
vs_start "$g"

# ---- (a) the admin's stdin and stdout ----

# A FIFO as the admin's stdin, a log as its stdout: the lines written to the
# FIFO after exec returned wait there 2 s for the admin's `read`.
mkfifo "$T/fifo"
printf 'admin-log-secret-%s\n' $$ > "$T/admin.log"
cp "$T/admin.log" "$T/admin.log.want"
printf 'exec-output\nexec rc=0\n' >> "$T/admin.log.want"
admin_a() {
	timeout -k 5 60 "$VS" "$g" exec sh -c 'exec 3<&0; vs_steal /tmp/stolen-a 3 <&3 & echo exec-output'
	echo "exec rc=$?"
	: > "$T/a-returned"
	sleep 2
	read -r l1
	read -r l2
	echo "$l1:$l2" > "$T/a-got"
}
admin_a < "$T/fifo" >> "$T/admin.log" 2>&1 &
apid=$!
t_on_exit "kill $apid"
exec 7> "$T/fifo"
vs_wait test -e "$T/a-returned" || t_fail "(a) exec did not return"
printf 'later-secret-1\nlater-secret-2\n' >&7
exec 7>&-
t_timeout 30 tail --pid="$apid" -f /dev/null
vs_wait test -e "$root/tmp/stolen-a.done" || t_fail "(a) the attacker did not finish"
t_eq "(a) the admin's stdin lines after exec" "$(cat "$T/a-got" 2>/dev/null)" \
	"later-secret-1:later-secret-2"
cmp -s "$T/admin.log" "$T/admin.log.want" ||
	t_fail "(a) the admin's log changed: '$(cat "$T/admin.log")'"
grep -aq 'later-secret\|admin-log-secret' "$root/tmp/stolen-a" &&
	t_fail "(a) the guest read the admin's stdin or log: '$(cat "$root/tmp/stolen-a")'"
n=$(awk '{ print $2 }' "$root/tmp/stolen-a.done")
[ "$n" -gt 0 ] || t_fail "(a) the attacker reopened nothing: the test proves nothing"

# A host file on stdin (a script, say): the command reads its first line;
# the guest must not read what follows beyond one page, nor change it, and
# the admin reads on where the command stopped.
{
	echo first-line
	echo second-line
	for i in $(seq 2000); do printf '%0200d\n' 0; done
	echo "file-secret-$$"
} > "$T/input"
cp "$T/input" "$T/input.orig"
timeout -k 5 60 "$VS" "$g" exec sh -c \
	'read -r first; echo "cmd-read:$first"; exec 3<&0; vs_steal /tmp/stolen-b 3 <&3 &' \
	< "$T/input" > "$T/b-out" 2>&1
t_eq "(a) exec with a file on stdin" "$(cat "$T/b-out")" "cmd-read:first-line"
vs_wait test -e "$root/tmp/stolen-b.done" || t_fail "(a) the attacker did not finish"
cmp -s "$T/input" "$T/input.orig" || t_fail "(a) the guest changed the admin's stdin file"
grep -aq "file-secret" "$root/tmp/stolen-b" &&
	t_fail "(a) the guest read the admin's stdin file beyond what the command took"
# What the command did not take is left to the admin (unless the guest
# reads it first, as the attacker above may).
out=$({
	vs_exec "$g" sh -c 'read -r first; echo "cmd-read:$first"'
	read -r next
	echo "next:$next"
} < "$T/input")
t_eq "(a) stdin after exec" "$out" "$(printf 'cmd-read:first-line\nnext:second-line')"

# ---- (b) the joining process: environment, ptrace ----

secret="VU-SECRET-$$-$RANDOM"
vs_exec "$g" sh -c "vs_snoop $secret 120 /tmp/snoop.stop > /tmp/snoop.out 2>&1 &" ||
	t_fail "(b) starting the poller"
sleep 1
for i in $(seq 8); do
	VU_SECRET="$secret" vs_exec "$g" true || t_fail "(b) exec $i failed"
done
# (from the guest: vunifyfs may cache that the name did not exist)
vs_exec "$g" touch /tmp/snoop.stop
vs_wait grep -q joining "$root/tmp/snoop.out" || t_fail "(b) the poller did not finish"
read -r _ joining _ leaks _ foreign < "$root/tmp/snoop.out"
t_log "(b) poller: $(cat "$root/tmp/snoop.out")"
[ "$joining" -ge 1 ] || t_fail "(b) the poller never saw a joining process: the test proves nothing"
t_eq "(b) environments showing the admin's secret" "$leaks" 0
t_eq "(b) joining processes seized by the guest" "$foreign" 0
t_eq "(b) the command's environment" \
	"$(VU_SECRET="$secret" vs_exec "$g" env | grep -c "$secret")" 0

# ---- (c) kill(0, SIGTERM) from the guest ----

cat > "$T/admin-c" <<EOF
sleep 300 &
echo \$! > "$T/c-sibling"
"$VS" "$g" exec sh -c 'kill -TERM 0; sleep 1; echo not-killed'
echo "admin alive, rc=\$?" > "$T/c-out"
EOF
timeout -k 5 60 setsid -w bash "$T/admin-c" < /dev/null > "$T/c-log" 2>&1
sib=$(cat "$T/c-sibling" 2>/dev/null)
[ -n "$sib" ] && t_on_exit "kill $sib"
t_eq "(c) the admin's script after kill 0 in the guest" "$(cat "$T/c-out" 2>/dev/null)" \
	"admin alive, rc=143"
kill -0 "$sib" 2>/dev/null || t_fail "(c) the admin's other child died"

# ---- (d) "#!/proc/self/exe" ----

vs_exec "$g" sh -c 'vs_grabexe 120 3 > /tmp/grab.out 2>&1 &' || t_fail "(d) starting the grabber"
sleep 0.5
for i in $(seq 60); do
	vs_exec "$g" vs-evil > /dev/null 2>&1
	[ "$(vs_exec "$g" cat /tmp/grab.out | grep -c '^caught')" -ge 3 ] && break
done
caught=$(vs_exec "$g" cat /tmp/grab.out | grep '^caught')
host=$(stat -c %d:%i "$VS")
t_log "(d) host vserver $host; $(echo "$caught" | tr '\n' ';')"
if [ -z "$caught" ]; then
	t_log "(d) the grabber caught no process in 60 tries: (d) checked nothing"
fi
case "$caught" in *" $host "*) t_fail "(d) the guest got the host's vserver file: $caught" ;; esac

# ---- a pty of the guest's; -u, -w, -e ----

if command -v script >/dev/null; then
	out=$( (sleep 1; echo 'tty; exit 4'; sleep 1) |
		timeout 30 script -qec "$VS $g exec sh" /dev/null | tr -d '\r')
	case "$out" in *"/dev/pts/"*) ;; *) t_fail "exec on a tty: no guest pty in '$out'" ;; esac
fi
t_eq "exec -e" "$(vs_exec "$g" -e FOO=bar -e PATH=/bin sh -c 'echo $FOO:$PATH')" "bar:/bin"
t_eq "exec -w" "$(vs_exec "$g" -w /tmp pwd)" /tmp
t_eq "exec -u NAME" "$(vs_exec "$g" -u u7 sh -c 'echo $(id -u):$(id -g):$USER:$HOME')" \
	"1007:100:u7:/home/u7"
t_eq "exec -u UID:GID" "$(vs_exec "$g" -u 4321:55 sh -c 'echo $(id -u):$(id -g)')" "4321:55"
t_eq "exec -u: no capabilities" "$(vs_exec "$g" -u u7 grep CapEff /proc/self/status)" \
	"$(printf 'CapEff:\t0000000000000000')"
vs_exec "$g" -u nosuchuser true 2>/dev/null; t_eq "exec -u of an unknown user" $? 126
# enter takes the same options: USER's login shell, in its home (/ while
# it has none) or -w DIR.
t_eq "enter -u, no home" "$(echo pwd | timeout 30 "$VS" "$g" enter -u u7)" /
vs_exec "$g" sh -c 'mkdir -p /home/u7 && chown u7 /home/u7' || t_fail "mkdir /home/u7"
t_eq "enter -u" "$(echo 'echo $(id -u):$USER:$(pwd):$FOO; exit 5' |
	timeout 30 "$VS" "$g" enter -u u7 -e FOO=x)" "1007:u7:/home/u7:x"
echo 'exit 5' | timeout 30 "$VS" "$g" enter -u u7 >/dev/null; t_eq "enter -u: exit status" $? 5
t_eq "enter -w" "$(echo pwd | timeout 30 "$VS" "$g" enter -w /tmp)" /tmp
timeout 30 "$VS" "$g" enter extra < /dev/null 2>/dev/null; t_eq "enter with an argument" $? 2
timeout 30 "$VS" "$g" enter -x < /dev/null 2>/dev/null; t_eq "enter with a bad option" $? 2
t_eq "exec with stdin closed" "$(vs_exec "$g" sh -c 'echo hi; cat' <&-)" hi
# A signal to vserver goes to the command's process group (vserver itself
# stays to report the command's status).
"$VS" "$g" exec sh -c 'trap "exit 7" TERM; sleep 50 & wait' < /dev/null &
vp=$!
t_on_exit "kill -9 $vp"
sleep 1
kill -TERM "$vp"
wait "$vp"; t_eq "SIGTERM passed on" $? 7

vs_stop "$g" --timeout 5
vs_assert_gone "$g"
t_done
