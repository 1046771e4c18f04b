#!/bin/bash
# Host interfaces named in guest.conf: vserver changes or deletes only the
# veth it made for the guest, marked with the alias "vunify:HASH:NAME".
# A [network] host_ifname naming a host bridge, a foreign veth, a dummy
# (where the kernel has them) or an interface with another guest's mark:
# start fails with one line saying so, starts nothing, and the interface is
# left as it was (same ifindex, flags, alias, addresses).  A state file left
# by a dead supervisor that names a foreign interface does not get it
# deleted by the cleanup either.  The guest's own veth carries the mark.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../vserver/vslib.sh"
t_require_cmd ip

x=$(( $$ % 100000 ))
br=vhbr$x ve=vhve$x vp=vhvp$x dm=vhdm$x al=vhal$x ap=vhap$x
t_on_exit "for i in $br $ve $dm $al; do ip link del \$i; done"
ip link add "$br" type bridge || t_skip "cannot create a bridge"
ip link add "$ve" type veth peer name "$vp" || t_fail "cannot create a veth pair"
ip link add "$al" type veth peer name "$ap" || t_fail "cannot create a veth pair"
ip link set "$br" up
ip addr add "10.233.$(( x % 200 )).1/24" dev "$br"
ifs=("$br" "$ve" "$al")
ip link add "$dm" type dummy 2>/dev/null && ifs+=("$dm")

# What must not change: index, name, flags, alias, master, addresses.
snap() { ip -o -d link show dev "$1" | sed 's/ \\.*//' | awk '{ print $1, $2, $3 }'
	 cat "/sys/class/net/$1/ifalias" "/sys/class/net/$1/ifindex"
	 ip -o addr show dev "$1" | awk '{ print $3, $4 }'; }

g=$(vs_guest h "[network]" "mode = veth" "address = 10.234.$(( x % 200 )).2/24")
VS_GUESTS+=("$g")
conf=$VUNIFY_BASE/guests/$g/guest.conf
# Another guest's mark (a guest of the same name in another base).
ip link set dev "$al" alias "vunify:0123456789abcdef:$g"

for i in "${ifs[@]}"; do
	before=$(snap "$i")
	printf '%s\n' "[guest]" "[network]" "mode = veth" "host_ifname = $i" > "$conf"
	"$VS" "$g" start > "$T/out" 2> "$T/err"; rc=$?
	t_eq "start with host_ifname = $i: exit status" "$rc" 1
	[ "$(wc -l < "$T/err")" = 1 ] || t_fail "host_ifname = $i: not one line: $(cat "$T/err")"
	grep -q "^vserver: $g: host interface $i exists and is not this guest's veth (.*); vserver changes or deletes only interfaces it made: choose another \[network\] host_ifname\$" "$T/err" ||
		t_fail "host_ifname = $i: message: $(cat "$T/err")"
	t_eq "$i after the refused start" "$(snap "$i")" "$before"
	"$VS" "$g" running; t_eq "running after the refused start ($i)" $? 3
	[ -z "$(vs_cgroup_dirs "$g")" ] || t_fail "host_ifname = $i: a cgroup was made"
	[ ! -e "$VUNIFY_RUNDIR/$g/state" ] || t_fail "host_ifname = $i: a supervisor ran"
done

# A dead supervisor's state naming the bridge: the cleanup leaves it.
before=$(snap "$br")
mkdir -p "$VUNIFY_RUNDIR/$g"
printf '%s\n' supervisor=999999 init=0 fs=0 started=0 cgroup=v1 "host_ifname=$br" own_mount=0 \
	> "$VUNIFY_RUNDIR/$g/state"
"$VS" "$g" stop >/dev/null 2>&1
[ ! -e "$VUNIFY_RUNDIR/$g/state" ] || t_fail "the stale state was not cleaned up"
t_eq "$br after the stale cleanup" "$(snap "$br")" "$before"

# The guest's own veth carries its mark, and goes with it.
printf '%s\n' "[guest]" "[network]" "mode = veth" > "$conf"
vs_start "$g"
grep -Eq "^vunify:[0-9a-f]{16}:$g\$" "/sys/class/net/vu-$g/ifalias" ||
	t_fail "vu-$g is not marked: '$(cat "/sys/class/net/vu-$g/ifalias")'"
vs_stop "$g"
vs_assert_gone "$g"
for i in "${ifs[@]}"; do ip link show dev "$i" >/dev/null || t_fail "$i is gone"; done
t_done
