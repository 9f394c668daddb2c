/* Mini VMM library: see vm.h. */
#define _GNU_SOURCE
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

void die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;
	fprintf(stderr, "legacy-vmm: hard error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (errno %d: %s)\n", e, strerror(e));
	exit(99);
}

#define IOCTL_OK(fd, req, arg) do { \
	if (ioctl((fd), (req), (arg)) < 0) die("%s", #req); \
} while (0)

int vm_raw_create;

/* The raw system call bypasses any ioctl() interposer, as a VMM that
 * inherits or receives its fds would (exec, SCM_RIGHTS). */
static int create_ioctl(int fd, unsigned long req)
{
	if (vm_raw_create)
		return (int)syscall(SYS_ioctl, fd, req, 0);
	return ioctl(fd, req, 0);
}

int kvm_open(void)
{
	return open("/dev/kvm", O_RDWR | O_CLOEXEC);
}

/* Also used by the probe: a VM without vCPU state set up. Returns 0 or -1. */
static int vm_create_soft(struct vm *vm, int kvm, enum vm_mode mode, const char **why)
{
	struct kvm_userspace_memory_region reg;
	int sz;

	memset(vm, 0, sizeof(*vm));
	vm->kvm = kvm;
	vm->fd = vm->vcpu = -1;
	vm->mode = mode;
	vm->fd = create_ioctl(kvm, KVM_CREATE_VM);
	if (vm->fd < 0) { *why = "KVM_CREATE_VM failed"; return -1; }
	vm->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) { vm->mem = NULL; *why = "mmap of guest RAM failed"; return -1; }
	memset(&reg, 0, sizeof(reg));
	reg.slot = 0;
	reg.guest_phys_addr = 0;
	reg.memory_size = MEM_SIZE;
	reg.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &reg) < 0) {
		*why = "KVM_SET_USER_MEMORY_REGION failed"; return -1;
	}
	/* Needed by VMX for real mode; harmless (or refused) elsewhere. */
	(void)ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000ul);
	vm->vcpu = create_ioctl(vm->fd, KVM_CREATE_VCPU);
	if (vm->vcpu < 0) { *why = "KVM_CREATE_VCPU failed"; return -1; }
	sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run)) { *why = "KVM_GET_VCPU_MMAP_SIZE failed"; return -1; }
	vm->run_size = (size_t)sz;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu, 0);
	if (vm->run == MAP_FAILED) { vm->run = NULL; *why = "mmap of kvm_run failed"; return -1; }
	return 0;
}

static void set_cpuid(struct vm *vm)
{
	/* Long mode needs CPUID.LM for EFER.LME; XSAVE state wants XSAVE. */
	int n = 64;
	for (;;) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + (size_t)n * sizeof(c->entries[0]));
		if (!c) die("calloc");
		c->nent = (uint32_t)n;
		if (ioctl(vm->kvm, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			IOCTL_OK(vm->vcpu, KVM_SET_CPUID2, c);
			free(c);
			return;
		}
		free(c);
		if (errno != E2BIG || n > 4096) die("KVM_GET_SUPPORTED_CPUID");
		n *= 2;
	}
}

void vm_create(struct vm *vm, int kvm, enum vm_mode mode)
{
	const char *why = NULL;
	if (vm_create_soft(vm, kvm, mode, &why) < 0) die("%s", why);
	set_cpuid(vm);
}

void vm_destroy(struct vm *vm)
{
	if (vm->run) munmap(vm->run, vm->run_size);
	if (vm->mem) munmap(vm->mem, MEM_SIZE);
	if (vm->vcpu >= 0) close(vm->vcpu);
	if (vm->fd >= 0) close(vm->fd);
	vm->run = NULL;
	vm->mem = NULL;
	vm->vcpu = vm->fd = -1;
}

static void seg_flat(struct kvm_segment *s, uint16_t sel, uint8_t type, int code64)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->s = 1;
	s->g = 1;
	s->l = code64 ? 1 : 0;
	s->db = code64 ? 0 : 1;
}

static void setup_mode(struct vm *vm)
{
	struct kvm_sregs sr;
	struct kvm_regs r;

	IOCTL_OK(vm->vcpu, KVM_GET_SREGS, &sr);
	if (vm->mode == MODE_REAL) {
		sr.cs.base = 0;
		sr.cs.selector = 0;
	} else {
		/* Identity map the first 1 GiB with 2 MiB pages (covers RAM and MMIO). */
		uint64_t *pml4 = (uint64_t *)(vm->mem + PML4_ADDR);
		uint64_t *pdpt = (uint64_t *)(vm->mem + PML4_ADDR + 0x1000);
		uint64_t *pd = (uint64_t *)(vm->mem + PML4_ADDR + 0x2000);
		pml4[0] = (PML4_ADDR + 0x1000) | 0x3;
		pdpt[0] = (PML4_ADDR + 0x2000) | 0x3;
		for (int i = 0; i < 512; i++)
			pd[i] = ((uint64_t)i << 21) | 0x83; /* P, RW, PS */
		sr.cr3 = PML4_ADDR;
		sr.cr4 = 0x20;          /* PAE */
		sr.cr0 = 0x80000011;    /* PG, ET, PE */
		sr.efer = 0x500;        /* LME, LMA */
		seg_flat(&sr.cs, 8, 11, 1);
		seg_flat(&sr.ds, 16, 3, 0);
		sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
		sr.tr.type = 11;
		sr.tr.present = 1;
	}
	IOCTL_OK(vm->vcpu, KVM_SET_SREGS, &sr);
	memset(&r, 0, sizeof(r));
	r.rip = CODE_ADDR;
	r.rsp = STACK_TOP;
	r.rflags = 2;
	IOCTL_OK(vm->vcpu, KVM_SET_REGS, &r);
}

void vm_load(struct vm *vm, const uint8_t *code, size_t len)
{
	if (len > BUF_ADDR - CODE_ADDR) die("guest code too long (%zu bytes)", len);
	memcpy(vm->mem + CODE_ADDR, code, len);
	setup_mode(vm);
}

void vm_setup_msr(struct vm *vm)
{
	/* Measured on kvm_pvm 6.18: both an unknown MSR with
	 * KVM_MSR_EXIT_REASON_UNKNOWN and a filter deny reach user space; use
	 * the filter (works even if the MSR becomes known some day) plus
	 * UNKNOWN as a fallback.  x86.c kvm_msr_user_space / complete_emulated_rdmsr. */
	struct kvm_enable_cap cap;
	struct kvm_msr_filter f;
	uint8_t bitmap[1] = { 0 };  /* bit 0 clear: deny MSR_DEV */

	/* Kernels before 5.10 (or a kernel double of one) have no user-space
	 * MSR exits: msr_how stays NULL and MSR scenarios skip. */
	vm->msr_how = NULL;
	if (ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_X86_USER_SPACE_MSR) <= 0)
		return;
	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_X86_USER_SPACE_MSR;
	cap.args[0] = KVM_MSR_EXIT_REASON_UNKNOWN | KVM_MSR_EXIT_REASON_FILTER;
	IOCTL_OK(vm->fd, KVM_ENABLE_CAP, &cap);
	vm->msr_how = "user-space MSR exit (KVM_MSR_EXIT_REASON_UNKNOWN)";
	if (ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) > 0) {
		memset(&f, 0, sizeof(f));
		f.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
		f.ranges[0].flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE;
		f.ranges[0].nmsrs = 1;
		f.ranges[0].base = MSR_DEV;
		f.ranges[0].bitmap = bitmap;
		IOCTL_OK(vm->fd, KVM_X86_SET_MSR_FILTER, &f);
		vm->msr_how = "user-space MSR exit (MSR filter deny)";
	}
}

int vm_run(struct vm *vm)
{
	return ioctl(vm->vcpu, KVM_RUN, 0);
}

void vm_run_ok(struct vm *vm)
{
	if (vm_run(vm) < 0) die("KVM_RUN");
}

void vm_get_regs(struct vm *vm, struct kvm_regs *r)
{
	IOCTL_OK(vm->vcpu, KVM_GET_REGS, r);
}

void vm_set_regs(struct vm *vm, const struct kvm_regs *r)
{
	IOCTL_OK(vm->vcpu, KVM_SET_REGS, r);
}

/* A small fixed MSR list; KVM_GET_MSRS stops at the first MSR it cannot read,
 * so only the returned count is saved. */
static const uint32_t saved_msrs[] = {
	0x174, 0x175, 0x176,           /* SYSENTER_CS/ESP/EIP */
	0x277,                         /* PAT */
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, /* STAR LSTAR CSTAR SFMASK */
	0xc0000102,                    /* KERNEL_GS_BASE */
};

void vm_save(struct vm *vm, struct vcpu_state *st)
{
	int n, x2;

	memset(st, 0, sizeof(*st));
	/* The first state ioctl: a VMM saves registers first. */
	IOCTL_OK(vm->vcpu, KVM_GET_REGS, &st->regs);
	IOCTL_OK(vm->vcpu, KVM_GET_SREGS, &st->sregs);
	if (ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0) {
		x2 = ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
		st->xsave_size = x2 > (int)sizeof(struct kvm_xsave) ? (size_t)x2 : sizeof(struct kvm_xsave);
		st->xsave = calloc(1, st->xsave_size);
		if (!st->xsave) die("calloc");
		st->have_xsave = 1;
		if (x2 > 0)
			IOCTL_OK(vm->vcpu, KVM_GET_XSAVE2, st->xsave);
		else
			IOCTL_OK(vm->vcpu, KVM_GET_XSAVE, st->xsave);
	} else {
		IOCTL_OK(vm->vcpu, KVM_GET_FPU, &st->fpu);
	}
	if (ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0) {
		st->have_xcrs = 1;
		IOCTL_OK(vm->vcpu, KVM_GET_XCRS, &st->xcrs);
	}
	IOCTL_OK(vm->vcpu, KVM_GET_VCPU_EVENTS, &st->events);
	st->msrs.nmsrs = sizeof(saved_msrs) / sizeof(saved_msrs[0]);
	for (unsigned i = 0; i < st->msrs.nmsrs; i++)
		st->msrs.e[i].index = saved_msrs[i];
	n = ioctl(vm->vcpu, KVM_GET_MSRS, &st->msrs);
	if (n < 0) die("KVM_GET_MSRS");
	st->msrs.nmsrs = (uint32_t)n;
	IOCTL_OK(vm->vcpu, KVM_GET_MP_STATE, &st->mp);
	st->mem = malloc(MEM_SIZE);
	if (!st->mem) die("malloc");
	memcpy(st->mem, vm->mem, MEM_SIZE);
}

void vm_restore(struct vm *vm, const struct vcpu_state *st)
{
	int n;

	memcpy(vm->mem, st->mem, MEM_SIZE);
	IOCTL_OK(vm->vcpu, KVM_SET_SREGS, &st->sregs);
	n = ioctl(vm->vcpu, KVM_SET_MSRS, &st->msrs);
	if (n != (int)st->msrs.nmsrs) die("KVM_SET_MSRS (set %d of %u)", n, st->msrs.nmsrs);
	IOCTL_OK(vm->vcpu, KVM_SET_REGS, &st->regs);
	if (st->have_xsave)
		IOCTL_OK(vm->vcpu, KVM_SET_XSAVE, st->xsave);
	else
		IOCTL_OK(vm->vcpu, KVM_SET_FPU, &st->fpu);
	if (st->have_xcrs)
		IOCTL_OK(vm->vcpu, KVM_SET_XCRS, &st->xcrs);
	IOCTL_OK(vm->vcpu, KVM_SET_VCPU_EVENTS, &st->events);
	IOCTL_OK(vm->vcpu, KVM_SET_MP_STATE, &st->mp);
}

void state_free(struct vcpu_state *st)
{
	free(st->xsave);
	free(st->mem);
	st->xsave = NULL;
	st->mem = NULL;
}

const char *probe_kvm(int kvm)
{
	static const uint8_t hlt[] = { 0xf4 };
	struct vm vm;
	struct kvm_sregs sr;
	struct kvm_regs r;
	const char *why = NULL;
	int api = ioctl(kvm, KVM_GET_API_VERSION, 0);

	if (api != KVM_API_VERSION) return "KVM_GET_API_VERSION is not 12";
	if (vm_create_soft(&vm, kvm, MODE_REAL, &why) < 0) goto out;
	memcpy(vm.mem + CODE_ADDR, hlt, sizeof(hlt));
	if (ioctl(vm.vcpu, KVM_GET_SREGS, &sr) < 0) { why = "KVM_GET_SREGS failed"; goto out; }
	sr.cs.base = 0;
	sr.cs.selector = 0;
	if (ioctl(vm.vcpu, KVM_SET_SREGS, &sr) < 0) { why = "KVM_SET_SREGS failed"; goto out; }
	memset(&r, 0, sizeof(r));
	r.rip = CODE_ADDR;
	r.rflags = 2;
	if (ioctl(vm.vcpu, KVM_SET_REGS, &r) < 0) { why = "KVM_SET_REGS failed"; goto out; }
	if (ioctl(vm.vcpu, KVM_RUN, 0) < 0) { why = "KVM_RUN of a one-HLT guest failed"; goto out; }
	if (vm.run->exit_reason != KVM_EXIT_HLT) why = "a one-HLT real-mode guest did not exit with KVM_EXIT_HLT";
out:
	vm_destroy(&vm);
	return why;
}

const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_UNKNOWN: return "UNKNOWN";
	case KVM_EXIT_EXCEPTION: return "EXCEPTION";
	case KVM_EXIT_IO: return "IO";
	case KVM_EXIT_HYPERCALL: return "HYPERCALL";
	case KVM_EXIT_DEBUG: return "DEBUG";
	case KVM_EXIT_HLT: return "HLT";
	case KVM_EXIT_MMIO: return "MMIO";
	case KVM_EXIT_SHUTDOWN: return "SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
	case KVM_EXIT_INTR: return "INTR";
	case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
	case KVM_EXIT_X86_RDMSR: return "X86_RDMSR";
	case KVM_EXIT_X86_WRMSR: return "X86_WRMSR";
	default: return "other";
	}
}
