#!/bin/bash
# modes: passthrough uring
# timeout: 300
# Concurrency and resource use: many processes breaking the same names at
# once, renames racing with breaks, and thousands of open/close/create/
# unlink cycles leaving the daemon's descriptor count flat.
. "$(dirname "$0")/../lib.sh" || exit 1
t_require_root
vt=$VU_TEST_BIN/vutest
store=$T/store g=$T/g m=$T/m
mkdir -p "$g/d" "$m"
seq 1 20000 > "$T/src"
vu_unify "$store" 3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c "$T/src" "$g/same" "$g/d/a" "$g/d/b" "$g/d/c"
obj=$store/objects/3c/3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c
objhash=$(vu_hash "$obj")
vu_mount "$g" "$m"
pid=$(pgrep -f "vunifyfs .*$m\$" | head -n 1)

# --- 8 writers race to break one name; every line must arrive ---
for w in $(seq 8); do
	( for i in $(seq 50); do echo "w$w-$i" >> "$m/same"; done ) &
done
wait
[ "$(grep -c '^w[0-9]-' "$m/same")" = 400 ] || t_fail "racing appends: $(grep -c '^w[0-9]-' "$m/same") of 400 lines"
[ "$(head -n 20000 "$m/same" | vu_hash /dev/stdin)" = "$objhash" ] || t_fail "racing appends: shared part damaged"
[ "$(vu_hash "$obj")" = "$objhash" ] || t_fail "racing appends: store object written"

# --- renames racing with breaks of the names being renamed ---
( for i in $(seq 200); do $vt rename2 "$m/d/a" "$m/d/b" exchange; mv "$m/d/c" "$m/d/c2"; mv "$m/d/c2" "$m/d/c"; done ) &
( for i in $(seq 100); do echo "a$i" >> "$m/d/a"; echo "b$i" >> "$m/d/b"; done ) &
# "c" is at c or c2 at any moment; a writer that misses both tries again
# (appending without O_CREAT, so that a miss never makes a new file).
( for i in $(seq 100); do
	for try in $(seq 1000); do
		$vt append "$m/d/c" "c$i
" >/dev/null && break
		$vt append "$m/d/c2" "c$i
" >/dev/null && break
	done
done ) &
wait
[ "$(vu_hash "$obj")" = "$objhash" ] || t_fail "rename race: store object written"
total=$(cat "$m/d/a" "$m/d/b" "$m/d/c" | grep -c '^[abc][0-9]')
[ "$total" = 300 ] || t_fail "rename race: $total of 300 appended lines: a $(grep -c "^a" "$m/d/a" "$m/d/b" "$m/d/c"), b $(grep -c "^b" "$m/d/a" "$m/d/b" "$m/d/c") c $(grep -c "^c" "$m/d/a" "$m/d/b" "$m/d/c")"
for f in a b c; do
	[ "$(stat -c %h "$g/d/$f")" = 1 ] || t_fail "rename race: d/$f not private"
	[ "$(head -n 20000 "$m/d/$f" | vu_hash /dev/stdin)" = "$objhash" ] || t_fail "rename race: d/$f lost shared content"
done
ls -A "$g/d" | grep -q '^\.vunify' && t_fail "rename race: temporaries left"

# --- descriptors stay flat ---
fds() { $vt fdcount "$pid"; }
# Warm up, let the kernel drop what it caches, measure.
sync; echo 2 > /proc/sys/vm/drop_caches; sleep 0.5
before=$(fds)
for i in $(seq 1000); do
	echo "$i" > "$m/tmp$i"
	cat "$m/tmp$i" > /dev/null
	cat "$m/d/a" > /dev/null
	$vt tmpfile "$m" x
	mkdir "$m/dir$i"; rmdir "$m/dir$i"
	ln -s x "$m/sl$i"; rm "$m/sl$i"
	rm "$m/tmp$i"
done
# FORGETs arrive asynchronously: give them a moment on a busy machine.
for i in $(seq 50); do
	sync; echo 2 > /proc/sys/vm/drop_caches; sleep 0.2
	after=$(fds); [ "$after" -le $((before + 8)) ] && break
done
t_log "daemon descriptors: $before before, $after after 1000 rounds"
[ "$after" -le $((before + 8)) ] || t_fail "descriptor leak: $before -> $after"
vu_umount "$m"

# --- every open's hold on the backing file ends with its release: a file
# opened many times and then unlinked gives its blocks back at once.  On a
# tmpfs of its own, so that nobody else's writes blur the count.
mkdir -p "$T/tmpfs"; mount -t tmpfs -o size=256m tmpfs "$T/tmpfs"
mkdir "$T/tmpfs/g"
vu_mount "$T/tmpfs/g" "$m"
used() { df -k --output=used "$T/tmpfs" | tail -n 1; }
u0=$(used)
head -c 64M /dev/urandom > "$m/held"
for i in $(seq 100); do cat "$m/held" > /dev/null; done
( exec 3< "$m/held"; exec 4<> "$m/held"; cat <&3 > /dev/null )
$VU_TEST_BIN/vutest tmpfile "$m" data
rm "$m/held"
# The kernel tells vunifyfs to forget the inode a little later (FORGET is
# queued); the blocks come back then, or never if something leaks.
for i in $(seq 100); do u1=$(used); [ $((u1 - u0)) -lt 1024 ] && break; sleep 0.1; done
[ $((u1 - u0)) -lt 1024 ] || t_fail "an unlinked file still holds $((u1 - u0)) KiB: backing files leak"
vu_umount "$m"
umount "$T/tmpfs"
t_done
