/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The non-x86 personalities: the scripted guest ISA of abi.h executed with
 * each architecture's exit and completion semantics (doc/kernel-rules.md). */
#define _GNU_SOURCE
#include "kdouble.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define A (kd_p->arch)
#define VER (kd_p->ver)

static void vcpu_init(struct kd_vcpu *v)
{
	memset(&v->g, 0, sizeof(v->g));
	/* arm64 vCPUs need KVM_ARM_VCPU_INIT before KVM_RUN */
	v->g.initialized = A != KD_ARM64;
}

static uint64_t rd_data(const uint8_t *d, unsigned len)
{
	uint64_t x = 0;
	memcpy(&x, d, len > 8 ? 8 : len);
	return x;
}

/* ---- completions, at the top of kvm_arch_vcpu_ioctl_run ---- */
static int complete(struct kd_vcpu *v)
{
	struct kd_gen *g = &v->g;
	struct kvm_run *run = v->run;

	if (!g->have_exit) return 1;
	switch (A) {
	case KD_ARM64:
		/* arm.c: if (run->exit_reason == KVM_EXIT_MMIO)
		 * kvm_handle_mmio_return(): keyed on user-writable exit_reason.
		 * 5.0-5.2 (0d640732dbeb moved the skip here) have no guard;
		 * 2113c5f62b74 "KVM: arm/arm64: Only skip MMIO insn once" (5.3-rc,
		 * Aug 2019; also backported to stable trees, so 5.2.y got it later)
		 * checks mmio_needed.  The personality is v5.2 as released. */
		if (run->exit_reason != KVM_EXIT_MMIO) return 1;
		if (VER >= KD_VER(5, 3) && !g->mmio_needed) return 1;
		g->mmio_needed = 0;
		kd_completed(v, "kvm_handle_mmio_return");
		if (!run->mmio.is_write) g->gpr[g->rt] = rd_data(run->mmio.data, run->mmio.len);
		g->pc += 4;  /* kvm_incr_pc / kvm_skip_instr */
		return 1;
	case KD_PPC:
		/* powerpc.c kvm_arch_vcpu_ioctl_run: private *_needed flags */
		if (g->mmio_needed) {
			g->mmio_needed = 0;
			kd_completed(v, "kvmppc_complete_mmio_load");
			if (!g->mmio_is_write) g->gpr[g->rt] = rd_data(run->mmio.data, run->mmio.len);
			if (g->vsx_copy_nums > 0) {
				g->vsx_copy_nums--;
				g->vsx_offset++;
			}
			if (g->vsx_copy_nums > 0) {
				/* kvmppc_emulate_mmio_vsx_loadstore: next element ->
				 * KVM_EXIT_MMIO, mmio_needed = 1, "return r" with
				 * r = RESUME_HOST (2), before the immediate_exit check */
				g->rt++;
				g->mmio_needed = 1;
				run->exit_reason = KVM_EXIT_MMIO;
				run->mmio.phys_addr = g->vsx_addr + 8u * (unsigned)g->vsx_offset;
				run->mmio.len = 8;
				run->mmio.is_write = 0;
				memset(run->mmio.data, 0, 8);
				kd_new_exit(v);
				return 2;
			}
		} else if (g->osi_needed) {
			kd_completed(v, "osi_needed");
			for (int i = 0; i < 32; i++) g->gpr[i] = run->osi.gprs[i];
			g->osi_needed = 0;
		} else if (g->hcall_needed) {
			kd_completed(v, "hcall_needed");
			g->gpr[3] = run->papr_hcall.ret;
			for (int i = 0; i < 9; i++) g->gpr[4 + i] = run->papr_hcall.args[i];
			g->hcall_needed = 0;
		}
		return 1;
	case KD_RISCV:
		/* vcpu.c: keyed on run->exit_reason; each *_return checks and
		 * sets mmio_decode.return_handled (idempotent) */
		if (run->exit_reason != KVM_EXIT_MMIO && run->exit_reason != KVM_EXIT_RISCV_SBI &&
		    run->exit_reason != KVM_EXIT_RISCV_CSR)
			return 1;
		if (g->return_handled) return 1;
		g->return_handled = 1;
		if (run->exit_reason == KVM_EXIT_MMIO) {
			kd_completed(v, "kvm_riscv_vcpu_mmio_return");
			if (!run->mmio.is_write) g->gpr[g->rt] = rd_data(run->mmio.data, run->mmio.len);
		} else if (run->exit_reason == KVM_EXIT_RISCV_SBI) {
			kd_completed(v, "kvm_riscv_vcpu_sbi_return");
			g->gpr[10] = run->riscv_sbi.ret[0];
			g->gpr[11] = run->riscv_sbi.ret[1];
		} else {
			kd_completed(v, "kvm_riscv_vcpu_csr_return");
			g->gpr[g->rt] = run->riscv_csr.ret_value;
		}
		g->pc += 4;   /* sepc += insn_len, loads and stores alike */
		return 1;
	case KD_LOONGARCH:
		/* vcpu.c kvm_arch_vcpu_ioctl_run: MMIO is keyed on the private
		 * vcpu->mmio_needed ("if (!vcpu->mmio_is_write)
		 * kvm_complete_mmio_read(); vcpu->mmio_needed = 0"), not on
		 * exit_reason; then "switch (run->exit_reason)": IOCSR read and
		 * the user-service HYPERCALL are keyed on the user-writable
		 * exit_reason with no guard, and complete again on every KVM_RUN
		 * until exit_reason is reset after the wants_to_run return */
		if (g->mmio_needed) {
			if (!g->mmio_is_write) {
				/* exit.c kvm_complete_mmio_read: update_pc, then GPR */
				kd_completed(v, "kvm_complete_mmio_read");
				g->pc += 4;
				g->gpr[g->rt] = rd_data(run->mmio.data, run->mmio.len);
			}
			g->mmio_needed = 0;
		}
		if (run->exit_reason == KVM_EXIT_LOONGARCH_IOCSR) {
			if (!KD_IOCSR(run)->is_write) {
				/* exit.c kvm_complete_iocsr_read: GPR = sign-extended
				 * data (s8/s16/s32/s64); PC was updated at the exit */
				uint64_t d = rd_data(KD_IOCSR(run)->data, KD_IOCSR(run)->len);
				unsigned bits = 8 * KD_IOCSR(run)->len;
				if (bits && bits < 64 && (d >> (bits - 1)) & 1) d |= ~0ull << bits;
				kd_completed(v, "kvm_complete_iocsr_read");
				g->gpr[g->rt] = d;
			}
		} else if (run->exit_reason == KVM_EXIT_HYPERCALL) {
			/* exit.c kvm_complete_user_service (6.14, "LoongArch: KVM:
			 * Add hypercall service support for usermode VMM"):
			 * update_pc, then A0 (r4) = hypercall.ret */
			kd_completed(v, "kvm_complete_user_service");
			g->pc += 4;
			g->gpr[4] = run->hypercall.ret;
		}
		return 1;
	case KD_MIPS:
		/* mips.c: if (vcpu->mmio_needed) kvm_mips_complete_mmio_load:
		 * PC = io_pc, GPR = data; mmio_needed = 0 */
		if (g->mmio_needed) {
			kd_completed(v, "kvm_mips_complete_mmio_load");
			if (!g->mmio_is_write) {
				g->pc = g->io_pc;
				g->gpr[g->rt] = rd_data(run->mmio.data, run->mmio.len);
			}
			g->mmio_needed = 0;
		}
		return 1;
	default:
		/* s390: no pending completion state */
		return 1;
	}
}

static int pending(struct kd_vcpu *v)
{
	return v->g.mmio_needed || v->g.osi_needed || v->g.hcall_needed;
}

/* ---- the scripted guest ---- */
static void mmio_exit(struct kd_vcpu *v, uint64_t addr, unsigned len, int write, uint64_t data)
{
	struct kvm_run *run = v->run;
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = addr;
	run->mmio.len = len;
	run->mmio.is_write = (uint8_t)write;
	memset(run->mmio.data, 0, 8);
	if (write) memcpy(run->mmio.data, &data, len > 8 ? 8 : len);
}

static void bad(struct kd_vcpu *v, const char *what)
{
	char why[96];
	snprintf(why, sizeof(why), "%s not modelled on %s (pc 0x%llx)", what, kd_arch_name(A),
		 (unsigned long long)v->g.pc);
	kd_internal_error(v, why);
	v->g.have_exit = 1;
}

static void run_guest(struct kd_vcpu *v)
{
	struct kd_gen *g = &v->g;
	struct kvm_run *run = v->run;

	for (int steps = 0; steps < 100000; steps++) {
		uint8_t *ip = kd_gpa(v->vm, g->pc, 4);
		uint32_t w;
		unsigned op, r, len, o;
		uint64_t addr;

		if (!ip) { bad(v, "instruction fetch outside RAM"); return; }
		memcpy(&w, ip, 4);
		op = w & 0xff;
		r = (w >> 8) & 31;
		len = (w >> 16) & 0xff;
		o = w >> 24;
		addr = KG_MMIO + (uint64_t)o * 0x10;
		switch (op) {
		case KG_NOP:
			g->pc += 4;
			continue;
		case KG_MOVI:
			g->gpr[r] = (len << 8) | o;
			g->pc += 4;
			continue;
		case KG_LOAD:
		case KG_STORE: {
			int wr = op == KG_STORE;
			if (A == KD_S390) { bad(v, "MMIO"); return; }
			mmio_exit(v, addr, len, wr, g->gpr[r]);
			g->rt = r;
			g->mmio_is_write = wr;
			switch (A) {
			case KD_ARM64:  /* io_mem_abort: PC stays; mmio_needed = 1 */
				g->mmio_needed = 1;
				break;
			case KD_PPC:    /* kvmppc_emulate_loadstore advances PC first */
				g->pc += 4;
				g->mmio_needed = 1;
				g->vsx_copy_nums = 0;
				break;
			case KD_RISCV:  /* kvm_riscv_vcpu_mmio_load/store: PC stays */
				g->return_handled = 0;
				break;
			case KD_LOONGARCH:
				/* exit.c kvm_emu_mmio_read: PC stays, mmio_needed
				 * (1, or 2 for sign extension); kvm_emu_mmio_write:
				 * update_pc before the exit, mmio_needed = 1 with
				 * mmio_is_write: the completion only clears it */
				if (wr) g->pc += 4;
				g->mmio_needed = 1;
				break;
			case KD_MIPS:
				/* kvm_mips_emulate_load: io_pc = next PC, PC rolled
				 * back; stores advance PC first */
				if (wr) g->pc += 4;
				else g->io_pc = g->pc + 4;
				g->mmio_needed = 1;
				break;
			default:
				break;
			}
			break;
		}
		case KG_HCALL:
			if (A == KD_PPC) {
				/* sc 1 -> KVM_EXIT_PAPR_HCALL; SRR0 is past the sc */
				g->pc += 4;
				run->exit_reason = KVM_EXIT_PAPR_HCALL;
				run->papr_hcall.nr = g->gpr[3];
				for (int i = 0; i < 9; i++) run->papr_hcall.args[i] = g->gpr[4 + i];
				g->hcall_needed = 1;
			} else if (A == KD_RISCV) {
				/* kvm_riscv_vcpu_sbi_ecall -> KVM_EXIT_RISCV_SBI, PC stays */
				run->exit_reason = KVM_EXIT_RISCV_SBI;
				run->riscv_sbi.extension_id = g->gpr[17];
				run->riscv_sbi.function_id = g->gpr[16];
				for (int i = 0; i < 6; i++) run->riscv_sbi.args[i] = g->gpr[10 + i];
				run->riscv_sbi.ret[0] = run->riscv_sbi.ret[1] = 0;
				g->return_handled = 0;
			} else if (A == KD_LOONGARCH && VER >= KD_VER(6, 14)) {
				/* exit.c kvm_handle_hypercall, case
				 * KVM_HCALL_USER_SERVICE (guest has
				 * KVM_FEATURE_USER_HCALL): RESUME_HOST, so PC stays
				 * (update_pc only for RESUME_GUEST); nr =
				 * HYPERCALL_ENCODE(HYPERVISOR_KVM, KVM_HCALL_CODE_USER)
				 * = (1 << 8) + 2; args = A0-A5 (r4-r9); ret preset to
				 * KVM_HCALL_INVALID_CODE (-1UL) */
				run->exit_reason = KVM_EXIT_HYPERCALL;
				run->hypercall.nr = 0x102;
				for (int i = 0; i < 6; i++) run->hypercall.args[i] = g->gpr[4 + i];
				/* hypercall.flags = 0: the union with longmode/pad in
				 * the build's (6.1) headers */
				run->hypercall.longmode = 0;
				run->hypercall.pad = 0;
				run->hypercall.ret = ~0ull;
			} else if (A == KD_ARM64 && VER >= KD_VER(6, 4)) {
				/* handle_smc with an SMCCC filter: PC pre-incremented,
				 * nothing owed; user space writes x0 with ONE_REG */
				g->pc += 4;
				run->exit_reason = KVM_EXIT_HYPERCALL;
				run->hypercall.nr = g->gpr[0];
				run->hypercall.ret = 0;
			} else {
				bad(v, "hypercall");
				return;
			}
			g->rt = r;
			break;
		case KG_OSI:
			if (A != KD_PPC) { bad(v, "OSI"); return; }
			/* book3s_pr: OSI hypercall -> KVM_EXIT_OSI, PC past the sc */
			g->pc += 4;
			run->exit_reason = KVM_EXIT_OSI;
			for (int i = 0; i < 32; i++) run->osi.gprs[i] = g->gpr[i];
			g->osi_needed = 1;
			break;
		case KG_CSR:
			if (A != KD_RISCV) { bad(v, "CSR"); return; }
			/* kvm_riscv_vcpu_csr: KVM_EXIT_RISCV_CSR, PC stays */
			run->exit_reason = KVM_EXIT_RISCV_CSR;
			run->riscv_csr.csr_num = o;
			run->riscv_csr.new_value = 0;
			run->riscv_csr.write_mask = 0;
			run->riscv_csr.ret_value = 0;
			g->return_handled = 0;
			g->rt = r;
			break;
		case KG_IOCSR:
			if (A != KD_LOONGARCH) { bad(v, "IOCSR"); return; }
			/* kvm_emu_iocsr: PC updated before the exit; the GPR is
			 * written by kvm_complete_iocsr_read */
			g->pc += 4;
			run->exit_reason = KVM_EXIT_LOONGARCH_IOCSR;
			KD_IOCSR(run)->phys_addr = o;
			KD_IOCSR(run)->len = len;
			KD_IOCSR(run)->is_write = 0;
			memset(KD_IOCSR(run)->data, 0, 8);
			g->rt = r;
			break;
		case KG_VSXLOAD:
			if (A != KD_PPC) { bad(v, "VSX load"); return; }
			/* kvmppc_handle_vsx_load: 2 elements, one exit each */
			g->pc += 4;
			mmio_exit(v, addr, 8, 0, 0);
			g->rt = r;
			g->mmio_is_write = 0;
			g->mmio_needed = 1;
			g->vsx_copy_nums = 2;
			g->vsx_offset = 0;
			g->vsx_addr = addr;
			break;
		case KG_HALT:
			run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
			run->system_event.type = KVM_SYSTEM_EVENT_SHUTDOWN;
			run->system_event.ndata = 0;
			break;
		case KG_SIEIC:
			if (A != KD_S390) { bad(v, "SIEIC"); return; }
			/* an instruction intercept handed to user space; the PSW
			 * is already past it, nothing is owed */
			g->pc += 4;
			run->exit_reason = KVM_EXIT_S390_SIEIC;
			run->s390_sieic.icptcode = 4;
			run->s390_sieic.ipa = 0x8300;
			run->s390_sieic.ipb = 0;
			break;
		default:
			bad(v, "opcode");
			return;
		}
		g->have_exit = 1;
		kd_new_exit(v);
		return;
	}
	bad(v, "a guest without an exit in 100000 steps");
}

static int vcpu_ioctl(struct kd_vcpu *v, unsigned int req, void *arg)
{
	struct kd_gen *g = &v->g;

	if (req == KD_GET_ONE_REG(A) || req == KD_SET_ONE_REG(A)) {
		struct kvm_one_reg *o = arg;
		uint64_t *p = NULL;
		for (unsigned i = 0; i < KD_NREGS; i++)
			if (o->id == kd_reg_id(A, i)) p = i == KD_REG_PC ? &g->pc : &g->gpr[i];
		if (!p) { errno = ENOENT; return -1; }
		if (req == KD_GET_ONE_REG(A)) memcpy((void *)(uintptr_t)o->addr, p, 8);
		else memcpy(p, (void *)(uintptr_t)o->addr, 8);
		return 0;
	}
	if (A == KD_ARM64 && req == KD_ARM_VCPU_INIT(A)) {
		/* kvm_arch_vcpu_ioctl_vcpu_init: resets the vCPU */
		memset(g->gpr, 0, sizeof(g->gpr));
		g->pc = 0;
		g->initialized = 1;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

const struct kd_arch_ops kd_gen_ops = { vcpu_init, complete, run_guest, vcpu_ioctl, pending };
