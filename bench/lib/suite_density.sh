# SPDX-License-Identifier: GPL-2.0-or-later
# Suite "density": what one more guest costs in memory when all guests use
# the same files.  For N in density_ns (1, 4, 16): N mounts, and in each one
# a process reads the same density_bytes of data files and another maps the
# same set of shared libraries (bench/metabench.c hold: mmap + touch every
# page, kept while measuring).  Then the page cache and memory charged to a
# memory cgroup that holds all those processes and the FUSE daemons (the
# files' pages dropped before; so the numbers are ours alone, however busy
# the machine),
# and the RSS of the FUSE daemons.  Without a memory cgroup controller it
# falls back to the growth of Cached and the drop of MemAvailable in
# /proc/meminfo, which other activity on the machine disturbs.
#
#   overlayfs       N overlay mounts of one lower directory (the reference:
#                   the kernel shares the lower inodes' page cache)
#   fuse-overlayfs  N mounts of the same lower directory
#   vunifyfs        N guests whose files are all hardlinks to the same store
#                   objects (one inode each), N mounts
# Without passthrough every FUSE mount caches its own copy of what it reads;
# with it (issue 6) reads and mappings use the backing inode's cache.

# The shared library set: the libraries of a few common programs, found with
# ldd (whatever of them is installed).
b_density_libs() {
	local p
	for p in /bin/bash /usr/bin/perl /usr/bin/gpg /usr/bin/apt /usr/bin/python3 \
		/usr/bin/ssh /usr/bin/git; do
		[ -x "$p" ] && ldd "$p" 2>/dev/null
	done | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u |
		while read -r p; do [ -f "$p" ] && readlink -f "$p"; done | sort -u
}

# Start the holders and readers of mount $1; appends holder pids to B_HOLDERS.
b_density_use() {
	local root=$1 out=$2 pid i
	"${B_MOUNT_WRAP[@]}" "$B_METABENCH" read "$root"/data/* > /dev/null 2>> "$B_LOG" || return 1
	"${B_MOUNT_WRAP[@]}" "$B_METABENCH" hold "$root"/lib/* > "$out" 2>> "$B_LOG" &
	pid=$!
	B_HOLDERS+=("$pid")
	for i in $(seq 600); do
		grep -q ready "$out" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

b_density_stop_holders() {
	local p
	[ ${#B_HOLDERS[@]} -gt 0 ] || return 0
	# SIGKILL: nothing to tidy up in a holder, and it cannot be missed.
	kill -9 "${B_HOLDERS[@]}" 2>/dev/null
	for p in "${B_HOLDERS[@]}"; do wait "$p" 2>/dev/null; done
	B_HOLDERS=()
}

# b_density_mount ID DIR ROUND I: mount instance I of backend ID for one
# round (its own guest or upper layer, so that no round waits for the last
# one's daemons to let go of their guests); print its root.
b_density_mount() {
	local id=$1 d=$2 r=$2/$3 i=$4
	case "${BE_KIND[$id]}" in
	overlay) b_mount_overlay "$d/lower" "$r/u$i" "$r/w$i" "$r/m$i" ;;
	fovl) b_mount_fovl "$d/lower" "$r/u$i" "$r/w$i" "$r/m$i" ;;
	vu) b_mount_vu "$r/g$i" "$r/m$i" "${BE_OPTS[$id]}" ;;
	esac || { b_warn "cannot mount ${BE_LABEL[$id]} instance $i"; return 1; }
	echo "$r/m$i"
}

suite_density() {
	local dir=$1 ids id ns n nmax nmin rep i f d g root bytes per k libs
	local c0 a0 c1 a1 rss pids label cg how round
	local -A cache
	B_HOLDERS=()
	ids=($(b_be_list density))
	IFS=, read -r -a ns <<< "${B_SIZE[density_ns]}"
	nmin=${ns[0]} nmax=${ns[-1]}
	bytes=$(b_bytes "${B_SIZE[density_bytes]}")
	k=${B_SIZE[density_files]}
	per=$((bytes / k))
	[ ${#ids[@]} -gt 0 ] || { b_skip density "no backend to compare"; return 0; }

	mkdir -p "$dir/src/data" "$dir/src/lib" || return 1
	for i in $(seq "$k"); do
		head -c "$per" /dev/urandom > "$dir/src/data/d$i" || return 1
	done
	libs=$(b_density_libs)
	[ -n "$libs" ] || { b_warn "density: no shared libraries found"; return 1; }
	while read -r f; do cp "$f" "$dir/src/lib/" || return 1; done <<< "$libs"
	local libbytes nlibs
	libbytes=$(du -sb "$dir/src/lib" | cut -f1)
	nlibs=$(ls "$dir/src/lib" | wc -l)

	if cg=$(b_cg_new probe); then
		b_cg_remove "$cg"
		how="page cache charged to a memory cgroup holding the daemons, readers and mappers"
		b_on_exit b_cg_remove_all
	else
		how="growth of Cached in /proc/meminfo (no memory cgroup controller: disturbed by anything else running)"
		b_skip density "no memory cgroup controller: measuring /proc/meminfo, which is noisy on a busy machine"
	fi
	b_table density cache "Density: page cache" - lower values \
		"MiB of page cache ($how) for N mounts, each reading the same $(b_human "$bytes") of data ($k files) and mapping the same $nlibs shared libraries ($((libbytes / 1048576)) MiB); those files' pages dropped before. \"per added guest\" = growth from N=$nmin to N=$nmax divided by the guests added. overlayfs is the reference: one page cache for all."
	b_table density memory "Density: memory and FUSE daemon RSS" - lower none \
		"MiB. Memory = all memory charged to the cgroup (page cache + anonymous; without cgroups the drop of MemAvailable); daemon RSS = summed VmRSS of the FUSE processes serving the N mounts."

	# The trees: one lower directory for the overlays, one set of store
	# objects linked into every guest for vunifyfs.
	for id in "${ids[@]}"; do
		d=$dir/$id
		mkdir -p "$d"
		case "${BE_KIND[$id]}" in
		overlay|fovl)
			cp -a "$dir/src" "$d/lower" || return 1 ;;
		vu)
			# A set of guests per round, all hardlinks to one set of
			# store objects.
			mkdir -p "$dir/store" && chmod 0700 "$dir/store"
			for rep in $(seq "$B_REPS"); do
				for n in "${ns[@]}"; do
					for i in $(seq "$n"); do
						g=$d/r$rep.$n/g$i
						mkdir -p "$g/data" "$g/lib" || return 1
						for f in "$dir"/src/data/* "$dir"/src/lib/*; do
							b_unify "$dir/store" "$f" "$g/${f#"$dir"/src/}" || return 1
						done
					done
				done
			done ;;
		esac
	done

	sync   # the trees made above; the rounds below write nothing
	for rep in $(seq "$B_REPS"); do
		for id in "${ids[@]}"; do
			d=$dir/$id label=${BE_LABEL[$id]}
			for n in "${ns[@]}"; do
				# Cold: the pages of every file the guests use
				# (FUSE caches went with the last unmounts).
				round=r$rep.$n
				case "${BE_KIND[$id]}" in
				vu) b_evict "$d/$round"/g1/data/* "$d/$round"/g1/lib/* ;;
				*) b_evict "$d"/lower/data/* "$d"/lower/lib/* ;;
				esac || return 1
				B_MOUNT_WRAP=()
				if cg=$(b_cg_new "$id.$n"); then
					B_MOUNT_WRAP=("${B_CG_EXEC[@]}" "$cg")
					c0=0 a0=0
				else
					sleep 0.5
					c0=$(b_meminfo Cached) a0=$(b_meminfo MemAvailable)
				fi
				pids=()
				for i in $(seq "$n"); do
					root=$(b_density_mount "$id" "$d" "$round" "$i") || return 1
					b_density_use "$root" "$d/$round/hold.$i" ||
						{ b_warn "density: reading or mapping through $root failed"; b_density_stop_holders; return 1; }
				done
				if [ ${#B_MOUNT_WRAP[@]} -gt 0 ]; then
					read -r c1 a1 < <(b_cg_stat "$cg")
				else
					sleep 0.5
					c1=$(b_meminfo Cached) a1=$(b_meminfo MemAvailable)
					a1=$((2 * a0 - a1))   # the drop of MemAvailable
				fi
				rss=0
				if [ "${BE_KIND[$id]}" != overlay ]; then
					for i in $(seq "$n"); do
						pids+=($(b_daemon_pids "$d/$round/m$i"))
					done
					rss=$(b_rss_kib "${pids[@]}")
				fi
				cache[$n]=$(((c1 - c0) / 1024))
				b_record density cache "N=$n" "$label" MiB "${cache[$n]}"
				b_record density memory "memory, N=$n" "$label" MiB $(((a1 - a0) / 1024))
				b_record density memory "daemon RSS, N=$n" "$label" MiB "$((rss / 1024))"
				b_density_stop_holders
				# Not waiting for the daemons to exit (a vunifyfs
				# takes up to 2 s): the next round has guests of its own.
				B_UMOUNT_WAIT=0 b_umount $(for i in $(seq "$n"); do echo "$d/$round/m$i"; done)
				B_MOUNT_WRAP=()
				[ -n "$cg" ] && b_cg_remove "$cg"
			done
			if [ "$nmax" != "$nmin" ]; then
				b_record density cache "per added guest" "$label" MiB \
					"$(awk -v a="${cache[$nmin]}" -v b="${cache[$nmax]}" -v n="$((nmax - nmin))" \
						'BEGIN { printf "%.1f", (b - a) / n }')"
				b_record density memory "N=$nmax cache ÷ N=$nmin cache" "$label" "×" \
					"$(awk -v a="${cache[$nmin]}" -v b="${cache[$nmax]}" \
						'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }')"
			fi
		done
		b_log "density: repetition $rep of $B_REPS done"
	done
}
