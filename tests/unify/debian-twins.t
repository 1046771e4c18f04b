#!/bin/bash
# timeout: 1500
# Real twins: two Debian 12 trees debootstrapped separately (bookworm,
# --variant=minbase) are what an operator's guests are.  Their /usr files
# have equal contents, owners, modes and mtimes (from the packages), but
# their atimes differ (every read during the install moves them).  vhashify
# with no options must link at least 90 % of the regular files of /usr of
# one tree to their twins in the other.  Then a vclone of one tree (no
# options) must cost at most 5 % of the tree's bytes in private data, as
# `vhashify stats` counts it (the rule vserver status and vunifyfs share).
#
# Downloaded packages are shared through $VUNIFY_TEST_CACHE/debootstrap (default
# /var/cache/vunify-tests), so that only the first run on a machine
# downloads; the mirror is $VUNIFY_TEST_MIRROR (default deb.debian.org).
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
t_require_root
t_require_cmd debootstrap

cache=${VUNIFY_TEST_CACHE:-/var/cache/vunify-tests}
mirror=${VUNIFY_TEST_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$cache/debootstrap" && chmod 0755 "$cache/debootstrap" || t_fail "mkdir $cache/debootstrap"

# debootstrap NAME: a minbase bookworm in $T/NAME.  The cache is written
# under the lock, so that two runs at once (this test twice, or vserver
# build -m debootstrap) never fill it side by side.
bootstrap() {
	local rc
	(
		flock 9 || exit 1
		t_timeout 900 debootstrap --variant=minbase --cache-dir="$cache/debootstrap" bookworm \
			"$T/$1" "$mirror" > "$T/$1.log" 2>&1
	) 9> "$cache/.lock"
	rc=$?
	[ $rc = 0 ] && return 0
	# debootstrap's own exit says "cannot reach"; anything else is a failure.
	grep -qiE 'Failed getting release file|Temporary failure resolving|Could not resolve|Connection refused|Network is unreachable|Unable to connect' "$T/$1.log" &&
		t_skip "cannot reach $mirror to debootstrap: $(grep -iE 'fail|resolv|unreach|connect' "$T/$1.log" | tail -1)"
	t_fail "debootstrap $1 failed: $(tail -5 "$T/$1.log")"
}
host=${mirror#*://}
host=${host%%/*}
port=80
[ "${mirror%%://*}" = https ] && port=443
case $host in *:*) port=${host##*:}; host=${host%%:*} ;; esac
timeout 20 getent hosts "$host" >/dev/null || t_skip "cannot resolve $host (mirror $mirror)"
timeout 20 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null ||
	t_skip "cannot reach $host:$port (mirror $mirror)"

t_log "debootstrap bookworm minbase, twice (packages cached in $cache/debootstrap)"
bootstrap a
bootstrap b
[ -x "$T/a/usr/bin/dpkg" ] && [ -x "$T/b/usr/bin/dpkg" ] || t_fail "no dpkg in the trees"

out=$(t_timeout 600 "$VH" --store "$T/store" "$T/a" "$T/b") || t_fail "vhashify: $out"
t_log "$out"

# A file of a counts as linked if b's file of the same path is the same inode.
(cd "$T/a/usr" && find . -type f -printf '%P\t%i\n' | LC_ALL=C sort) > "$T/a.list"
(cd "$T/b/usr" && find . -type f -printf '%P\t%i\n' | LC_ALL=C sort) > "$T/b.list"
total=$(wc -l < "$T/a.list")
linked=$(LC_ALL=C join -t "$(printf '\t')" "$T/a.list" "$T/b.list" | awk -F '\t' '$2 == $3' | wc -l)
[ "$total" -gt 1000 ] || t_fail "only $total regular files in a/usr"
pct=$((linked * 1000 / total))
t_log "linked $linked of $total regular files of /usr: $((pct / 10)).$((pct % 10)) %"
[ "$pct" -ge 900 ] || t_fail "only $((pct / 10)).$((pct % 10)) % of /usr linked (want >= 90 %)"

tbytes=$(du -s -B1 "$T/a" | cut -f1)
out=$(t_timeout 600 "$VC" --store "$T/store" "$T/a" "$T/clone") || t_fail "vclone: $out"
t_log "$out"
j=$(t_timeout 120 "$VH" stats --json --store "$T/store" "$T/clone") || t_fail "stats: $j"
priv=$(uv_json "$j" private_bytes)
pct=$((priv * 1000 / tbytes))
t_log "vclone: $priv private bytes of a $tbytes-byte template: $((pct / 10)).$((pct % 10)) %"
[ "$pct" -le 50 ] || t_fail "the clone's private bytes are $((pct / 10)).$((pct % 10)) % of the template's (want <= 5 %)"
t_check "verify" "$VH" verify -q --store "$T/store"
t_done
