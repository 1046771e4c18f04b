#!/bin/bash
# [network] mode = bridge, macvlan and ipvlan.  Everything happens in a
# network namespace the test makes for itself (it re-executes itself under
# `unshare --net`): the bridge, the "host's links" and a neighbour (one more
# namespace, behind a veth pair) are the test's own, so no packet reaches
# the machine's real network, and the kernel removes every interface when
# the last process of the namespace ends, even if the test fails.
#
# bridge: the guest's veth host end (marked) is a port of the bridge named
# in guest.conf; the guest, the host (the bridge's address) and a second
# guest on the bridge reach each other; the end goes with the guest, the
# bridge stays.  A bridge that is missing, or not a bridge, is refused with
# one line before anything starts; so is host_ifname naming the bridge.
# macvlan / ipvlan: the guest's interface sits on the host's link (made in
# its own namespace, nothing appears on the host) and reaches a neighbour
# on that link both ways; it cannot add addresses, bind to a neighbour's
# address or open raw sockets (no CAP_NET_ADMIN, no CAP_NET_RAW).
# nat = yes: the guest reaches beyond the host through masquerading (a
# guest without it does not), a published port reaches the guest's; its
# nftables table (and no other) goes with it and with the stale cleanup.
if [ -z "${VU_NETMODES_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
	command -v unshare >/dev/null || { echo "skip: needs unshare"; exit 77; }
	VU_NETMODES_NETNS=1 exec unshare --net -- "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"
t_require_cmd ip
t_require_cmd nsenter
ip link set lo up || t_fail "cannot bring up the test namespace's loopback"

# ---- the test's network: a bridge, two links with a neighbour behind ----
ip link add vtbr0 type bridge 2>/dev/null || t_skip "cannot create a bridge"
ip addr add 10.77.1.1/24 dev vtbr0 && ip link set vtbr0 up || t_fail "setting up vtbr0"
ip link add vtdm0 type dummy 2>/dev/null || ip link add vtdm0 type veth peer name vtdm1 ||
	t_fail "cannot create a plain interface"

# The neighbour: a process in a namespace of its own, on the far end of
# two veth pairs (the "host's links" vtlan0 and vtlan1).
unshare --net sleep 1000 &
nb=$!
t_on_exit "kill $nb"
me=$(readlink /proc/self/ns/net)
for i in $(seq 100); do
	[ -e "/proc/$nb/ns/net" ] && [ "$(readlink "/proc/$nb/ns/net")" != "$me" ] && break
	sleep 0.05
done
[ "$(readlink "/proc/$nb/ns/net")" != "$me" ] || t_fail "the neighbour has no namespace of its own"
nbx() { nsenter -t "$nb" -n "$@"; }
for i in 0 1; do
	ip link add "vtlan$i" type veth peer name "vtnb$i" || t_fail "cannot create a veth pair"
	ip link set "vtnb$i" netns "$nb" || t_fail "cannot move vtnb$i to the neighbour"
	ip link set "vtlan$i" up || t_fail "vtlan$i up"
	nbx ip addr add "10.77.$(( i + 2 )).100/24" dev "vtnb$i" || t_fail "neighbour address"
	nbx ip link set "vtnb$i" up || t_fail "neighbour vtnb$i up"
done
nbx ip link set lo up

# reach G ADDR: the guest reaches ADDR (a TCP port nobody listens on
# answers with a reset: "refused" proves the round trip, bounded by -w).
# Three tries: a port just added to a bridge may drop the first frames.
reach() {
	local i
	for i in 1 2 3; do
		vs_exec "$1" nc -w 3 "$2" 9 < /dev/null > "$T/reach" 2>&1
		grep -q refused "$T/reach" && return 0
	done
	t_log "$1 -> $2: $(cat "$T/reach")"
	return 1
}
# hostping ADDR / nbping ADDR: the test's namespace / the neighbour pings.
hostping() { busybox ping -c 1 -W 2 "$1" >/dev/null 2>&1; }
nbping() { nbx busybox ping -c 1 -W 2 "$1" >/dev/null 2>&1; }
# The guest's bounding set must have neither CAP_NET_ADMIN nor CAP_NET_RAW.
nocaps() {
	local bnd
	bnd=$(vs_exec "$1" vs_probe caps | awk '/CapBnd/ { print $2 }')
	[ -n "$bnd" ] || t_fail "$1: no CapBnd from vs_probe"
	(( (0x$bnd >> 12) & 3 )) && t_fail "$1: CapBnd $bnd has CAP_NET_ADMIN or CAP_NET_RAW"
	return 0
}
# refused G WANT_RE: starting G fails with exit 1 and one line matching
# WANT_RE; nothing of it runs.
refused() {
	"$VS" "$1" start > "$T/out" 2> "$T/err"; rc=$?
	t_eq "$1: refused start: exit status" "$rc" 1
	[ "$(wc -l < "$T/err")" = 1 ] || t_fail "$1: not one line: $(cat "$T/err")"
	grep -Eq "^vserver: $1: $2\$" "$T/err" || t_fail "$1: message: $(cat "$T/err")"
	"$VS" "$1" running; t_eq "$1: running after the refused start" $? 3
	[ ! -e "$(vs_run "$1")/state" ] || t_fail "$1: a supervisor ran"
}
# What must not change of an interface: index, name, addresses (a bridge's
# carrier follows its ports).
# reboot_guest G: reboot(2) in the guest; wait for its new init.
init_of() { awk -F= '$1 == "init" { print $2 }' "$(vs_run "$1")/state" 2>/dev/null; }
newinit() { [ -n "$(init_of "$1")" ] && [ "$(init_of "$1")" != "$2" ]; }
reboot_guest() {
	local p
	p=$(init_of "$1")
	# Its status does not matter: init's shutdown may kill it first.
	vs_exec "$1" reboot
	vs_wait newinit "$1" "$p" || t_fail "$1: no new init after the reboot"
}
snap() { ip -o link show dev "$1" | awk '{ print $1, $2 }'; ip -o addr show dev "$1" | awk '{ print $4 }'; }
# The test namespace's interfaces (its /sys is the host's: ip asks netlink).
ifs() { ip -o link show "$@" | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | tr '\n' ' '; }
ports() { ifs master vtbr0 | sed 's/ $//'; }

# ---- bridge ----
b1=$(vs_guest b1 "[network]" "mode = bridge" "bridge = vtbr0" "address = 10.77.1.2/24" \
	"gateway = 10.77.1.1")
b2=$(vs_guest b2 "[network]" "mode = bridge" "bridge = vtbr0" "address = 10.77.1.3/24")
brsnap=$(snap vtbr0)
vs_start "$b1"
vs_start "$b2"
for g in "$b1" "$b2"; do
	ip -o link show "vu-$g" | grep -q " master vtbr0 " || t_fail "vu-$g is not a port of vtbr0"
	ip -o link show "vu-$g" | grep -Eq "alias vunify:[0-9a-f]{16}:$g\$" ||
		t_fail "vu-$g is not marked: $(ip -o link show "vu-$g")"
done
t_eq "bridge guest's interfaces" "$(vs_exec "$b1" ls /sys/class/net | tr '\n' ' ')" "eth0 lo "
hostping 10.77.1.2 || t_fail "the host cannot reach $b1 through the bridge"
reach "$b1" 10.77.1.1 || t_fail "$b1 cannot reach the bridge's address"
reach "$b1" 10.77.1.3 || t_fail "$b1 cannot reach $b2 on the bridge"
vs_exec "$b1" ip route | grep -q "^default via 10.77.1.1" || t_fail "$b1 has no default route"
nocaps "$b1"
vs_exec "$b1" ip addr add 10.77.1.77/24 dev eth0 2>/dev/null && t_fail "$b1 added an address"
vs_stop "$b1"
vs_assert_gone "$b1"
t_eq "vtbr0 after $b1 went" "$(snap vtbr0)" "$brsnap"
t_eq "ports of vtbr0 with $b2 running" "$(ports)" "vu-$b2"
# A reboot inside the guest: a new veth, a port of the bridge again.
reboot_guest "$b2"
t_eq "ports of vtbr0 after $b2 rebooted" "$(ports)" "vu-$b2"
reach "$b2" 10.77.1.1 || t_fail "$b2 cannot reach the bridge's address after its reboot"
vs_stop "$b2"
vs_assert_gone "$b2"
t_eq "ports of vtbr0 after the stops" "$(ports)" ""

# Refused: no such bridge, not a bridge, host_ifname naming the bridge.
x=$(vs_guest bx)
conf=$VUNIFY_BASE/guests/$x/guest.conf
printf '%s\n' "[guest]" "[network]" "mode = bridge" "bridge = vtnone0" > "$conf"
refused "$x" "\[network\] bridge vtnone0: no such interface on the host \(vserver joins an existing bridge, it makes none\)"
dmsnap=$(snap vtdm0)
printf '%s\n' "[guest]" "[network]" "mode = bridge" "bridge = vtdm0" > "$conf"
refused "$x" "\[network\] bridge vtdm0 is not a bridge \(it is a (dummy|veth) interface\)"
t_eq "vtdm0 after the refused start" "$(snap vtdm0)" "$dmsnap"
printf '%s\n' "[guest]" "[network]" "mode = bridge" "bridge = vtbr0" "host_ifname = vtbr0" > "$conf"
refused "$x" "host interface vtbr0 exists and is not this guest's veth .*"
t_eq "vtbr0 after the refused starts" "$(snap vtbr0)" "$brsnap"
printf '%s\n' "[guest]" "[network]" "mode = macvlan" "link = vtnone0" > "$conf"
refused "$x" "\[network\] link vtnone0: no such interface on the host"
# Another guest's veth end (its mark) is not a link of the host's.
ip link add vtal0 type veth peer name vtal1 || t_fail "cannot create a veth pair"
ip link set dev vtal0 alias "vunify:0123456789abcdef:other"
printf '%s\n' "[guest]" "[network]" "mode = macvlan" "link = vtal0" > "$conf"
refused "$x" "\[network\] link vtal0 is a guest's veth \(its alias is 'vunify:0123456789abcdef:other'\), not a link of the host's"
ip link del vtal0

# ---- macvlan and ipvlan on the host's links ----
ifs_before=$(ifs)
m1=$(vs_guest m1 "[network]" "mode = macvlan" "link = vtlan0" "address = 10.77.2.5/24")
m2=$(vs_guest m2 "[network]" "mode = macvlan" "link = vtlan0" "address = 10.77.2.6/24")
i1=$(vs_guest i1 "[network]" "mode = ipvlan" "link = vtlan1" "address = 10.77.3.5/24")
# ipvlan is a module some kernels lack (this one may): then starting the
# guest fails with one line naming it, and ipvlan is not tested further.
if ip link add link vtlan1 name vtprobe type ipvlan mode l2 2>/dev/null; then
	ip link del vtprobe
	ipvlan=("$i1")
else
	t_log "this kernel has no ipvlan: only its refusal is tested"
	refused "$i1" "creating the guest's ipvlan: this kernel has no ipvlan \(CONFIG_IPVLAN; modprobe ipvlan\): Operation not supported"
	ipvlan=()
fi
for g in "$m1" "$m2" "${ipvlan[@]}"; do vs_start "$g"; done
t_eq "interfaces of the host with the guests running" "$(ifs)" "$ifs_before"
t_eq "macvlan guest's interfaces" "$(vs_exec "$m1" ls /sys/class/net | tr '\n' ' ')" "eth0 lo "
vs_exec "$m1" cat /sys/class/net/eth0/uevent | grep -q "^INTERFACE=eth0" ||
	t_fail "$m1: no eth0"
nbping 10.77.2.5 || t_fail "the neighbour cannot reach $m1"
nbping 10.77.2.6 || t_fail "the neighbour cannot reach $m2"
[ -n "${ipvlan[*]}" ] && { nbping 10.77.3.5 || t_fail "the neighbour cannot reach $i1"; }
reach "$m1" 10.77.2.100 || t_fail "$m1 cannot reach the neighbour"
reach "$m1" 10.77.2.6 || t_fail "$m1 cannot reach $m2 (macvlan mode bridge)"
[ -n "${ipvlan[*]}" ] && { reach "$i1" 10.77.3.100 || t_fail "$i1 cannot reach the neighbour"; }
for gn in "$m1:10.77.2" ${ipvlan[@]/%/:10.77.3}; do
	g=${gn%:*} n=${gn#*:}
	nocaps "$g"
	vs_exec "$g" ip addr add "$n.77/24" dev eth0 2>/dev/null && t_fail "$g added an address"
	vs_exec "$g" ip link set eth0 address 02:00:00:00:00:77 2>/dev/null &&
		t_fail "$g changed its MAC address"
	vs_exec "$g" ip link add link eth0 name evil type macvlan 2>/dev/null &&
		t_fail "$g made another interface"
	vs_exec "$g" arping -c 1 -w 2 -I eth0 -s "$n.77" "$n.100" >/dev/null 2>&1 &&
		t_fail "$g sent ARP as $n.77"
	vs_exec "$g" ping -c 1 -W 2 "$n.100" >/dev/null 2>&1 && t_fail "$g opened a raw socket"
	# The stack sends from the guest's addresses only, even from a socket
	# bound to another with IP_FREEBIND (which needs no privilege).
	t_eq "$g: a datagram from its own address" "$(vs_exec "$g" vs_probe sendfrom "$n.5" "$n.100")" ok
	for src in "$n.100" "$n.77"; do
		out=$(vs_exec "$g" vs_probe sendfrom "$src" "$n.100" 2>&1)
		case "$out" in EINVAL|ENETUNREACH|EADDRNOTAVAIL) ;;
		*) t_fail "$g: a datagram from $src: got '$out', want a refusal" ;; esac
	done
	t_errno "$g: IP_TRANSPARENT" EPERM vs_exec "$g" vs_probe transparent
	vs_exec "$g" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_nonlocal_bind' 2>/dev/null &&
		t_fail "$g allowed itself non-local binds"
done
vs_exec "$m1" cat /proc/sys/net/ipv6/conf/eth0/autoconf 2>/dev/null | grep -qx 1 &&
	t_fail "$m1: IPv6 autoconfiguration is on"
# The neighbour sees the guest's own MAC (macvlan), the link's (ipvlan).
mac=$(vs_exec "$m1" cat /sys/class/net/eth0/address | tr -dc '0-9a-f:')
[ -n "$mac" ] && ! ip -o link show vtlan0 | grep -q "link/ether $mac " ||
	t_fail "$m1: MAC '$mac'"
nbx ip neigh show 10.77.2.5 | grep -q " lladdr $mac " ||
	t_fail "the neighbour does not know $m1's MAC $mac: $(nbx ip neigh show 10.77.2.5)"
for g in "$m1" "$m2" "${ipvlan[@]}"; do vs_stop "$g"; vs_assert_gone "$g"; done
t_eq "interfaces of the host after the stops" "$(ifs)" "$ifs_before"
nbping 10.77.2.5 && t_fail "$m1 still answers after its stop"

# ---- nat = yes and publish (veth) ----
# The test namespace routes between the guest's veth and an "uplink"
# (vtlan2, the neighbour at 10.77.4.100), which has no route back to the
# guest's 10.77.5.0/24: only masquerading gets replies to the guest.
command -v nft >/dev/null || t_skip "nat: needs nft (nftables); the modes above passed"
ip link add vtlan2 type veth peer name vtnb2 && ip link set vtnb2 netns "$nb" || t_fail "uplink"
ip addr add 10.77.4.1/24 dev vtlan2 && ip link set vtlan2 up || t_fail "uplink up"
nbx ip addr add 10.77.4.100/24 dev vtnb2 && nbx ip link set vtnb2 up || t_fail "neighbour uplink"
echo 1 > /proc/sys/net/ipv4/ip_forward || t_fail "forwarding in the test namespace"
# A table that is not ours, named like ours would be for another guest.
nft add table ip vunify-0123456789abcdef-other || t_fail "nft add table"
n1=$(vs_guest n1 "[network]" "mode = veth" "address = 10.77.5.2/24" "host_address = 10.77.5.1/24" \
	"gateway = 10.77.5.1" "nat = yes" "publish = 8080:80" "publish = 5353:53/udp")
n0=$(vs_guest n0 "[network]" "mode = veth" "address = 10.77.6.2/24" "host_address = 10.77.6.1/24" \
	"gateway = 10.77.6.1")
vs_start "$n1"
vs_start "$n0"
tables() { nft list tables | awk '{ print $3 }' | sort | tr '\n' ' '; }
tbl=$(nft list tables | awk -v g="-$n1" '$3 ~ /^vunify-[0-9a-f]+-/ && substr($3, length($3) - length(g) + 1) == g { print $3 }')
[ -n "$tbl" ] || t_fail "no nftables table for $n1: $(tables)"
nft list table ip "$tbl" > "$T/rules" || t_fail "nft list table $tbl"
grep -q "tcp dport 8080 dnat to 10.77.5.2:80" "$T/rules" || t_fail "no tcp publish rule: $(cat "$T/rules")"
grep -q "udp dport 5353 dnat to 10.77.5.2:53" "$T/rules" || t_fail "no udp publish rule: $(cat "$T/rules")"
t_eq "tables with $n1 and $n0 running" "$(tables)" \
	"$(printf '%s\n' "$tbl" vunify-0123456789abcdef-other | sort | tr '\n' ' ')"
reach "$n1" 10.77.4.100 || t_fail "$n1 does not reach the uplink's neighbour through nat"
vs_exec "$n0" nc -w 3 10.77.4.100 9 < /dev/null 2>&1 | grep -q refused &&
	t_fail "$n0 (no nat) got an answer from beyond the host: the check above proves nothing"
# A published port: the neighbour, and the host itself, connect to the
# host's 10.77.4.1:8080 and talk to the guest's port 80.  published [nbx]:
# from the neighbour or the host (bounded: timeouts, five tries).
published() {
	local i got lpid
	for i in 1 2 3 4 5; do
		timeout 20 "$VS" "$n1" exec nc -l -p 80 -e /bin/echo published-ok > /dev/null 2>&1 &
		lpid=$!
		sleep 0.5
		got=$("$@" timeout 10 busybox nc -w 3 10.77.4.1 8080 < /dev/null 2>/dev/null)
		kill "$lpid" 2>/dev/null; wait "$lpid" 2>/dev/null
		[ "$got" = published-ok ] && return 0
	done
	t_log "through the published port: '$got'"
	return 1
}
published nbx || t_fail "the neighbour does not reach $n1's port 80 through the host's 8080"
published || t_fail "the host does not reach $n1's port 80 through its own 8080"
reboot_guest "$n1"
t_eq "tables after $n1 rebooted" "$(tables)" \
	"$(printf '%s\n' "$tbl" vunify-0123456789abcdef-other | sort | tr '\n' ' ')"
reach "$n1" 10.77.4.100 || t_fail "$n1 does not reach beyond the host after its reboot"
vs_stop "$n1"
vs_assert_gone "$n1"
t_eq "tables after $n1 stopped" "$(tables)" "vunify-0123456789abcdef-other "
# The cleanup after a dead supervisor deletes the table its state names
# (nat=1), and only that one.
nft add table ip "$tbl" || t_fail "nft add table $tbl"
mkdir -p "$(vs_run "$n1")"
printf '%s\n' supervisor=999999 init=0 fs=0 started=0 cgroup=v1 host_ifname= own_mount=0 nat=1 \
	> "$(vs_run "$n1")/state"
"$VS" "$n1" stop >/dev/null 2>&1
[ ! -e "$(vs_run "$n1")/state" ] || t_fail "the stale state was not cleaned up"
t_eq "tables after the stale cleanup" "$(tables)" "vunify-0123456789abcdef-other "
vs_stop "$n0"
vs_assert_gone "$n0"
# On a bridge: masqueraded beyond the host, the neighbour has no route to
# the bridge's 10.77.1.0/24 either.
bn=$(vs_guest bn "[network]" "mode = bridge" "bridge = vtbr0" "address = 10.77.1.4/24" \
	"gateway = 10.77.1.1" "nat = yes")
vs_start "$bn"
reach "$bn" 10.77.4.100 || t_fail "$bn (bridge) does not reach the uplink's neighbour through nat"
nft list tables | grep -q -- "-$bn\$" || t_fail "no table for $bn"
vs_stop "$bn"
vs_assert_gone "$bn"
t_eq "tables at the end" "$(tables)" "vunify-0123456789abcdef-other "
t_done
