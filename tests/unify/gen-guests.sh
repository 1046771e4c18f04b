# SPDX-License-Identifier: GPL-2.0-or-later
# uv_guest DIR N: a generated guest for the vhashify tests (source after
# lib-unify.sh).  Guests made with the same generator share:
#   - duplicates of many sizes (1 byte to 3 MB) with equal metadata
#   - near-duplicates usr/share/near-VARIANT: equal content everywhere, but
#     guest 2 differs in one thing (mode, owner, mtime, atime, an xattr, a
#     file capability, a POSIX ACL), so guests 1 and 3 match and 2 does not
#   - a sparse file (8 MiB, 4 KiB of data) and an empty file
#   - a hardlink group the guest made itself (usr/lib/hl1 = usr/lib/hl2)
#   - files excluded by default (/etc/*, /var) with equal content
# and differ in: usr/lib/uniq (content), usr/lib/samesize (same size and
# metadata, other content: hashed, never linked), a symlink and a fifo.
UV_T1=@1600000000.111111111
UV_T2=@1600000500.555555555
UV_A1=@1600000100.222222222
UV_A2=@1600000900.999999999
# cap_net_bind_service=ep as a raw VFS_CAP_REVISION_2 value
UV_CAP=0x0100000200040000000000000000000000000000

uv_guest() {
	local g=$1 n=$2 i v
	for i in $(seq 1 24); do
		uv_file "$g/usr/lib/dup$i" $((i * i * 1500 + i)) "dup$i" 0644 0:0 $UV_T1 $UV_A1
	done
	uv_file "$g/usr/bin/tool" 3000000 "big tool" 0755 0:0 $UV_T1 $UV_A1
	uv_file "$g/usr/bin/one" 1 "x" 0755 0:0 $UV_T1 $UV_A1
	uv_file "$g/usr/lib/uniq" 5000 "unique to $n" 0644 0:0 $UV_T1 $UV_A1
	uv_file "$g/usr/lib/samesize" 4096 "same size $n" 0644 0:0 $UV_T1 $UV_A1
	for v in base mode owner mtime atime xattr cap acl; do
		local p=$g/usr/share/near-$v mode=0644 own=0:0 mt=$UV_T1 at=$UV_A1
		if [ "$n" = 2 ]; then
			case $v in
			mode) mode=0600 ;;
			owner) own=1000:1000 ;;
			mtime) mt=$UV_T2 ;;
			atime) at=$UV_A2 ;;
			esac
		fi
		uv_file "$p" 20000 "near duplicate" $mode $own $mt $at
		if [ "$n" = 2 ]; then
			case $v in
			xattr) setfattr -n user.colour -v blue "$p" ;;
			cap) setfattr -n security.capability -v $UV_CAP "$p" ;;
			acl) setfacl -m u:1000:r "$p" ;;
			esac || t_fail "set $v on $p"
			touch -m -d $mt "$p" && touch -a -d $at "$p"
		fi
	done
	# Guests 1 and 3 also carry the same xattr, capability and ACL on
	# other files: equal there, so they link.
	uv_file "$g/usr/share/withattrs" 7000 "with attrs" 0644 0:0 $UV_T1 $UV_A1
	setfattr -n user.colour -v red "$g/usr/share/withattrs" &&
		setfattr -n security.capability -v $UV_CAP "$g/usr/share/withattrs" &&
		setfacl -m u:1000:rw "$g/usr/share/withattrs" || t_fail "attrs"
	touch -m -d $UV_T1 "$g/usr/share/withattrs" && touch -a -d $UV_A1 "$g/usr/share/withattrs"
	truncate -s 8M "$g/usr/lib/sparse" &&
		printf 'data in the middle' | dd of="$g/usr/lib/sparse" bs=4096 seek=1000 conv=notrunc status=none &&
		touch -m -d $UV_T1 "$g/usr/lib/sparse" && touch -a -d $UV_A1 "$g/usr/lib/sparse" || t_fail sparse
	: > "$g/usr/lib/empty" && touch -d $UV_T1 "$g/usr/lib/empty"
	uv_file "$g/usr/lib/hl1" 30000 "hardlinked by the guest" 0644 0:0 $UV_T1 $UV_A1
	ln "$g/usr/lib/hl1" "$g/usr/lib/hl2"
	ln -s "../lib/dup$n" "$g/usr/bin/link$n"
	mkfifo "$g/usr/lib/fifo$n"
	uv_file "$g/etc/passwd" 300 "root:x:0:0" 0644 0:0 $UV_T1 $UV_A1
	uv_file "$g/etc/hostname" 20 "host" 0644 0:0 $UV_T1 $UV_A1
	uv_file "$g/var/lib/state" 9000 "state" 0644 0:0 $UV_T1 $UV_A1
	touch -d $UV_T1 "$g"/usr/* "$g"/usr "$g"/etc "$g"/var/* "$g"/var "$g"
}
