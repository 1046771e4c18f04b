// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: the supervisor's control protocol and state file
 * (include/vsupervisor/control.h, daemon/control.c, daemon/fdpass.c).  The
 * first byte says which side reads the rest:
 *   r  a request, as the supervisor receives it (vu_msg_recv, then
 *      vu_ctl_request, which supervisor.c dispatches on)
 *   a  a reply, as vserver receives it (vu_ctl_call "info" against a
 *      listener in a thread that answers with the input)
 *   p  the same with a descriptor passed along (vu_ctl_call "pidfd")
 *   s  a state file (vu_state_read)
 * Besides "no crash, no leak": an error reply gives -1 and a message, and
 * no descriptor is left open.
 */
#include <stdint.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vsupervisor/control.h"
#include "vsupervisor/fdpass.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char sock_dir[64], sock_path[80];
static int listen_fd = -1;

/* Leave nothing behind in /tmp. */
static void cleanup(void)
{
	close(listen_fd);
	unlink(sock_path);
	rmdir(sock_dir);
}

struct answer {
	const uint8_t *data;
	size_t size;
	bool pass_fd;
};

static void request(const uint8_t *data, size_t size)
{
	char req[256];
	unsigned seconds;
	int sv[2], fd;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (vu_msg_send(sv[0], (const char *)data, size, -1) == 0 &&
	    vu_msg_recv(sv[1], req, sizeof(req), &fd) >= 0) {
		if (fd >= 0)
			abort();
		vu_ctl_request(req, &seconds);
	}
	close(sv[0]);
	close(sv[1]);
}

/* The supervisor's side of one call: read the request, send the input. */
static void *answer(void *arg)
{
	const struct answer *a = arg;
	char req[256];
	int c, got, pass = -1;

	c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		abort();
	if (vu_msg_recv(c, req, sizeof(req), &got) < 0)
		abort();
	if (a->pass_fd)
		pass = open("/dev/null", O_RDONLY | O_CLOEXEC);
	vu_msg_send(c, (const char *)a->data, a->size, pass);
	if (pass >= 0)
		close(pass);
	close(c);
	return NULL;
}

static void reply(const uint8_t *data, size_t size, bool pass_fd)
{
	struct answer a = { data, size, pass_fd };
	char buf[512];
	struct vu_err e = { 0 };
	pthread_t t;
	int fd = -1, r;

	if (listen_fd < 0) {
		struct vu_err le;

		snprintf(sock_dir, sizeof(sock_dir), "/tmp/vu-fuzz-control.XXXXXX");
		if (!mkdtemp(sock_dir))
			abort();
		snprintf(sock_path, sizeof(sock_path), "%s/sock", sock_dir);
		listen_fd = vu_ctl_listen(sock_path, &le);
		if (listen_fd < 0)
			abort();
		atexit(cleanup);
		/* The listener is non-blocking; the answering thread waits. */
		if (fcntl(listen_fd, F_SETFL, 0) < 0)
			abort();
	}
	if (pthread_create(&t, NULL, answer, &a) != 0)
		abort();
	r = vu_ctl_call(sock_path, pass_fd ? "pidfd" : "info", buf, sizeof(buf),
			pass_fd ? &fd : NULL, 10000, &e);
	pthread_join(t, NULL);
	if (r < 0 && (!e.msg[0] || fd >= 0))
		abort();
	if (fd >= 0)
		close(fd);
}

static void state(const uint8_t *data, size_t size)
{
	struct vu_state st;
	struct vu_err e = { 0 };
	char path[64];
	int fd = memfd_create("state", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* A damaged number is refused (never a wrapped pid), with a message. */
	if (vu_state_read(path, &st, &e) < 0 && !e.msg[0])
		abort();
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0]) {
	case 'r': request(data + 1, size - 1); break;
	case 'a': reply(data + 1, size - 1, false); break;
	case 'p': reply(data + 1, size - 1, true); break;
	case 's': state(data + 1, size - 1); break;
	}
	return 0;
}
