// SPDX-License-Identifier: GPL-2.0-or-later
/* Run a command in a running guest: see include/vsupervisor/join.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "join_int.h"
#include "vsupervisor/cgroup.h"
#include "vunify/cleanup.h"
#include "vsupervisor/context.h"
#include "vsupervisor/control.h"
#include "vsupervisor/fdpass.h"
#include "vsupervisor/join.h"
#include "vsupervisor/secpolicy.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* What the joining image is executed with, built before anything of the
 * guest's is touched. */
struct spawn {
	char **argv;
	char **envp;
	size_t n_env;
	char caps[24];
	char flags[4];
	int exe;                    /* a sealed copy of this program, or -1 */
};

/* The command's standard descriptors (child[]) and our ends of them. */
struct stdio {
	int child[3];
	int in, out, err;           /* pipes: to its stdin, from its stdout, stderr */
};

static void spawn_free(struct spawn *s)
{
	if (s->exe >= 0)
		close(s->exe);
	s->exe = -1;
	for (size_t i = 0; s->envp && i < s->n_env; i++)
		free(s->envp[i]);
	free(s->envp);
	free(s->argv);
	s->argv = s->envp = NULL;
}

/* Add "NAME=VALUE" to the environment, replacing a variable of that name. */
static int env_put(struct spawn *s, const char *var, struct vu_err *e)
{
	size_t name = strcspn(var, "=");
	char *copy;

	if (var[name] != '=' || name == 0)
		return vu_err_set(e, EINVAL, "'%s' is not VAR=VALUE", var);
	copy = strdup(var);
	if (!copy)
		return vu_err_set(e, errno, "environment");
	for (size_t i = 0; i < s->n_env; i++) {
		if (!strncmp(s->envp[i], var, name + 1)) {
			free(s->envp[i]);
			s->envp[i] = copy;
			return 0;
		}
	}
	s->envp[s->n_env++] = copy;
	s->envp[s->n_env] = NULL;
	return 0;
}

/* The command's environment: ours for the guest, never the caller's (TERM
 * excepted, which describes the caller's terminal), then the caller's -e.
 * HOME, USER and LOGNAME are added in the guest, from its /etc/passwd. */
static int build_env(const struct vu_join *j, struct spawn *s, struct vu_err *e)
{
	const char *term = getenv("TERM");
	char *t = NULL;
	int r;

	s->envp = calloc(j->n_env + 4, sizeof(char *));
	if (!s->envp)
		return vu_err_set(e, errno, "environment");
	if (env_put(s, vu_ctx_env_path, e) < 0 || env_put(s, "container=vunify", e) < 0)
		return -1;
	if (term && term[0]) {
		if (asprintf(&t, "TERM=%s", term) < 0)
			return vu_err_set(e, ENOMEM, "environment");
		r = env_put(s, t, e);
		free(t);
		if (r < 0)
			return -1;
	}
	for (size_t i = 0; i < j->n_env; i++)
		if (env_put(s, j->env[i], e) < 0)
			return -1;
	return 0;
}

static int copy_all(int to, int from)
{
	struct stat st;
	off_t off = 0;

	if (fstat(from, &st) < 0)
		return -1;
	while (off < st.st_size) {
		ssize_t n = sendfile(to, from, &off, (size_t)(st.st_size - off));

		if (n <= 0)
			return -1;
	}
	return 0;
}

/*
 * The joining process executes a sealed in-memory copy of this program, not
 * the file: the command it executes next is the guest's choice, and a guest
 * whose command is a script starting "#!/proc/self/exe" gets this image run
 * again in the guest, as a dumpable process of its own, whose
 * /proc/PID/exe a guest root process could open and, once it has exited,
 * write to: the host's vserver, which the admin runs next.  A sealed memfd
 * cannot be written.  (As runc does.)  Opened read-only at the end: execve
 * refuses a file that is open for writing.  If memfds cannot be executed
 * here (vm.memfd_noexec), -1: the file, as before.
 */
static int exe_copy(void)
{
	char path[64];
	int src, rw, ro = -1;

	src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return -1;
	rw = memfd_create("vserver-join", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (rw < 0 && errno == EINVAL)   /* before Linux 6.3: executable anyway */
		rw = memfd_create("vserver-join", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (rw < 0)
		goto out;
	if (copy_all(rw, src) < 0 ||
	    fcntl(rw, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		goto out;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", rw);
	ro = open(path, O_RDONLY | O_CLOEXEC);
out:
	if (rw >= 0)
		close(rw);
	close(src);
	return ro;
}

static int build_argv(const struct vu_join *j, struct spawn *s, struct vu_err *e)
{
	size_t n = 0, k = 0;

	while (j->argv && j->argv[n])
		n++;
	s->argv = calloc(VU_JOIN_ARG_COMMAND + n + 1, sizeof(char *));
	if (!s->argv)
		return vu_err_set(e, errno, "arguments");
	snprintf(s->caps, sizeof(s->caps), "%llx", (unsigned long long)vu_caps_of(j->conf));
	if (j->conf->seccomp)
		s->flags[k++] = 's';
	if (j->pty)
		s->flags[k++] = 'p';
	if (!j->argv)
		s->flags[k++] = 'l';
	s->flags[k] = 0;
	s->argv[0] = "vserver-join";
	s->argv[1] = VU_JOIN_GUEST_ARG;
	s->argv[VU_JOIN_ARG_CAPS] = s->caps;
	s->argv[VU_JOIN_ARG_FLAGS] = s->flags;
	s->argv[VU_JOIN_ARG_USER] = (char *)(j->user ? j->user : "");
	s->argv[VU_JOIN_ARG_WORKDIR] = (char *)(j->workdir ? j->workdir : "");
	s->argv[VU_JOIN_ARG_DASHDASH] = "--";
	for (size_t i = 0; i < n; i++)
		s->argv[VU_JOIN_ARG_COMMAND + i] = j->argv[i];
	return 0;
}

static void stdio_close(struct stdio *io)
{
	if (io->child[2] != io->child[1] && io->child[2] >= 0)
		close(io->child[2]);
	if (io->err != io->out && io->err >= 0)
		close(io->err);
	for (int i = 0; i < 2; i++)
		if (io->child[i] >= 0)
			close(io->child[i]);
	if (io->in >= 0)
		close(io->in);
	if (io->out >= 0)
		close(io->out);
	*io = (struct stdio){ { -1, -1, -1 }, -1, -1, -1 };
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int make_pipe(int *read_end, int *write_end, struct vu_err *e)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return vu_err_set(e, errno, "pipe");
	*read_end = p[0];
	*write_end = p[1];
	return 0;
}

/* Pipes of our own for the command (or, with a pty, /dev/null until it has
 * opened one in the guest): never the caller's descriptors, which a guest
 * root process could reopen through /proc/PID/fd with any mode. */
static int stdio_open(bool pty, struct stdio *io, struct vu_err *e)
{
	*io = (struct stdio){ { -1, -1, -1 }, -1, -1, -1 };
	if (pty) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null < 0)
			return vu_err_set(e, errno, "/dev/null");
		io->child[0] = null;
		io->child[1] = io->child[2] = -1;
		for (int i = 1; i < 3; i++) {
			io->child[i] = fcntl(null, F_DUPFD_CLOEXEC, 0);
			if (io->child[i] < 0)
				return vu_err_set(e, errno, "dup");
		}
		return 0;
	}
	if (make_pipe(&io->child[0], &io->in, e) < 0 || make_pipe(&io->out, &io->child[1], e) < 0)
		return -1;
	/* One page: writable only when empty, see vu_relay_pipes. */
	if (fcntl(io->in, F_SETPIPE_SZ, 4096) < 0)
		return vu_err_set(e, errno, "sizing the stdin pipe");
	/* 2>&1 stays one stream, in order. */
	if (same_file(STDOUT_FILENO, STDERR_FILENO)) {
		io->child[2] = io->child[1];
		io->err = io->out;
	} else if (make_pipe(&io->err, &io->child[2], e) < 0) {
		return -1;
	}
	for (int *p = &io->in; p <= &io->err; p++)
		if (fcntl(*p, F_SETFL, O_NONBLOCK) < 0)
			return vu_err_set(e, errno, "O_NONBLOCK");
	return 0;
}

/* A closed stdin, stdout or stderr of ours would be taken by the next
 * descriptor we open (a pipe end), which the relay would then take for
 * the caller's: /dev/null there instead. */
static int std_fds_open(struct vu_err *e)
{
	for (int fd = 0; fd < 3; fd++) {
		int null;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		null = open("/dev/null", O_RDWR);
		if (null < 0)
			return vu_err_set(e, errno, "/dev/null");
		if (null != fd) {
			close(null);
			return vu_err_set(e, EBADF, "descriptor %d", fd);
		}
	}
	return 0;
}

/* @fds as descriptors 0, 1, ..., nothing else open. */
static int place_fds(const int *fds, int n)
{
	int tmp[VU_JOIN_NFDS + 1];

	for (int i = 0; i < n; i++) {
		tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, n);
		if (tmp[i] < 0)
			return -1;
	}
	for (int i = 0; i < n; i++)
		if (dup2(tmp[i], i) < 0)    /* without O_CLOEXEC */
			return -1;
	return close_range((unsigned)n, ~0U, 0);
}

/* The forked child: a session of its own (kill(0, ...) in the guest must
 * not reach the caller's process group), then the joining image. */
static __attribute__((noreturn)) void child_exec(const struct spawn *s, const int *fds)
{
	int all[VU_JOIN_NFDS + 1], n = VU_JOIN_NFDS;
	const char *what = "setsid";
	int sync = fds[VU_JOIN_FD_SYNC];
	char msg[256];

	memcpy(all, fds, sizeof(int) * VU_JOIN_NFDS);
	if (s->exe >= 0)
		all[n++] = s->exe;      /* closed by the execveat itself */
	if (setsid() >= 0) {
		what = "descriptors";
		if (place_fds(all, n) == 0) {
			sync = VU_JOIN_FD_SYNC;
			what = "executing vserver again";
			if (s->exe < 0)
				execve("/proc/self/exe", s->argv, s->envp);
			else if (fcntl(VU_JOIN_NFDS, F_SETFD, FD_CLOEXEC) == 0)
				execveat(VU_JOIN_NFDS, "", s->argv, s->envp, AT_EMPTY_PATH);
		}
	}
	n = snprintf(msg, sizeof(msg), "E126 joining the guest: %s: %s", what, strerror(errno));
	vu_msg_send(sync, msg, (size_t)n, -1);
	_exit(126);
}

/* Fork the joining process.  It is born in the guest's PID namespace, so
 * it is born non-dumpable (the flag is inherited): the guest never sees a
 * process that holds this program's memory and may be traced. */
static pid_t spawn(const struct spawn *s, const int *fds, struct vu_err *e)
{
	int was = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	pid_t pid;

	if (was < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return vu_err_set(e, errno, "PR_SET_DUMPABLE");
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		child_exec(s, fds);
	if (pid < 0)
		vu_err_set(e, errno, "fork");
	prctl(PR_SET_DUMPABLE, was, 0, 0, 0);
	return pid;
}

/* Wait for the command's execution (end of file) or failure; collect the
 * pty master. */
static int await_child(int sync, int *master, struct vu_err *e)
{
	for (;;) {
		char msg[1200];
		int fd;
		ssize_t n = vu_msg_recv(sync, msg, sizeof(msg), &fd);

		if (n < 0)
			return vu_err_set(e, errno, "talking to the guest process");
		if (n == 0)
			return 0;
		if (msg[0] == 'M' && fd >= 0 && *master < 0) {
			*master = fd;
			continue;
		}
		if (fd >= 0)
			close(fd);
		if (vu_msg_err_parse(msg, e))
			return -1;
	}
}

static int block_signals(sigset_t *old, int *sigfd, struct vu_err *e)
{
	static const int sigs[] = { SIGCHLD, SIGWINCH, SIGTERM, SIGHUP, SIGINT, SIGQUIT };
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &set, old) < 0)
		return vu_err_set(e, errno, "sigprocmask");
	*sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (*sigfd < 0) {
		vu_err_set(e, errno, "signalfd");
		sigprocmask(SIG_SETMASK, old, NULL);
		return -1;
	}
	return 0;
}

/* The pid (in our namespace) of the process @pidfd refers to, or 0. */
static pid_t pid_of_pidfd(int pidfd)
{
	char path[64], line[128];
	_cleanup_fclose_ FILE *f = NULL;
	int pid = 0;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %d", &pid) == 1)
			break;
	return pid > 0 ? (pid_t)pid : 0;
}

/* Start the joining process and wait until it runs the command; returns
 * its pid, -1 (could not start: @e), or -2 (it failed in the guest: @e,
 * e->code the status to exit with). */
static pid_t start(const struct vu_join *j, const struct spawn *s, int pidfd, struct stdio *io,
		   int *master, struct vu_err *e)
{
	struct vu_cgroup cg;
	int sv[2], fds[VU_JOIN_NFDS], status;
	pid_t child;

	if (vu_cg_open(&cg, j->l->key, j->l->name, e) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return vu_err_set(e, errno, "socketpair");
	fds[0] = io->child[0];
	fds[1] = io->child[1];
	fds[2] = io->child[2];
	fds[VU_JOIN_FD_PIDFD] = pidfd;
	fds[VU_JOIN_FD_SYNC] = sv[1];
	child = spawn(s, fds, e);
	close(sv[1]);
	if (child < 0)
		goto fail;
	/* Its ends are its own now: nothing of ours keeps them open. */
	close(io->child[0]);
	close(io->child[1]);
	if (io->child[2] != io->child[1])
		close(io->child[2]);
	io->child[0] = io->child[1] = io->child[2] = -1;
	/* It joins the guest's groups where the guest's init is. */
	if (cg.ops->attach(&cg, child, pid_of_pidfd(pidfd), e) < 0 || write(sv[0], "g", 1) != 1) {
		if (!e->msg[0])
			vu_err_set(e, errno, "starting the guest process");
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
		goto fail;
	}
	if (await_child(sv[0], master, e) < 0) {
		waitpid(child, &status, 0);
		e->code = WIFEXITED(status) ? WEXITSTATUS(status) : 126;
		close(sv[0]);
		return -2;
	}
	close(sv[0]);
	return child;
fail:
	close(sv[0]);
	return -1;
}

int vu_join_run(const struct vu_join *j, struct vu_err *e)
{
	char reply[256];
	_cleanup_close_ int pidfd = -1, sigfd = -1;
	struct spawn s = { .exe = -1 };
	struct stdio io = { { -1, -1, -1 }, -1, -1, -1 };
	void (*old_pipe)(int) = SIG_ERR;
	int master = -1, status, ret = -1;
	sigset_t old;
	pid_t child;

	e->msg[0] = 0;
	if (std_fds_open(e) < 0 || build_argv(j, &s, e) < 0 || build_env(j, &s, e) < 0)
		goto out_free;
	s.exe = exe_copy();
	if (vu_ctl_call(j->l->sock, "pidfd", reply, sizeof(reply), &pidfd, 10000, e) < 0)
		goto out_free;
	if (pidfd < 0) {
		vu_err_set(e, EPROTO, "%s: no pidfd from the supervisor", j->l->sock);
		goto out_free;
	}
	if (setns(pidfd, CLONE_NEWPID) < 0) {
		vu_err_set(e, errno, "joining the guest's PID namespace");
		goto out_free;
	}
	if (block_signals(&old, &sigfd, e) < 0)
		goto out_free;
	/* A reader that went away is an EPIPE for us to handle, not our end. */
	old_pipe = signal(SIGPIPE, SIG_IGN);
	if (stdio_open(j->pty, &io, e) < 0)
		goto out;
	child = start(j, &s, pidfd, &io, &master, e);
	if (child < 0) {
		ret = (int)child;
		goto out;
	}
	if (master >= 0)
		status = vu_relay_pty(master, child, sigfd);
	else
		status = vu_relay_pipes(io.in, io.out, io.err, child, sigfd);
	io.in = io.out = io.err = -1;       /* the relay closed them */
	ret = WIFEXITED(status) ? WEXITSTATUS(status) :
	      WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
out:
	if (master >= 0)
		close(master);
	stdio_close(&io);
	if (old_pipe != SIG_ERR)
		signal(SIGPIPE, old_pipe);
	sigprocmask(SIG_SETMASK, &old, NULL);
out_free:
	spawn_free(&s);
	return ret;
}
