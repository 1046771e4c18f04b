#!/bin/bash
# modes: passthrough uring
# timeout: 240
# Directory listings without OPENDIR (fs/dirstream.c): the kernel opens
# directories without asking the daemon, so every READDIR names only the
# directory and an offset.  Whatever the readers do, each listing returns
# every name exactly once:
# - many listings of big, freshly changed directories at once, each taking
#   a few entries per turn (more listings than the daemon parks streams for);
# - a position kept by telldir() across closedir() and a new opendir();
# - a name made while a listing is open is seen by the next one.
# And the round trips: listing directories sends no OPENDIR or RELEASEDIR
# after the first OPENDIR (answered ENOSYS).
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
vt=$VU_TEST_BIN/vutest
g=$T/g m=$T/m ndirs=40 nfiles=600
mkdir -p "$g" "$m"

vu_mount "$g" "$m"
stats() { timeout 20 "$VU_BIN/vunifyfs" --stats "$m" |
	awk -v op="$1" '$1 == "op" && $2 == op { n = $3 } END { print n + 0 }'; }

# Made through the mount, so that no listing is in the kernel's cache and
# every part of every listing is a request to the daemon.
dirs=()
for d in $(seq $ndirs); do
	mkdir "$m/d$d"
	(cd "$m/d$d" && seq -f "file-with-a-longer-name-%05g" $nfiles | xargs touch) ||
		t_fail "cannot fill d$d"
	dirs+=("$m/d$d")
done

# Each turn takes what 512 bytes hold (a dozen names) from each of the 40
# listings: the daemon sees 40 listings continued in turn.
t_timeout 120 "$vt" dirrr 512 "${dirs[@]}" > "$T/rr" || t_fail "round-robin listing failed: $(cat "$T/rr")"
for d in $(seq $ndirs); do
	awk -v i=$((d - 1)) '$1 == i { print $2 }' "$T/rr" | sort > "$T/got"
	(cd "$g/d$d" && ls -A | sort) > "$T/want"
	cmp -s "$T/got" "$T/want" ||
		t_fail "d$d listed round robin: $(diff "$T/want" "$T/got" | grep -c '^[<>]') names differ (lost or repeated)"
done
t_log "$ndirs listings of $nfiles names at once: every name once"

# Fresh listings again (a name added invalidates the kernel's copy).
touch "$m/d1/new-a" "$m/d2/new-b"
t_timeout 60 "$vt" dirresume "$m/d1" 250 | sort > "$T/got" || t_fail "dirresume failed"
(cd "$g/d1" && ls -A | sort) > "$T/want"
cmp -s "$T/got" "$T/want" ||
	t_fail "telldir/seekdir across a new opendir: $(diff "$T/want" "$T/got" | grep -c '^[<>]') names differ"

# Open a listing, read part of it, make a name, list again from the start.
exec 9< "$m/d2"
t_timeout 30 "$vt" dirrr 512 "$m/d2" > /dev/null || t_fail "listing d2"
touch "$m/d2/new-c"
ls -A "$m/d2" | grep -qx new-c || t_fail "a name made during a listing is missing from the next one"
exec 9<&-

# Round trips: list every directory again (from the kernel's cache, or one
# READDIRPLUS per part): no OPENDIR, no RELEASEDIR.
o0=$(stats OPENDIR) r0=$(stats RELEASEDIR)
for i in 1 2 3; do ls -R "$m" > /dev/null || t_fail "ls -R"; done
o1=$(stats OPENDIR) r1=$(stats RELEASEDIR)
t_log "3 x ls -R of $ndirs directories: $((o1 - o0)) OPENDIR, $((r1 - r0)) RELEASEDIR (OPENDIR in all: $o1)"
[ "$o1" -le 1 ] || t_fail "$o1 OPENDIR requests (the kernel can open directories without one)"
[ "$r1" = 0 ] || t_fail "$r1 RELEASEDIR requests"

# fsync of a directory without a handle reaches the backing directory.
python3 -c 'import os,sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd); os.close(fd)' "$m/d3" ||
	t_fail "fsync of a directory failed"

vu_umount "$m"
t_done
