# SPDX-License-Identifier: GPL-2.0-or-later
# Suite "dedupe": vhashify beside the general-purpose deduplicators on the
# same reproducible guest set:
#   - dedupe_guests copies of dedupe_src (':'-separated host directories, or
#     "generated": a small made-up tree), then in each copy, chosen with a
#     fixed seed: 1 % of the files changed in content, 0.5 % changed in mode,
#     0.5 % changed in owner (content and mtime kept: twins that must NOT be
#     linked, or a guest's file would change its owner or mode), and 1 %
#     more files that exist in that guest only;
#   - vhashify with a cold cache and a fresh store, with a warm cache and a
#     fresh store, and again with nothing changed (rerun);
#   - `hardlink`, `rdfind -makehardlinks true` and `jdupes -r -L`, each on a
#     fresh copy of the set with a cold cache.
# Reported: files and MB per second (of the whole set), peak RSS, bytes
# saved (du before and after, store included), and correctness: how many
# files changed owner, mode, mtime or size (a link to a twin that differs).

B_DEDUPE_SEED=20260501

# b_dedupe_generated DIR: a small tree with duplicates, made by awk alone.
b_dedupe_generated() {
	local dir=$1
	mkdir -p "$dir/a" "$dir/b/c" "$dir/d" || return 1
	awk -v dir="$dir" -v seed="$B_DEDUPE_SEED" 'BEGIN {
		srand(seed)
		split("a b/c d", sub_, " ")
		for (i = 1; i <= 120; i++) {
			f = dir "/" sub_[i % 3 + 1] "/f" i
			src = i % 5 == 0 ? i - 1 : i     # every fifth a twin of the last
			n = int(rand() * 400) + 1
			for (k = 0; k < n; k++) print "file", src, "line", k > f
			close(f)
		}
	}'
}

# b_dedupe_pristine DIR: build DIR/pristine/g1..gN; prints "FILES BYTES".
b_dedupe_pristine() {
	local dir=$1 g src dst n ng=${B_SIZE[dedupe_guests]} srcs=()
	if [ "${B_SIZE[dedupe_src]}" = generated ]; then
		b_dedupe_generated "$dir/gen" || return 1
		srcs=("$dir/gen")
	else
		IFS=: read -r -a srcs <<< "${B_SIZE[dedupe_src]}"
	fi
	# g1 is a copy of the sources, each at its own path (g1/usr/include),
	# the other guests copies of g1.
	for src in "${srcs[@]}"; do
		[ -d "$src" ] || { b_warn "dedupe: $src is not a directory"; return 1; }
		dst=$src
		[ "$src" = "$dir/gen" ] && dst=/data
		mkdir -p "$dir/pristine/g1${dst%/*}" && cp -a "$src" "$dir/pristine/g1$dst" || return 1
	done
	for g in $(seq 2 "$ng"); do
		cp -a "$dir/pristine/g1" "$dir/pristine/g$g" || return 1
	done
	[ "${B_SIZE[dedupe_src]}" = generated ] && rm -rf "$dir/gen"
	(cd "$dir/pristine/g1" && find . -type f | LC_ALL=C sort) > "$dir/files" || return 1
	n=$(wc -l < "$dir/files")
	for g in $(seq "$ng"); do
		# C: content, M: mode, O: owner; the same choice on every machine.
		awk -v seed=$((B_DEDUPE_SEED + g)) 'BEGIN { srand(seed) }
			{ r = rand() }
			r < 0.01 { print "C\t" $0; next }
			r < 0.015 { print "M\t" $0; next }
			r < 0.02 { print "O\t" $0 }' "$dir/files" > "$dir/changes.g$g"
		(
			cd "$dir/pristine/g$g" || exit 1
			while IFS=$'\t' read -r op f; do
				case $op in
				C) printf '\nchanged in guest %s\n' "$g" >> "$f" ;;
				M) if (( 8#$(stat -c %a "$f") & 4 )); then chmod o-r "$f"; else chmod o+r "$f"; fi ;;
				O) chown "$((1000 + g)):$((1000 + g))" "$f" ;;
				esac || exit 1
			done < "$dir/changes.g$g"
		) || return 1
		mkdir -p "$dir/pristine/g$g/unique"
		awk -v d="$dir/pristine/g$g/unique" -v g="$g" -v n=$(((n + 99) / 100)) 'BEGIN {
			for (k = 1; k <= n; k++) {
				f = d "/u" k
				for (i = 0; i < (k % 50 + 1) * 20; i++) print "guest", g, "unique file", k, "line", i > f
				close(f)
			}
		}'
	done
	(cd "$dir/pristine" && find . -type f -printf '%P\t%U:%G:%m\t%T@\t%s\t%n\n' | LC_ALL=C sort) \
		> "$dir/meta.before" || return 1
	awk -F'\t' '{ n++; b += $4 } END { printf "%d %d\n", n, b }' "$dir/meta.before"
}

# b_dedupe_check DIR WORK: compare the work copy with the pristine set;
# prints "LINKED OWNER_MODE MTIME SIZE": files that newly share their inode,
# and files whose owner/mode, mtime or size is not what it was.
b_dedupe_check() {
	local dir=$1 work=$2
	(cd "$work" && find . -type f -printf '%P\t%U:%G:%m\t%T@\t%s\t%n\n' | LC_ALL=C sort) \
		> "$dir/meta.after" || return 1
	awk -F'\t' '
		FNR == NR { om[$1] = $2; mt[$1] = $3; sz[$1] = $4; if ($5 > 1) before++; next }
		{ if ($5 > 1) after++
		  if (!($1 in om)) { missing++; next }
		  if ($2 != om[$1]) bad_om++
		  if ($3 != mt[$1]) bad_mt++
		  if ($4 != sz[$1]) bad_sz++ }
		END { printf "%d %d %d %d\n", after - before, bad_om + 0, bad_mt + 0, bad_sz + missing }' \
		"$dir/meta.before" "$dir/meta.after"
}

# b_dedupe_run DIR WORK STORE COLUMN cold|warm CMD...: run one deduplicator
# over the copy WORK of the set (and STORE, for vhashify), record its values.
b_dedupe_run() {
	local dir=$1 work=$2 store=$3 col=$4 cache=$5 t0 t1 rss du1 s linked om mt sz; shift 5
	# Cold: the set's data out of the cache (names and inodes stay cached:
	# dropping every cache takes long here and disturbs everyone else).
	if [ "$cache" = cold ]; then
		find "$work" -type f -exec "$B_METABENCH" evict {} + 2>> "$B_LOG" || return 1
	fi
	t0=$(b_now_ns)
	/usr/bin/time -f '%M' -o "$dir/time.out" "$@" >> "$B_LOG" 2>&1 ||
		{ b_warn "dedupe: $col failed: $*"; return 1; }
	t1=$(b_now_ns)
	rss=$(tail -n 1 "$dir/time.out")
	du1=$(du -scb "$work" $([ -d "$store" ] && echo "$store") | tail -n 1 | cut -f1)
	read -r linked om mt sz < <(b_dedupe_check "$dir" "$work") || return 1
	s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", (b - a) / 1e9 }')
	b_record dedupe speed "files/s" "$col" files/s "$(awk -v f="$B_DD_FILES" -v s="$s" 'BEGIN { printf "%.1f", f / s }')"
	b_record dedupe speed "MB/s" "$col" MB/s "$(awk -v b="$B_DD_BYTES" -v s="$s" 'BEGIN { printf "%.2f", b / 1e6 / s }')"
	b_record dedupe result "elapsed" "$col" s "$s"
	b_record dedupe result "peak RSS" "$col" MiB "$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')"
	b_record dedupe result "saved" "$col" MiB "$(awk -v a="$B_DD_DU0" -v b="$du1" 'BEGIN { printf "%.1f", (a - b) / 1048576 }')"
	b_record dedupe result "files linked" "$col" files "$linked"
	b_record dedupe result "owner or mode changed (must be 0)" "$col" files "$om"
	b_record dedupe result "mtime changed" "$col" files "$mt"
	b_record dedupe result "content changed (must be 0)" "$col" files "$sz"
}

suite_dedupe() {
	local dir=$1 why rep g info tools=() t w
	if ! why=$(b_tool vhashify); then
		b_skip dedupe "$why"
		return 0
	fi
	[ -x /usr/bin/time ] || { b_skip dedupe "/usr/bin/time is not installed (package time)"; return 0; }
	for t in hardlink rdfind jdupes; do
		if b_have "$t"; then tools+=("$t"); else b_skip dedupe "$t is not installed: its column is left out"; fi
	done
	# Atimes: vhashify links only twins whose atimes are equal too (a
	# hardlink has one), and with relatime the first read of a fresh copy
	# (its ctime is newer than its atime) moves its atime, so that the
	# copies of one file would differ by when they were first read.  A
	# noatime view of the directory keeps the set as it was made.
	mkdir -p "$dir/fs" && mount --bind "$dir/fs" "$dir/fs" &&
		mount -o remount,bind,noatime "$dir/fs" || { b_warn "dedupe: cannot bind-mount $dir/fs noatime"; return 1; }
	dir=$dir/fs
	b_log "dedupe: making the guest set from ${B_SIZE[dedupe_src]}"
	info=$(b_dedupe_pristine "$dir") || return 1
	read -r B_DD_FILES B_DD_BYTES <<< "$info"
	B_DD_DU0=$(du -sb "$dir/pristine" | cut -f1)

	b_table dedupe speed "Dedupe: speed" hardlink higher ratio \
		"${B_SIZE[dedupe_guests]} guests of ${B_SIZE[dedupe_src]} with seeded changes: $B_DD_FILES files, $((B_DD_BYTES / 1048576)) MiB in all. Cold: the data of the set dropped from the cache before (names and inodes stay cached); warm: all of it cached; rerun: vhashify again over its own result. hardlink, rdfind and jdupes run cold on fresh copies."
	b_table dedupe result "Dedupe: resources and correctness" - none none \
		"saved = du of the set (and store) before minus after. Twins that differ in owner or mode must stay apart; a tool that links them changes a guest's files (owner or mode changed > 0). mtime changed: files that now carry a twin's mtime."

	for rep in $(seq "$B_REPS"); do
		# Fresh copies for every run of this repetition, written back with
		# one sync (a sync per run costs seconds on a busy machine).
		rm -rf "$dir"/w.* "$dir"/store.*
		for w in cold warm "${tools[@]}"; do
			cp -a "$dir/pristine" "$dir/w.$w" || return 1
		done
		sync
		b_dedupe_run "$dir" "$dir/w.cold" "$dir/store.cold" "vhashify cold" cold \
			"$B_BIN/vhashify" --store "$dir/store.cold" --no-progress "$dir"/w.cold/g* || return 1
		# warm: the copy's pages, read once more to be sure, are all cached.
		find "$dir/w.warm" -type f -exec cat {} + > /dev/null
		b_dedupe_run "$dir" "$dir/w.warm" "$dir/store.warm" "vhashify warm" warm \
			"$B_BIN/vhashify" --store "$dir/store.warm" --no-progress "$dir"/w.warm/g* || return 1
		b_dedupe_run "$dir" "$dir/w.warm" "$dir/store.warm" "vhashify rerun" warm \
			"$B_BIN/vhashify" --store "$dir/store.warm" --no-progress "$dir"/w.warm/g* || return 1
		for t in "${tools[@]}"; do
			w=$dir/w.$t
			case $t in
			hardlink) b_dedupe_run "$dir" "$w" - hardlink cold hardlink -q "$w" ;;
			rdfind) b_dedupe_run "$dir" "$w" - rdfind cold \
				rdfind -makehardlinks true -makeresultsfile false "$w" ;;
			jdupes) b_dedupe_run "$dir" "$w" - jdupes cold jdupes -r -L -q "$w" ;;
			esac || return 1
		done
		b_log "dedupe: repetition $rep of $B_REPS done"
	done
	rm -rf "$dir"/w.* "$dir"/store.* "$dir/pristine"
	b_umount "$dir"
}
