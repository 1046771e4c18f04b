// SPDX-License-Identifier: GPL-2.0-or-later
/* The per-guest supervisor: see include/vsupervisor/supervisor.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <seccomp.h>

#include "vunify/cleanup.h"
#include "vsupervisor/console.h"
#include "vsupervisor/context.h"
#include "vsupervisor/control.h"
#include "vsupervisor/fdpass.h"
#include "vsupervisor/guestfs.h"
#include "vsupervisor/netlink.h"
#include "vsupervisor/rootfs.h"
#include "vsupervisor/secpolicy.h"
#include "vsupervisor/supervisor.h"

#define MAX_CLIENTS 16

enum phase { RUNNING, STOPPING, KILLING };

struct client {
	int fd;
	bool waiting;               /* for the end of a stop */
};

struct sup {
	const struct vu_layout *l;
	struct vu_gconf *conf;
	struct vu_cgroup cg;
	struct vu_console con;
	struct vu_ctx ctx;
	struct vu_teardown td;
	int lock_fd;
	pid_t fs_pid;               /* our vunifyfs, or -1 */
	bool own_mount;             /* we mounted the root: we unmount it */
	pid_t mon_pid;              /* watcher of a vunifyfs not ours, or -1 */
	pid_t wd_pid;
	int wd_fd;
	int sig_fd, listen_fd, timer_fd;
	struct client clients[MAX_CLIENTS];
	enum phase phase;
	bool restart;               /* init asked for a reboot */
	long long started;
	char end_reason[1100];
};

static void slog(struct sup *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void slog(struct sup *s, const char *fmt, ...)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "%s vunify-supervisor[%d] %s: ", when, (int)getpid(), s->l->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* ---- setting up ---- */

static int resolve_device(const char *dev, unsigned *maj, unsigned *min, struct vu_err *e)
{
	struct stat st;

	if (dev[0] != '/') {
		if (vu_parse_devnum(dev, maj, min) < 0)
			return vu_err_set(e, EINVAL, "%s: not MAJOR:MINOR", dev);
		return 0;
	}
	if (stat(dev, &st) < 0)
		return vu_err_set(e, errno, "%s", dev);
	if (!S_ISBLK(st.st_mode))
		return vu_err_set(e, ENOTBLK, "%s", dev);
	*maj = major(st.st_rdev);
	*min = minor(st.st_rdev);
	return 0;
}

static int limits_of(const struct vu_gconf *c, struct vu_cg_limits *lim, struct vu_err *e)
{
	memset(lim, 0, sizeof(*lim));
	lim->memory = c->memory;
	lim->memory_swap = c->memory_swap;
	lim->memory_swap_set = c->memory_swap_set;
	lim->cpu_weight = c->cpu_weight;
	lim->cpu_quota_us = c->cpu_quota_us;
	lim->cpu_period_us = c->cpu_period_us;
	lim->pids = c->pids;
	lim->io_weight = c->io_weight;
	for (size_t i = 0; i < c->n_io; i++) {
		unsigned maj, min;
		struct vu_cg_io *io = NULL;

		if (resolve_device(c->io[i].device, &maj, &min, e) < 0)
			return vu_err_prefix(e, "[limits] io");
		for (size_t k = 0; k < lim->n_io; k++)
			if (lim->io[k].major == maj && lim->io[k].minor == min)
				io = &lim->io[k];
		if (!io) {
			if (lim->n_io == sizeof(lim->io) / sizeof(lim->io[0]))
				return vu_err_set(e, E2BIG, "[limits]: too many I/O devices");
			io = &lim->io[lim->n_io++];
			io->major = maj;
			io->minor = min;
		}
		switch (c->io[i].kind) {
		case VU_IO_READ_BPS: io->rbps = c->io[i].value; break;
		case VU_IO_WRITE_BPS: io->wbps = c->io[i].value; break;
		case VU_IO_READ_IOPS: io->riops = c->io[i].value; break;
		case VU_IO_WRITE_IOPS: io->wiops = c->io[i].value; break;
		}
	}
	return 0;
}

/* A vunifyfs mount we did not make: a child process polls it and exits
 * when it died (ENOTCONN), so that a hung mount never blocks us. */
static pid_t spawn_monitor(const char *mnt, struct vu_err *e)
{
	pid_t pid = fork();

	if (pid < 0)
		return vu_err_set(e, errno, "fork");
	if (pid == 0) {
		int fd = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
		struct statfs sf;

		prctl(PR_SET_NAME, "vunify-fsmon");
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (int i = 3; i < 1024; i++)
			if (i != fd)
				close(i);
		while (fd >= 0 && fstatfs(fd, &sf) == 0)
			sleep(1);
		_exit(0);
	}
	return pid;
}

static int setup_mount(struct sup *s, bool *own, struct vu_err *e)
{
	char type[64];

	*own = true;
	if (vu_guestfs_mounted(s->l->mnt, type, sizeof(type))) {
		if (strncmp(type, "fuse", 4))
			return vu_err_set(e, EBUSY, "%s: a %s file system is mounted there", s->l->mnt,
					  type);
		*own = false;
		return 0;
	}
	if (mkdir(s->l->mnt, 0755) < 0 && errno != EEXIST)
		return vu_err_set(e, errno, "%s", s->l->mnt);
	return 0;
}

/* The last non-empty line written to @fd after offset @from. */
static void last_line_since(int fd, off_t from, char *buf, size_t len)
{
	char tail[2048];
	ssize_t n;
	char *end, *start;

	buf[0] = 0;
	if (from < 0)
		return;
	n = pread(fd, tail, sizeof(tail) - 1, from);
	if (n <= 0)
		return;
	tail[n] = 0;
	for (end = tail + n; end > tail && (end[-1] == '\n' || end[-1] == ' '); end--)
		;
	*end = 0;
	start = strrchr(tail, '\n');
	start = start ? start + 1 : tail;
	n = (ssize_t)strnlen(start, len - 1);
	memcpy(buf, start, (size_t)n);
	buf[n] = 0;
}

static int start_fs(struct sup *s, bool own, struct vu_err *e)
{
	char bin[PATH_MAX], opts[512];
	off_t logged;

	if (!own) {
		slog(s, "using the vunifyfs mount already on %s", s->l->mnt);
		s->mon_pid = spawn_monitor(s->l->mnt, e);
		return s->mon_pid < 0 ? -1 : 0;
	}
	if (vu_guestfs_find(bin, e) < 0)
		return -1;
	vu_guestfs_options(s->l->name, s->conf, opts, sizeof(opts));
	logged = lseek(STDERR_FILENO, 0, SEEK_END);
	s->fs_pid = vu_guestfs_spawn(bin, opts, s->l->root, s->l->mnt, STDERR_FILENO, e);
	if (s->fs_pid < 0) {
		char said[512];

		s->fs_pid = -1;
		/* What vunifyfs said about it is the interesting part. */
		last_line_since(STDERR_FILENO, logged, said, sizeof(said));
		if (said[0])
			return vu_err_prefix(e, "mounting the guest's root: %s", said);
		return vu_err_prefix(e, "mounting the guest's root (see %s)", s->l->log);
	}
	return 0;
}

static int setup_cgroup(struct sup *s, struct vu_err *e)
{
	struct vu_cg_limits lim;

	if (limits_of(s->conf, &lim, e) < 0)
		return -1;
	if (s->cg.ops->create(&s->cg, e) < 0 ||
	    s->cg.ops->set_devices(&s->cg, vu_cg_default_devices, vu_cg_n_default_devices, e) < 0 ||
	    s->cg.ops->set_limits(&s->cg, &lim, e) < 0)
		return vu_err_prefix(e, "cgroup %s", s->cg.ops->name);
	return 0;
}

static int start_init(struct sup *s, struct vu_err *e)
{
	struct vu_ctx_spec spec = {
		.l = s->l, .conf = s->conf, .cg = &s->cg,
		.console_path = s->con.slave_path, .console_fd = s->con.slave,
	};
	bool systemd = vu_rootfs_init_is_systemd(s->l->mnt, s->conf->init_argv[0]);

	/* systemd runs only on a cgroup2 tree of its own, and halts on
	 * SIGRTMIN+3 (SIGINT would reboot it). */
	if (systemd && !s->cg.deleg[0])
		return vu_err_set(e, ENOTSUP, "the guest's init is systemd, which needs a cgroup2 "
				  "hierarchy; this host has none (mount one at /sys/fs/cgroup/unified)");
	if (systemd && !s->conf->stop_signal_set)
		s->conf->stop_signal = SIGRTMIN + 3;

	/* A veth end left from a previous boot of this guest goes first: the
	 * kernel removes it only when the old network namespace is gone.
	 * Only one with this guest's mark: host_ifname may name anything. */
	if (vu_net_has_veth(s->conf->net_mode) && vu_nl_link_exists(s->conf->host_ifname)) {
		char mark[VU_NL_MARKSZ];
		struct vu_nl nl;

		if (vu_nl_open(&nl, e) < 0)
			return -1;
		vu_nl_mark(s->l->base, s->l->name, mark);
		if (vu_nl_link_del_own(&nl, s->conf->host_ifname, mark, e) < 0) {
			vu_nl_close(&nl);
			return -1;
		}
		vu_nl_close(&nl);
	}
	if (vu_ctx_start(&spec, &s->ctx, e) < 0)
		return -1;
	s->started = (long long)time(NULL);
	return 0;
}

static int write_state(struct sup *s, struct vu_err *e)
{
	struct vu_state st = {
		.supervisor = getpid(), .init = s->ctx.init_pid, .fs = s->fs_pid > 0 ? s->fs_pid : 0,
		.started = s->started, .own_mount = s->own_mount,
	};

	snprintf(st.cgroup, sizeof(st.cgroup), "%s", s->cg.ops->name);
	st.nat = s->conf->nat;
	if (vu_net_has_veth(s->conf->net_mode))
		snprintf(st.host_ifname, sizeof(st.host_ifname), "%s", s->conf->host_ifname);
	return vu_state_write(s->l->state, &st, e);
}

/* ---- running ---- */

static void kill_guest(struct sup *s)
{
	struct vu_err e;

	if (s->ctx.pidfd >= 0)
		syscall(SYS_pidfd_send_signal, s->ctx.pidfd, SIGKILL, NULL, 0);
	if (s->cg.ops->kill_all(&s->cg, &e) < 0)
		slog(s, "%s", e.msg);
}

static void init_gone(struct sup *s, int status)
{
	if (WIFEXITED(status))
		slog(s, "init exited with status %d", WEXITSTATUS(status));
	else
		slog(s, "init was killed by signal %d", WTERMSIG(status));
	close(s->ctx.pidfd);
	s->ctx.pidfd = -1;
	s->ctx.init_pid = -1;
	if (s->ctx.notify_fd >= 0)
		close(s->ctx.notify_fd);
	s->ctx.notify_fd = -1;
}

static void reap(struct sup *s)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == s->ctx.init_pid) {
			init_gone(s, status);
		} else if (pid == s->fs_pid || pid == s->mon_pid) {
			slog(s, "vunifyfs on %s died; killing the guest", s->l->mnt);
			if (pid == s->fs_pid)
				s->fs_pid = -1;
			else
				s->mon_pid = -1;
			s->restart = false;
			s->phase = KILLING;
			snprintf(s->end_reason, sizeof(s->end_reason), "its root file system died");
			kill_guest(s);
		} else if (pid == s->wd_pid) {
			slog(s, "the watchdog died");
			s->wd_pid = -1;
		}
	}
}

static void begin_stop(struct sup *s, unsigned timeout)
{
	struct itimerspec its = { .it_value = { .tv_sec = timeout ? timeout : 0, .tv_nsec = 1 } };

	s->restart = false;
	if (s->phase != RUNNING || s->ctx.init_pid < 0) {
		/* Already on the way down; a shorter timeout still counts. */
		struct itimerspec cur;

		if (s->phase == STOPPING && timerfd_gettime(s->timer_fd, &cur) == 0 &&
		    cur.it_value.tv_sec >= (time_t)timeout)
			timerfd_settime(s->timer_fd, 0, &its, NULL);
		return;
	}
	s->phase = STOPPING;
	if (timeout == 0) {
		s->phase = KILLING;
		kill_guest(s);
		return;
	}
	slog(s, "stopping: signal %d to init, %u s to go", s->conf->stop_signal, timeout);
	if (syscall(SYS_pidfd_send_signal, s->ctx.pidfd, s->conf->stop_signal, NULL, 0) < 0)
		slog(s, "signalling init: %s", strerror(errno));
	timerfd_settime(s->timer_fd, 0, &its, NULL);
}

static void on_signal(struct sup *s)
{
	struct signalfd_siginfo si;

	while (read(s->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			reap(s);
		} else {
			slog(s, "got signal %u: stopping the guest", si.ssi_signo);
			begin_stop(s, s->conf->stop_timeout);
		}
	}
}

static void on_timer(struct sup *s)
{
	uint64_t n;

	if (read(s->timer_fd, &n, sizeof(n)) != sizeof(n))
		return;
	if (s->phase == STOPPING && s->ctx.init_pid > 0) {
		slog(s, "init did not finish in time: killing the guest");
		s->phase = KILLING;
		kill_guest(s);
	}
}

static void on_notify(struct sup *s)
{
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	bool restart;

	if (seccomp_notify_alloc(&req, &resp) < 0)
		return;
	/* A failure means the caller died meanwhile: nothing to answer. */
	if (seccomp_notify_receive(s->ctx.notify_fd, req) < 0)
		goto out;
	resp->id = req->id;
	resp->val = 0;
	resp->error = 0;
	resp->flags = 0;
	seccomp_notify_respond(s->ctx.notify_fd, resp);
	if (!vu_scmp_is_reboot_cmd(req->data.args[2], &restart))
		goto out;
	if (s->phase == RUNNING && restart) {
		slog(s, "the guest reboots");
		s->restart = true;
	} else {
		slog(s, "the guest halts");
		s->restart = false;
	}
	if (s->phase == RUNNING)
		s->phase = KILLING;
	kill_guest(s);
out:
	seccomp_notify_free(req, resp);
}

static void client_add(struct sup *s, int fd)
{
	for (size_t i = 0; i < MAX_CLIENTS; i++) {
		if (s->clients[i].fd < 0) {
			s->clients[i].fd = fd;
			s->clients[i].waiting = false;
			return;
		}
	}
	close(fd);
}

static void client_drop(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	c->waiting = false;
}

static void reply(struct client *c, int fd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void reply(struct client *c, int fd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vu_msg_send(c->fd, msg, (size_t)n, fd);
}

static void on_client(struct sup *s, struct client *c)
{
	static const char *const phases[] = { "running", "stopping", "stopping" };
	char req[256];
	unsigned seconds;
	ssize_t n;
	int fd;

	n = vu_msg_recv(c->fd, req, sizeof(req), &fd);
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		client_drop(c);
		return;
	}
	switch (vu_ctl_request(req, &seconds)) {
	case VU_CTL_INFO:
		reply(c, -1, "ok init=%d supervisor=%d started=%lld phase=%s", (int)s->ctx.init_pid,
		      (int)getpid(), s->started, phases[s->phase]);
		break;
	case VU_CTL_PIDFD:
		if (s->ctx.pidfd < 0 || s->phase != RUNNING)
			vu_msg_send_err(c->fd, ESRCH, "the guest is stopping");
		else
			reply(c, s->ctx.pidfd, "ok %d", (int)s->ctx.init_pid);
		break;
	case VU_CTL_STOP:
		c->waiting = true;
		begin_stop(s, seconds);
		return;
	case VU_CTL_CONSOLE: {
		struct vu_err e;

		if (s->phase != RUNNING) {
			vu_msg_send_err(c->fd, ESRCH, "the guest is stopping");
			break;
		}
		reply(c, -1, "ok");
		/* The console's now: polled and closed there. */
		if (vu_console_attach(&s->con, c->fd, &e) < 0)
			slog(s, "console: %s", e.msg);
		c->fd = -1;
		return;
	}
	default: {
		char msg[128];

		snprintf(msg, sizeof(msg), "unknown request '%.64s'", req);
		vu_msg_send_err(c->fd, EINVAL, msg);
	}
	}
	client_drop(c);
}

static void on_listen(struct sup *s)
{
	int fd;

	while ((fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		client_add(s, fd);
}

/* Run until init is gone for good (not rebooting). */
static void loop(struct sup *s)
{
	for (;;) {
		struct pollfd p[6 + MAX_CLIENTS + VU_CONSOLE_CLIENTS];
		struct client *cl[6 + MAX_CLIENTS + VU_CONSOLE_CLIENTS];
		size_t n = 0, first_console;

		if (s->ctx.init_pid < 0) {
			struct vu_err e;

			if (!s->restart)
				return;
			s->restart = false;
			kill_guest(s);
			if (start_init(s, &e) < 0) {
				slog(s, "restarting the guest: %s", e.msg);
				snprintf(s->end_reason, sizeof(s->end_reason), "restart failed: %s",
					 e.msg);
				return;
			}
			s->phase = RUNNING;
			write_state(s, &e);
			slog(s, "the guest restarted, init is %d", (int)s->ctx.init_pid);
		}
		p[n++] = (struct pollfd){ .fd = s->sig_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = s->timer_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = s->con.master, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = s->ctx.notify_fd, .events = POLLIN };
		for (size_t i = 0; i < MAX_CLIENTS; i++) {
			if (s->clients[i].fd < 0 || s->clients[i].waiting)
				continue;
			cl[n] = &s->clients[i];
			p[n++] = (struct pollfd){ .fd = s->clients[i].fd, .events = POLLIN };
		}
		first_console = n;
		for (size_t i = 0; i < VU_CONSOLE_CLIENTS; i++)
			if (s->con.clients[i] >= 0)
				p[n++] = (struct pollfd){ .fd = s->con.clients[i], .events = POLLIN };
		if (poll(p, n, -1) < 0) {
			if (errno != EINTR)
				slog(s, "poll: %s", strerror(errno));
			continue;
		}
		if (p[3].revents)
			vu_console_pump(&s->con);
		if (p[0].revents)
			on_signal(s);
		if (p[2].revents)
			on_timer(s);
		if (p[4].fd >= 0 && s->ctx.notify_fd >= 0) {
			if (p[4].revents & POLLIN)
				on_notify(s);
			else if (p[4].revents & (POLLHUP | POLLERR | POLLNVAL)) {
				/* No process of the guest is left to notify us. */
				close(s->ctx.notify_fd);
				s->ctx.notify_fd = -1;
			}
		}
		if (p[1].revents)
			on_listen(s);
		for (size_t i = 5; i < first_console; i++)
			if (p[i].revents && cl[i]->fd >= 0)
				on_client(s, cl[i]);
		/* (a console client dropped above by a failed send is no longer
		 * attached: vu_console_input() checks) */
		for (size_t i = first_console; i < n; i++)
			if (p[i].revents)
				vu_console_input(&s->con, p[i].fd);
	}
}

/* ---- ending ---- */

static void finish(struct sup *s)
{
	struct vu_err e;
	int status;

	if (s->ctx.init_pid > 0) {
		kill_guest(s);
		if (waitpid(s->ctx.init_pid, &status, 0) == s->ctx.init_pid)
			init_gone(s, status);
	}
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	s->td.umount = s->own_mount;
	if (vu_teardown(&s->td, &e) < 0)
		slog(s, "teardown: %s", e.msg);
	if (s->fs_pid > 0) {
		/* The daemon ends once its mount is gone; give it a moment. */
		for (int i = 0; i < 1000 && waitpid(s->fs_pid, &status, WNOHANG) == 0; i++) {
			if (i == 500)
				kill(s->fs_pid, SIGTERM);
			usleep(10000);
		}
		if (waitpid(s->fs_pid, &status, WNOHANG) == 0) {
			kill(s->fs_pid, SIGKILL);
			waitpid(s->fs_pid, &status, 0);
		}
		s->fs_pid = -1;
	}
	if (s->mon_pid > 0) {
		kill(s->mon_pid, SIGKILL);
		waitpid(s->mon_pid, &status, 0);
	}
	vu_console_pump(&s->con);
	vu_console_close(&s->con);
	if (s->wd_pid > 0) {
		if (write(s->wd_fd, "q", 1) != 1)
			slog(s, "telling the watchdog: %s", strerror(errno));
		waitpid(s->wd_pid, &status, 0);
	}
	slog(s, "stopped%s%s", s->end_reason[0] ? ": " : "", s->end_reason);
	/* Stopped from here on: a new start may begin while we say goodbye. */
	flock(s->lock_fd, LOCK_UN);
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0 && s->clients[i].waiting)
			reply(&s->clients[i], -1, "ok stopped");
}

static void report(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(int fd, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	int n;

	if (fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (write(fd, msg, (size_t)(n < (int)sizeof(msg) ? n : (int)sizeof(msg) - 1)) < 0)
		return;
}

/* The start pipe's failure line, in the wire's encoding (fdpass.h). */
static void report_err(int fd, const struct vu_err *e)
{
	char msg[sizeof(e->msg) + 32];

	vu_msg_err_format(msg, sizeof(msg), e->code, e->msg);
	report(fd, "%s\n", msg);
}

static int setup_events(struct sup *s, struct vu_err *e)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return vu_err_set(e, errno, "sigprocmask");
	s->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sig_fd < 0)
		return vu_err_set(e, errno, "signalfd");
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->timer_fd < 0)
		return vu_err_set(e, errno, "timerfd");
	return 0;
}

/* The supervisor process.  Never returns. */
static __attribute__((noreturn)) void sup_main(const struct vu_layout *l, struct vu_gconf *conf,
						int lock_fd, int result_fd)
{
	struct sup s = {
		.l = l, .conf = conf, .lock_fd = lock_fd, .fs_pid = -1, .mon_pid = -1,
		.wd_pid = -1, .wd_fd = -1, .sig_fd = -1, .listen_fd = -1, .timer_fd = -1,
		.ctx = { .init_pid = -1, .pidfd = -1, .notify_fd = -1 },
		.con = { .master = -1, .slave = -1, .log = -1 },
	};
	struct vu_err e = { 0 };
	bool own = true;

	prctl(PR_SET_NAME, "vunify-sup");
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		s.clients[i].fd = -1;
	s.td = (struct vu_teardown){ .l = l, .cg = &s.cg, .umount = false,
				     .host_ifname = vu_net_has_veth(conf->net_mode) ?
						    conf->host_ifname : NULL,
				     .nat = conf->nat };
	slog(&s, "starting");
	if (vu_cg_open(&s.cg, l->key, l->name, &e) < 0 || setup_events(&s, &e) < 0 ||
	    setup_mount(&s, &own, &e) < 0)
		goto fail;
	s.td.umount = own;
	s.own_mount = own;
	/* Before anything is mounted or created: whoever cleans up after a
	 * crash learns from it what is ours. */
	if (write_state(&s, &e) < 0)
		goto fail;
	s.wd_pid = vu_watchdog_spawn(&s.td, lock_fd, &s.wd_fd, &e);
	if (s.wd_pid < 0 || vu_console_open(&s.con, l->console, &e) < 0 ||
	    start_fs(&s, own, &e) < 0 || setup_cgroup(&s, &e) < 0 || start_init(&s, &e) < 0)
		goto fail;
	s.listen_fd = vu_ctl_listen(l->sock, &e);
	if (s.listen_fd < 0 || write_state(&s, &e) < 0)
		goto fail;
	slog(&s, "init runs as %d (cgroup %s)", (int)s.ctx.init_pid, s.cg.ops->name);
	report(result_fd, "ok %d\n", (int)s.ctx.init_pid);
	close(result_fd);
	result_fd = -1;

	loop(&s);
	finish(&s);
	exit(0);

fail:
	slog(&s, "start failed: %s", e.msg);
	/* Tear down first: when vserver start returns, the guest is stopped. */
	if (s.cg.ops)
		finish(&s);
	report_err(result_fd, &e);
	if (result_fd >= 0)
		close(result_fd);
	exit(1);
}

int vu_sup_start(const struct vu_layout *l, struct vu_gconf *conf, int lock_fd,
		 pid_t *init_pid, struct vu_err *e)
{
	char buf[1300];
	struct stat st;
	int p[2], logfd, null, status;
	size_t off = 0;
	ssize_t n;
	pid_t pid;

	/* The log spans boots; keep it bounded. */
	if (stat(l->log, &st) == 0 && st.st_size > (1 << 20)) {
		char old[PATH_MAX + 8];

		snprintf(old, sizeof(old), "%s.old", l->log);
		rename(l->log, old);
	}
	logfd = open(l->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (logfd < 0)
		return vu_err_set(e, errno, "%s", l->log);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || pipe2(p, O_CLOEXEC) < 0) {
		vu_err_set(e, errno, "pipe");
		close(logfd);
		if (null >= 0)
			close(null);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		vu_err_set(e, errno, "fork");
		close(p[0]);
		close(p[1]);
		close(logfd);
		close(null);
		return -1;
	}
	if (pid == 0) {
		/* Detach: own session, no terminal, stdio to the log. */
		close(p[0]);
		setsid();
		if (chdir("/") < 0 || dup2(null, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
			_exit(1);
		close(null);
		close(logfd);
		umask(022);
		/* A second fork, so that the supervisor is nobody's child but
		 * init's: `vserver start` must not have to reap it. */
		pid = fork();
		if (pid < 0)
			_exit(1);
		if (pid > 0)
			_exit(0);
		sup_main(l, conf, lock_fd, p[1]);
	}
	close(p[1]);
	close(null);
	close(logfd);
	waitpid(pid, &status, 0);
	while (off + 1 < sizeof(buf) && (n = read(p[0], buf + off, sizeof(buf) - 1 - off)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
		if (memchr(buf, '\n', off))
			break;
	}
	close(p[0]);
	buf[off] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (!strncmp(buf, "ok ", 3)) {
		*init_pid = (pid_t)atoi(buf + 3);
		return 0;
	}
	if (vu_msg_err_parse(buf, e))
		return -1;
	return vu_err_set(e, EIO, "the supervisor died while starting the guest (see %s)", l->log);
}
