# SPDX-License-Identifier: GPL-2.0-or-later
# A private sshd for the migrate tests: source after vslib.sh, then call
# ssh_setup.  It listens on 127.0.0.1 only, on a free high port, with a
# host key and a client key made in $T/ssh; nothing of the host's ssh
# configuration (/etc/ssh, ~/.ssh) is read or touched -- except that sshd
# needs its compiled-in privilege separation directory /run/sshd, made if
# missing (and left: a system sshd would make the same).
#
# After ssh_setup: SSH_TARGET_HOST (root@localhost) and SSH_OPTS, the
# --ssh-opt arguments for vserver migrate (port, key, known hosts); ssh_run
# CMD... runs a command through it, ssh_migrate NAME TARGET [ARGS] runs
# vserver NAME migrate through it (this build's vserver on the other side),
# and ssh_sent_bytes FILE reads the bytes sent from its summary.

ssh_setup() {
	local d=$T/ssh port p i
	[ -x /usr/sbin/sshd ] || t_skip "no sshd (openssh-server is not installed)"
	t_require_cmd ssh
	t_require_cmd ssh-keygen
	mkdir -p "$d"
	chmod 0700 "$d"
	ssh-keygen -q -t ed25519 -N '' -C vunify-test-host -f "$d/host_key" || t_fail "ssh-keygen"
	ssh-keygen -q -t ed25519 -N '' -C vunify-test-client -f "$d/id" || t_fail "ssh-keygen"
	cp "$d/id.pub" "$d/authorized_keys"
	chmod 0600 "$d/authorized_keys"
	echo "vunify-test $(cat "$d/host_key.pub")" > "$d/known_hosts"
	[ -d /run/sshd ] || mkdir -m 0755 /run/sshd || t_skip "cannot make /run/sshd"
	# A free port: one nothing listens on; sshd failing to bind is
	# retried with another.
	for i in 1 2 3 4 5 6 7 8; do
		port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
		ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && continue
		cat > "$d/sshd_config" <<-EOF
		ListenAddress 127.0.0.1
		Port $port
		HostKey $d/host_key
		PidFile $d/sshd.pid
		AuthorizedKeysFile $d/authorized_keys
		PermitRootLogin prohibit-password
		PubkeyAuthentication yes
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UsePAM no
		StrictModes no
		X11Forwarding no
		AllowTcpForwarding no
		PermitTTY no
		SetEnv VUNIFY_RUNDIR=$VUNIFY_RUNDIR VUNIFY_LOGDIR=$VUNIFY_LOGDIR VUNIFY_LXCFS=$VUNIFY_LXCFS
		EOF
		/usr/sbin/sshd -D -e -f "$d/sshd_config" -E "$d/sshd.log" &
		p=$!
		SSH_OPTS=(--ssh-opt "Port=$port" --ssh-opt "IdentityFile=$d/id" --ssh-opt IdentitiesOnly=yes
			  --ssh-opt "UserKnownHostsFile=$d/known_hosts" --ssh-opt GlobalKnownHostsFile=/dev/null
			  --ssh-opt HostKeyAlias=vunify-test --ssh-opt StrictHostKeyChecking=yes
			  --ssh-opt ConnectTimeout=10 --ssh-opt LogLevel=ERROR)
		SSH_TARGET_HOST=root@localhost
		t_on_exit "kill $p 2>/dev/null; wait $p 2>/dev/null"
		for _ in $(seq 50); do
			kill -0 "$p" 2>/dev/null || break
			ssh_run true 2>/dev/null && return 0
			sleep 0.2
		done
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	t_skip "could not start a private sshd: $(tail -3 "$d/sshd.log" 2>/dev/null | tr '\n' ' ')"
}

# ssh_run CMD...: CMD on the private sshd's side (bounded).
ssh_run() {
	local o=() i
	for ((i = 1; i < ${#SSH_OPTS[@]}; i += 2)); do o+=(-o "${SSH_OPTS[i]}"); done
	timeout -k 5 60 ssh -F /dev/null -o BatchMode=yes "${o[@]}" "$SSH_TARGET_HOST" "$@"
}

# ssh_migrate NAME TARGET [ARGS]: bounded by $SSH_MIGRATE_TIMEOUT (300 s).
ssh_migrate() {
	local n=$1 target=$2
	shift 2
	t_timeout "${SSH_MIGRATE_TIMEOUT:-300}" "$VS" "$n" migrate "$target" "$@" "${SSH_OPTS[@]}" \
		--remote-vserver "$VS"
}

# ssh_sent_bytes FILE: N of the last "vserver: NAME: sent ...: N bytes".
ssh_sent_bytes() { sed -n 's/.*vserver: [^:]*: sent .*: \([0-9]*\) bytes$/\1/p' "$1" | tail -1; }
