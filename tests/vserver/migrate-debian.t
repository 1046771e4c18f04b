#!/bin/bash
# timeout: 1500
# A real Debian guest (the bookworm minbase + sysvinit tree debian.t caches)
# moved with vserver migrate to root@localhost:BASE (a private sshd,
# sshlib.sh): the tree is equal (content, owner, mode, times, xattrs,
# hardlink groups) and it boots there to runlevel 2.  Two clones of it
# (build --template) follow: the first carries the objects its build made
# of the template's own files; for the second only its private files and
# its manifest travel: bytes sent <= its private bytes + 5 %, both as
# `vserver status` reports them (disk_private_bytes: what its own inodes
# allocate, directories included) and as the bytes of its own files plus
# its inodes' metadata (the manifest, measured with vs_streamedit).  Logs
# bytes and times.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/vslib.sh"
. "$(dirname "$0")/sshlib.sh"
. "$(dirname "$0")/debtree.sh"

[ -x "$VU_BIN/vhashify" ] || t_skip "vhashify is not built"
EDIT=$VU_TEST_BIN/vs_streamedit
[ -x "$EDIT" ] || t_skip "vs_streamedit is not built"
ssh_setup
SSH_MIGRATE_TIMEOUT=900

g=$(vs_name md)
c=$(vs_name mdc)
c2=$(vs_name mdd)
VS_GUESTS+=("$c" "$c2")
root=$VUNIFY_BASE/guests/$g/root
vs_second_base -- "$g"

vs_debian_guest "$g"

t0=$(date +%s%N)
ssh_migrate "$g" "root@localhost:$B" --keep 2> "$T/m1.err" || t_fail "migrate: $(cat "$T/m1.err")"
t_log "Debian guest: $(( ($(date +%s%N) - t0) / 1000000 )) ms, $(ssh_sent_bytes "$T/m1.err") bytes sent; $(cat "$T/m1.err")"
rroot=$B/guests/$g/root
a=$(vs_tree_sig "$root") b=$(vs_tree_sig "$rroot")
[ "$a" = "$b" ] || t_fail "the trees differ: $(diff <(echo "$a") <(echo "$b") | head -8)"
t_eq "hardlink groups" "$(vs_tree_groups "$rroot")" "$(vs_tree_groups "$root")"

t_timeout 60 env VUNIFY_BASE="$B" "$VS" "$g" start || t_fail "the moved guest does not start"
in_runlevel_2() { [ "$(VUNIFY_BASE=$B timeout 30 "$VS" "$g" exec runlevel 2>/dev/null)" = "N 2" ]; }
vs_wait in_runlevel_2 || t_fail "the moved guest is not in runlevel 2 after 30 s"
t_timeout 180 env VUNIFY_BASE="$B" "$VS" "$g" stop || t_fail "the moved guest does not stop"

# The first clone: what its build unified of the template (/etc, /var)
# is new to the other side.
t_timeout 300 "$VS" "$c" build --template "$g" -q || t_fail "build --template"
t0=$(date +%s%N)
ssh_migrate "$c" "root@localhost:$B" 2> "$T/m2.err" || t_fail "migrate of the clone: $(cat "$T/m2.err")"
t_log "Debian clone: $(( ($(date +%s%N) - t0) / 1000000 )) ms, $(ssh_sent_bytes "$T/m2.err") bytes sent; $(cat "$T/m2.err")"
[ ! -e "$VUNIFY_BASE/guests/$c" ] || t_fail "the clone is still here"

# The second clone, with a little data of its own.
t_timeout 300 "$VS" "$c2" build --template "$g" -q || t_fail "build --template (2)"
c2root=$VUNIFY_BASE/guests/$c2/root
chmod 0700 "$VUNIFY_BASE/guests/$c2"
head -c 1000000 /dev/urandom > "$c2root/srv/own-data"
files=$(vs_private_file_bytes "$c2root")
chmod 000 "$VUNIFY_BASE/guests/$c2"
du=$("$VS" "$c2" status --json | jq -r .disk_private_bytes)
# Its manifest: CONFIG, INODE, LINK and MANIFEST_END records (stream.h).
manifest=$(t_timeout 300 "$VS" "$c2" send -q | "$EDIT" --list | awk '$2 <= 4 { t += $3 + 16 } END { print t + 0 }')
priv=$((files + manifest))
t0=$(date +%s%N)
ssh_migrate "$c2" "root@localhost:$B" 2> "$T/m3.err" || t_fail "migrate of the second clone: $(cat "$T/m3.err")"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
bytes=$(ssh_sent_bytes "$T/m3.err")
t_log "Debian second clone: $ms ms, $bytes bytes sent; private: $files bytes of files + $manifest of manifest; $(cat "$T/m3.err")"
grep -q ": sent .* 0 objects (0 bytes)" "$T/m3.err" || t_fail "objects were sent: $(cat "$T/m3.err")"
t_log "vserver status: disk_private_bytes $du"
[ -n "$bytes" ] && [ "$bytes" -le $(( priv + priv / 20 )) ] ||
	t_fail "sent $bytes bytes for $priv private bytes (want <= +5 %)"
[ "$du" -gt 0 ] && [ "$bytes" -le $(( du + du / 20 )) ] ||
	t_fail "sent $bytes bytes for disk_private_bytes $du (want <= +5 %)"
t_timeout 60 env VUNIFY_BASE="$B" "$VS" "$c2" start || t_fail "the second clone does not start there"
in_rl2() { [ "$(VUNIFY_BASE=$B timeout 30 "$VS" "$c2" exec runlevel 2>/dev/null)" = "N 2" ]; }
vs_wait in_rl2 || t_fail "the second clone is not in runlevel 2 after 30 s"
t_timeout 180 env VUNIFY_BASE="$B" "$VS" "$c2" stop || t_fail "the second clone does not stop"
t_done
