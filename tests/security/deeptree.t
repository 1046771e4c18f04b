#!/bin/bash
# timeout: 600
# Trees of any depth: a guest's root holding a chain of 1,500 and of 5,000
# directories.  With at most 256 descriptors, `vserver status` counts every
# inode of it (the deepest file included) and `vserver delete` removes it
# all: the guest is no longer listed and nothing is left in BASE/guests.
# Neither follows a symlink planted in the chain.  A removal that cannot
# finish (a mount inside the tree) leaves the guest gone, not half there;
# the next delete finishes it.
. "$(dirname "$0")/../lib.sh"
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
	# depth directories, the file, two symlinks
	want=$(( depth + 3 ))
	out=$(ulimit -n 256; "$VS" "$g" status 2>&1); rc=$?
	t_eq "status of a $depth-deep guest: exit status" "$rc" 3
	echo "$out" | grep -q "disk: *private [0-9.]*M in $want inodes;" ||
		t_fail "status of a $depth-deep guest does not count $want inodes: $out"
	out=$(ulimit -n 256; "$VS" "$g" delete 2>&1) || t_fail "delete of a $depth-deep guest: $out"
	"$VS" list | grep -q "^$g " && t_fail "$g still listed after the delete"
	[ -z "$(guests_left)" ] || t_fail "left in $VUNIFY_BASE/guests: $(guests_left)"
	t_eq "the canary behind the symlink" "$(cat "$T/host-dir/canary")" keep
done

# A removal that stops half-way: the guest is gone all the same, the mount
# in its tree untouched, and the next delete finishes the rest.
g=$(vs_name m)
VS_GUESTS+=("$g")
t_check "build" "$VS" "$g" build
root=$VUNIFY_BASE/guests/$g/root
deep_chain "$root" 600
mnt=$root/$(printf 'd/%.0s' $(seq 500))mnt
mkdir "$mnt"
mount -t tmpfs -o size=1m vs-deeptree "$mnt" || t_fail "cannot mount a tmpfs in the tree"
# (lib.sh unmounts whatever is left below $T, wherever the delete moved it)
echo inside > "$mnt/file"
out=$("$VS" "$g" delete 2>&1) && t_fail "delete across a mount succeeded: $out"
case "$out" in
*"deleted, but removing its tree stopped: "*"/mnt: a mount point; the next vserver delete finishes it") ;;
*) t_fail "delete across a mount: $out" ;;
esac
"$VS" list | grep -q "^$g " && t_fail "$g still listed after the half-done delete"
"$VS" "$g" status >/dev/null 2>&1; t_eq "status of the deleted guest" $? 5
mnt=$(awk '{ for (i = 7; $i != "-"; i++); if ($(i + 2) == "vs-deeptree") print $5 }' /proc/self/mountinfo)
case "$mnt" in "$VUNIFY_BASE/guests/.deleted.$g."*/mnt) ;; *) t_fail "the mount is now on '$mnt'" ;; esac
t_eq "the mount's file" "$(cat "$mnt"/file)" inside
umount "$mnt" || t_fail "umount $mnt"
h=$(vs_name n)
VS_GUESTS+=("$h")
t_check "build another" "$VS" "$h" build
t_check "delete another" "$VS" "$h" delete
[ -z "$(guests_left)" ] || t_fail "the next delete did not finish the rest: $(guests_left)"
t_done
