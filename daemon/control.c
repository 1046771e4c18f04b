// SPDX-License-Identifier: GPL-2.0-or-later
/* Control socket and state file: see include/vsupervisor/control.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vsupervisor/control.h"
#include "vsupervisor/fdpass.h"
#include "vunify/size.h"

int vu_state_write(const char *path, const struct vu_state *s, struct vu_err *e)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return vu_err_set(e, errno, "%s", tmp);
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return vu_err_set(e, errno, "%s", tmp);
	}
	fprintf(f, "supervisor=%d\ninit=%d\nfs=%d\nstarted=%lld\ncgroup=%s\nhost_ifname=%s\n"
		"own_mount=%d\n", (int)s->supervisor, (int)s->init, (int)s->fs, s->started,
		s->cgroup, s->host_ifname, s->own_mount ? 1 : 0);
	if (s->nat)
		fprintf(f, "nat=1\n");
	if (fclose(f) != 0)
		return vu_err_set(e, errno, "%s", tmp);
	if (rename(tmp, path) < 0)
		return vu_err_set(e, errno, "%s", path);
	return 0;
}

/* One numeric line of the state file, strictly: a damaged file must not
 * name a wrapped or partial pid.  Unknown keys are skipped (a newer
 * writer). */
static int state_field(struct vu_state *s, const char *key, const char *val, const char *path,
		       struct vu_err *e)
{
	pid_t *pid = !strcmp(key, "supervisor") ? &s->supervisor : !strcmp(key, "init") ? &s->init :
		     !strcmp(key, "fs") ? &s->fs : NULL;
	bool started = !strcmp(key, "started"), own = !strcmp(key, "own_mount");
	bool nat = !strcmp(key, "nat");
	uint64_t max = pid ? INT_MAX : started ? INT64_MAX : 1, v;

	if (!pid && !started && !own && !nat)
		return 0;
	if (vu_parse_uint(val, 0, max, &v) < 0)
		return vu_err_set(e, EINVAL, "%s: %s=%s: not a number from 0 to %llu", path, key, val,
				  (unsigned long long)max);
	if (pid)
		*pid = (pid_t)v;
	else if (started)
		s->started = (long long)v;
	else if (nat)
		s->nat = v != 0;
	else
		s->own_mount = v != 0;
	return 0;
}

int vu_state_read(const char *path, struct vu_state *s, struct vu_err *e)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[256];

	memset(s, 0, sizeof(*s));
	if (!f)
		return vu_err_set(e, errno, "%s", path);
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '='), *nl = strchr(line, '\n');

		if (!eq)
			continue;
		if (nl)
			*nl = 0;
		*eq++ = 0;
		if (!strcmp(line, "cgroup"))
			snprintf(s->cgroup, sizeof(s->cgroup), "%s", eq);
		else if (!strcmp(line, "host_ifname"))
			snprintf(s->host_ifname, sizeof(s->host_ifname), "%s", eq);
		else if (state_field(s, line, eq, path, e) < 0)
			return -1;
	}
	return 0;
}

/*
 * The address of socket @path.  A path longer than sun_path (a deep
 * runtime directory: RUN/KEY/NAME with a long name) is reached through
 * its directory, held open in *@dirfd until the caller has bound or
 * connected: /proc/self/fd/N/sock always fits.
 */
static int sockaddr_of(const char *path, struct sockaddr_un *sa, int *dirfd, struct vu_err *e)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	*dirfd = -1;
	if (strlen(path) < sizeof(sa->sun_path)) {
		strcpy(sa->sun_path, path);
		return 0;
	}
	if (!slash || slash == path || (size_t)(slash - path) >= sizeof(dir) ||
	    strlen(slash) > sizeof(sa->sun_path) - 32)
		return vu_err_set(e, ENAMETOOLONG, "%s: too long for a socket", path);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = 0;
	*dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return vu_err_set(e, errno, "%s", dir);
	snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d%s", *dirfd, slash);
	return 0;
}

int vu_ctl_listen(const char *path, struct vu_err *e)
{
	struct sockaddr_un sa;
	_cleanup_close_ int fd = -1, dirfd = -1;

	if (sockaddr_of(path, &sa, &dirfd, e) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return vu_err_set(e, errno, "socket");
	if (unlink(path) < 0 && errno != ENOENT)
		return vu_err_set(e, errno, "%s", path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return vu_err_set(e, errno, "%s", path);
	if (chmod(path, 0600) < 0)
		return vu_err_set(e, errno, "%s", path);
	if (listen(fd, 16) < 0)
		return vu_err_set(e, errno, "%s", path);
	return vu_steal_fd(&fd);
}

/* Send @req, wait for the reply; the connected socket, or -1. */
static int call(const char *path, const char *req, char *reply, size_t len, int *fd,
		int timeout_ms, struct vu_err *e)
{
	struct sockaddr_un sa;
	_cleanup_close_ int s = -1, dirfd = -1;
	struct pollfd p;
	ssize_t n;
	int got = -1, r;

	if (fd)
		*fd = -1;
	if (sockaddr_of(path, &sa, &dirfd, e) < 0)
		return -1;
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return vu_err_set(e, errno, "socket");
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return vu_err_set(e, errno, "%s", path);
	if (vu_msg_send(s, req, strlen(req), -1) < 0)
		return vu_err_set(e, errno, "%s", path);
	p = (struct pollfd){ .fd = s, .events = POLLIN };
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return vu_err_set(e, r == 0 ? ETIMEDOUT : errno, "%s: waiting for the supervisor", path);
	n = vu_msg_recv(s, reply, len, &got);
	if (n < 0)
		return vu_err_set(e, errno, "%s", path);
	if (n == 0)
		return vu_err_set(e, ECONNRESET, "%s: the supervisor went away", path);
	if (vu_msg_err_parse(reply, e)) {
		if (got >= 0)
			close(got);
		errno = e->code;
		return -1;
	}
	if (fd)
		*fd = got;
	else if (got >= 0)
		close(got);
	return vu_steal_fd(&s);
}

int vu_ctl_call(const char *path, const char *req, char *reply, size_t len, int *fd,
		int timeout_ms, struct vu_err *e)
{
	int s = call(path, req, reply, len, fd, timeout_ms, e);

	if (s < 0)
		return -1;
	close(s);
	return 0;
}

int vu_ctl_session(const char *path, const char *req, int timeout_ms, struct vu_err *e)
{
	char reply[256];

	return call(path, req, reply, sizeof(reply), NULL, timeout_ms, e);
}

enum vu_ctl_req vu_ctl_request(const char *req, unsigned *seconds)
{
	uint64_t v;

	if (!strcmp(req, "info"))
		return VU_CTL_INFO;
	if (!strcmp(req, "pidfd"))
		return VU_CTL_PIDFD;
	if (!strcmp(req, "console"))
		return VU_CTL_CONSOLE;
	/* Digits only: strtoul() would take "-1" as four billion seconds. */
	if (strncmp(req, "stop ", 5) != 0 || vu_parse_uint(req + 5, 0, UINT_MAX, &v) < 0)
		return VU_CTL_UNKNOWN;
	*seconds = (unsigned)v;
	return VU_CTL_STOP;
}
