# SPDX-License-Identifier: GPL-2.0-or-later
# bench/lib/backends.sh: the filesystems the suites compare, all set up in
# subdirectories of the one work directory (same disk, same filesystem):
#
#   native      a plain directory
#   overlay     kernel overlayfs (lower, upper, work below the directory)
#   fovl        fuse-overlayfs, same layout
#   vu          vunifyfs over a guest directory, with a store beside it
#
# A *backend* is a kind plus a label and options; the registry below is the
# one place that decides which backends exist.  To compare one more variant
# of vunifyfs add one b_be_add line (or pass --vu-variant NAME=OPTS): every
# suite then measures it.  Mount options that vunifyfs does not know yet are
# probed by mounting a scratch guest, so that the passthrough columns (issue
# 6) and the space-accounting column (issue 7) appear by themselves once
# vunifyfs accepts those options.
#
# Everything mounted lives below $B_WORK; b_umount_all unmounts all of it
# (aborting dead FUSE connections first), which is what the traps call.

B_BE_IDS=()
declare -A BE_KIND BE_LABEL BE_OPTS BE_SHARED BE_ROLE
declare -A BE_DIR BE_DATA BE_PRIV BE_STORE BE_MNT BE_ROOT

# b_be_add ID KIND LABEL [OPTS [SHARED [ROLE]]]
#   SHARED  1: the suite's files are unified (store objects) on this backend
#           and it is measured for reads only
#   ROLE    "" or "writecost": a variant that only matters for the write
#           path (fio, metadata), left out of break and density
b_be_add() {
	B_BE_IDS+=("$1")
	BE_KIND[$1]=$2 BE_LABEL[$1]=$3 BE_OPTS[$1]=${4:-} BE_SHARED[$1]=${5:-0}
	BE_ROLE[$1]=${6:-}
}

# b_be_list FILTER: the backend ids a suite runs on, in table order.
#   all      every backend (fio)
#   private  no shared-file backends (metadata, link break)
#   density  overlay, fuse-overlayfs and every plain vunifyfs variant
b_be_list() {
	local id
	for id in "${B_BE_IDS[@]}"; do
		case "$1" in
		all) ;;
		private) [ "${BE_SHARED[$id]}" = 0 ] || continue
			[ "${2:-}" = break ] && [ -n "${BE_ROLE[$id]}" ] && continue ;;
		density) [ "${BE_SHARED[$id]}" = 0 ] && [ -z "${BE_ROLE[$id]}" ] &&
			[ "${BE_KIND[$id]}" != native ] || continue ;;
		esac
		echo "$id"
	done
}

# --- probing ---------------------------------------------------------------
declare -A B_VU_PROBED

# b_vu_accepts OPTS: does vunifyfs mount a guest with -o OPTS?  Asks once per
# OPTS.  A real mount, not --help: "passthrough=on" must fail to mount where
# the kernel cannot do it, and that is what we want to know.
b_vu_accepts() {
	local opts=$1 g=$B_WORK/probe/guest m=$B_WORK/probe/mnt rc
	if [ -n "${B_VU_PROBED[$opts]+x}" ]; then
		return "${B_VU_PROBED[$opts]}"
	fi
	mkdir -p "$g" "$m"
	echo probe > "$g/f"
	if timeout 30 "$B_BIN/vunifyfs" -o "$opts" "$g" "$m" >> "$B_LOG" 2>&1 &&
		b_is_mounted "$m" && cat "$m/f" > /dev/null 2>&1; then
		rc=0
	else
		rc=1
	fi
	b_is_mounted "$m" && b_umount "$m"
	B_VU_PROBED[$opts]=$rc
	return $rc
}

# b_backends_init: fill the registry with what this machine and build have.
b_backends_init() {
	local why v name opts
	b_be_add native native "native"
	if grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null; then
		b_be_add overlay overlay "overlayfs"
	else
		b_skip backends "kernel overlayfs not available: its columns are left out"
	fi
	if b_have fuse-overlayfs; then
		b_be_add fovl fovl "fuse-overlayfs"
	else
		b_skip backends "fuse-overlayfs not installed: its columns are left out"
	fi
	if ! why=$(b_tool vunifyfs); then
		b_skip backends "$why: the vunifyfs columns are left out"
		return 0
	fi
	# Issue 6: passthrough.  Until vunifyfs knows the option, the plain
	# columns are vunifyfs as it is (no passthrough).
	local off=""
	if b_vu_accepts passthrough=on; then
		off=passthrough=off
		b_be_add vu vu "vunifyfs" "$off"
		b_be_add vu-shared vu "vunifyfs shared" "$off" 1
		b_be_add vu-pt vu "vunifyfs+pt" "passthrough=on"
		b_be_add vu-pt-shared vu "vunifyfs+pt shared" "passthrough=on" 1
	else
		b_be_add vu vu "vunifyfs"
		b_be_add vu-shared vu "vunifyfs shared" "" 1
		b_skip backends "vunifyfs -o passthrough=on is not accepted (yet): no passthrough columns"
	fi
	# Issue 7: the cost of space accounting on the write path.  A limit far
	# above what the suites write, so that only the bookkeeping is measured.
	if b_vu_accepts space=1T; then
		if b_vu_accepts passthrough=on; then
			b_be_add vu-space vu "vunifyfs+pt+space" "space=1T,passthrough=on" 0 writecost
		else
			b_be_add vu-space vu "vunifyfs+space" "space=1T" 0 writecost
		fi
	fi
	# Issue 14: FUSE over io_uring.  The kernel's switch is host-wide (the
	# fuse module's enable_uring), so the run turns it on only when asked
	# (BENCH_URING=1) and puts it back at the end.
	local ring=/sys/module/fuse/parameters/enable_uring
	if [ "${BENCH_URING:-0}" = 1 ] && [ -w "$ring" ] && [ "$(cat "$ring")" = N ]; then
		echo 1 > "$ring" && B_CLEANUP_HOOKS+=("echo 0 > $ring")
	fi
	if b_vu_accepts passthrough=on,uring=on; then
		b_be_add vu-ring vu "vunifyfs+pt+uring" "passthrough=on,uring=on" 0 writecost
	else
		b_skip backends "vunifyfs -o uring=on does not mount here (the fuse module's enable_uring is off? BENCH_URING=1 turns it on for the run): no io_uring column"
	fi
	# --vu-variant NAME=OPTS (repeatable), e.g. threads=2 or timeout=0.
	for v in "${B_VU_VARIANTS[@]:-}"; do
		[ -n "$v" ] || continue
		name=${v%%=*} opts=${v#*=}
		if b_vu_accepts "$opts"; then
			b_be_add "vu-$name" vu "vunifyfs $name" "$opts"
		else
			b_skip backends "--vu-variant $v: vunifyfs does not mount with -o $opts"
		fi
	done
}

# --- mounting --------------------------------------------------------------
# b_is_mounted DIR (from mountinfo only: never stat a possibly dead mount)
b_is_mounted() {
	awk -v m="$1" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo
}

# Mounts below $1, deepest first, as "MAJOR:MINOR TARGET".
b_mounts_below() {
	awk -v p="$1/" 'substr($5, 1, length(p)) == p { print length($5), $3, $5 }' \
		/proc/self/mountinfo | sort -rn | cut -d' ' -f2-
}

# b_fuse_abort MNT: abort the FUSE connection behind MNT, if it is one.
b_fuse_abort() {
	local dev
	dev=$(awk -v m="$1" '$5 == m { print $3 }' /proc/self/mountinfo | tail -n 1)
	[ -n "$dev" ] && [ -w "/sys/fs/fuse/connections/${dev#*:}/abort" ] &&
		echo 1 > "/sys/fs/fuse/connections/${dev#*:}/abort"
	return 0
}

# b_daemon_pids MNT: the processes that serve FUSE mount MNT (whose command
# line has MNT as an argument and that hold /dev/fuse open).
b_daemon_pids() {
	local f pid
	# One grep over all command lines (NUL-separated arguments).
	grep -lzxF -- "$1" /proc/[0-9]*/cmdline 2>/dev/null | while read -r f; do
		pid=${f#/proc/}; pid=${pid%/cmdline}
		ls -l "/proc/$pid/fd" 2>/dev/null | grep -q '/dev/fuse' && echo "$pid"
	done
}

# b_umount MNT...: unmount; abort and detach if that fails; then wait for
# the vunifyfs daemons to exit (one holds its guest's lock until it does,
# which can take a second or two after the unmount).  fuse-overlayfs takes
# seconds to go too but holds nothing: not waited for.  Several mounts are
# unmounted first and waited for together.  B_UMOUNT_WAIT=0: do not wait.
b_umount() {
	local mnt pids="" i p alive
	for mnt in "$@"; do
		b_is_mounted "$mnt" || continue
		for p in $(b_daemon_pids "$mnt"); do
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = vunifyfs ] && pids="$pids $p"
		done
		if ! timeout 30 umount "$mnt" 2>> "$B_LOG"; then
			b_warn "umount $mnt failed: aborting the connection and detaching"
			b_fuse_abort "$mnt"
			umount -l "$mnt" 2>> "$B_LOG"
		fi
	done
	[ "${B_UMOUNT_WAIT:-1}" = 1 ] || return 0
	for i in $(seq 400); do
		alive=""
		for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
		pids=${alive# }
		[ -n "$pids" ] || break
		sleep 0.02
	done
	[ -z "$pids" ] || { b_warn "vunifyfs daemon(s) $pids still running after unmounting: killing"; kill -9 $pids 2>/dev/null; }
	return 0
}

# b_umount_all DIR: unmount everything below DIR, deepest first; never blocks
# on a dead FUSE daemon (aborted through fusectl first if umount fails).
b_umount_all() {
	local dev target
	while read -r dev target; do
		[ -n "$target" ] || continue
		timeout 20 umount "$target" 2>/dev/null && continue
		[ -w "/sys/fs/fuse/connections/${dev#*:}/abort" ] &&
			echo 1 > "/sys/fs/fuse/connections/${dev#*:}/abort"
		umount -l "$target" 2>/dev/null
	done < <(b_mounts_below "$1")
}

b_mount_overlay() { # LOWER UPPER WORK MNT
	mkdir -p "$2" "$3" "$4" &&
		mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4"
}

# B_MOUNT_WRAP: a command prefix for the FUSE daemons (the density suite
# starts them inside a memory cgroup).
B_MOUNT_WRAP=()

b_mount_fovl() { # LOWER UPPER WORK MNT
	mkdir -p "$2" "$3" "$4" &&
		"${B_MOUNT_WRAP[@]}" timeout 30 fuse-overlayfs -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4" \
			>> "$B_LOG" 2>&1 && b_is_mounted "$4"
}

b_mount_vu() { # GUEST MNT [OPTS]
	mkdir -p "$2" || return 1
	if [ -n "${3:-}" ]; then
		"${B_MOUNT_WRAP[@]}" timeout 30 "$B_BIN/vunifyfs" -o "$3" "$1" "$2" >> "$B_LOG" 2>&1
	else
		"${B_MOUNT_WRAP[@]}" timeout 30 "$B_BIN/vunifyfs" "$1" "$2" >> "$B_LOG" 2>&1
	fi && b_is_mounted "$2"
}

# --- one backend's tree ----------------------------------------------------
# b_be_prepare ID DIR [STORE]: make the backend's backing directories below
# DIR and say where a suite puts its files before mounting:
#   BE_DATA[ID]   files a test reads (native dir, overlay lower, guest)
#   BE_PRIV[ID]   files a test overwrites in place without a copy-up or link
#                 break first (native dir, overlay upper, guest)
#   BE_STORE[ID]  the store of a vunifyfs backend (default DIR/../store)
b_be_prepare() {
	local id=$1 dir=$2
	BE_DIR[$id]=$dir
	case "${BE_KIND[$id]}" in
	native)
		BE_DATA[$id]=$dir/data BE_PRIV[$id]=$dir/data BE_MNT[$id]="" ;;
	overlay|fovl)
		BE_DATA[$id]=$dir/lower BE_PRIV[$id]=$dir/upper BE_MNT[$id]=$dir/mnt
		mkdir -p "$dir/work" ;;
	vu)
		BE_DATA[$id]=$dir/guest BE_PRIV[$id]=$dir/guest BE_MNT[$id]=$dir/mnt
		BE_STORE[$id]=${3:-${dir%/*}/store}
		mkdir -p "${BE_STORE[$id]}" && chmod 0700 "${BE_STORE[$id]}" ;;
	esac
	mkdir -p "${BE_DATA[$id]}" "${BE_PRIV[$id]}"
}

# b_be_mount ID: mount it; BE_ROOT[ID] is then where the test works.
b_be_mount() {
	local id=$1 d=${BE_DIR[$1]}
	case "${BE_KIND[$id]}" in
	native) BE_ROOT[$id]=$d/data; return 0 ;;
	overlay) b_mount_overlay "$d/lower" "$d/upper" "$d/work" "$d/mnt" ;;
	fovl) b_mount_fovl "$d/lower" "$d/upper" "$d/work" "$d/mnt" ;;
	vu) b_mount_vu "$d/guest" "$d/mnt" "${BE_OPTS[$id]}" ;;
	esac || { b_warn "cannot mount ${BE_LABEL[$id]} at $d/mnt"; return 1; }
	BE_ROOT[$id]=$d/mnt
}

# b_be_umount ID...: unmount these backends (together: see b_umount).
b_be_umount() {
	local id m=()
	for id in "$@"; do [ -n "${BE_MNT[$id]:-}" ] && m+=("${BE_MNT[$id]}"); done
	[ ${#m[@]} = 0 ] || b_umount "${m[@]}"
}

# b_be_backing ID NAME: the backing files behind BE_ROOT[ID]/NAME, to evict
# them from the cache (the lower and the upper layer where both exist; a
# unified name is the store object itself).
b_be_backing() {
	local id=$1 name=$2 d=${BE_DIR[$1]}
	case "${BE_KIND[$id]}" in
	native) echo "$d/data/$name" ;;
	overlay|fovl)
		[ -e "$d/upper/$name" ] && echo "$d/upper/$name"
		[ -e "$d/lower/$name" ] && echo "$d/lower/$name" ;;
	vu) echo "$d/guest/$name" ;;
	esac
	return 0
}

# b_be_evict ID NAME: cold cache for one file of a mounted backend: its
# backing files and (FUSE keeps a cache of its own) the file as mounted.
b_be_evict() {
	local f=()
	mapfile -t f < <(b_be_backing "$1" "$2")
	[ "${BE_KIND[$1]}" = native ] || f+=("${BE_ROOT[$1]}/$2")
	b_evict "${f[@]}"
}

# b_be_daemons ID: the FUSE daemon processes of a mounted backend.
b_be_daemons() {
	[ -n "${BE_MNT[$1]:-}" ] && b_daemon_pids "${BE_MNT[$1]}"
}
