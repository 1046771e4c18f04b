#!/bin/bash
# Host interfaces named in guest.conf: vserver changes or deletes only the
# veth it made for the guest, marked with the alias "vunify:HASH:NAME".
# A [network] host_ifname naming a host bridge, a foreign veth, a dummy
# (where the kernel has them) or an interface with another guest's mark:
# start fails with one line saying so, starts nothing, and the interface is
# left as it was (same ifindex, flags, alias, addresses).  A state file left
# by a dead supervisor that names a foreign interface does not get it
# deleted by the cleanup either.  The guest's own veth carries the mark.
# [mounts] sources inside the base or the run directory, where guests can
# plant symlinks, are refused as well.
. "$(dirname "$0")/../lib.sh" || exit 1
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
	[ ! -e "$(vs_run "$g")/state" ] || t_fail "host_ifname = $i: a supervisor ran"
done

# A dead supervisor's state naming the bridge: the cleanup leaves it.
before=$(snap "$br")
mkdir -p "$(vs_run "$g")"
printf '%s\n' supervisor=999999 init=0 fs=0 started=0 cgroup=v1 "host_ifname=$br" own_mount=0 \
	> "$(vs_run "$g")/state"
"$VS" "$g" stop >/dev/null 2>&1
[ ! -e "$(vs_run "$g")/state" ] || t_fail "the stale state was not cleaned up"
t_eq "$br after the stale cleanup" "$(snap "$br")" "$before"

# [mounts] sources inside the base (another guest's tree, where that guest
# plants a symlink to the host) or reached through a symlink into it are
# refused before anything is set up; nothing gets mounted.
o=$(vs_guest o)
mkdir -p "$T/host-dir" "$VUNIFY_BASE/guests/$o/root/srv"
echo host > "$T/host-dir/canary"
ln -s "$T/host-dir" "$VUNIFY_BASE/guests/$o/root/srv/data"
ln -s "$VUNIFY_BASE/guests/$o/root/srv" "$T/via-link"
ln -s "$VUNIFY_BASE/guests/$o/root/srv/data" "$T/sneaky"
for src in "$VUNIFY_BASE/guests/$o/root/srv/data" "$T/via-link/data" "$T/sneaky" \
	   "$T/host-dir/../base/store" "$VUNIFY_BASE/store" "$VUNIFY_RUNDIR"; do
	printf '%s\n' "[guest]" "[mounts]" "/mnt/x = $src rw" > "$conf"
	"$VS" "$g" start > "$T/out" 2> "$T/err"; rc=$?
	t_eq "start with [mounts] source $src: exit status" "$rc" 1
	grep -q "^vserver: $g: \[mounts\] /mnt/x: $src is inside .* or .*, where guests can plant symlinks; bind a directory outside them\$" "$T/err" ||
		t_fail "[mounts] source $src: $(cat "$T/err")"
	"$VS" "$g" running; t_eq "running after the refused start ($src)" $? 3
	[ ! -e "$(vs_run "$g")/state" ] || t_fail "[mounts] source $src: a supervisor ran"
done
# A source outside them still works, through a symlink of the host's too.
ln -s "$T/host-dir" "$T/host-link"
printf '%s\n' "[guest]" "[mounts]" "/mnt/x = $T/host-link ro" > "$conf"
vs_start "$g"
t_eq "a bind mount through the host's symlink" "$(vs_exec "$g" cat /mnt/x/canary)" host
vs_stop "$g"

# The guest's own veth carries its mark, and goes with it.
printf '%s\n' "[guest]" "[network]" "mode = veth" > "$conf"
vs_start "$g"
grep -Eq "^vunify:[0-9a-f]{16}:$g\$" "/sys/class/net/vu-$g/ifalias" ||
	t_fail "vu-$g is not marked: '$(cat "/sys/class/net/vu-$g/ifalias")'"
vs_stop "$g"
vs_assert_gone "$g"
for i in "${ifs[@]}"; do ip link show dev "$i" >/dev/null || t_fail "$i is gone"; done
t_done
