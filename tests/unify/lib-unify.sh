# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the vhashify/vclone tests (tests/unify/*.t); source after lib.sh.
#
# uv_mounts sets up two views of one scratch directory $T/d:
#   $F  (strictatime)  where guests and store live and the tools run: any
#                      read that moved an atime would show
#   $V  (noatime)      where the tests look (snapshots read contents without
#                      moving atimes, so before/after comparisons are exact)
# Both are bind mounts of the same filesystem, so store and guests share it.

VH=$VU_BIN/vhashify
VC=$VU_BIN/vclone

uv_mounts() {
	mkdir -p "$T/d" "$T/fs" "$T/view" || t_fail "mkdir"
	mount --bind "$T/d" "$T/fs" && mount -o remount,bind,strictatime "$T/fs" ||
		t_fail "bind mount $T/fs"
	mount --bind "$T/d" "$T/view" && mount -o remount,bind,noatime "$T/view" ||
		t_fail "bind mount $T/view"
	F=$T/fs
	V=$T/view
}

# uv_snap DIR: vu_snap without the mark (the host sees trusted.vunify on
# unified files; guests never do, and it is not part of a file's identity).
uv_snap() {
	vu_snap "$1" | sed -e 's/trusted\.vunify=0x[0-9a-f]*//; s/  */ /g; s/ *$//'
}

# uv_fastsnap DIR: the same facts as vu_snap, collected in bulk (for trees
# too big for vu_snap's per-path stat calls): type, mode, owner, size,
# nanosecond mtime and atime, link target, content hash, xattrs.
uv_fastsnap() {
	(cd "$1" && {
		find . -mindepth 1 -printf '%p %y %m %U %G %s %T@ %A@ %l\n'
		find . -type f -exec sha256sum {} + | awk '{ print $2, substr($1, 1, 16) }'
		getfattr -R -h -d -m - -e hex . 2>/dev/null | grep -v '^$' |
			grep -v '^trusted\.vunify=' | awk '/^# file:/ { f = $3; next } { print f, $0 }'
	} | LC_ALL=C sort)
}

# uv_summary OUTPUT FIELD: a number from vhashify's summary line.
uv_summary() {
	local line
	line=$(grep -E '^scanned [0-9]+ files \([0-9]+ bytes\), linked [0-9]+ files, saved [0-9]+ bytes, [0-9]+ errors$' <<<"$1") ||
		t_fail "no summary line in: $1"
	case $2 in
	scanned) sed -E 's/^scanned ([0-9]+) .*/\1/' <<<"$line" ;;
	bytes) sed -E 's/^scanned [0-9]+ files \(([0-9]+) .*/\1/' <<<"$line" ;;
	linked) sed -E 's/.*linked ([0-9]+) files.*/\1/' <<<"$line" ;;
	saved) sed -E 's/.*saved ([0-9]+) bytes.*/\1/' <<<"$line" ;;
	errors) sed -E 's/.* ([0-9]+) errors$/\1/' <<<"$line" ;;
	esac
}

# uv_json JSON KEY: a number from a flat JSON object.
uv_json() {
	sed -E "s/.*\"$2\":([0-9.]+|true|false).*/\1/" <<<"$1"
}

# uv_no_temporaries DIR...: no reserved names anywhere below.
uv_no_temporaries() {
	local left
	left=$(find "$@" -name '.vunify-tmp.*' 2>/dev/null)
	[ -z "$left" ] || t_fail "temporaries left: $left"
}

# uv_kill_within MS CMD...: run CMD, kill -9 it after a random delay below
# MS milliseconds; succeeds if the kill landed (CMD had not ended by itself).
# UV_KILL_STATUS: CMD's exit status (137 if killed).
uv_kill_within() {
	local ms=$1 pid delay
	shift
	"$@" &
	pid=$!
	delay=$((RANDOM % ms))
	sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	UV_KILL_STATUS=$?
	[ $UV_KILL_STATUS = 137 ]
}

# uv_file PATH SIZE SEED MODE UID:GID MTIME ATIME: a file with content made
# from SEED, and exactly that metadata (times as @SECONDS.NANOSECONDS).
uv_file() {
	local p=$1 size=$2 seed=$3 mode=$4 own=$5 mt=$6 at=$7
	mkdir -p "$(dirname "$p")"
	head -c "$size" < <(yes "$seed") > "$p" || t_fail "write $p"
	chown "$own" "$p" && chmod "$mode" "$p" || t_fail "chown/chmod $p"
	touch -m -d "$mt" "$p" && touch -a -d "$at" "$p" || t_fail "touch $p"
}

# uv_expect DIR...: compute, without vhashify, what a first run over the
# guests DIR... must link and save with the default rules: regular files of
# one link and at least one byte outside the excluded /etc and /var, grouped
# by content, mode, owner, mtime and xattrs (not atime: not identity); a group of C files of
# size S links C files and saves (C - 1) * S.  Prints "LINKED SAVED SCANNED".
uv_expect() {
	local d
	for d in "$@"; do
		(cd "$d" && find . -type f -printf '%P\n' | LC_ALL=C sort |
			while IFS= read -r p; do
				case "/$p" in /etc/*|/var/*) continue ;; esac
				printf 'scan %s\n' "$(stat -c %s "$p")"
				[ "$(stat -c %h "$p")" = 1 ] && [ "$(stat -c %s "$p")" -gt 0 ] || continue
				printf 'file %s %s\n' "$(stat -c %s "$p")" "$( {
					sha256sum < "$p"
					stat -c '%f %u %g %.9Y' "$p"
					getfattr -h -d -m - -e hex "$p" 2>/dev/null | grep -v '^#' | grep -v '^$' |
						grep -v '^trusted\.vunify=' | LC_ALL=C sort
				} | sha256sum | cut -c1-32)"
			done)
	done | awk '
		$1 == "scan" { scanned++ }
		$1 == "file" { n[$3]++; size[$3] = $2 }
		END {
			for (k in n) if (n[k] > 1) { linked += n[k]; saved += (n[k] - 1) * size[k] }
			printf "%d %d %d\n", linked, saved, scanned
		}'
}

# uv_inode PATH
uv_inode() { stat -c %i "$1"; }
