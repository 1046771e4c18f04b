// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The cgroup v2 device controller is a BPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE attached to the group: it gets the access
 * (type, major, minor, mknod/read/write) and returns 1 to allow, 0 to deny.
 * We assemble it by hand from the rule list; no libbpf, no compiler:
 *
 *   r2 = ctx->access_type & 0xffff     device type (1 block, 2 char)
 *   r3 = ctx->access_type >> 16        requested access bits
 *   r4 = ctx->major, r5 = ctx->minor
 *   per rule:  if r2 != TYPE goto next; [if r4 != MAJOR goto next;]
 *              [if r5 != MINOR goto next;]
 *              r1 = r3 & ~ALLOWED; if r1 != 0 goto next; return 1
 *   return 0
 *
 * Attached with BPF_F_ALLOW_MULTI, so it composes with programs higher up
 * (all of them must allow).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "vsupervisor/cgroup.h"

#define MAX_INSNS 512

struct prog {
	struct bpf_insn insn[MAX_INSNS];
	size_t n;
	bool overflow;
};

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	if (p->n == MAX_INSNS) {
		p->overflow = true;
		return;
	}
	p->insn[p->n++] = (struct bpf_insn){
		.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm,
	};
}

#define LDX_W(p, dst, src, off)  emit(p, BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0)
#define MOV_REG(p, dst, src)     emit(p, BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_IMM(p, dst, imm)     emit(p, BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define AND_IMM(p, dst, imm)     emit(p, BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH_IMM(p, dst, imm)     emit(p, BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(p, dst, imm, o)  emit(p, BPF_JMP | BPF_JNE | BPF_K, dst, 0, o, imm)
#define EXIT(p)                  emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int access_bits(const char *a)
{
	int bits = 0;

	for (; *a; a++)
		bits |= *a == 'm' ? BPF_DEVCG_ACC_MKNOD : *a == 'r' ? BPF_DEVCG_ACC_READ :
			*a == 'w' ? BPF_DEVCG_ACC_WRITE : 0;
	return bits;
}

static void assemble(struct prog *p, const struct vu_cg_dev *rules, size_t n)
{
	LDX_W(p, BPF_REG_2, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type));
	MOV_REG(p, BPF_REG_3, BPF_REG_2);
	AND_IMM(p, BPF_REG_2, 0xffff);
	RSH_IMM(p, BPF_REG_3, 16);
	LDX_W(p, BPF_REG_4, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major));
	LDX_W(p, BPF_REG_5, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor));
	for (size_t i = 0; i < n; i++) {
		const struct vu_cg_dev *r = &rules[i];
		/* Instructions after each test up to the end of the rule block. */
		int16_t tail = 5;   /* mov, and, jne, mov r0 1, exit */
		int type = r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
		int16_t skip = (int16_t)(tail + (r->major >= 0) + (r->minor >= 0));

		/* Each jump skips what follows it in this rule block. */
		JNE_IMM(p, BPF_REG_2, type, skip);
		skip--;
		if (r->major >= 0) {
			JNE_IMM(p, BPF_REG_4, r->major, skip);
			skip--;
		}
		if (r->minor >= 0) {
			JNE_IMM(p, BPF_REG_5, r->minor, skip);
			skip--;
		}
		MOV_REG(p, BPF_REG_1, BPF_REG_3);
		AND_IMM(p, BPF_REG_1, ~access_bits(r->access));
		JNE_IMM(p, BPF_REG_1, 0, 2);
		MOV_IMM(p, BPF_REG_0, 1);
		EXIT(p);
	}
	MOV_IMM(p, BPF_REG_0, 0);
	EXIT(p);
}

int vu_cg_bpf_devices(int cgfd, const struct vu_cg_dev *rules, size_t n, struct vu_err *e)
{
	static struct prog p;
	static char log[4096];
	union bpf_attr attr;
	int prog_fd, r;

	memset(&p, 0, sizeof(p));
	assemble(&p, rules, n);
	if (p.overflow)
		return vu_err_set(e, E2BIG, "device filter: too many rules");

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)p.insn;
	attr.insn_cnt = (uint32_t)p.n;
	attr.license = (uint64_t)(uintptr_t)"GPL";
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	log[0] = 0;
	prog_fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (prog_fd < 0) {
		/* The verifier log is long; its last line says why. */
		char *last = log[0] ? strrchr(log, '\n') : NULL;

		while (last && last > log && last[1] == 0) {
			*last = 0;
			last = strrchr(log, '\n');
		}
		return vu_err_set(e, errno, "loading the device filter%s%s", last ? ": " : "",
				  last ? last + 1 : "");
	}

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgfd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	r = (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr));
	if (r < 0)
		r = vu_err_set(e, errno, "attaching the device filter");
	close(prog_fd);         /* the attachment holds the program */
	return r;
}
