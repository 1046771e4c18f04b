# SPDX-License-Identifier: GPL-2.0-or-later
# Suite "break": latency of the first write to a shared file, i.e. of making
# the private copy: the link break of vunifyfs, the copy-up of overlayfs and
# fuse-overlayfs, and natively `cp --reflink=auto` of the same file (what a
# copy costs on this filesystem at best).
#
# The measured operation (bench/metabench.c firstwrite) is open(O_WRONLY),
# pwrite of 4 KiB at offset 0, close: what a program that patches a file
# does.  The file's pages are dropped from the cache before (its name and
# inode stay cached), so the copy reads it from disk.  Each run needs a file that was never written: a fresh unified name
# of one store object (vunifyfs), a fresh copy in the lower layer (overlays:
# copies, not hardlinks, so that an overlay index cannot share copy-ups), or
# a fresh destination name (cp).  Each copy is written back right after it
# was measured, so that no run pays for the last one's writeback.

suite_break() {
	local dir=$1 ids id sizes s bytes rep master v f out
	ids=($(b_be_list private break))
	IFS=, read -r -a sizes <<< "${B_SIZE[break_sizes]}"
	b_table break latency "Link break: first write to a shared file" native lower ratio \
		"Milliseconds for open(O_WRONLY) + 4 KiB pwrite + close of a file not written before, its data not in the cache: vunifyfs breaks the link to its store object, overlayfs and fuse-overlayfs copy the file up; native is \`cp --reflink=auto\` of the file (a new process, ~1 ms of it exec)."

	for id in "${ids[@]}"; do b_be_prepare "$id" "$dir/$id" || return 1; done
	for s in "${sizes[@]}"; do
		bytes=$(b_bytes "$s")
		master=$dir/master.$s
		head -c "$bytes" /dev/urandom > "$master" || return 1
		for id in "${ids[@]}"; do
			case "${BE_KIND[$id]}" in
			native) cp "$master" "${BE_DATA[$id]}/src.$s" || return 1 ;;
			overlay|fovl)
				for rep in $(seq "$B_REPS"); do
					cp "$master" "${BE_DATA[$id]}/v.$s.$rep" || return 1
				done ;;
			vu)
				b_unify "${BE_STORE[$id]}" "$master" \
					$(for rep in $(seq "$B_REPS"); do echo "${BE_DATA[$id]}/v.$s.$rep"; done) ||
					return 1 ;;
			esac
		done
		rm -f "$master"
	done
	for id in "${ids[@]}"; do b_be_mount "$id" || return 1; done
	sync

	for rep in $(seq "$B_REPS"); do
		for s in "${sizes[@]}"; do
			for id in "${ids[@]}"; do
				f=${BE_ROOT[$id]}/v.$s.$rep
				if [ "${BE_KIND[$id]}" = native ]; then
					b_evict "${BE_ROOT[$id]}/src.$s"
				else
					b_evict $(b_be_backing "$id" "v.$s.$rep")
				fi || return 1
				if [ "${BE_KIND[$id]}" = native ]; then
					# cp itself comes from the cache, the file does not.
					cp --version > /dev/null
					v=$(b_time_ms cp --reflink=auto "${BE_ROOT[$id]}/src.$s" "${BE_ROOT[$id]}/dst.$s.$rep") ||
						return 1
				else
					out=$("$B_METABENCH" firstwrite "$f" 4096 2>> "$B_LOG") ||
						{ b_warn "first write to $f failed"; return 1; }
					v=$(awk '{ printf "%.3f\n", $2 / 1e6 }' <<< "$out")
				fi
				b_record break latency "$(b_human "$(b_bytes "$s")")" "${BE_LABEL[$id]}" ms "$v"
				# Write back the copy now, not during the next run.
				if [ "${BE_KIND[$id]}" = native ]; then
					sync "${BE_ROOT[$id]}/dst.$s.$rep"
				else
					sync "$f"
				fi
			done
		done
		b_log "break: repetition $rep of $B_REPS done"
	done
	b_be_umount "${ids[@]}"

	# The writes must have made private copies, else this measured nothing.
	for id in "${ids[@]}"; do
		for s in "${sizes[@]}"; do
			f=v.$s.1
			case "${BE_KIND[$id]}" in
			overlay|fovl)
				[ -f "${BE_DIR[$id]}/upper/$f" ] ||
					{ b_warn "${BE_LABEL[$id]}: $f was not copied up"; return 1; } ;;
			vu)
				[ "$(stat -c %h "${BE_DATA[$id]}/$f")" = 1 ] &&
					! getfattr -n trusted.vunify "${BE_DATA[$id]}/$f" > /dev/null 2>&1 ||
					{ b_warn "${BE_LABEL[$id]}: $f is still the store object"; return 1; } ;;
			esac
		done
	done
}
