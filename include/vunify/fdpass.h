/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Messages with an optional descriptor over a SOCK_SEQPACKET socket
 * (SCM_RIGHTS).  One message is one record: no framing needed.
 */
#ifndef VUNIFY_FDPASS_H
#define VUNIFY_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* Send @len bytes of @buf and, if @fd >= 0, the descriptor.  -1/errno. */
int vu_msg_send(int sock, const void *buf, size_t len, int fd);

/* Receive one message into @buf (NUL-terminated, so @len - 1 bytes at
 * most); a passed descriptor lands in *fd (O_CLOEXEC), else *fd = -1.
 * Returns the length, 0 at end of file, -1/errno. */
ssize_t vu_msg_recv(int sock, char *buf, size_t len, int *fd);

#endif /* VUNIFY_FDPASS_H */
