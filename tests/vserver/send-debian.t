#!/bin/bash
# timeout: 1200
# A real Debian guest (the bookworm minbase + sysvinit tree debian.t caches)
# unified into base A, sent through a pipe into base B: the tree is equal
# (content, owner, mode, times, xattrs, hardlink groups), every unified
# file of A is one in B, and the received guest boots to runlevel 2 and
# stops cleanly.  A clone of it (build --template) sent afterwards finds
# every object in B already.  Logs bytes and times.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vslib.sh"

tarball=${VUNIFY_TEST_CACHE:-/var/cache/vunify-tests}/debian-bookworm-minbase-sysvinit.tar
[ -s "$tarball" ] || t_skip "no cached Debian tree ($tarball; tests/vserver/debian.t makes it)"
[ -x "$VU_BIN/vhashify" ] || t_skip "vhashify is not built"

g=$(vs_name sd)
c=$(vs_name sdc)
r=$(vs_name sdr)
VS_GUESTS+=("$c")
root=$VUNIFY_BASE/guests/$g/root
B=$T/baseB
mkdir -p "$B/guests" "$B/store"
chmod 0700 "$B/store"
t_on_exit "VUNIFY_BASE=$B timeout 60 $VS $r stop --timeout 0 >/dev/null 2>&1"

mkdir -p "$root"
t_timeout 300 tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' -xpf "$tarball" ||
	t_fail "unpacking $tarball"
printf '%s\n' "[guest]" "hostname = $g" "stop_timeout = 120" "[limits]" "pids = 2000" \
	"memory = 1G" > "$VUNIFY_BASE/guests/$g/guest.conf"
chmod 000 "$VUNIFY_BASE/guests/$g"
t_timeout 300 "$VU_BIN/vhashify" --quiet --all --store "$VUNIFY_BASE/store" "$root" ||
	t_fail "vhashify of the Debian tree failed"

# Everything a copy must keep; atimes first (hashing reads the files).
sig() {
	(cd "$1" && find . -mindepth 1 -type f -links 1 -printf '%p %A@\n' | sort
	 find . -mindepth 1 -printf '%p %y %m %U:%G %s %T@ %l\n' | sort
	 find . -type f -exec sha256sum {} + | sort
	 getfattr -R -h -d -m - -e hex . 2>/dev/null)
}
# The guest's own hardlink groups (files with several names, unmarked),
# each as its sorted list of names.
groups() {
	(cd "$1" && find . -type f -links +1 -printf '%i %p\n' | while read -r i p; do
		getfattr -n trusted.vunify "$p" >/dev/null 2>&1 || echo "$i $p"; done |
		sort -k1,1n -k2 | awk '$1 != i { if (l) print l; l = ""; i = $1 } { l = l " " $2 } END { if (l) print l }' | sort)
}

t0=$(date +%s%N)
t_timeout 600 "$VS" "$g" send 2> "$T/send.err" | t_timeout 600 env VUNIFY_BASE="$B" "$VS" "$r" receive 2> "$T/recv.err"
t_eq "send | receive" "${PIPESTATUS[*]}" "0 0"
t_log "Debian guest: $(( ($(date +%s%N) - t0) / 1000000 )) ms; $(cat "$T/send.err" "$T/recv.err")"
rroot=$B/guests/$r/root
a=$(sig "$root") b=$(sig "$rroot")
[ "$a" = "$b" ] || t_fail "the trees differ: $(diff <(echo "$a") <(echo "$b") | head -8)"
t_eq "hardlink groups" "$(groups "$rroot")" "$(groups "$root")"
ua=$(find "$root" -type f -links +1 -exec getfattr -n trusted.vunify {} + 2>/dev/null | grep -c '^trusted.vunify')
ub=$(find "$rroot" -type f -links +1 -exec getfattr -n trusted.vunify {} + 2>/dev/null | grep -c '^trusted.vunify')
t_eq "unified files in B" "$ub" "$ua"
[ "$ua" -ge 1000 ] || t_fail "only $ua unified files"

# It boots in B.
t_timeout 60 env VUNIFY_BASE="$B" "$VS" "$r" start || t_fail "received guest does not start"
in_runlevel_2() { [ "$(VUNIFY_BASE=$B timeout 30 "$VS" "$r" exec runlevel 2>/dev/null)" = "N 2" ]; }
vs_wait in_runlevel_2 || t_fail "received guest not in runlevel 2 after 30 s"
case "$(VUNIFY_BASE=$B timeout 30 "$VS" "$r" exec cat /etc/debian_version)" in 12.*) ;; *) t_fail "not bookworm" ;; esac
t_timeout 180 env VUNIFY_BASE="$B" "$VS" "$r" stop || t_fail "received guest does not stop"

# A clone of the same template: B has every object of the first send
# already (build --template unifies more of the template: /etc, /var).
t_timeout 300 "$VS" "$c" build --template "$g" -q || t_fail "build --template"
t0=$(date +%s%N)
t_timeout 600 "$VS" "$c" send 2> "$T/send2.err" | t_timeout 600 env VUNIFY_BASE="$B" "$VS" "$c" receive 2> "$T/recv2.err"
t_eq "send | receive of the clone" "${PIPESTATUS[*]}" "0 0"
t_log "clone: $(( ($(date +%s%N) - t0) / 1000000 )) ms; $(cat "$T/send2.err" "$T/recv2.err")"
first=$(sed -n 's/.* \([0-9]*\) new .*/\1/p' "$T/recv.err")
had=$(sed -n 's/.*: \([0-9]*\) objects the store had.*/\1/p' "$T/recv2.err")
[ -n "$first" ] && [ "$had" = "$first" ] || t_fail "B had $had of the clone's objects, want $first: $(cat "$T/recv2.err")"
t_done
