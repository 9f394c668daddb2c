/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the kernel double (libkdouble) and its VMMs share: per-architecture
 * ioctl request numbers, the test-only ONE_REG ids, and the scripted guest
 * "ISA" of the non-x86 personalities.  Header-only, no state. */
#ifndef KDOUBLE_ABI_H
#define KDOUBLE_ABI_H

#include <stdint.h>
#include <linux/kvm.h>

enum kd_arch { KD_X86, KD_ARM64, KD_PPC, KD_RISCV, KD_LOONGARCH, KD_MIPS, KD_S390, KD_NARCH };

static inline const char *kd_arch_name(enum kd_arch a)
{
	static const char *const n[KD_NARCH] = { "x86", "arm64", "powerpc", "riscv",
						 "loongarch", "mips", "s390" };
	return (unsigned)a < KD_NARCH ? n[a] : "?";
}

/* ---- request numbers with the architecture's own _IOC layout ----
 * asm-generic/ioctl.h (x86, arm64, riscv, loongarch, s390): nr 0-7, type
 * 8-15, size 14 bits at 16, dir 2 bits at 30 (NONE 0, WRITE 1, READ 2).
 * arch/powerpc and arch/mips uapi/asm/ioctl.h: size 13 bits at 16, dir 3
 * bits at 29 (NONE 1, READ 2, WRITE 4). */
enum { KD_DIR_NONE = 0, KD_DIR_W = 1, KD_DIR_R = 2, KD_DIR_RW = 3 };

static inline unsigned int kd_ioc(enum kd_arch a, unsigned dir, unsigned nr, unsigned size)
{
	unsigned d;

	if (a == KD_PPC || a == KD_MIPS) {
		d = dir == KD_DIR_NONE ? 1u : ((dir & KD_DIR_R) ? 2u : 0u) | ((dir & KD_DIR_W) ? 4u : 0u);
		return (d << 29) | ((size & 0x1fffu) << 16) | (0xAEu << 8) | (nr & 0xffu);
	}
	return (dir << 30) | ((size & 0x3fffu) << 16) | (0xAEu << 8) | (nr & 0xffu);
}
#define KD_IO(a, nr) kd_ioc((a), KD_DIR_NONE, (nr), 0)
#define KD_IOW(a, nr, t) kd_ioc((a), KD_DIR_W, (nr), sizeof(t))
#define KD_IOR(a, nr, t) kd_ioc((a), KD_DIR_R, (nr), sizeof(t))
#define KD_IOWR(a, nr, t) kd_ioc((a), KD_DIR_RW, (nr), sizeof(t))

/* Built for a real target (make check-cross), the helpers must agree with
 * that target's own <linux/kvm.h>. */
#if defined(__aarch64__)
#define KD_HOST_ARCH KD_ARM64
#elif defined(__powerpc64__)
#define KD_HOST_ARCH KD_PPC
#elif defined(__riscv)
#define KD_HOST_ARCH KD_RISCV
#elif defined(__loongarch__)
#define KD_HOST_ARCH KD_LOONGARCH
#elif defined(__mips__)
#define KD_HOST_ARCH KD_MIPS
#elif defined(__s390x__)
#define KD_HOST_ARCH KD_S390
#else
#define KD_HOST_ARCH KD_X86
#define KD_HOST_X86 1     /* for #if: enum constants are 0 to the preprocessor */
#endif
#ifndef KD_HOST_X86
#define KD_HOST_X86 0
#endif

/* struct kvm_vcpu_init is arm64-only (arch/arm64/include/uapi/asm/kvm.h):
 * __u32 target; __u32 features[7]. */
struct kd_arm_vcpu_init { uint32_t target; uint32_t features[7]; };

/* The generic requests arch-vmm issues, by the layout of architecture a.
 * Structures with the same size on every 64-bit architecture only. */
#define KD_GET_API_VERSION(a)     KD_IO(a, 0x00)
#define KD_CREATE_VM(a)           KD_IO(a, 0x01)
#define KD_CHECK_EXTENSION(a)     KD_IO(a, 0x03)
#define KD_GET_VCPU_MMAP_SIZE(a)  KD_IO(a, 0x04)
#define KD_CREATE_VCPU(a)         KD_IO(a, 0x41)
#define KD_SET_USER_MEMORY_REGION(a) KD_IOW(a, 0x46, struct kvm_userspace_memory_region)
#define KD_RUN(a)                 KD_IO(a, 0x80)
#define KD_SET_SIGNAL_MASK(a)     KD_IOW(a, 0x8b, struct kvm_signal_mask)
#define KD_ENABLE_CAP(a)          KD_IOW(a, 0xa3, struct kvm_enable_cap)
#define KD_GET_ONE_REG(a)         KD_IOW(a, 0xab, struct kvm_one_reg)
#define KD_SET_ONE_REG(a)         KD_IOW(a, 0xac, struct kvm_one_reg)
#define KD_ARM_VCPU_INIT(a)       KD_IOW(a, 0xae, struct kd_arm_vcpu_init)

#define KD_CHECK_NATIVE(mine, theirs) \
	_Static_assert((mine) == (theirs), #theirs " differs from this target's <linux/kvm.h>")
#if defined(__x86_64__) || defined(__aarch64__) || defined(__powerpc64__) || defined(__riscv) || \
	defined(__mips__) || defined(__s390x__)
/* The helpers are inline functions, not constant expressions: check the
 * encoding macro they use with the target's own numbers instead. */
#define KD_IOC_CONST(a, dir, nr, size) \
	(((a) == KD_PPC || (a) == KD_MIPS) ? \
	 ((((dir) == KD_DIR_NONE ? 1u : (((dir) & KD_DIR_R) ? 2u : 0u) | (((dir) & KD_DIR_W) ? 4u : 0u)) << 29) | \
	  (((size) & 0x1fffu) << 16) | (0xAEu << 8) | ((nr) & 0xffu)) : \
	 (((unsigned)(dir) << 30) | (((size) & 0x3fffu) << 16) | (0xAEu << 8) | ((nr) & 0xffu)))
KD_CHECK_NATIVE(KD_IOC_CONST(KD_HOST_ARCH, KD_DIR_NONE, 0x80, 0), KVM_RUN);
KD_CHECK_NATIVE(KD_IOC_CONST(KD_HOST_ARCH, KD_DIR_NONE, 0x03, 0), KVM_CHECK_EXTENSION);
KD_CHECK_NATIVE(KD_IOC_CONST(KD_HOST_ARCH, KD_DIR_W, 0xab, sizeof(struct kvm_one_reg)), KVM_GET_ONE_REG);
KD_CHECK_NATIVE(KD_IOC_CONST(KD_HOST_ARCH, KD_DIR_W, 0x8b, sizeof(struct kvm_signal_mask)), KVM_SET_SIGNAL_MASK);
KD_CHECK_NATIVE(KD_IOC_CONST(KD_HOST_ARCH, KD_DIR_W, 0xa3, sizeof(struct kvm_enable_cap)), KVM_ENABLE_CAP);
KD_CHECK_NATIVE(KD_IOC_CONST(KD_HOST_ARCH, KD_DIR_W, 0x46, sizeof(struct kvm_userspace_memory_region)),
		KVM_SET_USER_MEMORY_REGION);
#if defined(__aarch64__)
KD_CHECK_NATIVE(KD_IOC_CONST(KD_ARM64, KD_DIR_W, 0xae, sizeof(struct kvm_vcpu_init)), KVM_ARM_VCPU_INIT);
#endif
#endif

/* ---- exit numbers newer than the build's headers (doc/kernel-rules.md) ---- */
#ifndef KVM_EXIT_LOONGARCH_IOCSR
#define KVM_EXIT_LOONGARCH_IOCSR 38
#endif
/* loongarch's kvm_run.iocsr_io (include/uapi/linux/kvm.h, 6.7+); overlays
 * the union like mmio does. */
struct kd_iocsr_io { uint64_t phys_addr; uint8_t data[8]; uint32_t len; uint8_t is_write; };
#define KD_IOCSR(run) ((struct kd_iocsr_io *)(void *)&(run)->mmio)

#define KD_CAP_NEEDS_COMPLETION 239
/* include/uapi/linux/kvm.h, 6.8+ ("KVM: Introduce KVM_EXIT_MEMORY_FAULT") */
#define KD_EXIT_MEMORY_FAULT 39
#define KD_FLAG_NEEDS_COMPLETION (1u << 15)

/* ---- ONE_REG ids (test-only numbering, real architecture prefixes) ----
 * KVM_REG_<ARCH> | KVM_REG_SIZE_U64 | index: index 0-31 the GPRs, 32 the PC. */
#define KD_REG_PC 32
#define KD_NREGS 33
static inline uint64_t kd_reg_id(enum kd_arch a, unsigned idx)
{
	static const uint64_t base[KD_NARCH] = {
		0x2000000000000000ull, 0x6000000000000000ull, 0x1000000000000000ull,
		0x8000000000000000ull, 0x9000000000000000ull, 0x7000000000000000ull,
		0x5000000000000000ull,
	};
	return base[a] | 0x0030000000000000ull | idx;
}

/* ---- the scripted guest of the non-x86 personalities ----
 * Guest RAM is one memory slot at GPA 0; code at KG_CODE; every address
 * without a slot is MMIO.  Instructions are 4 bytes, PC advances by 4:
 * byte 0 opcode, 1 register, 2 length/immediate high, 3 operand.  What each
 * opcode does in each architecture's KVM is the double's (arch.c). */
#define KG_MEM_SIZE 0x10000u
#define KG_CODE     0x1000u
#define KG_MMIO     0x100000u   /* MMIO address of operand s: KG_MMIO + s * 0x10 */
enum kg_op {
	KG_NOP = 0,
	KG_MOVI,    /* r = imm16 (byte 2 high, byte 3 low) */
	KG_LOAD,    /* r = MMIO load of len bytes */
	KG_STORE,   /* MMIO store of len bytes of r */
	KG_HCALL,   /* hypercall; result in r (ppc r3, riscv a0, loongarch a0) */
	KG_OSI,     /* ppc OSI: VMM returns 32 GPRs */
	KG_CSR,     /* riscv CSR read of csr operand into r */
	KG_IOCSR,   /* loongarch IOCSR read of len bytes into r */
	KG_VSXLOAD, /* ppc VSX 2 x 8-byte load into r, r+1 */
	KG_HALT,    /* KVM_EXIT_SYSTEM_EVENT (SHUTDOWN), PC stays */
	KG_SIEIC,   /* s390 intercept to user space (KVM_EXIT_S390_SIEIC), nothing owed */
};
#define KG_INSN(op, r, len, operand) \
	((uint32_t)(op) | ((uint32_t)(r) << 8) | ((uint32_t)(len) << 16) | ((uint32_t)(operand) << 24))

#endif
