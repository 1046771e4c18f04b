#!/bin/bash
# vclone shares everything that can be shared: a clone of a template with
# configuration in /etc and state in /var links them too (vunifyfs copies
# on write, so Linux-VServer's excludes buy nothing), and costs at most 5 %
# of the template's bytes in private data, as `vhashify stats` counts them.
# Only the protected files (/etc/passwd, ...) are copied.
# --default-excludes brings Linux-VServer's rules back: /etc and /var copied.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
t_require_root
uv_mounts

s=$F/src
for i in $(seq 1 30); do uv_file "$s/etc/conf.d/c$i" 8000 "conf $i" 0644 0:0 @1600000000.1 @1600000000.2; done
uv_file "$s/etc/passwd" 900 "root:x:0:0" 0644 0:0 @1600000000.1 @1600000000.2
uv_file "$s/etc/shadow" 500 "root:*:1" 0640 0:42 @1600000000.1 @1600000000.2
uv_file "$s/var/lib/dpkg/status" 300000 "Package: x" 0644 0:0 @1600000000.1 @1600000000.2
uv_file "$s/var/cache/apt/pkgcache.bin" 2000000 "cache" 0644 0:0 @1600000000.1 @1600000000.2
uv_file "$s/var/log/dpkg.log" 100000 "install" 0644 0:0 @1600000000.1 @1600000000.2
uv_file "$s/usr/bin/tool" 1000000 "tool" 0755 0:0 @1600000000.1 @1600000000.2
ln -s ../usr/bin/tool "$s/etc/tool-link"
template=$(du -s -B1 "$V/src" | cut -f1)

private() {
	local j
	j=$(t_timeout 60 "$VH" stats --json --store "$F/store" "$1") || t_fail "stats $1: $j"
	sed -E 's/.*"private_bytes":([0-9]+).*/\1/' <<<"$j"
}

out=$(t_timeout 120 "$VC" --store "$F/store" "$s" "$F/new") || t_fail "vclone: $out"
t_log "$out"
for p in etc/conf.d/c1 etc/conf.d/c30 var/lib/dpkg/status var/cache/apt/pkgcache.bin var/log/dpkg.log usr/bin/tool; do
	[ "$(uv_inode "$V/src/$p")" = "$(uv_inode "$V/new/$p")" ] || t_fail "$p not linked"
done
for p in etc/passwd etc/shadow; do
	[ "$(uv_inode "$V/src/$p")" != "$(uv_inode "$V/new/$p")" ] || t_fail "$p (protected) linked"
done
priv=$(private "$F/new")
pct=$((priv * 1000 / template))
t_log "template $template bytes, clone's private bytes $priv ($((pct / 10)).$((pct % 10)) %)"
[ "$pct" -le 50 ] || t_fail "the clone's private bytes are $((pct / 10)).$((pct % 10)) % of the template's (want <= 5 %)"
diff <(uv_snap "$V/src") <(uv_snap "$V/new") >&2 || t_fail "the clone differs from the template"

# Linux-VServer's rules on request: /etc and /var are private copies.
out=$(t_timeout 120 "$VC" --default-excludes --store "$F/store" "$s" "$F/old") || t_fail "vclone: $out"
for p in etc/conf.d/c1 var/lib/dpkg/status; do
	[ "$(uv_inode "$V/src/$p")" != "$(uv_inode "$V/old/$p")" ] || t_fail "--default-excludes: $p linked"
done
[ "$(uv_inode "$V/src/usr/bin/tool")" = "$(uv_inode "$V/old/usr/bin/tool")" ] ||
	t_fail "--default-excludes: usr/bin/tool not linked"
[ "$(private "$F/old")" -gt $((template / 2)) ] || t_fail "--default-excludes: /etc and /var not copied"

# --no-default-excludes links even the protected files.
out=$(t_timeout 120 "$VC" --no-default-excludes --store "$F/store" "$s" "$F/all") || t_fail "vclone: $out"
[ "$(uv_inode "$V/src/etc/passwd")" = "$(uv_inode "$V/all/etc/passwd")" ] ||
	t_fail "--no-default-excludes: etc/passwd not linked"
t_check "verify" "$VH" verify -q --store "$F/store"
t_done
