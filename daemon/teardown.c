// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tearing a guest down from the host side, whoever does it: the supervisor
 * at the end, the watchdog when the supervisor died, `vserver` when it finds
 * leftovers of a dead one.  Every step is idempotent.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vsupervisor/control.h"
#include "vsupervisor/guestfs.h"
#include "vsupervisor/nat.h"
#include "vsupervisor/netlink.h"
#include "vsupervisor/supervisor.h"

int vu_teardown(const struct vu_teardown *t, struct vu_err *e)
{
	struct vu_err e2;
	int ret = 0;

	/* Processes first: nothing of the guest may run on after this. */
	if (t->cg->ops->exists(t->cg) &&
	    (t->cg->ops->kill_all(t->cg, e) < 0 || t->cg->ops->destroy(t->cg, e) < 0))
		ret = -1;
	/* Our veth only: an interface of that name without the guest's mark
	 * (host_ifname naming a bridge, say) is not ours to delete. */
	if (t->host_ifname && t->host_ifname[0] && vu_nl_link_exists(t->host_ifname)) {
		char mark[VU_NL_MARKSZ];
		struct vu_nl nl;

		vu_nl_mark(t->l->base, t->l->name, mark);
		if (vu_nl_open(&nl, &e2) == 0) {
			if (vu_nl_link_del_own(&nl, t->host_ifname, mark, &e2) < 0 &&
			    e2.code != EEXIST && ret == 0)
				ret = -1, *e = e2;
			vu_nl_close(&nl);
		}
	}
	if (t->nat && vu_nat_del(t->l, &e2) < 0 && ret == 0)
		ret = -1, *e = e2;
	if (t->umount && vu_guestfs_umount(t->l->mnt, &e2) < 0 && ret == 0)
		ret = -1, *e = e2;
	if (!vu_guestfs_mounted(t->l->mnt, NULL, 0))
		rmdir(t->l->mnt);
	unlink(t->l->sock);
	unlink(t->l->state);
	return ret;
}

int vu_sup_cleanup(const struct vu_layout *l, struct vu_err *e)
{
	struct vu_state st;
	struct vu_cgroup cg;
	struct vu_err e2;
	struct vu_teardown t = { .l = l, .cg = &cg, .umount = false };

	if (vu_cg_open(&cg, l->key, l->name, e) < 0)
		return -1;
	/* The supervisor writes its state before it mounts anything: without
	 * one, a mount on RUN/NAME/root is the administrator's, not ours. */
	if (vu_state_read(l->state, &st, &e2) == 0) {
		t.host_ifname = st.host_ifname;
		t.umount = st.own_mount;
		t.nat = st.nat;
	}
	return vu_teardown(&t, e);
}

pid_t vu_watchdog_spawn(const struct vu_teardown *t, int keep_fd, int *wfd, struct vu_err *e)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return vu_err_set(e, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return vu_err_set(e, errno, "fork");
	}
	if (pid == 0) {
		struct vu_err we;
		char c = 0;
		ssize_t n;
		sigset_t none;

		prctl(PR_SET_NAME, "vunify-watchdog");
		close(p[1]);
		/* Keep only the pipe, the lock (held until the guest is gone)
		 * and stdio (the supervisor's log). */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != p[0] && fd != keep_fd)
				close(fd);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		do
			n = read(p[0], &c, 1);
		while (n < 0 && errno == EINTR);
		if (n == 1 && c == 'q')
			_exit(0);
		fprintf(stderr, "vunify-watchdog: %s: the supervisor died; tearing the guest "
			"down\n", t->l->name);
		if (vu_teardown(t, &we) < 0) {
			fprintf(stderr, "vunify-watchdog: %s: %s\n", t->l->name, we.msg);
			_exit(1);
		}
		_exit(0);
	}
	close(p[0]);
	*wfd = p[1];
	return pid;
}
