/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Messages with an optional descriptor over a SOCK_SEQPACKET socket
 * (SCM_RIGHTS).  One message is one record: no framing needed.
 */
#ifndef VSUP_FDPASS_H
#define VSUP_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

#include "vunify/error.h"

/* Send @len bytes of @buf and, if @fd >= 0, the descriptor.  -1/errno. */
int vu_msg_send(int sock, const void *buf, size_t len, int fd);

/* Receive one message into @buf (NUL-terminated, so @len - 1 bytes at
 * most); a passed descriptor lands in *fd (O_CLOEXEC), else *fd = -1.
 * Returns the length, 0 at end of file, -1/errno. */
ssize_t vu_msg_recv(int sock, char *buf, size_t len, int *fd);

/*
 * Errors on the wire, one encoding for every channel of the supervisor and
 * its children (the control socket, the start pipe, the sync sockets of
 * the guest's init and of vserver exec):
 *
 *   err CODE MESSAGE       CODE an errno value (or the exit status of
 *                          vserver exec's child), decimal; MESSAGE one line
 *
 * vu_msg_err_format() writes it into @buf (NUL-terminated, cut to fit) and
 * returns its length; vu_msg_send_err() sends it as one message.
 * vu_msg_err_parse() returns 1 and fills @e if @msg is such an error (CODE
 * 0 or missing is EIO: an error is never success), 0 if @msg is not one.
 */
size_t vu_msg_err_format(char *buf, size_t len, int code, const char *msg);
int vu_msg_send_err(int sock, int code, const char *msg);
int vu_msg_err_parse(const char *msg, struct vu_err *e);

#endif /* VSUP_FDPASS_H */
