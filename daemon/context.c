// SPDX-License-Identifier: GPL-2.0-or-later
/* Start a guest's init in a new context: see include/vsupervisor/context.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vsupervisor/context.h"
#include "vsupervisor/fdpass.h"
#include "vsupervisor/nat.h"
#include "vsupervisor/netlink.h"
#include "vsupervisor/rootfs.h"
#include "vsupervisor/secpolicy.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

char *const vu_ctx_env_path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/* struct clone_args of <linux/sched.h>, which clashes with <sched.h>. */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

int vu_oom_reset(struct vu_err *e)
{
	int fd = open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
	char buf[16] = "";
	ssize_t n;

	if (fd < 0)
		return vu_err_set(e, errno, "/proc/self/oom_score_adj");
	n = read(fd, buf, sizeof(buf) - 1);
	/* Only a protection is taken away (raising needs no privilege);
	 * a positive value stays, it protects the host. */
	if (n > 0 && buf[0] == '-' && (lseek(fd, 0, SEEK_SET) < 0 || write(fd, "0", 1) != 1)) {
		vu_err_set(e, errno, "/proc/self/oom_score_adj");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* ---- the child: runs as the guest's PID 1 until it executes init ---- */

static __attribute__((noreturn)) void child_fail(int sync, const struct vu_err *e)
{
	vu_msg_send_err(sync, e->code, e->msg);
	_exit(127);
}

/* Write @value to /proc/sys/@path, which is the guest's own namespace's
 * (a network sysctl is the opener's); a missing one (no IPv6) is fine. */
static int netns_sysctl(const char *path, const char *value, struct vu_err *e)
{
	char p[128];
	int fd;
	size_t n = strlen(value);

	snprintf(p, sizeof(p), "/proc/sys/%s", path);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : vu_err_set(e, errno, "%s", p);
	if (write(fd, value, n) != (ssize_t)n) {
		vu_err_set(e, errno, "%s", p);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* On a link shared with others the guest has exactly the addresses of its
 * guest.conf: no IPv6 autoconfiguration from someone's router
 * advertisements.  It has no CAP_NET_RAW there (vu_caps_default), so ping
 * goes through ICMP datagram sockets, which only send from its addresses. */
static int shared_link_sysctls(const struct vu_gconf *c, struct vu_err *e)
{
	char p[96];

	snprintf(p, sizeof(p), "net/ipv6/conf/%s/accept_ra", c->guest_ifname);
	if (netns_sysctl(p, "0", e) < 0)
		return -1;
	snprintf(p, sizeof(p), "net/ipv6/conf/%s/autoconf", c->guest_ifname);
	if (netns_sysctl(p, "0", e) < 0)
		return -1;
	return netns_sysctl("net/ipv4/ping_group_range", "0 2147483647", e);
}

static int child_network(const struct vu_gconf *c, struct vu_err *e)
{
	struct vu_nl nl;
	int r = -1;

	if (c->net_mode == VU_NET_HOST)
		return 0;
	if (vu_nl_open(&nl, e) < 0)
		return -1;
	if (vu_nl_link_up(&nl, "lo", e) < 0)
		goto out;
	if (vu_net_shared(c->net_mode) && shared_link_sysctls(c, e) < 0)
		goto out;
	if (c->net_mode != VU_NET_NONE) {
		for (size_t i = 0; i < c->n_addrs; i++)
			if (vu_nl_addr_add(&nl, c->guest_ifname, &c->addrs[i], e) < 0)
				goto out;
		if (vu_nl_link_up(&nl, c->guest_ifname, e) < 0)
			goto out;
		for (size_t i = 0; i < c->n_gateways; i++)
			if (vu_nl_route_default(&nl, &c->gateways[i], e) < 0)
				goto out;
	}
	r = 0;
out:
	vu_nl_close(&nl);
	return r;
}

static int child_console(int fd, struct vu_err *e)
{
	if (setsid() < 0)
		return vu_err_set(e, errno, "setsid");
	if (ioctl(fd, TIOCSCTTY, 0) < 0)
		return vu_err_set(e, errno, "console: TIOCSCTTY");
	for (int i = 0; i < 3; i++)
		if (dup2(fd, i) < 0)
			return vu_err_set(e, errno, "console: dup2");
	if (fd > 2)
		close(fd);
	return 0;
}

void vu_ctx_default_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
}

static __attribute__((noreturn)) void child_main(const struct vu_ctx_spec *s, int sync)
{
	const struct vu_gconf *c = s->conf;
	struct vu_rootfs_spec rs = {
		.mnt = s->l->mnt, .console = s->console_path, .conf = c,
		.cgroup2 = s->cg->deleg[0] != 0,
	};
	uint64_t caps = vu_caps_of(c);
	struct vu_err e = { 0 };
	char go;
	int notify = -1;
	char *env[] = { vu_ctx_env_path, "TERM=linux", "HOME=/", "container=vunify", NULL };

	/* If the supervisor dies, so does the guest (the watchdog, a host
	 * process the guest cannot touch, makes sure of it as well). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(sync, &e);
	if (read(sync, &go, 1) != 1)
		_exit(127);
	/* Whatever the supervisor's, the guest is an ordinary OOM victim. */
	if (vu_oom_reset(&e) < 0)
		child_fail(sync, &e);

	/* The cgroup namespace is rooted where we are now: the guest's group. */
	if (unshare(CLONE_NEWCGROUP) < 0) {
		vu_err_set(&e, errno, "unshare(CLONE_NEWCGROUP)");
		child_fail(sync, &e);
	}
	if (child_network(c, &e) < 0)
		child_fail(sync, &e);
	if (sethostname(c->hostname, strlen(c->hostname)) < 0 ||
	    setdomainname(c->domainname[0] ? c->domainname : "(none)",
			  c->domainname[0] ? strlen(c->domainname) : 6) < 0) {
		vu_err_set(&e, errno, "sethostname %s", c->hostname);
		child_fail(sync, &e);
	}
	umask(0);
	if (vu_rootfs_setup(&rs, &e) < 0)
		child_fail(sync, &e);
	umask(022);
	if (child_console(s->console_fd, &e) < 0)
		child_fail(sync, &e);
	/* Nothing of the supervisor's may reach the guest. */
	if (sync > 3)
		close_range(3, (unsigned)sync - 1, 0);
	close_range((unsigned)sync + 1, ~0U, 0);

	if (vu_caps_bound(caps, &e) < 0)
		child_fail(sync, &e);
	if (c->seccomp) {
		if (vu_scmp_load(&notify, &e) < 0)
			child_fail(sync, &e);
		if (vu_msg_send(sync, "N", 1, notify) < 0) {
			vu_err_set(&e, errno, "passing the seccomp listener");
			child_fail(sync, &e);
		}
		close(notify);
	}
	if (vu_caps_set(caps, &e) < 0)
		child_fail(sync, &e);
	vu_ctx_default_signals();
	execve(c->init_argv[0], c->init_argv, env);
	vu_err_set(&e, errno, "executing %s in the guest", c->init_argv[0]);
	child_fail(sync, &e);
}

/* ---- the parent: the supervisor ---- */

static int host_network(const struct vu_ctx_spec *s, pid_t pid, struct vu_err *e)
{
	const struct vu_gconf *c = s->conf;
	char mark[VU_NL_MARKSZ];
	struct vu_nl nl;
	int r = -1, master = 0;

	if (c->net_mode == VU_NET_NONE || c->net_mode == VU_NET_HOST)
		return 0;
	if (vu_nl_open(&nl, e) < 0)
		return -1;
	if (c->net_mode == VU_NET_MACVLAN || c->net_mode == VU_NET_IPVLAN) {
		int link = vu_nl_link_index(&nl, c->link, e);

		if (link < 0 || vu_nl_vlan_create(&nl, c->net_mode, link, c->guest_ifname, pid,
						  e) < 0)
			goto out;
		r = 0;
		goto out;
	}
	if (c->net_mode == VU_NET_BRIDGE) {
		master = vu_nl_bridge_check(&nl, c->bridge, e);
		if (master < 0)
			goto out;
	}
	vu_nl_mark(s->l->base, s->l->name, mark);
	if (vu_nl_veth_create(&nl, c->host_ifname, c->guest_ifname, pid, mark, e) < 0)
		goto out;
	/* Ours now (marked): the teardown deletes it whatever fails next. */
	if (master > 0 && vu_nl_set_master(&nl, c->host_ifname, master, e) < 0)
		goto out;
	for (size_t i = 0; i < c->n_host_addrs; i++)
		if (vu_nl_addr_add(&nl, c->host_ifname, &c->host_addrs[i], e) < 0)
			goto out;
	if (vu_nl_link_up(&nl, c->host_ifname, e) < 0)
		goto out;
	if (c->nat && vu_nat_add(s->l, c, master > 0 ? c->bridge : c->host_ifname, e) < 0)
		goto out;
	r = 0;
out:
	vu_nl_close(&nl);
	return r;
}

/* Read the child's messages until its exec closes the socket. */
static int await_exec(int sync, struct vu_ctx *ctx, struct vu_err *e)
{
	for (;;) {
		struct pollfd p = { .fd = sync, .events = POLLIN };
		char msg[1200];
		ssize_t n;
		int fd;

		n = poll(&p, 1, 60000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return vu_err_set(e, n == 0 ? ETIMEDOUT : errno, "waiting for the guest's init");
		n = vu_msg_recv(sync, msg, sizeof(msg), &fd);
		if (n < 0)
			return vu_err_set(e, errno, "reading from the guest's init");
		if (n == 0)
			return 0;
		if (msg[0] == 'N' && fd >= 0) {
			ctx->notify_fd = fd;
			continue;
		}
		if (fd >= 0)
			close(fd);
		if (vu_msg_err_parse(msg, e))
			return -1;
	}
}

int vu_ctx_start(const struct vu_ctx_spec *s, struct vu_ctx *ctx, struct vu_err *e)
{
	struct clone3_args args = { 0 };
	int sv[2], pidfd = -1, status;
	pid_t pid;

	ctx->init_pid = -1;
	ctx->pidfd = -1;
	ctx->notify_fd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return vu_err_set(e, errno, "socketpair");
	args.flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_PIDFD |
		     (s->conf->net_mode == VU_NET_HOST ? 0 : CLONE_NEWNET);
	args.pidfd = (uint64_t)(uintptr_t)&pidfd;
	args.exit_signal = SIGCHLD;
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0) {
		vu_err_set(e, errno, "clone3");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		child_main(s, sv[1]);
	}
	close(sv[1]);
	ctx->init_pid = pid;
	ctx->pidfd = pidfd;
	fcntl(pidfd, F_SETFD, FD_CLOEXEC);

	if (s->cg->ops->attach(s->cg, pid, 0, e) < 0 || host_network(s, pid, e) < 0)
		goto fail;
	if (write(sv[0], "g", 1) != 1) {
		vu_err_set(e, errno, "starting the guest's init");
		goto fail;
	}
	if (await_exec(sv[0], ctx, e) < 0)
		goto fail;
	close(sv[0]);
	return 0;

fail:
	close(sv[0]);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	close(pidfd);
	if (ctx->notify_fd >= 0)
		close(ctx->notify_fd);
	ctx->init_pid = -1;
	ctx->pidfd = -1;
	ctx->notify_fd = -1;
	return -1;
}
