# SPDX-License-Identifier: GPL-2.0-or-later
# Suite "fio": I/O throughput through each backend, with the job files in
# bench/fio/.  Sequential 1 MiB and random 4 KiB reads and writes (psync;
# random ones with 1 and 4 jobs), on a cold page cache (the file's pages
# dropped before each run, in the backing file and in the FUSE mount's own
# cache; names and inodes stay cached, as with fio's invalidate) and a warm
# one (the file read once through the mount).
#
# Every backend has its own copies of the same files, laid out before it is
# mounted, so that no run pays for a copy-up or a link break:
#   r.dat  read by the read jobs: in the native directory, the overlay's
#          lower layer, the guest (private), or a store object (shared)
#   w.dat  overwritten by the write jobs: in the native directory, the
#          overlay's upper layer (as if copied up already), or the guest
#          (private).  Shared backends have none: a write to a shared file is
#          a link break, measured by the "break" suite.

b_fio_row() { # JOB NUMJOBS
	local r
	case "$1" in
	seq-read) r="seq read 1M" ;; seq-write) r="seq write 1M" ;;
	rand-read) r="rand read 4K" ;; rand-write) r="rand write 4K" ;;
	esac
	[ "$2" = 1 ] || r="$r, $2 jobs"
	echo "$r"
}

# b_fio_run FILE JOB NUMJOBS cold|warm: run one job; prints MB/s (seq) or
# IOPS (random) from fio's terse output.
b_fio_run() {
	local file=$1 job=$2 nj=$3 cache=$4 tb=1 inv=0 runtime out
	runtime=$(awk -v s="${B_SIZE[fio_runtime]}" 'BEGIN { printf "%dms", s * 1000 }')
	[ "$cache" = cold ] && inv=1
	# A cold sequential run is one pass over a file no cache has seen; a
	# time-based one would read it from the cache on the second pass.
	if [ "$cache" = cold ] && [ "${job%%-*}" = seq ]; then
		tb=0 runtime=3600s
	fi
	out=$(BENCH_FILE=$file BENCH_SIZE=${B_SIZE[fio_file]} BENCH_RUNTIME=$runtime \
		BENCH_TIME_BASED=$tb BENCH_INVALIDATE=$inv BENCH_NUMJOBS=$nj \
		timeout 3600 fio --minimal "$B_HERE/fio/$job.fio" 2>> "$B_LOG") ||
		{ b_warn "fio $job on $file failed"; return 1; }
	echo "$out" >> "$B_LOG"
	# terse v3: 7/8 read KiB/s and IOPS, 48/49 the same for writes; 5 error
	awk -F';' -v job="$job" '
		$1 == 3 {
			if ($5 != 0) exit 1
			w = job ~ /write/
			bw = w ? $48 : $7; iops = w ? $49 : $8
			if (job ~ /^seq/) printf "%.1f\n", bw * 1024 / 1e6
			else printf "%.0f\n", iops
			found = 1
		}
		END { exit !found }' <<< "$out"
}

suite_fio() {
	local dir=$1 id ids master size rep cache spec job nj row file v jobs
	b_have fio || { b_skip fio "fio is not installed"; return 0; }
	IFS=, read -r -a jobs <<< "${B_SIZE[fio_jobs]}"
	for spec in "${jobs[@]}"; do
		[ -f "$B_HERE/fio/${spec%%:*}.fio" ] && [[ ${spec#*:} =~ ^[1-9][0-9]*$ ]] ||
			{ b_warn "fio_jobs: bad job '$spec' (want NAME:NUMJOBS with bench/fio/NAME.fio)"; return 1; }
	done
	ids=($(b_be_list all))
	size=$(b_bytes "${B_SIZE[fio_file]}")
	b_table fio cold "fio, cold page cache" native higher ratio \
		"MB/s for sequential jobs, IOPS for random ones; file $(b_human "$size"), psync; the file's cached pages (backing file and, for FUSE, the mounted one) dropped before each run (sequential: one pass over the file; random: ${B_SIZE[fio_runtime]} s). Shared: the file is a unified store object (reads only)."
	b_table fio warm "fio, warm page cache" native higher ratio \
		"As above, after reading the file once through the mount; every run lasts ${B_SIZE[fio_runtime]} s."

	master=$dir/master
	head -c "$size" /dev/urandom > "$master" || return 1
	for id in "${ids[@]}"; do
		b_be_prepare "$id" "$dir/$id" || return 1
		if [ "${BE_SHARED[$id]}" = 1 ]; then
			b_unify "${BE_STORE[$id]}" "$master" "${BE_DATA[$id]}/r.dat" || return 1
		else
			cp "$master" "${BE_DATA[$id]}/r.dat" && cp "$master" "${BE_PRIV[$id]}/w.dat" ||
				return 1
		fi
		b_be_mount "$id" || return 1
	done
	rm -f "$master"
	sync   # what was laid out; each write run is written back after it

	for rep in $(seq "$B_REPS"); do
		for cache in cold warm; do
			if [ $cache = warm ]; then
				for id in "${ids[@]}"; do
					"$B_METABENCH" read "${BE_ROOT[$id]}"/*.dat > /dev/null || return 1
				done
			fi
			for spec in "${jobs[@]}"; do
				job=${spec%%:*} nj=${spec#*:}
				row=$(b_fio_row "$job" "$nj")
				for id in "${ids[@]}"; do
					file=${BE_ROOT[$id]}/r.dat
					if [[ $job == *write ]]; then
						[ "${BE_SHARED[$id]}" = 1 ] && continue
						file=${BE_ROOT[$id]}/w.dat
					fi
					# A cold cache for this file alone: dropping all
					# caches takes a second here and disturbs others.
					[ $cache = cold ] && { b_be_evict "$id" "${file##*/}" || return 1; }
					v=$(b_fio_run "$file" "$job" "$nj" "$cache") || return 1
					[[ $job == *write ]] && sync "$file"
					b_record fio "$cache" "$row" "${BE_LABEL[$id]}" \
						"$([[ $job == seq* ]] && echo MB/s || echo IOPS)" "$v"
				done
			done
		done
		b_log "fio: repetition $rep of $B_REPS done"
	done
	b_be_umount "${ids[@]}"
}
