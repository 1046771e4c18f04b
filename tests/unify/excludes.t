#!/bin/bash
# Exclude rules in the Linux-VServer format: defaults, --exclude,
# --exclude-from, first match wins, include (+) and skip (~), inheritance
# below excluded directories, the protected files, --no-default-excludes,
# --min-size.
. "$(dirname "$0")/../lib.sh" || exit 1
. "$(dirname "$0")/lib-unify.sh"
t_require_root
uv_mounts

paths="usr/bin/a etc/hostname etc/passwd etc/shadow etc/keep/k var/lib/x var/lib/keep/y
tmp/t home/u/h root/r usr/share/doc/d usr/share/doc/readme skipme/s opt/o usr/small"
for g in g1 g2; do
	for p in $paths; do
		size=5000; [ $p = usr/small ] && size=10
		uv_file "$F/$g/$p" $size "content of $p" 0644 0:0 @1600000000 @1600000000
	done
done
linked() { [ "$(stat -c %h "$V/g1/$1")" -gt 1 ]; }

cat > "$T/rules" <<'R'
# comments and empty lines are ignored

+/etc/keep
/usr/share/doc/*
+/usr/share/doc/readme
R
out=$(t_timeout 60 "$VH" --json --store "$F/store" --exclude '+/var/lib/keep/*' \
	--exclude '~/skipme' --exclude-from "$T/rules" --exclude '+/etc/*' --min-size 100 \
	"$F/g1" "$F/g2") || t_fail "vhashify: $out"
t_log "$out"
for p in usr/bin/a etc/hostname etc/keep/k var/lib/keep/y opt/o; do
	linked "$p" || t_fail "$p should be linked"
done
# /usr/share/doc/* excludes doc/d; "+/usr/share/doc/readme" comes later: the
# first match wins, so readme is excluded too.
for p in etc/passwd etc/shadow var/lib/x tmp/t home/u/h root/r usr/share/doc/d \
	usr/share/doc/readme skipme/s usr/small; do
	linked "$p" && t_fail "$p should not be linked"
done
# Skipped paths are not even scanned; excluded ones are not counted either.
t_eq "scanned" "$(uv_json "$out" scanned_files)" $((2 * 6))

# Without the defaults everything but the rules' exclusions is unified,
# /etc/passwd included (the protected rules are defaults too).
out=$(t_timeout 60 "$VH" --json --store "$F/store" --no-default-excludes \
	--exclude /usr/share/doc "$F/g1" "$F/g2") || t_fail "vhashify: $out"
for p in etc/passwd var/lib/x tmp/t home/u/h root/r skipme/s usr/small; do
	linked "$p" || t_fail "$p should be linked without the default rules"
done
for p in usr/share/doc/d usr/share/doc/readme; do
	linked "$p" && t_fail "$p should not be linked"
done
t_done
