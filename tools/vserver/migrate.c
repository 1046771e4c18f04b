// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vserver NAME migrate [USER@]HOST[:BASE] [--keep] [--trust-config]
 *                      [--ssh-opt OPTION]... [--remote-vserver PATH] [-q]
 *
 * Move guest NAME to another host over ssh (the transport there is; no
 * protocol of our own on the wire): `ssh HOST vserver NAME receive
 * --send-have` first writes the have-list of its store (stream.h), then
 * reads a stream that leaves those objects out -- a guest cloned from a
 * template the other host holds costs its private files and manifest.
 *
 * A running guest is stopped first and started on the other side.  The
 * source is removed (unless --keep) only after the remote receive exited
 * 0, which it does only once the guest is complete there; a failure
 * anywhere before leaves the source as it was (started again if it ran)
 * and nothing on the target (the receiver removes what it made).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/stream.h"
#include "build_int.h"
#include "send_int.h"
#include "vserver.h"

#define SSH_ARGS_MAX 64

struct migrate {
	const char *target;          /* [USER@]HOST[:BASE] as given */
	char host[1024];             /* [USER@]HOST */
	const char *rbase;           /* BASE or NULL */
	const char *rvserver;        /* the vserver to run there */
	const char *ssh_opts[SSH_ARGS_MAX];
	int nssh;
	bool keep, trust, quiet;
};

/* One word for the remote shell: 'like'\''this'. */
static char *shell_quote(const char *s)
{
	size_t n = 3;
	char *q, *p;

	for (const char *c = s; *c; c++)
		n += *c == '\'' ? 4 : 1;
	q = p = malloc(n);
	if (!q)
		return NULL;
	*p++ = '\'';
	for (const char *c = s; *c; c++) {
		if (*c == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else {
			*p++ = *c;
		}
	}
	*p++ = '\'';
	*p = 0;
	return q;
}

/* The remote command line: VSERVER [--base BASE] NAME WORDS... */
static char *remote_command(const struct migrate *m, const char *name, const char *const *words)
{
	const char *parts[16];
	size_t n = 0, len = 1;
	char *cmd, *quoted[16] = { 0 };
	bool ok = true;

	parts[n++] = m->rvserver;
	if (m->rbase) {
		parts[n++] = "--base";
		parts[n++] = m->rbase;
	}
	parts[n++] = name;
	for (; *words && n < 15; words++)
		parts[n++] = *words;
	for (size_t i = 0; i < n; i++) {
		quoted[i] = shell_quote(parts[i]);
		ok = ok && quoted[i];
		len += quoted[i] ? strlen(quoted[i]) + 1 : 0;
	}
	cmd = ok ? malloc(len) : NULL;
	if (cmd) {
		cmd[0] = 0;
		for (size_t i = 0; i < n; i++) {
			strcat(cmd, quoted[i]);
			if (i + 1 < n)
				strcat(cmd, " ");
		}
	}
	for (size_t i = 0; i < n; i++)
		free(quoted[i]);
	return cmd;
}

/* ssh [-o OPT]... -- HOST CMD, with its stdin from @in (-1: /dev/null)
 * and stdout to @out (-1: ours).  The child's pid, or -1. */
static pid_t spawn_ssh(const struct migrate *m, const char *cmd, int in, int out)
{
	const char *argv[2 * SSH_ARGS_MAX + 8];
	int n = 0;
	pid_t pid;

	argv[n++] = "ssh";
	/* No password prompts: migrate runs unattended (keys, agent). */
	argv[n++] = "-o";
	argv[n++] = "BatchMode=yes";
	for (int i = 0; i < m->nssh; i++) {
		argv[n++] = "-o";
		argv[n++] = m->ssh_opts[i];
	}
	argv[n++] = "--";
	argv[n++] = m->host;
	argv[n++] = cmd;
	argv[n] = NULL;
	pid = fork();
	if (pid != 0)
		return pid;
	signal(SIGPIPE, SIG_DFL);
	/* No stream to send: ssh must not read (a terminal's) input. */
	if (in < 0)
		in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0 || dup2(in, STDIN_FILENO) < 0 || (out >= 0 && dup2(out, STDOUT_FILENO) < 0))
		_exit(127);
	execvp("ssh", (char *const *)argv);
	fprintf(stderr, "vserver: ssh: %s\n", strerror(errno));
	_exit(127);
}

/* 0 if @pid exited 0, else -1 with "WHAT failed (exit N)" in @e. */
static int reap(pid_t pid, const char *what, struct vu_err *e)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return vu_err_set(e, errno, "%s: wait", what);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return vu_err_set(e, 0, "%s failed (exit %d%s)", what, WEXITSTATUS(status),
				  WEXITSTATUS(status) == 255 ? ", ssh could not connect or was cut off"
							     : "");
	return vu_err_set(e, 0, "%s killed by signal %d", what, WTERMSIG(status));
}

static int parse(struct vs *vs, struct migrate *m)
{
	const char *colon;

	m->rvserver = "vserver";
	for (int i = 1; i < vs->argc; i++) {
		const char *a = vs->argv[i];

		if (!strcmp(a, "--keep")) {
			m->keep = true;
		} else if (!strcmp(a, "--trust-config")) {
			m->trust = true;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			m->quiet = true;
		} else if (!strcmp(a, "--ssh-opt") && i + 1 < vs->argc) {
			if (m->nssh == SSH_ARGS_MAX)
				return vs_failf(vs, VS_USAGE, "migrate: too many --ssh-opt");
			m->ssh_opts[m->nssh++] = vs->argv[++i];
		} else if (!strcmp(a, "--remote-vserver") && i + 1 < vs->argc) {
			m->rvserver = vs->argv[++i];
		} else if (a[0] != '-' && !m->target) {
			m->target = a;
		} else {
			return vs_failf(vs, VS_USAGE, "migrate: unexpected argument '%s' (migrate "
					"[USER@]HOST[:BASE] [--keep] [--trust-config] [--ssh-opt OPT]... "
					"[--remote-vserver PATH] [-q])", a);
		}
	}
	if (!m->target)
		return vs_failf(vs, VS_USAGE, "migrate: where to? (migrate [USER@]HOST[:BASE])");
	colon = strchr(m->target, ':');
	if ((size_t)(colon ? colon - m->target : (ptrdiff_t)strlen(m->target)) >= sizeof(m->host))
		return vs_failf(vs, VS_USAGE, "migrate: host name too long");
	snprintf(m->host, sizeof(m->host), "%.*s",
		 (int)(colon ? colon - m->target : (ptrdiff_t)strlen(m->target)), m->target);
	m->rbase = colon && colon[1] ? colon + 1 : NULL;
	if (!m->host[0] || m->host[0] == '-' || (colon && !colon[1]))
		return vs_failf(vs, VS_USAGE, "migrate: '%s' is not [USER@]HOST[:BASE]", m->target);
	return VS_OK;
}

/* The transfer: ssh HOST receive, its have-list, then the stream.  0 once
 * the remote receive exited 0 (the guest is complete there). */
static int transfer(struct vs *vs, const struct migrate *m, struct vs_source *src,
		    struct vu_stream_stats *st, struct vu_err *e)
{
	const char *words[5] = { "receive", "--send-have" };
	struct vu_stream_send_opts o = { .label = vs->l.root, .stop = &vs_build_signal,
					 .conf = src->conf, .conflen = src->conflen };
	struct vs_progress prog = { .name = vs->name };
	_cleanup_free_ char *cmd = NULL;
	_cleanup_free_ struct vu_id *have = NULL;
	int to[2] = { -1, -1 }, from[2] = { -1, -1 }, rc = -1, nw = 2;
	pid_t pid = -1;

	if (m->quiet)
		words[nw++] = "-q";
	if (m->trust)
		words[nw++] = "--trust-config";
	memset(st, 0, sizeof(*st));
	cmd = remote_command(m, vs->name, words);
	if (!cmd)
		return vu_err_set(e, ENOMEM, "migrate");
	if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0) {
		vu_err_set(e, errno, "pipe");
		goto out;
	}
	pid = spawn_ssh(m, cmd, to[0], from[1]);
	if (pid < 0) {
		vu_err_set(e, errno, "fork");
		goto out;
	}
	close(to[0]);
	close(from[1]);
	to[0] = from[1] = -1;
	if (vu_have_read(from[0], &have, &o.nhave, e) < 0) {
		/* Most often the other side failed first (no ssh, no such
		 * base, the name taken): its exit tells more than our read. */
		vu_err_prefix(e, "%s", m->host);
		close(to[1]);
		to[1] = -1;
		reap(pid, "the receive on the other side", e);
		pid = -1;
		goto out;
	}
	o.have = have;
	if (!m->quiet && isatty(STDERR_FILENO)) {
		o.progress = vs_progress;
		o.progress_arg = &prog;
	}
	rc = vu_stream_send(src->top, &src->store, to[1], &o, st, e);
	vs_progress_end(&prog);
out:
	if (to[1] >= 0)
		close(to[1]);          /* the receiver sees the end (or a truncated stream) */
	if (pid > 0) {
		struct vu_err e2;

		/* A failed send (here): ssh must not linger on a half-read
		 * pipe.  The remote receive removes what it made. */
		if (rc < 0)
			kill(pid, SIGTERM);
		if (reap(pid, "the receive on the other side", &e2) < 0 && rc == 0) {
			*e = e2;
			rc = -1;
		}
	}
	if (to[0] >= 0)
		close(to[0]);
	if (from[0] >= 0)
		close(from[0]);
	if (from[1] >= 0)
		close(from[1]);
	return rc;
}

int vs_migrate(struct vs *vs)
{
	struct migrate m = { 0 };
	struct vu_stream_stats st;
	struct vs_source src;
	bool was_running;
	struct vu_err e;
	int r;

	if ((r = parse(vs, &m)) != VS_OK)
		return r;
	if ((r = vs_need_guest(vs)) != VS_OK)
		return r;
	was_running = vu_layout_running(&vs->l);
	if (was_running) {
		r = vs_do_stop(vs, -1);
		if (r != VS_OK && r != VS_STOPPED)
			return r;
	}
	if ((r = vs_source_open(vs, &src)) != VS_OK)
		goto restart;
	vs_build_catch_signals();
	signal(SIGPIPE, SIG_IGN);
	r = transfer(vs, &m, &src, &st, &e);
	vs_source_close(&src);
	if (r < 0) {
		if (vs_build_signal)
			vu_err_set(&e, 0, "interrupted (%s)", strsignal(vs_build_signal));
		r = vs_failf(vs, vs_build_signal ? 128 + vs_build_signal : VS_FAIL,
			     "%s (not moved: the guest stays here as it was)", e.msg);
		goto restart;
	}
	if (!m.quiet)
		vs_send_summary(vs, "sent", &st);
	if (was_running) {
		const char *words[] = { "start", NULL };
		_cleanup_free_ char *cmd = remote_command(&m, vs->name, words);
		pid_t pid = cmd ? spawn_ssh(&m, cmd, -1, -1) : -1;

		if (pid < 0 || reap(pid, "start on the other side", &e) < 0) {
			if (pid < 0)
				vu_err_set(&e, errno, "start on %s", m.host);
			vs_fail(vs, VS_FAIL, &e);
			fprintf(stderr, "vserver: %s: moved to %s but not started there; kept here "
				"(stopped) as well\n", vs->name, m.target);
			return VS_FAIL;
		}
	}
	if (!m.keep) {
		char *argv[] = { "delete", NULL };

		vs->argc = 1;
		vs->argv = argv;
		if ((r = vs_delete(vs)) != VS_OK)
			return r;
	}
	if (!m.quiet)
		fprintf(stderr, "vserver: %s: moved to %s%s\n", vs->name, m.target,
			m.keep ? " (kept here too, stopped)" : "");
	return VS_OK;
restart:
	if (was_running) {
		char *argv[] = { "start", NULL };

		vs->argc = 1;
		vs->argv = argv;
		vs_start(vs);
	}
	return r;
}
