#!/bin/bash
# The overview: `vserver list` (lxc-ls -f / vserver-stat columns), `list -l`
# and `--json` for list and status, on a running guest with a veth address,
# a stopped one and one whose guest.conf is broken with bytes that would
# break a JSON writer that does not escape (quote, backslash, control
# characters, invalid UTF-8).  Every key of the JSON is in vserver(8).
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"
t_require_cmd jq

x=$(( $$ % 200 + 20 ))
r=$(vs_guest r "[network]" "mode = veth" "address = 10.233.$x.2/24" \
	"host_address = 10.233.$x.1/24" "[limits]" "memory = 256M" "pids = 100")
s=$(vs_guest s "[limits]" "memory = 64M")
b=$(vs_guest b)
printf '[guest]\nhostname = %s\n[limits]\nmemory = q"b\\\001\t\377z\n' "$b" \
	> "$VUNIFY_BASE/guests/$b/guest.conf"
vs_start "$r"
VS_GUESTS+=("$b" "$s")
sleep 1.2   # an uptime of at least a second

json() {  # json ARGS...: vserver ARGS, its output valid JSON (else fail)
	local out
	out=$("$VS" "$@") 
	jq -e . >/dev/null <<<"$out" || t_fail "vserver $* --json: not valid JSON: $out"
	if command -v python3 >/dev/null; then
		python3 -m json.tool >/dev/null <<<"$out" || t_fail "vserver $*: python rejects: $out"
	fi
	printf '%s\n' "$out"
}
check() {  # check WHAT JSON JQ-EXPR: the expression holds
	jq -e "$3" >/dev/null <<<"$2" || t_fail "$1: $3 does not hold for: $2"
}

# list --json: every guest, with the values.
all=$(json list --json) || exit 1
t_eq "guests listed" "$(jq -r '[.guests[].name] | join(" ")' <<<"$all")" \
	"$(printf '%s\n' "$r" "$s" "$b" | sort | tr '\n' ' ' | sed 's/ $//')"
gr=$(jq ".guests[] | select(.name == \"$r\")" <<<"$all")
gs=$(jq ".guests[] | select(.name == \"$s\")" <<<"$all")
gb=$(jq ".guests[] | select(.name == \"$b\")" <<<"$all")
check "running" "$gr" '.state == "running" and .hostname == "'"$r"'" and .config_error == null'
check "running" "$gr" '.init_pid > 1 and .started > 1700000000 and .uptime_s >= 1'
check "running" "$gr" '.processes >= 1 and .processes_limit == 100'
check "running" "$gr" '.memory_bytes > 0 and .memory_limit_bytes == 268435456'
check "running" "$gr" '(.cpu_ns | type) == "number" and .cpu_ns > 0'
check "running" "$gr" '.net_mode == "veth" and .addresses == ["10.233.'$x'.2/24"]'
check "running" "$gr" '.cgroup == "v1" or .cgroup == "v2"'
check "running" "$gr" '(.lxcfs | type) == "boolean"'
check "no disk without -l" "$gr" '.disk_private_bytes == null and .disk_shared_bytes == null'
check "stopped" "$gs" '.state == "stopped" and .init_pid == null and .started == null'
check "stopped" "$gs" '.uptime_s == null and .processes == null and .memory_bytes == null'
check "stopped" "$gs" '.cpu_ns == null and .cgroup == null and .lxcfs == null'
check "stopped" "$gs" '.memory_limit_bytes == 67108864 and .net_mode == "none" and .addresses == []'
check "bad conf" "$gb" '.hostname == null and .net_mode == null and .addresses == null'
check "bad conf" "$gb" '.config_error | contains("q\"b\\\u0001\t\ufffdz")'
# The same keys for every guest, whatever its state.
t_eq "keys of a stopped guest" "$(jq -c 'keys' <<<"$gs")" "$(jq -c 'keys' <<<"$gr")"
t_eq "keys of a broken guest" "$(jq -c 'keys' <<<"$gb")" "$(jq -c 'keys' <<<"$gr")"

# list -l --json: the disk usage too.
long=$(json list -l --json) || exit 1
check "-l" "$long" '[.guests[] | .disk_private_bytes > 0 and .disk_private_inodes > 0] | all'
check "-l" "$long" '[.guests[] | (.disk_shared_bytes | type) == "number"] | all'

# status --json: the same object, the same exit codes as the text form.
st=$(json "$r" status --json) || exit 1
check "status" "$st" '.name == "'"$r"'" and .state == "running" and .memory_bytes > 0'
check "status" "$st" '.disk_private_bytes > 0 and .addresses == ["10.233.'$x'.2/24"]'
t_eq "status keys" "$(jq -c 'keys' <<<"$st")" "$(jq -c 'keys' <<<"$gr")"
"$VS" "$s" status --json > "$T/s.json"; t_eq "status --json of a stopped guest" $? 3
check "stopped status" "$(cat "$T/s.json")" '.state == "stopped" and .memory_bytes == null'
"$VS" "$b" status --json > "$T/b.json" 2>/dev/null; t_eq "status --json, bad guest.conf" $? 1
jq -e '.config_error | type == "string"' "$T/b.json" >/dev/null || t_fail "bad conf: $(cat "$T/b.json")"
"$VS" "$r" status --jsn >/dev/null 2>&1; t_eq "status with a bad option" $? 2

# Every key is documented in vserver(8), JSON OUTPUT.
man=$VU_TOP/tools/vserver/vserver.8
doc=$(sed -n '/^\.SH "JSON OUTPUT"/,/^\.SH /p' "$man")
[ -n "$doc" ] || t_fail "vserver(8) has no JSON OUTPUT section"
for k in $(jq -r 'keys[]' <<<"$gr"); do
	grep -q "^\.B $k\$" <<<"$doc" || t_fail "key $k is not in vserver(8), JSON OUTPUT"
done

# The text forms.
out=$("$VS" list)
head -1 <<<"$out" | grep -Eq '^NAME +STATE +UPTIME +PROCS +MEMORY +CPU +ADDRESSES$' ||
	t_fail "list header: $out"
grep -Eq "^$r +running +[0-9]+s +[0-9]+ +[0-9.]+[KMG] +[0-9.]+s +10\.233\.$x\.2\$" <<<"$out" ||
	t_fail "list, running guest: $out"
grep -Eq "^$s +stopped +- +- +- +- +-\$" <<<"$out" || t_fail "list, stopped guest: $out"
out=$("$VS" list -l)
head -1 <<<"$out" | grep -Eq 'CPU +PRIVATE +SHARED +INIT +NET +HOSTNAME +ADDRESSES$' ||
	t_fail "list -l header: $out"
init=$(jq .init_pid <<<"$gr")
grep -Eq "^$r +running .* [0-9.]+[BKMG] +[0-9.]+[BKMG] +$init +veth +$r +10\.233\.$x\.2\$" <<<"$out" ||
	t_fail "list -l, running guest: $out"
grep -Eq "^$b .*\(bad guest.conf\)" <<<"$out" || t_fail "list -l, broken guest: $out"
"$VS" list --bogus >/dev/null 2>&1; t_eq "list with a bad option" $? 2
"$VS" "$r" status | grep -q '^  lxcfs: ' || t_fail "status says nothing about lxcfs"

vs_stop "$r"
vs_assert_gone "$r"
t_done
