// SPDX-License-Identifier: GPL-2.0-or-later
/* Messages with descriptors: see include/vsupervisor/fdpass.h. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vsupervisor/fdpass.h"
#include "vunify/size.h"

#define ERR_TAG "err "

int vu_msg_send(int sock, const void *buf, size_t len, int fd)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.space;
		m.msg_controllen = sizeof(ctl.space);
		ctl.h.cmsg_level = SOL_SOCKET;
		ctl.h.cmsg_type = SCM_RIGHTS;
		ctl.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&ctl.h), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

ssize_t vu_msg_recv(int sock, char *buf, size_t len, int *fd)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.space, .msg_controllen = sizeof(ctl.space) };
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	buf[n] = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i * sizeof(int) < c->cmsg_len - CMSG_LEN(0); i++) {
			int got;

			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd < 0)
				*fd = got;
			else
				close(got);     /* only one is ever expected */
		}
	}
	return n;
}

size_t vu_msg_err_format(char *buf, size_t len, int code, const char *msg)
{
	int n = snprintf(buf, len, ERR_TAG "%d %s", code, msg);

	if (n < 0) {
		buf[0] = 0;
		return 0;
	}
	return (size_t)n < len ? (size_t)n : len - 1;
}

int vu_msg_send_err(int sock, int code, const char *msg)
{
	char buf[sizeof(((struct vu_err *)0)->msg) + 32];

	return vu_msg_send(sock, buf, vu_msg_err_format(buf, sizeof(buf), code, msg), -1);
}

int vu_msg_err_parse(const char *msg, struct vu_err *e)
{
	const char *p = msg + strlen(ERR_TAG), *text = "failed";
	uint64_t code = 0;

	if (strncmp(msg, ERR_TAG, strlen(ERR_TAG)))
		return 0;
	if (vu_parse_digits(p, &p, &code) < 0 || code > INT32_MAX)
		code = 0;
	if (*p == ' ' && p[1])
		text = p + 1;
	vu_err_set(e, 0, "%s", text);
	e->code = code ? (int)code : EIO;
	return 1;
}
