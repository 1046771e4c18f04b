#!/bin/bash
# timeout: 120
# A running guest's tree is mounted below the runtime directory, with the
# setuid binaries its root made there: no host user may reach it, even
# when the runtime directory existed beforehand with an open mode.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/../vserver/vslib.sh"
command -v setpriv >/dev/null || t_skip "needs setpriv"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
# Everything above the runtime directory is open, so that only vserver's
# own modes stand in the way.
chmod 0755 "$T"
chmod 0755 "$VUNIFY_RUNDIR"

g=$(vs_guest r)
vs_start "$g"
vs_exec "$g" sh -c 'cp /bin/busybox /rootsh && chmod 4755 /rootsh' || t_fail "guest root planting a setuid shell"
mnt=$(vs_run "$g")/root
[ -u "$mnt/rootsh" ] || t_fail "no setuid shell at $mnt/rootsh (the test would prove nothing)"
out=$(as_nobody "$mnt/rootsh" id -u 2>&1) && t_fail "a host user ran the guest's setuid shell: $out"
as_nobody ls "$mnt" >/dev/null 2>&1 && t_fail "a host user lists a running guest's tree"
as_nobody ls "$VUNIFY_RUNDIR" >/dev/null 2>&1 && t_fail "a host user lists the runtime directory"
[ "$(stat -c %a "$VUNIFY_RUNDIR")" = 700 ] || t_fail "runtime directory mode $(stat -c %a "$VUNIFY_RUNDIR")"
vs_stop "$g"

# A runtime directory that is not root's is refused, and nothing starts.
chown 65534 "$VUNIFY_RUNDIR"
out=$("$VS" "$g" start 2>&1) && t_fail "start with a runtime directory owned by nobody: $out"
t_log "refused: $out"
case "$out" in *"not owned by root"*) ;; *) t_fail "unclear error: $out" ;; esac
chown 0 "$VUNIFY_RUNDIR"
t_done
