#!/bin/bash
# Bad input gets a clear one-line error and the documented exit code:
# usage errors 2, unknown guest 5, not running 3, everything else 1; a bad
# guest.conf names the file and the line; nothing is started or changed.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"

# want CODE PATTERN CMD...: CMD exits CODE and says PATTERN on stderr.
want() {
	local code=$1 pat=$2 rc; shift 2
	timeout 60 "$@" > "$T/out" 2> "$T/err"; rc=$?
	[ $rc = "$code" ] || t_fail "$*: exit $rc, want $code (stderr: $(cat "$T/err"))"
	grep -qE -- "$pat" "$T/err" || t_fail "$*: stderr '$(cat "$T/err")' lacks '$pat'"
	[ "$(wc -l < "$T/err")" -le 1 ] || t_fail "$*: more than one line of error: $(cat "$T/err")"
}

# usage
t_eq "vserver --version" "$("$VS" --version)" "vserver 0.1"
want 2 "no guest name given" "$VS"
want 2 "no command" "$VS" foo
want 2 "unknown command 'frobnicate'" "$VS" foo frobnicate
want 2 "not a valid guest name" "$VS" ../etc start
want 2 "not a valid guest name" "$VS" 'a b' start
want 2 "unknown argument" "$VS" foo stop --bogus
want 2 "not a number" "$VS" foo stop --timeout soon
want 2 "no command given" "$VS" foo exec

# unknown guest
for cmd in start stop running status exec enter delete restart; do
	args=("$cmd"); [ "$cmd" = exec ] && args+=(true)
	want 5 "no such guest" "$VS" nosuchguest "${args[@]}"
done

# a guest whose root is not a directory
g=$(vs_name f)
VS_GUESTS+=("$g")
mkdir -p "$VUNIFY_BASE/guests/$g"
echo '[guest]' > "$VUNIFY_BASE/guests/$g/guest.conf"
echo "not a tree" > "$VUNIFY_BASE/guests/$g/root"
want 1 "root: not a directory" "$VS" "$g" start
rm "$VUNIFY_BASE/guests/$g/root"
ln -s / "$VUNIFY_BASE/guests/$g/root"
want 1 "root: not a directory" "$VS" "$g" start
rm "$VUNIFY_BASE/guests/$g/root"
want 1 "root: No such file or directory" "$VS" "$g" start
"$VS" "$g" running; t_eq "running after failed starts" $? 3
vs_assert_gone "$g"

# bad configuration lines: each names the file and the line
g=$(vs_name c)
VS_GUESTS+=("$g")
vs_guest c >/dev/null
conf=$VUNIFY_BASE/guests/$g/guest.conf
badconf() {
	local line=$1 pat=$2; shift 2
	printf '%s\n' "[guest]" "hostname = $g" "$@" > "$conf"
	want 1 "$conf:$line: $pat" "$VS" "$g" start
	"$VS" "$g" running && t_fail "started with a bad guest.conf ($pat)"
}
badconf 3 "unknown key 'colour' in \[guest\]" "colour = blue"
badconf 4 "unknown section \[gust\]" "" "[gust]" "x = 1"
badconf 4 "\[limits\] memory: 'lots' is not a size" "[limits]" "memory = lots"
badconf 4 "\[limits\] memory: '1k' is less than 4M" "[limits]" "memory = 1k"
badconf 4 "\[limits\] pids: '-5' is not a positive number" "[limits]" "pids = -5"
badconf 4 "\[limits\] cpu_weight: '0' is not a weight" "[limits]" "cpu_weight = 0"
badconf 4 "\[limits\] cpu_quota: '50' is neither" "[limits]" "cpu_quota = 50"
badconf 4 "\[limits\] io_read_bps: '/dev/sda' is not 'DEVICE VALUE'" "[limits]" "io_read_bps = /dev/sda"
badconf 4 "\[network\] mode: 'nat' is not none, host, veth, bridge, macvlan or ipvlan" "[network]" "mode = nat"
badconf 6 "\[network\] publish: '80:99999' is not HOSTPORT:GUESTPORT" "[network]" "mode = veth" "nat = yes" "publish = 80:99999"
badconf 5 "\[network\] address: '10.0.0.300/24' is not ADDRESS/PREFIX" "[network]" "mode = veth" "address = 10.0.0.300/24"
badconf 4 "\[security\] cap_keep: 'sys_wizard' is not a capability" "[security]" "cap_keep = sys_wizard"
badconf 4 "\[security\] seccomp: 'maybe' is not yes or no" "[security]" "seccomp = maybe"
badconf 4 "\[mounts\] /srv/../etc: the target must be" "[mounts]" "/srv/../etc = /tmp"
badconf 4 "\[mounts\] /srv: 'tmp ro' is not 'SOURCE" "[mounts]" "/srv = tmp ro"
badconf 4 "\[mounts\] /srv: 'rx' is neither ro nor rw" "[mounts]" "/srv = /tmp rx"
badconf 3 "\[guest\] init: 'sbin/init' is not an absolute path" "init = sbin/init"
badconf 3 "\[guest\] stop_signal: 'SIGFOO' is not a signal" "stop_signal = SIGFOO"
badconf 3 "\[guest\] hostname: given twice" "hostname = again"
badconf 3 "syntax error" "this line has no equals sign"
badconf 3 "syntax error: '\[' without '\]'" "[limits"
badconf 3 "line too long" "init = /sbin/init $(printf 'x%.0s' $(seq 300))"
# the first error wins, whatever its kind
badconf 3 "syntax error" "garbage" "colour = blue"
rm "$conf"
want 1 "guest.conf: No such file or directory" "$VS" "$g" start
vs_assert_gone "$g"

# a guest whose init does not exist: start fails, nothing is left
printf '%s\n' "[guest]" "init = /sbin/nothing-here" > "$conf"
want 1 "executing /sbin/nothing-here in the guest: No such file or directory" "$VS" "$g" start
vs_assert_gone "$g"

# a limit this cgroup hierarchy cannot enforce is an error, not ignored
printf '%s\n' "[limits]" "io_read_bps = /dev/null 1M" > "$conf"
want 1 "/dev/null: Block device required" "$VS" "$g" start
vs_assert_gone "$g"

# exec and enter of a stopped guest, stop of a stopped guest
printf '%s\n' "[guest]" > "$conf"
want 3 "not running" "$VS" "$g" exec true
want 3 "not running" "$VS" "$g" enter
want 3 "not running" "$VS" "$g" stop

# already running
vs_start "$g"
want 1 "already running" "$VS" "$g" start
want 1 "is running; stop it first" "$VS" "$g" delete
"$VS" "$g" running || t_fail "the guest died from a refused start"
vs_stop "$g"
vs_assert_gone "$g"
t_done
