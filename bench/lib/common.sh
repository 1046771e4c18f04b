# SPDX-License-Identifier: GPL-2.0-or-later
# bench/lib/common.sh: logging, sizes, result records and small helpers
# shared by bench/run and every suite (bench/lib/suite_*.sh).
#
# Results are appended to plain TSV files in the work directory and turned
# into tables only at the end (bench/lib/report.sh), so that a suite that
# fails half-way still leaves the rows it measured:
#
#   $B_TABLES   suite  table  title  ref_column  better  chart  note
#   $B_RAW      suite  table  row  column  unit  value        (one line a rep)
#   $B_SKIPS    suite  reason                                 (skipped parts)

# Progress and warnings go to stderr and, once there is one, to the log.
b_log() {
	printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "${B_LOG:-/dev/null}" >&2
}
b_warn() {
	printf '[bench %s] warning: %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "${B_LOG:-/dev/null}" >&2
}
b_die()  { printf 'bench: %s\n' "$*" >&2; exit 1; }

# --- sizes -----------------------------------------------------------------
# fio jobs as JOBFILE:NUMJOBS (bench/fio/JOBFILE.fio), in table order.
B_FIO_ALL_JOBS=seq-read:1,seq-write:1,rand-read:1,rand-read:4,rand-write:1,rand-write:4

# Every size a suite uses is a key of B_SIZE.  A preset sets them all;
# `--size KEY=VALUE,...` overrides single keys after the preset.
declare -A B_SIZE
b_size_preset() {
	case "$1" in
	full)
		B_SIZE=(
			[fio_file]=1G [fio_runtime]=3 [fio_jobs]=$B_FIO_ALL_JOBS [meta_files]=100000 [meta_per_dir]=100
			[untar_entries]=0 [break_sizes]=4K,1M,64M,512M
			[density_ns]=1,4,16 [density_bytes]=256M [density_files]=16
			[dedupe_src]=/usr/include:/usr/share/doc [dedupe_guests]=4 [start_runs]=20
			[work_files]=100000 [work_src]=self [work_dpkg]=1
		) ;;
	quick)
		# For development: every suite in under 3 minutes on 2 cores.
		B_SIZE=(
			[fio_file]=64M [fio_runtime]=0.1 [fio_jobs]=seq-read:1,rand-write:1
			[meta_files]=1000 [meta_per_dir]=100 [untar_entries]=800
			[break_sizes]=4K,1M,16M
			[density_ns]=1,4 [density_bytes]=32M [density_files]=8
			[dedupe_src]=/usr/include/linux [dedupe_guests]=4 [start_runs]=5
			[work_files]=5000 [work_src]=self [work_dpkg]=1
		) ;;
	tiny)
		# For the smoke test: exercises every code path in seconds.
		B_SIZE=(
			[fio_file]=4M [fio_runtime]=0.1
			[fio_jobs]=seq-read:1,seq-write:1,rand-read:4,rand-write:1 [meta_files]=300 [meta_per_dir]=50
			[untar_entries]=200 [break_sizes]=4K,64K
			[density_ns]=1,2 [density_bytes]=4M [density_files]=4
			[dedupe_src]=generated [dedupe_guests]=2 [start_runs]=3
			[work_files]=300 [work_src]=generated [work_dpkg]=0
		) ;;
	*) return 1 ;;
	esac
}

# b_size_override "KEY=VALUE,KEY=VALUE": values may not contain commas, so
# on the command line the items of a list-valued key are separated by '+'
# (break_sizes=4K+1M, fio_jobs=seq-read:1+rand-read:4).
b_size_override() {
	local kv key val
	local IFS=,
	for kv in $1; do
		key=${kv%%=*} val=${kv#*=}
		if [ -z "${B_SIZE[$key]+x}" ] || [ "$kv" = "$key" ]; then
			echo "bench/run: --size: unknown key or missing value in '$kv' (keys: ${!B_SIZE[*]})" >&2
			return 1
		fi
		B_SIZE[$key]=${val//+/,}
	done
}

# b_bytes 64M -> 67108864 (K, M, G, T are powers of 1024).
b_bytes() {
	local v=$1 n m=1
	n=${v%[KkMmGgTt]}
	case "$v" in
	*[Kk]) m=1024 ;; *[Mm]) m=1048576 ;; *[Gg]) m=1073741824 ;;
	*[Tt]) m=1099511627776 ;;
	esac
	[[ $n =~ ^[0-9]+$ ]] || b_die "not a size: '$v'"
	echo $((n * m))
}

# b_human BYTES -> "64 MiB", "4 KiB"
b_human() {
	awk -v b="$1" 'BEGIN { split("B KiB MiB GiB TiB", u, " "); i = 1
		while (b >= 1024 && i < 5 && b % 1024 == 0) { b /= 1024; i++ }
		printf "%d %s\n", b, u[i] }'
}

# --- results ---------------------------------------------------------------
# b_table SUITE TABLE TITLE REF BETTER CHART NOTE
#   REF     the column every other is divided by ("-": no ratios)
#   BETTER  higher | lower | none (what a larger value means)
#   CHART   ratio | values | none
b_table() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$B_TABLES"
}

# b_record SUITE TABLE ROW COLUMN UNIT VALUE
b_record() {
	[ -n "$6" ] || { b_warn "$1/$2: no value for '$3' on $4"; return 1; }
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$B_RAW"
}

# b_skip SUITE REASON: print and remember why (a part of) a suite did not run.
b_skip() {
	printf 'skip: %s: %s\n' "$1" "$2"
	printf '%s\t%s\n' "$1" "$2" >> "$B_SKIPS"
}

# --- helpers ---------------------------------------------------------------
b_now_ns() { date +%s%N; }

# b_time_ms CMD...: run CMD (output to the log), print its wall time in ms.
b_time_ms() {
	local t0 t1 rc
	t0=$(b_now_ns)
	"$@" >> "$B_LOG" 2>&1
	rc=$?
	t1=$(b_now_ns)
	[ $rc = 0 ] || { b_warn "failed ($rc): $*"; return $rc; }
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 }'
}

# b_settle [cold|warm [FILE...]]: write back dirty data so that one
# measurement does not pay for the last (all of it, or only FILEs: a global
# sync can take seconds on a machine where others are writing); with "cold"
# also drop the page, dentry and inode caches (clean pages only, which is
# why the sync comes first).
b_settle() {
	local mode=${1:-warm}
	[ $# -gt 0 ] && shift
	if [ $# -gt 0 ]; then
		sync "$@"
	else
		sync
	fi
	if [ "$mode" = cold ]; then
		echo 3 > /proc/sys/vm/drop_caches
	fi
}

# b_drop: drop the clean page, dentry and inode caches (callers have written
# back what they wrote).  Takes a second or more on a big machine, and makes
# everyone else's caches cold too: for data, prefer b_evict.
b_drop() { echo 3 > /proc/sys/vm/drop_caches; }

# b_evict FILE...: drop the cached pages of these files only (they must have
# been written back).  Their inodes and names stay cached: a cold read of the
# data, as fio's invalidate does, for the backing file and the mounted one.
b_evict() { "$B_METABENCH" evict "$@" 2>> "$B_LOG"; }

# b_have CMD: is CMD runnable?
b_have() { command -v "$1" >/dev/null 2>&1; }

# b_missing CMD...: print the commands that are not there (space separated).
b_missing() {
	local c out=""
	for c in "$@"; do b_have "$c" || out="$out $c"; done
	echo "${out# }"
}

# b_tool NAME: is the project's build/bin/NAME there and working?  Prints
# the reason when it is not.
b_tool() {
	local exe=$B_BIN/$1
	if [ ! -x "$exe" ]; then
		echo "$exe is not built yet"
		return 1
	fi
	if ! timeout 10 "$exe" --help >/dev/null 2>&1; then
		echo "$exe --help fails"
		return 1
	fi
	return 0
}

# b_ops_per_s "OPS NS" -> ops per second
b_ops_per_s() { awk '{ if ($2 > 0) printf "%.1f\n", $1 * 1e9 / $2 }' <<< "$1"; }

# b_unify STORE SRC DEST...: make SRC a marked store object (content and
# metadata copied) and every DEST a hardlink to it, as vhashify would, but
# independent of it.  The id is the MD5 of the content (any 32 hex digits
# make a well-formed id; equal contents give one object, which keeps the
# metadata of the first SRC).
b_unify() {
	local store=$1 src=$2 id obj d; shift 2
	id=$(md5sum < "$src" | cut -c1-32)
	obj=$store/objects/${id:0:2}/${id:2}
	if [ ! -e "$obj" ]; then
		mkdir -p "${obj%/*}" && chmod 0700 "$store" &&
			cp -a "$src" "$obj.tmp" &&
			setfattr -n trusted.vunify -v "$id" "$obj.tmp" &&
			mv "$obj.tmp" "$obj" || return 1
	fi
	for d in "$@"; do ln -f "$obj" "$d" || return 1; done
}

# b_meminfo KEY: the value of KEY in /proc/meminfo, in KiB.
b_meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }

# b_rss_kib PID...: summed VmRSS of the processes, in KiB.
b_rss_kib() {
	local p s=0 v
	for p in "$@"; do
		v=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$p/status" 2>/dev/null)
		s=$((s + ${v:-0}))
	done
	echo $s
}

# --- memory cgroups (density) ------------------------------------------------
# The density suite charges everything it starts (FUSE daemons, readers,
# mappers) to a memory cgroup of its own, so that page cache and memory are
# counted for its processes only, not for whatever else the machine does.
# cgroup v2 (production) and v1 (some CI machines) both work.
# b_cg_root: where memory cgroups are made; fails if there is none.
b_cg_root() {
	if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		echo /sys/fs/cgroup
	elif [ -f /sys/fs/cgroup/memory/memory.stat ]; then
		echo /sys/fs/cgroup/memory
	else
		return 1
	fi
}

# b_cg_new NAME: make a fresh memory cgroup; prints its path.
b_cg_new() {
	local root cg
	root=$(b_cg_root) || return 1
	cg=$root/vunify-bench.$$.$1
	b_cg_remove "$cg"
	mkdir "$cg" 2>> "$B_LOG" && [ -f "$cg/memory.stat" ] || { rmdir "$cg" 2>/dev/null; return 1; }
	echo "$cg"
}

# B_CG_EXEC=(... CG): a command prefix that runs a command inside cgroup CG,
# as the same process (an external command, not a function, so that "$!" of
# a background job is the command itself):  "${B_CG_EXEC[@]}" "$cg" CMD...
B_CG_EXEC=(bash -c 'echo $$ > "$0/cgroup.procs" && exec "$@"')

# b_cg_stat CG: "PAGECACHE_KIB USAGE_KIB" of the cgroup.
b_cg_stat() {
	local cg=$1 cache usage
	if [ -f "$cg/memory.current" ]; then
		cache=$(awk '$1 == "file" { print $2 }' "$cg/memory.stat")
		usage=$(cat "$cg/memory.current")
	else
		cache=$(awk '$1 == "cache" { print $2 }' "$cg/memory.stat")
		usage=$(cat "$cg/memory.usage_in_bytes")
	fi
	echo "$((${cache:-0} / 1024)) $((${usage:-0} / 1024))"
}

# b_cg_remove CG: move whatever still runs in CG to the parent, remove it.
b_cg_remove() {
	local cg=$1 p
	[ -d "$cg" ] || return 0
	while read -r p; do
		echo "$p" > "${cg%/*}/cgroup.procs" 2>/dev/null
	done < "$cg/cgroup.procs"
	rmdir "$cg" 2>/dev/null
}

# b_cg_remove_all: remove every cgroup this run made (at exit).
b_cg_remove_all() {
	local root cg
	root=$(b_cg_root) || return 0
	for cg in "$root"/vunify-bench.$$.*; do
		[ -d "$cg" ] && b_cg_remove "$cg"
	done
	return 0
}
