# SPDX-License-Identifier: GPL-2.0-or-later
# Suite "start": what a guest costs to start and to enter.
#   vserver          `vserver NAME start` (mounts the root with vunifyfs,
#                    makes the context and cgroups, returns once init runs)
#                    and `vserver NAME exec /bin/true` into the running guest
#   unshare+chroot   unshare (pid, mount, uts, ipc, net) + chroot running the
#                    guest's /bin/true as its PID 1; exec = nsenter into a
#                    running one
#   bubblewrap       bwrap --unshare-all with the tree as / running /bin/true;
#                    exec = nsenter into a running one
# The guest is a small busybox-static tree (busybox init); unshare and
# bubblewrap use a copy of the same tree.  Times from hyperfine (exec, and
# the starts of unshare and bubblewrap) or from the wall clock around
# `vserver start` (each followed by an untimed stop).

# b_start_tree DIR: a busybox guest tree whose init stops on SIGINT.
b_start_tree() {
	local root=$1 a
	mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,run,tmp,root} || return 1
	chmod 1777 "$root/tmp"
	cp /bin/busybox "$root/bin/busybox" || return 1
	for a in $("$root/bin/busybox" --list); do
		[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
	done
	ln -sf ../bin/busybox "$root/sbin/init"
	# busybox init: SIGINT runs the ctrlaltdel action (vserver's default
	# stop signal), which powers off.
	printf '%s\n' '::respawn:/bin/sleep 1000000' '::ctrlaltdel:/bin/poweroff' > "$root/etc/inittab"
	echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
	echo 'root:x:0:' > "$root/etc/group"
}

# b_hyperfine COLUMN ROW CMD...: time CMD start_runs times; one record each.
b_hyperfine() {
	local col=$1 row=$2 json=$B_WORK/hyperfine.json t; shift 2
	hyperfine -N --style none --warmup 2 --runs "${B_SIZE[start_runs]}" \
		--export-json "$json" -- "$*" >> "$B_LOG" 2>&1 ||
		{ b_warn "start: hyperfine failed: $*"; return 1; }
	# The "times" array of the one result, in seconds.
	for t in $(tr -d ' \n' < "$json" | sed -n 's/.*"times":\[\([^]]*\)\].*/\1/p' | tr ',' ' '); do
		b_record start latency "$row" "$col" ms "$(awk -v s="$t" 'BEGIN { printf "%.3f", s * 1000 }')"
	done
}

# b_start_pid1 PID: the first descendant of PID that runs "sleep" (the
# sandbox's long-running process, to nsenter into).
b_start_pid1() {
	local p=$1 i c
	for i in $(seq 100); do
		for c in $(pgrep -P "$p"); do
			if [ "$(cat "/proc/$c/comm" 2>/dev/null)" = sleep ]; then echo "$c"; return 0; fi
			for c in $(pgrep -P "$c"); do
				[ "$(cat "/proc/$c/comm" 2>/dev/null)" = sleep ] && { echo "$c"; return 0; }
			done
		done
		sleep 0.05
	done
	return 1
}

# Stop the guest and remove whatever it left (also at exit).
b_start_cleanup() {
	local name=$1 d
	timeout 60 "$B_BIN/vserver" "$name" stop --timeout 0 > /dev/null 2>&1
	for d in /sys/fs/cgroup/*/vunify/"$name" /sys/fs/cgroup/vunify/"$name"; do
		[ -d "$d" ] || continue
		xargs -r kill -9 < "$d/cgroup.procs" 2>/dev/null
		sleep 0.2
		rmdir "$d" 2>/dev/null
	done
	return 0
}

suite_start() {
	local dir=$1 why name root plain i t0 t1 pid pids=() missing
	if ! why=$(b_tool vserver); then
		b_skip start "$why"
		return 0
	fi
	[ -x /bin/busybox ] || { b_skip start "/bin/busybox is not installed (package busybox-static)"; return 0; }
	b_have hyperfine || { b_skip start "hyperfine is not installed"; return 0; }
	missing=$(b_missing unshare chroot nsenter)
	[ -z "$missing" ] || { b_skip start "missing: $missing"; return 0; }

	export VUNIFY_BASE=$dir/base VUNIFY_RUNDIR=$dir/run VUNIFY_LOGDIR=$dir/log
	name=vb$(($$ % 100000))
	root=$VUNIFY_BASE/guests/$name/root
	mkdir -p "$VUNIFY_BASE/guests/$name" "$VUNIFY_BASE/store" "$VUNIFY_RUNDIR" || return 1
	chmod 0700 "$VUNIFY_BASE/store"
	b_start_tree "$root" || return 1
	printf '[guest]\nhostname = %s\nstop_timeout = 10\n\n[network]\nmode = none\n' "$name" \
		> "$VUNIFY_BASE/guests/$name/guest.conf"
	plain=$dir/plain
	cp -a "$root" "$plain" || return 1
	b_on_exit "b_start_cleanup $name"

	b_table start latency "Guest start and exec" "unshare+chroot" lower ratio \
		"Milliseconds. start: vserver start returns once the guest's init runs (vunifyfs mount, context, cgroups); unshare+chroot and bubblewrap create their namespaces and run the guest's /bin/true as PID 1 to its end. exec true: run /bin/true inside the running guest (vserver exec; nsenter into the running unshare or bwrap sandbox). ${B_SIZE[start_runs]} runs each."

	# vserver start, each followed by an untimed stop.
	for i in $(seq "${B_SIZE[start_runs]}"); do
		t0=$(b_now_ns)
		timeout 120 "$B_BIN/vserver" "$name" start >> "$B_LOG" 2>&1 ||
			{ b_warn "start: vserver $name start failed (see the log)"; return 1; }
		t1=$(b_now_ns)
		b_record start latency "start" vserver ms "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')"
		if [ "$i" = "${B_SIZE[start_runs]}" ]; then
			# Leave the last one running for exec.
			b_hyperfine vserver "exec true" "$B_BIN/vserver" "$name" exec /bin/true || return 1
		fi
		timeout 120 "$B_BIN/vserver" "$name" stop >> "$B_LOG" 2>&1 ||
			{ b_warn "start: vserver $name stop failed"; return 1; }
	done

	b_hyperfine "unshare+chroot" start unshare --fork --kill-child --pid --mount --uts --ipc --net \
		"--mount-proc=$plain/proc" chroot "$plain" /bin/true || return 1
	unshare --fork --kill-child --pid --mount --uts --ipc --net "--mount-proc=$plain/proc" \
		chroot "$plain" /bin/sleep 1000000 > /dev/null 2>&1 &
	pids+=($!)
	pid=$(b_start_pid1 "$!") || { b_warn "start: the unshare sandbox did not start"; kill -9 "${pids[@]}"; return 1; }
	b_hyperfine "unshare+chroot" "exec true" nsenter -t "$pid" -a -r -w /bin/true || { kill -9 "${pids[@]}"; return 1; }

	if b_have bwrap; then
		b_hyperfine bubblewrap start bwrap --unshare-all --die-with-parent --bind "$plain" / \
			--proc /proc --dev /dev /bin/true || { kill -9 "${pids[@]}"; return 1; }
		bwrap --unshare-all --die-with-parent --bind "$plain" / --proc /proc --dev /dev \
			/bin/sleep 1000000 > /dev/null 2>&1 &
		pids+=($!)
		pid=$(b_start_pid1 "$!") || { b_warn "start: the bwrap sandbox did not start"; kill -9 "${pids[@]}"; return 1; }
		b_hyperfine bubblewrap "exec true" nsenter -t "$pid" -a -r -w /bin/true ||
			{ kill -9 "${pids[@]}"; return 1; }
	else
		b_skip start "bubblewrap is not installed: its column is left out"
	fi
	# SIGKILL: unshare --fork ignores SIGTERM while it waits (--kill-child
	# then kills the sandbox), bwrap --die-with-parent takes its sandbox along.
	kill -9 "${pids[@]}" 2>/dev/null
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
	unset VUNIFY_BASE VUNIFY_RUNDIR VUNIFY_LOGDIR
	return 0
}
