/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The test VMMs' one VM set-up: open /dev/kvm, a VM with one memory slot at
 * a guest address, vCPUs with their mapped kvm_run, real- and long-mode
 * x86 registers, runs to an expected exit, and exit descriptions.
 *
 * Every function that can fail returns -1 (or NULL) with errno kept and
 * kt_why naming the failing step ("KVM_CREATE_VCPU"), so each program
 * decides what a failure means: a hard error (die("%s", kt_why)), a skip
 * (the probe), or an observation (fault-vmm prints it).  Nothing here
 * knows about libkvmcompl: the VMMs must stay "legacy". */
#ifndef KC_TEST_VM_H
#define KC_TEST_VM_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#define KT_FLAG_NEEDS_COMPLETION (1u << 15) /* kvm_run.flags bit 15 */
#define KT_CAP_NEEDS_COMPLETION 239

struct kt_vm {
	int kvm;             /* /dev/kvm (not owned) */
	int fd;              /* the VM */
	int vcpu;            /* vCPU 0, or -1 */
	struct kvm_run *run; /* vCPU 0's, mapped */
	size_t run_size;
	uint8_t *mem;        /* the slot's memory */
	uint64_t gpa;        /* where the slot is in the guest */
	size_t mem_size;
};

/* kt_vm_create flags */
#define KT_MEM_SHARED 1u  /* MAP_SHARED memory (survives fork as one copy) */
#define KT_NO_VCPU    2u  /* no vCPU 0: the caller makes it (kt_vcpu_create) */
#define KT_TSS        4u  /* KVM_SET_TSS_ADDR (VMX real mode), must succeed */
#define KT_TSS_TRY    8u  /* the same, failure ignored */

/* The step that failed last. */
extern const char *kt_why;
/* KVM_CREATE_VM and KVM_CREATE_VCPU go through this when set (the raw
 * system call, or the kernel double's own ioctl), unseen by an interposer. */
extern int (*kt_create_ioctl)(int fd, unsigned long req, unsigned long arg);
/* The raw system call, for kt_create_ioctl. */
int kt_raw_ioctl(int fd, unsigned long req, unsigned long arg);
/* The kernel double's own ioctl (tests/kdouble), past any interposer, or
 * NULL when the double is not loaded. */
typedef int (*kt_ioctl_fn)(int, unsigned long, ...);
kt_ioctl_fn kt_kdouble_ioctl(void);

int kt_open(int cloexec);
/* KVM_GET_VCPU_MMAP_SIZE, or -1 */
int kt_run_size(int kvm);
int kt_vm_create(struct kt_vm *m, int kvm, uint64_t gpa, size_t size, unsigned flags);
/* A vCPU of m (the first one made also becomes m->vcpu); with run, its
 * kvm_run mapped there (kt_map_run). Returns the fd or -1. */
int kt_vcpu_create(struct kt_vm *m, int id, struct kvm_run **run);
/* KVM_GET_VCPU_MMAP_SIZE, asked after the vCPU exists (legacy VMMs'
 * order), then the mapping of vCPU fd's kvm_run (size in m->run_size). */
struct kvm_run *kt_map_run(struct kt_vm *m, int fd);
void kt_vm_destroy(struct kt_vm *m);
/* Copy code to guest address gpa inside the slot. -1 if it does not fit. */
int kt_load(struct kt_vm *m, uint64_t gpa, const void *code, size_t len);

#if defined(__x86_64__) || defined(__i386__)
/* Real mode, CS base 0, RIP rip, RSP rsp, RFLAGS 2 (bit 1 reserved set). */
int kt_x86_real(int vcpu, uint64_t rip, uint64_t rsp);
/* 64-bit long mode: flat segments, the first 1 GiB identity mapped with
 * 2 MiB pages from page tables written at guest address pt (three pages
 * inside m's slot). */
int kt_x86_long(struct kt_vm *m, int vcpu, uint64_t pt, uint64_t rip, uint64_t rsp);
/* KVM_SET_CPUID2 with everything KVM_GET_SUPPORTED_CPUID offers
 * (long mode needs CPUID.LM, XSAVE state needs XSAVE). */
int kt_x86_cpuid(int kvm, int vcpu);
#endif

/* KVM_RUN on m's vCPU 0: the raw result, errno kept. */
int kt_run(const struct kt_vm *m);
/* KVM_RUN that must return 0 with the given exit reason; else -1 with
 * kt_why saying what came instead. */
int kt_run_expect(const struct kt_vm *m, uint32_t reason);
/* "IO", "MMIO", "HLT", ... ("other" for a reason this list lacks) */
const char *kt_exit_name(uint32_t reason);
/* One exit in words: "IO in 0xe0", "MMIO read 0xa0000 len 4", "HLT",
 * "exit 17" (a per-thread buffer). */
const char *kt_exit_desc(const struct kvm_run *run);
static inline uint8_t *kt_io_data(struct kvm_run *run)
{
	return (uint8_t *)run + run->io.data_offset;
}
static inline int kt_flag15(const struct kvm_run *run)
{
	return (run->flags & KT_FLAG_NEEDS_COMPLETION) != 0;
}

#endif
