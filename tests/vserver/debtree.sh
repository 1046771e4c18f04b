# SPDX-License-Identifier: GPL-2.0-or-later
# The cached Debian tree (bookworm minbase + sysvinit, which debian.t makes)
# as a guest, and the comparisons the stream tests make of guest trees.
# Source after vslib.sh; skips the test when the tree is not cached.

vs_debian_tarball=${VUNIFY_TEST_CACHE:-/var/cache/vunify-tests}/debian-bookworm-minbase-sysvinit.tar
[ -s "$vs_debian_tarball" ] || t_skip "no cached Debian tree ($vs_debian_tarball; tests/vserver/debian.t makes it)"

# vs_debian_guest NAME: the tree as guest NAME of $VUNIFY_BASE, unified
# into its store.
vs_debian_guest() {
	local root=$VUNIFY_BASE/guests/$1/root
	mkdir -p "$root"
	t_timeout 300 tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' -xpf "$vs_debian_tarball" ||
		t_fail "unpacking $vs_debian_tarball"
	printf '%s\n' "[guest]" "hostname = $1" "stop_timeout = 120" "[limits]" "pids = 2000" \
		"memory = 1G" > "$VUNIFY_BASE/guests/$1/guest.conf"
	chmod 000 "$VUNIFY_BASE/guests/$1"
	t_timeout 300 "$VU_BIN/vhashify" --quiet --all --store "$VUNIFY_BASE/store" "$root" ||
		t_fail "vhashify of the Debian tree failed"
}

# vs_tree_sig DIR: everything a copy must keep; atimes first (reading the
# contents may move them).
vs_tree_sig() {
	(cd "$1" && find . -mindepth 1 -type f -links 1 -printf '%p %A@\n' | sort
	 find . -mindepth 1 -printf '%p %y %m %U:%G %s %T@ %l\n' | sort
	 find . -type f -exec sha256sum {} + | sort
	 getfattr -R -h -d -m - -e hex . 2>/dev/null)
}

