# SPDX-License-Identifier: GPL-2.0-or-later
# Suite "meta": metadata operations through each backend.
#   - create, stat, open+close, readdir, unlink of meta_files small files
#     (64 bytes) in a two-level tree of meta_per_dir files per directory, by
#     bench/metabench.c (one process, no fork per file);
#   - stat and open+close again by two processes at once, on a second tree
#     made for them (a guest runs many processes; how a transport scales);
#   - a git-status-like walk of that tree (readdir + lstat of everything),
#     with warm and with dropped caches;
#   - untar of a real source tarball (Debian's glibc-source, or
#     $BENCH_TARBALL), and rm -rf of what it made.
# Everything is created through the mount (the overlay's upper layer, the
# guest's private files), as a guest would.

# b_meta_tarball DIR: prepare DIR/src.tar (uncompressed, so that the untar
# measures the filesystem, not xz) and print its number of entries.
b_meta_tarball() {
	local dir=$1 src=${BENCH_TARBALL:-} n=${B_SIZE[untar_entries]}
	if [ -z "$src" ]; then
		src=$(ls /usr/src/glibc/glibc-*.tar.xz 2>/dev/null | head -n 1)
		[ -n "$src" ] || { echo "no source tarball: glibc-source is not installed (or set BENCH_TARBALL)"; return 1; }
	fi
	[ -r "$src" ] || { echo "cannot read $src"; return 1; }
	case "$src" in
	*.tar.xz|*.txz) xz -dc "$src" ;;
	*.tar.gz|*.tgz) gzip -dc "$src" ;;
	*.tar.bz2) bzip2 -dc "$src" ;;
	*.tar.zst) zstd -dc "$src" ;;
	*) cat "$src" ;;
	esac > "$dir/full.tar" 2>> "$B_LOG" || { echo "cannot decompress $src"; return 1; }
	if [ "$n" -gt 0 ]; then
		# The first n entries (parents come before their children in an
		# archive): a smaller tree of the same kind of files.
		tar -tf "$dir/full.tar" | awk -v n="$n" 'NR <= n' > "$dir/list" &&
			mkdir -p "$dir/sub" &&
			tar -xf "$dir/full.tar" -C "$dir/sub" --no-recursion -T "$dir/list" &&
			tar -cf "$dir/src.tar" -C "$dir/sub" --no-recursion -T "$dir/list" &&
			rm -rf "$dir/sub" "$dir/full.tar" || { echo "cannot cut $src to $n entries"; return 1; }
	else
		mv "$dir/full.tar" "$dir/src.tar"
	fi
	printf '%s %s\n' "$(tar -tf "$dir/src.tar" | wc -l)" "${src##*/}"
}

# b_vu_counters ROOT: "REQUESTS DAEMON_US" of the vunifyfs serving ROOT
# (vunifyfs --stats), or nothing.
b_vu_counters() {
	"$B_BIN/vunifyfs" --stats "$1" 2>> "$B_LOG" |
		awk '$1 == "requests" { r = $2 } $1 == "daemon_us" { u = $2 } END { if (r != "") print r, u }'
}

# b_meta_ops ID REP OP...: run metabench OPs on the tree tree.REP of a
# mounted backend; one record each (and on vunifyfs, the FUSE requests and
# the daemon's time per file from its counters).
b_meta_ops() {
	local id=$1 rep=$2 op row out root=${BE_ROOT[$1]} before after r0 u0 r1 u1
	local n=${B_SIZE[meta_files]} per=${B_SIZE[meta_per_dir]}
	shift 2
	for op in "$@"; do
		case $op in
		create) row="create" ;;
		stat) row="stat" ;;
		open) row="open+close" ;;
		readdir) row="readdir (per entry)" ;;
		walk) row="tree walk, warm" ;;
		walk-cold) row="tree walk, cold" ;;
		unlink) row="unlink" ;;
		stat2) row="stat, 2 processes" ;;
		open2) row="open+close, 2 processes" ;;
		# the second tree, made and removed unrecorded
		mk2|rm2)
			"$B_METABENCH" "$([ $op = mk2 ] && echo create || echo unlink)" \
				"$root/tree2.$rep" "$n" "$per" > /dev/null 2>> "$B_LOG" ||
				{ b_warn "metabench $op on ${BE_LABEL[$id]} failed"; return 1; }
			continue ;;
		esac
		before=""
		[ "${BE_KIND[$id]}" = vu ] && before=$(b_vu_counters "$root")
		if [ "${op%-cold}" = walk ]; then
			out=$("$B_METABENCH" walk "$root/tree.$rep" 2>> "$B_LOG")
		elif [ "${op%2}" != "$op" ]; then
			out=$("$B_METABENCH" -j 2 "${op%2}" "$root/tree2.$rep" "$n" "$per" 2>> "$B_LOG")
		else
			out=$("$B_METABENCH" "$op" "$root/tree.$rep" "$n" "$per" 2>> "$B_LOG")
		fi || { b_warn "metabench $op on ${BE_LABEL[$id]} failed"; return 1; }
		b_record meta ops "$row" "${BE_LABEL[$id]}" ops/s "$(b_ops_per_s "$out")"
		[ -n "$before" ] && after=$(b_vu_counters "$root") && [ -n "$after" ] || continue
		# (the --stats call itself is one GETATTR at most: noise)
		read -r r0 u0 <<< "$before"
		read -r r1 u1 <<< "$after"
		b_record meta reqs "$row" "${BE_LABEL[$id]}" req/file \
			"$(awk -v d=$((r1 - r0)) -v n="$n" 'BEGIN { printf "%.2f", d / n }')"
		b_record meta daemon "$row" "${BE_LABEL[$id]}" us/file \
			"$(awk -v d=$((u1 - u0)) -v n="$n" 'BEGIN { printf "%.2f", d / n }')"
	done
}

suite_meta() {
	local dir=$1 ids id rep root n=${B_SIZE[meta_files]} per=${B_SIZE[meta_per_dir]}
	local tarinfo="" entries=0 tarname="" ms
	ids=($(b_be_list private))
	if tarinfo=$(b_meta_tarball "$dir"); then
		read -r entries tarname <<< "$tarinfo"
	else
		b_skip meta "untar rows: $tarinfo"
		tarinfo=""
	fi
	b_table meta ops "Metadata operations" native higher ratio \
		"Operations per second: $n files of 64 bytes, $per per directory, made and used by one process (bench/metabench.c; the \"2 processes\" rows: two at once on a second such tree, each on every other directory); walk = readdir + lstat of every entry (git status); untar of ${tarname:-no tarball} ($entries entries, uncompressed) and rm -rf of the result, in entries per second."

	b_table meta reqs "FUSE requests per operation" - lower none \
		"FUSE requests the kernel sent the vunifyfs daemon per file of each row (vunifyfs --stats, requests before and after); the walk rows count per file of the tree."
	b_table meta daemon "Daemon time per operation" - lower none \
		"Time the vunifyfs daemon spent serving those requests, in microseconds per file (vunifyfs --stats: from reading a request to reading the next)."
	for id in "${ids[@]}"; do
		b_be_prepare "$id" "$dir/$id" && b_be_mount "$id" || return 1
	done
	for rep in $(seq "$B_REPS"); do
		# Phase 1 on every backend, then one sync and cache drop for all
		# (a sync takes seconds while others write to this disk), then
		# phase 2: the cold walk needs everything written back, or the
		# kernel cannot drop the tree's inodes.
		for id in "${ids[@]}"; do
			b_meta_ops "$id" "$rep" create stat open readdir walk \
				mk2 stat2 open2 rm2 || return 1
		done
		b_settle cold
		for id in "${ids[@]}"; do
			b_meta_ops "$id" "$rep" walk-cold unlink || return 1
			[ -n "$tarinfo" ] || continue
			root=${BE_ROOT[$id]}
			mkdir -p "$root/src.$rep" || return 1
			ms=$(b_time_ms tar -xf "$dir/src.tar" -C "$root/src.$rep") || return 1
			b_record meta ops "untar" "${BE_LABEL[$id]}" entries/s \
				"$(awk -v e="$entries" -v ms="$ms" 'BEGIN { printf "%.1f", e * 1000 / ms }')"
			ms=$(b_time_ms rm -rf "$root/src.$rep") || return 1
			b_record meta ops "rm -rf" "${BE_LABEL[$id]}" entries/s \
				"$(awk -v e="$entries" -v ms="$ms" 'BEGIN { printf "%.1f", e * 1000 / ms }')"
		done
		b_log "meta: repetition $rep of $B_REPS done"
	done
	b_be_umount "${ids[@]}"
}
