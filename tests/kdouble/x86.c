/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The x86 personalities: stored vCPU state, an interpreter for exactly the
 * instructions of tests/vmm/guest-real.S and guest-long.S, and the
 * kernel's pending work (vcpu->arch.complete_userspace_io) with each
 * version's semantics.  Private state, cleared before it runs: x86 never
 * completes twice. */
#define _GNU_SOURCE
#include "kdouble.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#if KD_HOST_X86

#define PIO_OFFSET 4096 /* KVM_PIO_PAGE_OFFSET * PAGE_SIZE */
#define VER (kd_p->ver)

static __u64 *reg(struct kd_x86 *x, unsigned enc)
{
	/* ModRM register encoding -> struct kvm_regs field */
	switch (enc & 7) {
	case 0: return &x->regs.rax;
	case 1: return &x->regs.rcx;
	case 2: return &x->regs.rdx;
	case 3: return &x->regs.rbx;
	case 4: return &x->regs.rsp;
	case 5: return &x->regs.rbp;
	case 6: return &x->regs.rsi;
	default: return &x->regs.rdi;
	}
}

static int cpu_mode(const struct kd_x86 *x)
{
	if (!(x->sregs.cr0 & 1)) return 16;
	if ((x->sregs.efer & 0x400) && x->sregs.cs.l) return 64;
	return x->sregs.cs.db ? 32 : 16;
}

static void write_reg(struct kd_x86 *x, unsigned enc, uint64_t val, unsigned size)
{
	__u64 *r = reg(x, enc);
	switch (size) {
	case 1: *r = (*r & ~0xffull) | (val & 0xff); break;
	case 2: *r = (*r & ~0xffffull) | (val & 0xffff); break;
	case 4:
		/* a 32-bit write zero-extends in 64-bit mode only */
		*r = cpu_mode(x) == 64 ? (val & 0xffffffffull) : ((*r & ~0xffffffffull) | (val & 0xffffffffull));
		break;
	default: *r = val;
	}
}

static uint64_t linear_rip(const struct kd_x86 *x)
{
	return cpu_mode(x) == 64 ? x->regs.rip : x->sregs.cs.base + x->regs.rip;
}

static void init(struct kd_vcpu *v)
{
	struct kd_x86 *x = &v->x86;
	struct kvm_segment d = { .base = 0, .limit = 0xffff, .selector = 0, .type = 3,
				 .present = 1, .s = 1 };

	/* kvm_vcpu_reset / vmx_vcpu_reset: the architectural reset state */
	memset(x, 0, sizeof(*x));
	x->regs.rip = 0xfff0;
	x->regs.rflags = 2;
	x->regs.rdx = 0x600;
	x->sregs.cs = d;
	x->sregs.cs.selector = 0xf000;
	x->sregs.cs.base = 0xffff0000;
	x->sregs.cs.type = 0xb;
	x->sregs.ds = x->sregs.es = x->sregs.fs = x->sregs.gs = x->sregs.ss = d;
	x->sregs.tr = d;
	x->sregs.tr.type = 0xb;
	x->sregs.ldt = d;
	x->sregs.ldt.type = 2;
	x->sregs.cr0 = 0x60000010;
	x->mp.mp_state = KVM_MP_STATE_RUNNABLE;
}

/* ---- exits ---- */
static void exit_io(struct kd_vcpu *v, int in, unsigned port, unsigned count)
{
	struct kvm_run *run = v->run;
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = 1;
	run->io.port = (uint16_t)port;
	run->io.count = count;
	run->io.data_offset = PIO_OFFSET;
	/* x86.c emulator_pio_in_out (and emulator_pio_in_emulated before
	 * 5.18): an IN's data is cleared before the exit, an OUT's copied */
	if (in) memset((uint8_t *)run + PIO_OFFSET, 0, count);
	kd_new_exit(v);
}

static void exit_mmio_frag(struct kd_vcpu *v)
{
	struct kd_x86 *x = &v->x86;
	struct kvm_run *run = v->run;
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = x->frag[x->cur].gpa;
	run->mmio.len = x->frag[x->cur].len;
	run->mmio.is_write = (uint8_t)x->is_write;
	memset(run->mmio.data, 0, 8);
	if (x->is_write) memcpy(run->mmio.data, x->frag[x->cur].data, x->frag[x->cur].len);
	kd_new_exit(v);
}

/* emulator_read_write: an access is split at page boundaries
 * (emulator_read_write_onepage); pieces in RAM are done at once, the others
 * become MMIO fragments, each one exit (vcpu->mmio_fragments). */
static int access_mem(struct kd_vcpu *v, uint64_t gpa, unsigned len, int write, uint8_t *data)
{
	struct kd_x86 *x = &v->x86;
	unsigned done = 0;

	x->nfrag = 0;
	x->cur = 0;
	while (done < len) {
		uint64_t a = gpa + done;
		unsigned n = (unsigned)(0x1000 - (a & 0xfff));
		uint8_t *h;
		if (n > len - done) n = len - done;
		h = kd_gpa(v->vm, a, n);
		if (h) {
			if (write) memcpy(h, data + done, n);
			else memcpy(data + done, h, n);
		} else {
			if (x->nfrag == 2) return -1;
			x->frag[x->nfrag].gpa = a;
			x->frag[x->nfrag].off = done;
			x->frag[x->nfrag].len = n;
			memcpy(x->frag[x->nfrag].data, data + done, n);
			x->nfrag++;
		}
		done += n;
	}
	return (int)x->nfrag;
}

/* ---- the interpreter ---- */
static int step(struct kd_vcpu *v)
{
	struct kd_x86 *x = &v->x86;
	int m = cpu_mode(x);
	uint64_t lip = linear_rip(x);
	uint8_t *ip = kd_gpa(v->vm, lip, 16);
	unsigned p = 0, opsz = m == 16 ? 2 : 4, adsz = m == 16 ? 2 : (m == 32 ? 4 : 8);
	int rep = 0;
	uint8_t op;
	uint64_t ea = 0, segbase;
	char why[96];

	if (!ip) {
		kd_internal_error(v, "instruction fetch outside guest RAM");
		return 1;
	}
	for (;;) {
		if (ip[p] == 0x66) { opsz = m == 16 ? 4 : 2; p++; }
		else if (ip[p] == 0xf3) { rep = 1; p++; }
		else break;
	}
	op = ip[p++];
	segbase = m == 64 ? 0 : x->sregs.ds.base;
	switch (op) {
	case 0xb0: case 0xb1: case 0xb2: case 0xb3:
		write_reg(x, op - 0xb0u, ip[p], 1);
		x->regs.rip += p + 1;
		return 0;
	case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf: {
		uint32_t imm = 0;
		memcpy(&imm, ip + p, opsz == 2 ? 2 : 4);
		write_reg(x, op - 0xb8u, imm, opsz);
		x->regs.rip += p + (opsz == 2 ? 2 : 4);
		return 0;
	}
	case 0x31: {
		uint8_t mr = ip[p++];
		if ((mr >> 6) != 3) break;
		write_reg(x, mr & 7, *reg(x, mr & 7) ^ *reg(x, (mr >> 3) & 7), opsz);
		x->regs.rip += p;
		return 0;
	}
	case 0x8e: {
		uint8_t mr = ip[p++];
		uint16_t sel = (uint16_t)*reg(x, mr & 7);
		struct kvm_segment *s;
		if ((mr >> 6) != 3) break;
		switch ((mr >> 3) & 7) {
		case 0: s = &x->sregs.es; break;
		case 2: s = &x->sregs.ss; break;
		case 3: s = &x->sregs.ds; break;
		case 4: s = &x->sregs.fs; break;
		case 5: s = &x->sregs.gs; break;
		default: s = NULL;
		}
		if (!s || m != 16) break;   /* real mode only: base = selector << 4 */
		s->selector = sel;
		s->base = (uint64_t)sel << 4;
		x->regs.rip += p;
		return 0;
	}
	case 0x8b: case 0xc7: case 0xa1: {
		unsigned dst = 0;
		uint8_t data[8] = { 0 };
		unsigned len = opsz;
		if (op == 0xa1) {
			memcpy(&ea, ip + p, adsz);
			p += adsz;
		} else {
			uint8_t mr = ip[p++];
			dst = (mr >> 3) & 7;
			if (op == 0xc7 && dst != 0) break;
			if (adsz == 2 && (mr & 0xc7) == 0x06) {
				uint16_t d16;
				memcpy(&d16, ip + p, 2);
				ea = d16;
				p += 2;
			} else if (adsz != 2 && (mr & 0xc7) == 0x04 && ip[p] == 0x25) {
				int32_t d32;
				memcpy(&d32, ip + p + 1, 4);
				ea = (uint64_t)(int64_t)d32;
				if (adsz == 4) ea &= 0xffffffffull;
				p += 5;
			} else {
				break;
			}
		}
		if (op == 0xc7) {
			uint32_t imm = 0;
			memcpy(&imm, ip + p, opsz == 2 ? 2 : 4);
			p += opsz == 2 ? 2 : 4;
			memcpy(data, &imm, 4);
		}
		/* linear = physical: the long-mode guests identity-map (vm.c) */
		int n = access_mem(v, segbase + ea, len, op == 0xc7, data);
		if (n < 0) break;
		x->insn_len = p;
		x->dst = dst;
		x->opsize = len;
		x->is_write = op == 0xc7;
		if (n == 0) {
			uint64_t val = 0;
			memcpy(&val, data, 8);
			if (!x->is_write) write_reg(x, dst, val, len);
			x->regs.rip += p;
			return 0;
		}
		memcpy(x->val, data, 8);
		x->regs_dirty = 0;
		/* x86_emulate_instruction: mmio_needed -> complete_emulated_mmio;
		 * a write's RIP is written back before the exit, a read's not. */
		x->cui = CUI_EMU_MMIO;
		if (x->is_write) x->regs.rip += p;
		exit_mmio_frag(v);
		return 1;
	}
	case 0xe4: case 0xe6: {
		unsigned port = ip[p++];
		int in = op == 0xe4;
		/* handle_io / io_interception -> kvm_fast_pio_in/out.  Until
		 * 5.0 the instruction was skipped before the exit; 45def77ebf79
		 * "KVM: x86: update %rip after emulating IO" (5.1) moved the skip
		 * into complete_fast_pio_in/out, guarded by the linear-RIP check.
		 * Fast IN: SVM since 8370c3d08bd9 "kvm: svm: Add
		 * kvm_fast_pio_in support" (4.10), VMX since 432baf60eee3 "KVM:
		 * VMX: use kvm_fast_pio_in for handling IN I/O" (5.0); the 4.10
		 * personality is SVM (on 4.10 VMX an IN went to the emulator,
		 * RIP kept until complete_emulated_pio: duplication, not loss;
		 * the control outcome is the same). */
		if (!in) ((uint8_t *)v->run)[PIO_OFFSET] = (uint8_t)x->regs.rax;
		x->insn_len = p;
		if (VER < KD_VER(5, 1)) {
			x->regs.rip += p;
			/* 4.10/5.0 kvm_fast_pio_out: emulator_pio_out_emulated,
			 * then "vcpu->arch.pio.count = 0" and no
			 * complete_userspace_io: nothing owed.  IN: kvm_fast_pio_in
			 * sets complete_fast_pio_in, which copies the PIO data to
			 * RAX on the next KVM_RUN. */
			x->cui = in ? CUI_FAST_PIO_IN : CUI_NONE;
		} else if (!in && port == 0x7e && !(v->vm->disabled_quirks & (1u << 3))) {
			/* kvm_fast_pio_out, 8764ed55c970 "KVM: x86: Whitelist
			 * port 0x7e for pre-incrementing %rip" (5.1): with
			 * KVM_X86_QUIRK_OUT_7E_INC_RIP (default) RIP is skipped
			 * before the exit; complete_fast_pio_out_port_0x7e only
			 * clears pio.count */
			x->regs.rip += p;
			x->cui = CUI_FAST_PIO_OUT_7E;
		} else {
			x->pio_linear_rip = lip;
			x->cui = in ? CUI_FAST_PIO_IN : CUI_FAST_PIO_OUT;
		}
		exit_io(v, in, port, 1);
		return 1;
	}
	case 0x6c: {
		/* rep insb: emulated (handle_io sends string I/O to the
		 * emulator).  emulate.c pio_in_emulated: one chunk per exit,
		 * n = min3(PAGE_SIZE - offset_in_page(RDI) (DF clear: the guests
		 * cld), sizeof(read_cache.data) / size = 1024, count). */
		uint64_t cmask = adsz == 2 ? 0xffff : adsz == 4 ? 0xffffffffull : ~0ull;
		uint64_t cx = rep ? (x->regs.rcx & cmask) : 1;
		unsigned n;
		if (!rep) break;
		if (cx == 0) { x->regs.rip += p; return 0; }
		n = (unsigned)(cx < 1024 ? cx : 1024);
		if (n > 0x1000 - (x->regs.rdi & 0xfff)) n = (unsigned)(0x1000 - (x->regs.rdi & 0xfff));
		x->insn_len = p;
		x->regs_dirty = 0;
		x->cui = CUI_EMU_PIO_IN;
		exit_io(v, 1, (uint16_t)x->regs.rdx, n);
		return 1;
	}
	case 0xfc:
		x->regs.rflags &= ~0x400ull;
		x->regs.rip += p;
		return 0;
	case 0x0f:
		if (ip[p] == 0x32) {
			uint32_t idx = (uint32_t)x->regs.rcx;
			uint32_t reason = 0;
			int known = 0;
			p++;
			for (int i = 0; i < x->nmsr; i++)
				if (x->msr[i].index == idx) known = 1;
			/* kvm_emulate_rdmsr -> kvm_msr_user_space (5.10+,
			 * 1ae099540e8c "KVM: x86: Allow deflecting unknown MSR
			 * accesses to user space"): __kvm_get_msr checks the
			 * filter first (KVM_MSR_RET_FILTERED -> REASON_FILTER),
			 * an MSR KVM does not know -> REASON_UNKNOWN; an exit only
			 * if user_space_msr_mask has that reason, else #GP */
			if (v->vm->filter_set) {
				int allowed = !(v->vm->filter_flags & KVM_MSR_FILTER_DEFAULT_DENY);
				/* kvm_msr_allowed (1a155254ff93 "KVM: x86:
				 * Introduce MSR filtering"): default_allow unless
				 * DEFAULT_DENY; the FIRST range matching index and
				 * type decides (break) */
				for (int i = 0; i < v->vm->nrange; i++) {
					uint32_t b = v->vm->range[i].base;
					if ((v->vm->range[i].flags & KVM_MSR_FILTER_READ) && idx >= b &&
					    idx - b < v->vm->range[i].nmsrs) {
						allowed = (v->vm->range[i].bitmap[(idx - b) / 8] >> ((idx - b) % 8)) & 1;
						break;
					}
				}
				if (!allowed) reason = KVM_MSR_EXIT_REASON_FILTER;
			}
			if (!reason && !known) reason = KVM_MSR_EXIT_REASON_UNKNOWN;
			if (reason && (v->vm->msr_exit_reasons & reason)) {
				v->run->exit_reason = KVM_EXIT_X86_RDMSR;
				v->run->msr.index = idx;
				v->run->msr.reason = reason;
				v->run->msr.error = 0;
				v->run->msr.data = 0;
				x->insn_len = p;
				x->cui = CUI_RDMSR;
				kd_new_exit(v);
				return 1;
			}
			if (reason) {
				kd_internal_error(v, "#GP on RDMSR (exception injection not modelled)");
				return 1;
			}
			for (int i = 0; i < x->nmsr; i++)
				if (x->msr[i].index == idx) {
					write_reg(x, 0, (uint32_t)x->msr[i].data, 4);
					write_reg(x, 2, x->msr[i].data >> 32, 4);
				}
			x->regs.rip += p;
			return 0;
		}
		break;
	case 0xf4:
		/* kvm_emulate_halt: skip, then KVM_EXIT_HLT (no in-kernel irqchip) */
		x->regs.rip += p;
		v->run->exit_reason = KVM_EXIT_HLT;
		kd_new_exit(v);
		return 1;
	case 0xeb:
		x->regs.rip += p + 1 + (uint64_t)(int64_t)(int8_t)ip[p];
		return 0;
	default:
		break;
	}
	snprintf(why, sizeof(why), "instruction %02x %02x %02x at 0x%llx not modelled", ip[0], ip[1],
		 ip[2], (unsigned long long)lip);
	kd_internal_error(v, why);
	return 1;
}

static void run_guest(struct kd_vcpu *v)
{
	if (v->x86.gp_pending) {
		v->x86.gp_pending = 0;
		kd_internal_error(v, "#GP injected by an MSR completion (not modelled)");
		return;
	}
	for (int i = 0; i < 100000; i++)
		if (step(v)) return;
	kd_internal_error(v, "guest ran 100000 instructions without an exit");
}

/* ---- completions (x86.c) ---- */
static int complete(struct kd_vcpu *v)
{
	struct kd_x86 *x = &v->x86;
	struct kvm_run *run = v->run;
	enum kd_cui c = x->cui;
	uint8_t *pio = (uint8_t *)run + PIO_OFFSET;

	/* kvm_arch_vcpu_ioctl_run: cui = vcpu->arch.complete_userspace_io;
	 * vcpu->arch.complete_userspace_io = NULL; r = cui(vcpu); if (r <= 0) out */
	x->cui = CUI_NONE;
	switch (c) {
	case CUI_NONE:
		return 1;
	case CUI_FAST_PIO_IN:
		kd_completed(v, "complete_fast_pio_in");
		if (VER >= KD_VER(5, 1)) {
			/* 45def77ebf79: nothing if user space moved RIP */
			if (linear_rip(x) != x->pio_linear_rip) return 1;
			write_reg(x, 0, pio[0], 1);
			x->regs.rip += x->insn_len;
		} else {
			/* 5.0: RAX only; RIP was advanced before the exit */
			write_reg(x, 0, pio[0], 1);
		}
		return 1;
	case CUI_FAST_PIO_OUT_7E:
		kd_completed(v, "complete_fast_pio_out_port_0x7e");
		return 1;
	case CUI_FAST_PIO_OUT:
		kd_completed(v, "complete_fast_pio_out");
		if (linear_rip(x) == x->pio_linear_rip) x->regs.rip += x->insn_len;
		return 1;
	case CUI_EMU_PIO_IN: {
		/* complete_emulated_pio -> x86_emulate_instruction(NO_DECODE):
		 * the chunk goes to ES:DI, DI/CX advance; more left -> next exit */
		int m = cpu_mode(x);
		uint64_t cmask = m == 16 ? 0xffff : m == 32 ? 0xffffffffull : ~0ull;
		uint64_t dst = (m == 64 ? 0 : x->sregs.es.base) + (x->regs.rdi & cmask);
		unsigned n = run->io.count;
		uint8_t *h;
		/* The re-emulation reads the count from RCX again
		 * (emulate.c pio_in_emulated: min3(in_page, 1024, RCX)); after
		 * a SET_REGS that changed it (userspace_io_test) only that many
		 * of the answered bytes reach memory: emulator_pio_in_emulated
		 * "@count isn't guaranteed to match pio.count" */
		if (x->regs_dirty) {
			uint64_t cx = x->regs.rcx & cmask;
			if (cx == 0) cx = 1;
			if (cx < n) n = (unsigned)cx;
		}
		h = kd_gpa(v->vm, dst, n);
		kd_completed(v, "complete_emulated_pio");
		if (!h) {
			kd_internal_error(v, "rep insb into non-RAM");
			return 0;
		}
		memcpy(h, pio, n);
		x->regs.rdi = (x->regs.rdi & ~cmask) | ((x->regs.rdi + n) & cmask);
		x->regs.rcx = (x->regs.rcx & ~cmask) | ((x->regs.rcx - n) & cmask);
		/* emulate.c x86_emulate_insn, string writeback: count left and
		 * the read-ahead buffer drained -> "goto done; skip rip
		 * writeback": RIP stays at the INS, nothing stays pending, and
		 * the completion returns 1 (immediate_exit -> EINTR).  The next
		 * chunk is a new exit only when the guest re-executes the INS. */
		if (!(x->regs.rcx & cmask))
			x->regs.rip += x->insn_len;
		return 1;
	}
	case CUI_EMU_MMIO: {
		/* complete_emulated_mmio: finish this fragment; another one ->
		 * a NEW KVM_EXIT_MMIO and KVM_RUN returns 0; the last one of a
		 * read -> complete_emulated_io re-runs the emulator */
		kd_completed(v, "complete_emulated_mmio");
		if (!x->is_write)
			memcpy(x->val + x->frag[x->cur].off, run->mmio.data, x->frag[x->cur].len);
		x->cur++;
		if (x->cur < x->nfrag) {
			x->cui = CUI_EMU_MMIO;
			exit_mmio_frag(v);
			return 0;
		}
		if (x->is_write) return 1;
		/* __set_regs set emulate_regs_need_sync_from_vcpu: the emulator
		 * reloads its register cache and the loaded value is lost
		 * (measured on real KVM, doc/real-kvm.md) */
		if (!x->regs_dirty) {
			uint64_t val = 0;
			memcpy(&val, x->val, 8);
			write_reg(x, x->dst, val, x->opsize);
		}
		x->regs.rip += x->insn_len;
		return 1;
	}
	case CUI_RDMSR:
		/* complete_fast_rdmsr -> complete_fast_msr_access */
		kd_completed(v, "complete_fast_rdmsr");
		if (run->msr.error) {
			x->gp_pending = 1;
			return 1;
		}
		write_reg(x, 0, (uint32_t)run->msr.data, 4);
		write_reg(x, 2, run->msr.data >> 32, 4);
		x->regs.rip += x->insn_len;
		return 1;
	}
	return 1;
}

static int pending(struct kd_vcpu *v) { return v->x86.cui != CUI_NONE; }

/* ---- state ioctls: the stored state, as the kernel's GET/SET copy it ---- */
#define COPY_OUT(field) do { memcpy(arg, &x->field, sizeof(x->field)); return 0; } while (0)
#define COPY_IN(field) do { memcpy(&x->field, arg, sizeof(x->field)); return 0; } while (0)

static int msr_set(struct kd_x86 *x, uint32_t idx, uint64_t data)
{
	for (int i = 0; i < x->nmsr; i++)
		if (x->msr[i].index == idx) { x->msr[i].data = data; return 1; }
	if (x->nmsr == 32) return 0;
	x->msr[x->nmsr].index = idx;
	x->msr[x->nmsr++].data = data;
	return 1;
}

static int vcpu_ioctl(struct kd_vcpu *v, unsigned int req, void *arg)
{
	struct kd_x86 *x = &v->x86;

	switch (req) {
	case KVM_GET_REGS: COPY_OUT(regs);
	case KVM_SET_REGS:
		/* __set_regs: emulate_regs_need_sync_from_vcpu = true */
		if (x->cui == CUI_EMU_MMIO || x->cui == CUI_EMU_PIO_IN) x->regs_dirty = 1;
		COPY_IN(regs);
	case KVM_GET_SREGS: COPY_OUT(sregs);
	case KVM_SET_SREGS: COPY_IN(sregs);
	case KVM_GET_FPU: COPY_OUT(fpu);
	case KVM_SET_FPU: COPY_IN(fpu);
	case KVM_GET_XSAVE: COPY_OUT(xsave);
	case KVM_SET_XSAVE: COPY_IN(xsave);
	case KVM_GET_XCRS: COPY_OUT(xcrs);
	case KVM_SET_XCRS: COPY_IN(xcrs);
	case KVM_GET_VCPU_EVENTS: COPY_OUT(events);
	case KVM_SET_VCPU_EVENTS: COPY_IN(events);
	case KVM_GET_MP_STATE: COPY_OUT(mp);
	case KVM_SET_MP_STATE: COPY_IN(mp);
	case KVM_GET_DEBUGREGS: COPY_OUT(dbg);
	case KVM_SET_DEBUGREGS: COPY_IN(dbg);
	case KVM_SET_CPUID2:
		return 0;
	case KVM_MEMORY_ENCRYPT_OP:
		/* x86.c kvm_arch_vcpu_ioctl: "r = -ENOTTY; if
		 * (!kvm_x86_ops.vcpu_mem_enc_ioctl) goto out" since the TDX
		 * series (6.16); SVM has no vcpu_mem_enc_ioctl. Before it the
		 * request fell to "default: r = -EINVAL". A live vCPU answering
		 * ENOTTY (issue 13). */
		if (VER >= KD_VER(6, 16)) {
			errno = ENOTTY;
			return -1;
		}
		break;
	case KVM_GET_MSRS:
	case KVM_SET_MSRS: {
		/* msr_io: returns how many were processed, stops at the first
		 * MSR it cannot handle */
		struct kvm_msrs *ms = arg;
		unsigned i;
		for (i = 0; i < ms->nmsrs; i++) {
			if (req == KVM_SET_MSRS) {
				if (!msr_set(x, ms->entries[i].index, ms->entries[i].data)) break;
			} else {
				int j;
				for (j = 0; j < x->nmsr; j++)
					if (x->msr[j].index == ms->entries[i].index) break;
				if (j == x->nmsr) break;
				ms->entries[i].data = x->msr[j].data;
			}
		}
		return (int)i;
	}
	}
	errno = EINVAL;
	return -1;
}

static void vcpu_init(struct kd_vcpu *v)
{
	static const uint32_t known[] = { 0x10, 0x174, 0x175, 0x176, 0x277, 0xc0000080, 0xc0000081,
					  0xc0000082, 0xc0000083, 0xc0000084, 0xc0000102 };
	init(v);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) msr_set(&v->x86, known[i], 0);
}

const struct kd_arch_ops kd_x86_ops = { vcpu_init, complete, run_guest, vcpu_ioctl, pending };
#else
/* A cross build for another architecture: no x86 structures (kd_init
 * refuses the x86 personalities there). */
static void none_init(struct kd_vcpu *v) { (void)v; }
static int none_complete(struct kd_vcpu *v) { (void)v; return 1; }
static void none_run(struct kd_vcpu *v) { kd_internal_error(v, "x86 is not modelled in this build"); }
static int none_ioctl(struct kd_vcpu *v, unsigned int req, void *arg)
{
	(void)v; (void)req; (void)arg;
	errno = EINVAL;
	return -1;
}
static int none_pending(struct kd_vcpu *v) { (void)v; return 0; }
const struct kd_arch_ops kd_x86_ops = { none_init, none_complete, none_run, none_ioctl, none_pending };
#endif
