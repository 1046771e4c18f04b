#!/bin/bash
# timeout: 600
# Trees of any depth: a guest's root holding a chain of 1,500 and of 5,000
# directories.  With at most 256 descriptors, `vserver status` counts every
# inode of it (the deepest file included) and `vserver delete` removes it
# all: the guest is no longer listed and nothing is left in BASE/guests.
# Neither follows a symlink planted in the chain.  A removal that cannot
# finish (a tmpfs or a bind mount inside the tree) leaves the guest gone,
# not half there, and the mount untouched; the next delete finishes it.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/../vserver/vslib.sh"

# deep_chain DIR N: DIR/d/d/.../d (N levels) with a file "deepest" of
# 1 MiB at the bottom; mkdir -p of 400 levels at a time keeps every path
# short.
deep_chain() {
	local dir=$1 n=$2 step
	( cd "$dir" || exit 1
	  while [ "$n" -gt 0 ]; do
		step=$(( n > 400 ? 400 : n ))
		p=$(printf 'd/%.0s' $(seq "$step"))
		mkdir -p "$p" && cd "$p" || exit 1
		n=$(( n - step ))
	  done
	  head -c 1048576 /dev/zero > deepest ) || t_fail "cannot build a chain of $2 in $dir"
}

mkdir -p "$T/host-dir"
echo keep > "$T/host-dir/canary"
guests_left() { ls -A "$VUNIFY_BASE/guests"; }

for depth in 1500 5000; do
	g=$(vs_name "d$depth")
	VS_GUESTS+=("$g")
	t_check "build" "$VS" "$g" build
	root=$VUNIFY_BASE/guests/$g/root
	deep_chain "$root" "$depth"
	# A symlink to the host half-way down, and one to the canary itself.
	( cd "$root" && cd "$(printf 'd/%.0s' $(seq 300))" &&
	  ln -s "$T/host-dir" to-host && ln -s "$T/host-dir/canary" canary ) ||
		t_fail "cannot plant the symlinks"
	# the top, depth directories, the file, two symlinks
	want=$(( depth + 4 ))
	out=$(ulimit -n 256; "$VS" "$g" status 2>&1); rc=$?
	t_eq "status of a $depth-deep guest: exit status" "$rc" 3
	echo "$out" | grep -q "disk: *private [0-9.]*M ([0-9]* bytes) in $want inodes;" ||
		t_fail "status of a $depth-deep guest does not count $want inodes: $out"
	out=$(ulimit -n 256; "$VS" "$g" delete 2>&1) || t_fail "delete of a $depth-deep guest: $out"
	"$VS" list | grep -q "^$g " && t_fail "$g still listed after the delete"
	[ -z "$(guests_left)" ] || t_fail "left in $VUNIFY_BASE/guests: $(guests_left)"
	t_eq "the canary behind the symlink" "$(cat "$T/host-dir/canary")" keep
done

# A removal that stops half-way at a mount in the tree (a tmpfs; a bind
# mount of a host directory on the same file system, which only the mount
# id tells apart): the guest is gone all the same, the mount untouched, and
# the next delete finishes the rest.
for kind in tmpfs bind; do
	g=$(vs_name "m$kind")
	VS_GUESTS+=("$g")
	t_check "build" "$VS" "$g" build
	root=$VUNIFY_BASE/guests/$g/root
	deep_chain "$root" 600
	mnt=$root/$(printf 'd/%.0s' $(seq 500))mnt
	mkdir "$mnt"
	# (lib.sh unmounts whatever is left below $T, wherever delete moved it)
	if [ $kind = tmpfs ]; then
		mount -t tmpfs -o size=1m vs-deeptree "$mnt" || t_fail "cannot mount a tmpfs in the tree"
		echo inside > "$mnt/canary"
	else
		mount --bind "$T/host-dir" "$mnt" || t_fail "cannot bind-mount in the tree"
	fi
	out=$("$VS" "$g" delete 2>&1) && t_fail "delete across a $kind mount succeeded: $out"
	case "$out" in
	*"deleted, but removing its tree stopped: "*"/mnt: a mount point; the next vserver delete finishes it") ;;
	*) t_fail "delete across a $kind mount: $out" ;;
	esac
	"$VS" list | grep -q "^$g " && t_fail "$g still listed after the half-done delete"
	"$VS" "$g" status >/dev/null 2>&1; t_eq "status of the deleted guest" $? 5
	mnt=$(awk -v p="$VUNIFY_BASE/guests/.deleted.$g." \
		'substr($5, 1, length(p)) == p && $5 ~ /\/mnt$/ { print $5 }' /proc/self/mountinfo)
	[ -n "$mnt" ] || t_fail "the $kind mount is gone from the renamed tree"
	[ -s "$mnt/canary" ] || t_fail "the file in the $kind mount is gone"
	umount "$mnt" || t_fail "umount $mnt"
done
# Such an error names a path the guest chose: escaped, never raw.
g=$(vs_name esc)
VS_GUESTS+=("$g")
t_check "build" "$VS" "$g" build
evil=$VUNIFY_BASE/guests/$g/root/$'\e]2;pwned\a\e[2J'
mkdir -p "$evil/mnt"
mount -t tmpfs -o size=1m vs-deeptree "$evil/mnt" || t_fail "cannot mount a tmpfs in the tree"
out=$("$VS" "$g" delete 2>&1) && t_fail "delete across a mount succeeded: $out"
case "$out" in *$'\e'*|*$'\a'*) t_fail "raw terminal controls in: $(printf %q "$out")" ;; esac
case "$out" in *'\x1b]2;pwned\x07\x1b[2J/mnt'*) ;; *) t_fail "the path is not in the message: $out" ;; esac
mnt=$(awk -v p="$VUNIFY_BASE/guests/.deleted.$g." \
	'substr($5, 1, length(p)) == p && $5 ~ /\/mnt$/ { print $5 }' /proc/self/mountinfo)
[ -n "$mnt" ] && umount "$mnt" || t_fail "umount the tmpfs in the renamed tree"
t_eq "the host's canary" "$(cat "$T/host-dir/canary")" keep
h=$(vs_name n)
VS_GUESTS+=("$h")
t_check "build another" "$VS" "$h" build
t_check "delete another" "$VS" "$h" delete
[ -z "$(guests_left)" ] || t_fail "the next delete did not finish the rest: $(guests_left)"
t_done
