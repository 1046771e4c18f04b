// SPDX-License-Identifier: GPL-2.0-or-later
/* Control socket and state file: see include/vunify/control.h. */
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
#include "vunify/control.h"
#include "vunify/fdpass.h"

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
	if (fclose(f) != 0)
		return vu_err_set(e, errno, "%s", tmp);
	if (rename(tmp, path) < 0)
		return vu_err_set(e, errno, "%s", path);
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
		if (!strcmp(line, "supervisor"))
			s->supervisor = atoi(eq);
		else if (!strcmp(line, "init"))
			s->init = atoi(eq);
		else if (!strcmp(line, "fs"))
			s->fs = atoi(eq);
		else if (!strcmp(line, "started"))
			s->started = atoll(eq);
		else if (!strcmp(line, "cgroup"))
			snprintf(s->cgroup, sizeof(s->cgroup), "%s", eq);
		else if (!strcmp(line, "host_ifname"))
			snprintf(s->host_ifname, sizeof(s->host_ifname), "%s", eq);
		else if (!strcmp(line, "own_mount"))
			s->own_mount = atoi(eq) != 0;
	}
	return 0;
}

static int sockaddr_of(const char *path, struct sockaddr_un *sa, struct vu_err *e)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return vu_err_set(e, ENAMETOOLONG, "%s: too long for a socket", path);
	strcpy(sa->sun_path, path);
	return 0;
}

int vu_ctl_listen(const char *path, struct vu_err *e)
{
	struct sockaddr_un sa;
	_cleanup_close_ int fd = -1;

	if (sockaddr_of(path, &sa, e) < 0)
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

/* "err ERRNO [MSG]" into @e, errno and -1; anything else after "err " is
 * a malformed reply (EPROTO), never an empty message or errno 0. */
static int reply_error(const char *path, const char *reply, struct vu_err *e)
{
	const char *p = reply + 4;
	char *end;
	long code;

	errno = 0;
	code = strtol(p, &end, 10);
	if (errno || end == p || code <= 0 || code > 4095 || (*end && *end != ' ')) {
		vu_err_set(e, EPROTO, "%s: malformed reply '%.64s'", path, reply);
		errno = EPROTO;
		return -1;
	}
	if (*end && end[1])
		vu_err_set(e, 0, "%s", end + 1);
	else
		vu_err_set(e, (int)code, "%s", path);
	e->code = (int)code;
	errno = (int)code;
	return -1;
}

int vu_ctl_call(const char *path, const char *req, char *reply, size_t len, int *fd,
		int timeout_ms, struct vu_err *e)
{
	struct sockaddr_un sa;
	_cleanup_close_ int s = -1;
	struct pollfd p;
	ssize_t n;
	int got = -1, r;

	if (fd)
		*fd = -1;
	if (sockaddr_of(path, &sa, e) < 0)
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
	if (!strncmp(reply, "err ", 4)) {
		if (got >= 0)
			close(got);
		return reply_error(path, reply, e);
	}
	if (fd)
		*fd = got;
	else if (got >= 0)
		close(got);
	return 0;
}

enum vu_ctl_req vu_ctl_request(const char *req, unsigned *seconds)
{
	unsigned long long v = 0;
	const char *p;

	if (!strcmp(req, "info"))
		return VU_CTL_INFO;
	if (!strcmp(req, "pidfd"))
		return VU_CTL_PIDFD;
	if (strncmp(req, "stop ", 5) != 0 || !req[5])
		return VU_CTL_UNKNOWN;
	/* Digits only: strtoul() would take "-1" as four billion seconds. */
	for (p = req + 5; *p; p++) {
		if (*p < '0' || *p > '9')
			return VU_CTL_UNKNOWN;
		v = v * 10 + (unsigned)(*p - '0');
		if (v > UINT_MAX)
			return VU_CTL_UNKNOWN;
	}
	*seconds = (unsigned)v;
	return VU_CTL_STOP;
}
