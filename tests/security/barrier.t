#!/bin/bash
# The barrier (vserver(8), BARRIER): a guest's root can leave a setuid-root
# program in its tree, so no host user but root may reach the tree.
# `vserver build` makes BASE/guests/NAME root's with mode 0000; a host user
# then gets EACCES on the planted program (stat, open, exec).  `start`
# refuses, with one line naming the directory and the chmod, a guest made by
# hand whose tree other users can reach (through others' or a group's search
# bit, or a directory a non-root user owns), and starts nothing; after the
# chmod it starts.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/../vserver/vslib.sh"
t_require_cmd setpriv
[ -x "$VU_TEST_BIN/vutest" ] || t_skip "vutest is not built"

# The scratch directory is root's, mode 0700: a barrier of its own.  Open
# it (and the test's copy of vutest) so that only ours is left to count.
chmod 0755 "$T" "$VUNIFY_BASE" "$VUNIFY_BASE/guests"
mkdir -p "$T/bin"
cp "$VU_TEST_BIN/vutest" "$T/bin/vutest"
chmod 0755 "$T/bin" "$T/bin/vutest"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
as_nobody "$T/bin/vutest" dirino "$T" >/dev/null || t_fail "nobody cannot reach $T: the test is wrong"

# build makes the barrier.
g=$(vs_name b)
VS_GUESTS+=("$g")
t_check "build" "$VS" "$g" build
dir=$VUNIFY_BASE/guests/$g
t_eq "the barrier's owner and mode" "$(stat -c '%u:%g %a' "$dir")" "0:0 0"
# The guest's root plants a setuid-root shell (as if by chmod 4755 inside).
cp /bin/busybox "$dir/root/suid-sh"
chmod 4755 "$dir/root/suid-sh"
t_errno "nobody stats the planted program" EACCES as_nobody "$T/bin/vutest" getxattr "$dir/root/suid-sh" user.x
t_errno "nobody opens the planted program" EACCES as_nobody "$T/bin/vutest" open "$dir/root/suid-sh" rdonly
t_errno "nobody lists the guest directory" EACCES as_nobody "$T/bin/vutest" dirino "$dir"
# (exec from a shell that runs as nobody: setpriv itself resolves the path
# before it drops its capabilities)
out=$(as_nobody /bin/sh -c '"$1" id -u' sh "$dir/root/suid-sh" 2>&1) &&
	t_fail "nobody ran the planted program: $out"
case "$out" in *"Permission denied"*) ;; *) t_fail "exec as nobody: '$out', want Permission denied" ;; esac
# root still reads guest.conf through it
grep -q "^hostname = $g\$" "$dir/guest.conf" || t_fail "root cannot read guest.conf behind the barrier"

# A guest made by hand, reachable: start refuses it with one line.
h=$(vs_name h)
VS_GUESTS+=("$h")
hdir=$VUNIFY_BASE/guests/$h
mkdir -m 0755 "$hdir"
vs_busybox_tree "$hdir/root"
printf '%s\n' "[guest]" "hostname = $h" > "$hdir/guest.conf"
want="vserver: $h: $hdir lets other users reach the guest tree; chmod 000 it (see vserver(8), BARRIER)"
refused() {
	local why=$1 rc
	"$VS" "$h" start > "$T/out" 2> "$T/err"; rc=$?
	t_eq "start, $why: exit status" "$rc" 1
	t_eq "start, $why: message" "$(cat "$T/err")" "$want"
	[ ! -s "$T/out" ] || t_fail "start, $why: printed $(cat "$T/out")"
	[ ! -e "$(vs_run "$h")" ] || t_fail "start, $why: made $(vs_run "$h")"
	[ -z "$(vs_cgroup_dirs "$h")" ] || t_fail "start, $why: made a cgroup"
	"$VS" "$h" running; t_eq "start, $why: running" $? 3
}
refused "mode 0755"
chmod 0701 "$hdir"; refused "others may search"
chgrp nogroup "$hdir"; chmod 0710 "$hdir"; refused "a non-root group may search"
chgrp root "$hdir"; chown nobody "$hdir"; chmod 0700 "$hdir"; refused "a non-root owner"
chown root "$hdir"
# The fix the message names.
chmod 000 "$hdir"
# The mounted root behind RUN/NAME has a barrier too, even where the
# directory was made by someone else (mkdir -p, for a premounted root).
mkdir -m 0755 "$(vs_run "$h")"
vs_start "$h"
t_eq "the run directory's owner and mode" "$(stat -c '%u %a' "$(vs_run "$h")")" "0 700"
t_errno "nobody reaches the mounted root" EACCES as_nobody "$T/bin/vutest" dirino "$(vs_run "$h")/root"
vs_stop "$h"
vs_assert_gone "$h"
# A mode-0700 root directory higher up is a barrier too.
chmod 0755 "$hdir"; chmod 0700 "$VUNIFY_BASE/guests"
vs_start "$h"
vs_stop "$h"
t_done
