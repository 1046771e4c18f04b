/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The FUSE-over-io_uring ABI (protocol 7.42, Linux 6.14), as the kernel's
 * include/uapi/linux/fuse.h and fs/fuse/dev_uring.c define and use it.
 * Debian 12's linux-libc-dev (6.1) predates it, so uring.c carries its own
 * copy of the few layouts it speaks; the static asserts pin them.
 */
#ifndef VUNIFYFS_URING_ABI_H
#define VUNIFYFS_URING_ABI_H

#include <stddef.h>
#include <stdint.h>

/* INIT flags2 bit 9: FUSE_OVER_IO_URING (1ULL << 41) */
#define VU_FUSE_OVER_IO_URING_HI    (1U << 9)

#define VU_FUSE_URING_IN_OUT_SZ     128     /* FUSE_URING_IN_OUT_HEADER_SZ */
#define VU_FUSE_URING_OP_IN_SZ      128     /* FUSE_URING_OP_IN_OUT_SZ */

/* The command (sqe->cmd_op of an IORING_OP_URING_CMD on /dev/fuse). */
enum {
	VU_FUSE_IO_URING_CMD_REGISTER = 1,          /* give the kernel an entry */
	VU_FUSE_IO_URING_CMD_COMMIT_AND_FETCH = 2,  /* reply, and take the next */
};

/* Kernel and daemon both write it: commit_id is the request's unique,
 * payload_sz the bytes valid in the payload buffer. */
struct vu_fuse_uring_ent_in_out {
	uint64_t flags;
	uint64_t commit_id;
	uint32_t payload_sz;
	uint32_t padding;
	uint64_t reserved;
};

/* iov[0] of a registered entry. */
struct vu_fuse_uring_req_header {
	char in_out[VU_FUSE_URING_IN_OUT_SZ];   /* fuse_in_header / fuse_out_header */
	char op_in[VU_FUSE_URING_OP_IN_SZ];     /* the request's first argument */
	struct vu_fuse_uring_ent_in_out ring_ent_in_out;
};

/* In the 80-byte command area of a 128-byte SQE. */
struct vu_fuse_uring_cmd_req {
	uint64_t flags;
	uint64_t commit_id;
	uint16_t qid;
	uint8_t padding[6];
};

_Static_assert(sizeof(struct vu_fuse_uring_ent_in_out) == 32, "fuse_uring_ent_in_out");
_Static_assert(sizeof(struct vu_fuse_uring_req_header) == 288, "fuse_uring_req_header");
_Static_assert(offsetof(struct vu_fuse_uring_req_header, ring_ent_in_out) == 256,
	       "ring_ent_in_out offset");
_Static_assert(sizeof(struct vu_fuse_uring_cmd_req) == 24, "fuse_uring_cmd_req");

#endif
