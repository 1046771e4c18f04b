# SPDX-License-Identifier: GPL-2.0-or-later
# Suite "work": real workloads through each backend, as a guest runs them.
#   - find over a tree of work_files files (names only, as `find -name` does)
#     and git status of the same tree as a git repository (an lstat of every
#     file against the index), each with warm and with dropped caches;
#   - make -j2 of a C project: vunify itself (`git archive HEAD` of this
#     checkout), from clean;
#   - dpkg -i of a fixed set of Debian packages from a local cache, chrooted
#     into a Debian 12 tree (then purged, untimed, for the next repetition).
# Each backend gets its own copy of the trees before it is mounted (native
# directory, overlay lower layer, vunifyfs guest as private files), so the
# rows measure the layer, not a copy-up or link break of the first write.

# Packages not in a minbase tree whose dependencies a minbase tree has.
B_WORK_DEBS=(less tree bc libreadline8 readline-common ed file libmagic1 libmagic-mgc patch)
B_WORK_DEB_CACHE=${BENCH_DEB_CACHE:-/var/cache/vunify-bench/debs}

# b_work_repo DIR N: a git repository of N small files, 100 per directory,
# in DIR (made once, copied to every backend).
b_work_repo() {
	local dir=$1 n=$2
	mkdir -p "$dir" && python3 - "$dir" "$n" <<'PY' &&
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "d%02d" % (i // 10000), "s%03d" % (i // 100 % 100))
    if i % 100 == 0:
        os.makedirs(d, exist_ok=True)
    ext = (".c", ".h", ".txt", ".py")[i % 4]
    with open(os.path.join(d, "f%05d%s" % (i, ext)), "w") as f:
        f.write("/* file %d */\n" % i)
PY
	# No automatic gc in the background: it would race the one below.
	git -C "$dir" init -q && git -C "$dir" config gc.auto 0 && git -C "$dir" add -A &&
		git -C "$dir" -c user.name=bench -c user.email=bench@localhost commit -qm tree &&
		git -C "$dir" gc -q
}

# b_work_debs: fill B_WORK_DEB_FILES with the cached packages (downloaded
# once with apt-get download unless --no-install); prints the reason when
# they cannot be had.
B_WORK_DEB_FILES=()
b_work_debs() {
	local p f missing=()
	for p in "${B_WORK_DEBS[@]}"; do
		ls "$B_WORK_DEB_CACHE/${p}_"*.deb >/dev/null 2>&1 || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		[ "$B_INSTALL" = 1 ] || { echo "packages ${missing[*]} not in $B_WORK_DEB_CACHE (--no-install)"; return 1; }
		mkdir -p "$B_WORK_DEB_CACHE" &&
			(cd "$B_WORK_DEB_CACHE" && apt-get download "${missing[@]}") >> "$B_LOG" 2>&1 ||
			{ echo "apt-get download ${missing[*]} failed (see the log)"; return 1; }
	fi
	for p in "${B_WORK_DEBS[@]}"; do
		f=$(ls "$B_WORK_DEB_CACHE/${p}_"*.deb | tail -n 1)
		B_WORK_DEB_FILES+=("$f")
	done
}

# b_work_gensrc DIR: a small C project (for the tiny preset).
b_work_gensrc() {
	local i
	mkdir -p "$1" || return 1
	for i in $(seq 8); do
		printf '#include <stdio.h>\nint f%d(void) { return printf("%d\\n"); }\n' "$i" "$i" > "$1/f$i.c"
	done
	printf 'int main(void) { return 0; }\n' > "$1/main.c"
	printf 'OBJ = $(patsubst %%.c,%%.o,$(wildcard *.c))\nall: prog\nprog: $(OBJ)\n\t$(CC) -o $@ $^\nclean:\n\trm -f prog *.o\n' > "$1/Makefile"
}

# b_work_debian: the Debian 12 tree as a tarball, or the reason why none.
b_work_debian() {
	local t=${BENCH_DEBIAN_TAR:-${VUNIFY_TEST_CACHE:-/var/cache/vunify-tests}/debian-bookworm-minbase-sysvinit.tar}
	[ -s "$t" ] || { echo "no Debian tree: $t is missing (tests/vserver/debian.t makes it; or set BENCH_DEBIAN_TAR)"; return 1; }
	echo "$t"
}

# b_work_rate ROW UNIT COUNT ID CMD...: time CMD, record COUNT per second
# (or per minute for UNIT ending in /min).
b_work_rate() {
	local row=$1 unit=$2 count=$3 id=$4 ms
	shift 4
	ms=$(b_time_ms "$@") || return 1
	b_record work speed "$row" "${BE_LABEL[$id]}" "$unit" \
		"$(awk -v c="$count" -v ms="$ms" -v u="$unit" 'BEGIN { s = u ~ /\/min$/ ? 60000 : 1000; printf "%.2f", c * s / ms }')"
}

b_work_find() { find "$1" -name '*.h' | wc -l; }
b_work_git() { git -C "$1" status --porcelain; }
# The chroot has no /dev of its own on every backend (vunifyfs and the
# overlays may be nodev): dpkg and its scripts write to /dev/null.
b_work_dpkg() {
	local root=$1 rc
	mount --bind /dev/null "$root/dev/null" || return 1
	chroot "$root" dpkg -i "${B_WORK_DEB_FILES[@]/#*\//\/tmp\/debs\/}"
	rc=$?
	umount "$root/dev/null"
	return $rc
}
b_work_purge() {
	local root=$1 rc
	mount --bind /dev/null "$root/dev/null" || return 1
	chroot "$root" dpkg -P "${B_WORK_DEBS[@]}" >> "$B_LOG" 2>&1
	rc=$?
	umount "$root/dev/null"
	return $rc
}

suite_work() {
	local dir=$1 ids id rep root n=${B_SIZE[work_files]} deb="" src=0 ndeb
	b_have git || { b_skip work "git is not installed"; return 0; }
	ids=($(b_be_list private))
	b_table work speed "Real workloads" native higher ratio \
		"find -name over $n files in $((n / 100)) directories (entries/s); git status of them as a repository (files/s); make -j2 of $([ "${B_SIZE[work_src]}" = generated ] && echo 'a small generated C project' || echo 'vunify itself') from clean (builds/min); dpkg -i of ${#B_WORK_DEBS[@]} packages (${B_WORK_DEBS[*]}) from a local cache chrooted into a Debian 12 minbase tree (packages/min). Warm: run once before; cold: caches dropped first. Every tree lies in the backend as private files (overlay: lower layer)."

	b_log "work: a git repository of $n files"
	b_work_repo "$dir/master/repo" "$n" >> "$B_LOG" 2>&1 || { b_warn "cannot make the repository"; return 1; }
	if [ "${B_SIZE[work_src]}" = generated ]; then
		b_work_gensrc "$dir/master/src" || return 1
		src=1
	elif git -C "$B_TOP" rev-parse HEAD >/dev/null 2>&1; then
		mkdir -p "$dir/master/src" && git -C "$B_TOP" archive HEAD | tar -x -C "$dir/master/src" || return 1
		src=1
	else
		b_skip work "make row: $B_TOP is not a git checkout"
	fi
	if [ "${B_SIZE[work_dpkg]}" = 0 ]; then
		b_skip work "dpkg row: not in the $B_PRESET preset (work_dpkg=0)"
	elif ! b_work_debs > "$dir/why" || [ ${#B_WORK_DEB_FILES[@]} = 0 ]; then
		b_skip work "dpkg row: $(cat "$dir/why")"
	elif ! deb=$(b_work_debian); then
		b_skip work "dpkg row: $deb"
		deb=""
	fi
	ndeb=${#B_WORK_DEB_FILES[@]}
	for id in "${ids[@]}"; do
		b_be_prepare "$id" "$dir/$id" || return 1
		cp -a "$dir/master/." "${BE_DATA[$id]}/" || return 1
		if [ -n "$deb" ]; then
			mkdir -p "${BE_DATA[$id]}/deb" && tar -xf "$deb" -C "${BE_DATA[$id]}/deb" || return 1
		fi
		b_be_mount "$id" || return 1
	done
	for rep in $(seq "$B_REPS"); do
		for id in "${ids[@]}"; do
			root=${BE_ROOT[$id]}
			b_work_find "$root/repo" > /dev/null && b_work_git "$root/repo" > /dev/null || return 1
			b_work_rate "find, warm" entries/s "$n" "$id" b_work_find "$root/repo" || return 1
			b_work_rate "git status, warm" files/s "$n" "$id" b_work_git "$root/repo" || return 1
		done
		b_settle cold
		for id in "${ids[@]}"; do
			root=${BE_ROOT[$id]}
			b_work_rate "find, cold" entries/s "$n" "$id" b_work_find "$root/repo" || return 1
		done
		b_settle cold
		for id in "${ids[@]}"; do
			root=${BE_ROOT[$id]}
			b_work_rate "git status, cold" files/s "$n" "$id" b_work_git "$root/repo" || return 1
		done
		for id in "${ids[@]}"; do
			root=${BE_ROOT[$id]}
			if [ $src = 1 ]; then
				make -C "$root/src" clean >> "$B_LOG" 2>&1
				b_settle warm
				b_work_rate "make -j2" builds/min 1 "$id" make -C "$root/src" -j2 all || return 1
			fi
			if [ -n "$deb" ]; then
				mkdir -p "$root/deb/tmp/debs" && cp "${B_WORK_DEB_FILES[@]}" "$root/deb/tmp/debs/" || return 1
				b_settle warm
				b_work_rate "dpkg -i" packages/min "$ndeb" "$id" b_work_dpkg "$root/deb" || return 1
				b_work_purge "$root/deb" && rm -rf "$root/deb/tmp/debs" || return 1
			fi
		done
		b_log "work: repetition $rep of $B_REPS done"
	done
	b_be_umount "${ids[@]}"
}
