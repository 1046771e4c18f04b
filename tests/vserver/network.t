#!/bin/bash
# Networking: a veth guest reaches its own link (the host's end answers a
# ping, the host pings back) and nothing else: not the host's other
# addresses, not another guest's link; it cannot change its routes.  A
# "none" guest has loopback only.  A "host" guest shares the host's stack
# without the capabilities to change or sniff it.  The host's veth end goes
# with the guest.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"
t_require_cmd ip

x=$(( $$ % 200 + 20 ))
n1=$(vs_guest n "[network]" "mode = veth" "address = 10.231.$x.2/24" "host_address = 10.231.$x.1/24")
n2=$(vs_guest m "[network]" "mode = veth" "address = 10.232.$x.2/24" "host_address = 10.232.$x.1/24")
n0=$(vs_guest z "[network]" "mode = none")
nh=$(vs_guest h "[network]" "mode = host")
for g in "$n1" "$n2" "$n0" "$nh"; do vs_start "$g"; done

hostaddr=$(ip -4 -o addr show scope global | awk '{ split($4, a, "/"); print a[1]; exit }')
ping1() { vs_exec "$1" ping -c 1 -W 2 "$2" >/dev/null 2>&1; }

# veth: the link works both ways.
ip link show "vu-$n1" >/dev/null || t_fail "no host end vu-$n1"
t_eq "guest interfaces" "$(vs_exec "$n1" ls /sys/class/net | tr '\n' ' ')" "eth0 lo "
ping1 "$n1" "10.231.$x.1" || t_fail "$n1 cannot ping the host's end of its link"
busybox ping -c 1 -W 2 "10.231.$x.2" >/dev/null || t_fail "the host cannot ping $n1"
ping1 "$n1" 127.0.0.1 || t_fail "$n1: no loopback"
# ... and nothing else.
[ -n "$hostaddr" ] && ping1 "$n1" "$hostaddr" && t_fail "$n1 reaches the host's $hostaddr"
ping1 "$n1" "10.232.$x.1" && t_fail "$n1 reaches $n2's link (host end)"
ping1 "$n1" "10.232.$x.2" && t_fail "$n1 reaches $n2"
ping1 "$n2" "10.231.$x.2" && t_fail "$n2 reaches $n1"
vs_exec "$n1" ip route add default via "10.231.$x.1" 2>/dev/null && t_fail "$n1 changed its routes"
vs_exec "$n1" ip addr add 10.9.9.9/32 dev eth0 2>/dev/null && t_fail "$n1 added an address"

# none: loopback only.
t_eq "none: interfaces" "$(vs_exec "$n0" ls /sys/class/net | tr '\n' ' ')" "lo "
ping1 "$n0" 127.0.0.1 || t_fail "$n0: no loopback"
ping1 "$n0" "10.231.$x.1" && t_fail "$n0 reaches $n1's link"

# host: the host's interfaces, no way to change them, no raw sockets.
vs_exec "$nh" test -e /sys/class/net/"vu-$n1" || t_fail "$nh does not see the host's interfaces"
vs_exec "$nh" ip link add vsdummy0 type dummy 2>/dev/null && {
	ip link del vsdummy0; t_fail "$nh created an interface on the host"; }
vs_exec "$nh" ip link set "vu-$n1" down 2>/dev/null && t_fail "$nh changed a host interface"
t_eq "host mode: no NET_RAW" "$(vs_exec "$nh" vs_probe caps | awk '/CapBnd/ { print $2 }')" 00000000a00405fb

vs_stop "$n1"
ip link show "vu-$n1" >/dev/null 2>&1 && t_fail "vu-$n1 left after the stop"
for g in "$n2" "$n0" "$nh"; do vs_stop "$g"; done
for g in "$n1" "$n2" "$n0" "$nh"; do vs_assert_gone "$g"; done
t_done
