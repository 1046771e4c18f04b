# SPDX-License-Identifier: GPL-2.0-or-later
# uv_template DIR: a guest tree with every kind of inode and metadata a
# copy must keep (source after gen-guests.sh): the generated guest, plus
# device nodes, a fifo, a socket, symlinks with owner, times and xattrs,
# directories with xattrs, default ACLs, sticky and set-group-id bits,
# set-user-id and capability files, a hardlink group across directories,
# sparse files (one excluded, so copied), empty files and directories, and
# a stray temporary (never copied).
uv_template() {
	local g=$1
	uv_guest "$g" 1
	mkdir -p "$g/dev" "$g/run" "$g/srv/empty" "$g/srv/shared" "$g/srv/sticky" "$g/srv/a" "$g/srv/b"
	mknod "$g/dev/null" c 1 3 && mknod "$g/dev/loop9" b 7 9 && chmod 0660 "$g/dev/loop9" &&
		chown 0:6 "$g/dev/loop9" && mkfifo -m 0600 "$g/run/fifo" &&
		"$VU_TEST_BIN/uh_mksock" "$g/run/sock" || t_fail "special files"
	ln -s /etc/hostname "$g/srv/abs-link" && ln -s ../usr/lib/dup3 "$g/srv/rel-link" &&
		chown -h 1000:1000 "$g/srv/rel-link" && setfattr -h -n trusted.note -v linked "$g/srv/rel-link" ||
		t_fail "symlinks"
	setfattr -n user.role -v shared "$g/srv/shared" && setfacl -d -m u:1000:rwx "$g/srv/shared" &&
		setfacl -m g:100:rx "$g/srv/shared" && chmod 1777 "$g/srv/sticky" &&
		chmod 2755 "$g/srv/a" && chown 0:100 "$g/srv/a" || t_fail "directories"
	uv_file "$g/srv/a/suid" 9000 "set user id" 4755 0:0 $UV_T1 $UV_A1
	setfattr -n security.capability -v $UV_CAP "$g/srv/a/suid" && chmod 4755 "$g/srv/a/suid" ||
		t_fail "capability"
	uv_file "$g/srv/a/group" 12345 "hardlinked thrice" 0640 0:100 $UV_T1 $UV_A1
	ln "$g/srv/a/group" "$g/srv/b/group" && ln "$g/srv/a/group" "$g/srv/b/again" || t_fail "hardlinks"
	truncate -s 64M "$g/etc/disk.img" && printf 'boot' | dd of="$g/etc/disk.img" bs=1 seek=510 conv=notrunc status=none &&
		printf 'tail' | dd of="$g/etc/disk.img" bs=1M seek=60 conv=notrunc status=none || t_fail "sparse"
	: > "$g/srv/a/empty"
	printf 'left by a killed run' > "$g/srv/.vunify-tmp.h1w2.3"
	for p in srv/a/empty etc/disk.img srv/a/group; do touch -m -d $UV_T2 "$g/$p"; touch -a -d $UV_A2 "$g/$p"; done
	touch -h -m -d @1500000000.123456789 "$g/srv/abs-link" "$g/srv/rel-link" "$g/dev/null" "$g/run/sock"
	touch -h -a -d @1500000001.987654321 "$g/srv/abs-link" "$g/srv/rel-link" "$g/dev/null" "$g/run/sock"
	touch -d @1400000000.5 "$g"/srv/* "$g/srv" "$g/dev" "$g/run" "$g/etc" "$g"
	chmod 0750 "$g" && chown 0:100 "$g"
}

# The template as a guest sees it: without stray temporaries.
uv_template_snap() { uv_snap "$1" | grep -v '\.vunify-tmp\.'; }
