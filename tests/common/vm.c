/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The test VMMs' VM set-up: see vm.h. */
#define _GNU_SOURCE
#include "vm.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

const char *kt_why = "";
int (*kt_create_ioctl)(int fd, unsigned long req, unsigned long arg);

#define FAIL(step) do { kt_why = (step); return -1; } while (0)

int kt_raw_ioctl(int fd, unsigned long req, unsigned long arg)
{
	return (int)syscall(SYS_ioctl, fd, req, arg);
}

static int find_kdouble(struct dl_phdr_info *info, size_t size, void *data)
{
	void *h;

	(void)size;
	if (!strstr(info->dlpi_name, "libkdouble"))
		return 0;
	h = dlopen(info->dlpi_name, RTLD_NOLOAD | RTLD_LAZY);
	if (h)
		*(kt_ioctl_fn *)data = (kt_ioctl_fn)dlsym(h, "ioctl");
	return 1;
}

kt_ioctl_fn kt_kdouble_ioctl(void)
{
	kt_ioctl_fn f = NULL;

	dl_iterate_phdr(find_kdouble, &f);
	return f;
}

static int create(int fd, unsigned long req, unsigned long arg)
{
	return kt_create_ioctl ? kt_create_ioctl(fd, req, arg) : ioctl(fd, req, arg);
}

int kt_open(int cloexec)
{
	int fd = open("/dev/kvm", O_RDWR | (cloexec ? O_CLOEXEC : 0));
	if (fd < 0) kt_why = "open /dev/kvm";
	return fd;
}

int kt_run_size(int kvm)
{
	int sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run)) FAIL("KVM_GET_VCPU_MMAP_SIZE");
	return sz;
}

int kt_vm_create(struct kt_vm *m, int kvm, uint64_t gpa, size_t size, unsigned flags)
{
	struct kvm_userspace_memory_region reg;

	memset(m, 0, sizeof(*m));
	m->kvm = kvm;
	m->fd = m->vcpu = -1;
	m->gpa = gpa;
	m->fd = create(kvm, KVM_CREATE_VM, 0);
	if (m->fd < 0) FAIL("KVM_CREATE_VM");
	m->mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		      MAP_ANONYMOUS | MAP_NORESERVE | (flags & KT_MEM_SHARED ? MAP_SHARED : MAP_PRIVATE), -1, 0);
	if (m->mem == MAP_FAILED) { m->mem = NULL; FAIL("mmap of guest memory"); }
	m->mem_size = size;
	memset(&reg, 0, sizeof(reg));
	reg.guest_phys_addr = gpa;
	reg.memory_size = size;
	reg.userspace_addr = (uintptr_t)m->mem;
	if (ioctl(m->fd, KVM_SET_USER_MEMORY_REGION, &reg) < 0) FAIL("KVM_SET_USER_MEMORY_REGION");
#if defined(__x86_64__) || defined(__i386__)
	/* VMX needs it for real mode; SVM accepts it and ignores it. */
	if (flags & (KT_TSS | KT_TSS_TRY)) {
		int e = errno;
		if (ioctl(m->fd, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0) {
			if (flags & KT_TSS) FAIL("KVM_SET_TSS_ADDR");
			errno = e;
		}
	}
#endif
	if (flags & KT_NO_VCPU) return 0;
	return kt_vcpu_create(m, 0, &m->run) < 0 ? -1 : 0;
}

int kt_vcpu_create(struct kt_vm *m, int id, struct kvm_run **run)
{
	int fd = create(m->fd, KVM_CREATE_VCPU, (unsigned long)id);

	if (fd < 0) FAIL("KVM_CREATE_VCPU");
	if (m->vcpu < 0) m->vcpu = fd;
	if (run && !(*run = kt_map_run(m, fd))) return -1;
	return fd;
}

struct kvm_run *kt_map_run(struct kt_vm *m, int fd)
{
	int sz = kt_run_size(m->kvm);
	struct kvm_run *r;

	if (sz < 0) return NULL;
	r = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r == MAP_FAILED) { kt_why = "mmap of kvm_run"; return NULL; }
	m->run_size = (size_t)sz;
	return r;
}

void kt_vm_destroy(struct kt_vm *m)
{
	if (m->run) munmap(m->run, m->run_size);
	if (m->mem) munmap(m->mem, m->mem_size);
	if (m->vcpu >= 0) close(m->vcpu);
	if (m->fd >= 0) close(m->fd);
	m->run = NULL;
	m->mem = NULL;
	m->vcpu = m->fd = -1;
}

int kt_load(struct kt_vm *m, uint64_t gpa, const void *code, size_t len)
{
	if (gpa < m->gpa || gpa - m->gpa + len > m->mem_size) FAIL("guest code outside the memory slot");
	memcpy(m->mem + (gpa - m->gpa), code, len);
	return 0;
}

#if defined(__x86_64__) || defined(__i386__)
static int set_regs(int vcpu, uint64_t rip, uint64_t rsp)
{
	struct kvm_regs r;

	memset(&r, 0, sizeof(r));
	r.rip = rip;
	r.rsp = rsp;
	r.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &r) < 0) FAIL("KVM_SET_REGS");
	return 0;
}

int kt_x86_real(int vcpu, uint64_t rip, uint64_t rsp)
{
	struct kvm_sregs sr;

	if (ioctl(vcpu, KVM_GET_SREGS, &sr) < 0) FAIL("KVM_GET_SREGS");
	sr.cs.base = 0;
	sr.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sr) < 0) FAIL("KVM_SET_SREGS");
	return set_regs(vcpu, rip, rsp);
}

static void seg_flat(struct kvm_segment *s, uint16_t sel, uint8_t type, int code64)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code64 ? 1 : 0;
	s->db = code64 ? 0 : 1;
}

int kt_x86_long(struct kt_vm *m, int vcpu, uint64_t pt, uint64_t rip, uint64_t rsp)
{
	struct kvm_sregs sr;
	uint64_t *pml4, *pdpt, *pd;

	if (pt < m->gpa || pt - m->gpa + 0x3000 > m->mem_size) FAIL("page tables outside the memory slot");
	pml4 = (uint64_t *)(m->mem + (pt - m->gpa));
	pdpt = pml4 + 512;
	pd = pml4 + 1024;
	pml4[0] = (pt + 0x1000) | 0x3;  /* P, RW */
	pdpt[0] = (pt + 0x2000) | 0x3;
	for (int i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83; /* P, RW, PS */
	if (ioctl(vcpu, KVM_GET_SREGS, &sr) < 0) FAIL("KVM_GET_SREGS");
	sr.cr3 = pt;
	sr.cr4 = 0x20;          /* PAE */
	sr.cr0 = 0x80000011;    /* PG, ET, PE */
	sr.efer = 0x500;        /* LME, LMA */
	seg_flat(&sr.cs, 8, 11, 1);
	seg_flat(&sr.ds, 16, 3, 0);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.tr.type = 11;
	sr.tr.present = 1;
	if (ioctl(vcpu, KVM_SET_SREGS, &sr) < 0) FAIL("KVM_SET_SREGS");
	return set_regs(vcpu, rip, rsp);
}

int kt_x86_cpuid(int kvm, int vcpu)
{
	for (int n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + (size_t)n * sizeof(c->entries[0]));
		int r;
		if (!c) FAIL("calloc");
		c->nent = (uint32_t)n;
		if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			r = ioctl(vcpu, KVM_SET_CPUID2, c);
			free(c);
			if (r < 0) FAIL("KVM_SET_CPUID2");
			return 0;
		}
		free(c);
		if (errno != E2BIG) break;
	}
	FAIL("KVM_GET_SUPPORTED_CPUID");
}
#endif

int kt_run(const struct kt_vm *m)
{
	return ioctl(m->vcpu, KVM_RUN, 0);
}

int kt_run_expect(const struct kt_vm *m, uint32_t reason)
{
	static __thread char why[160];

	if (kt_run(m) < 0) FAIL("KVM_RUN");
	if (m->run->exit_reason == reason) return 0;
	snprintf(why, sizeof(why), "expected a %s exit, got %s", kt_exit_name(reason), kt_exit_desc(m->run));
	kt_why = why;
	return -1;
}

const char *kt_exit_name(uint32_t reason)
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
	case KVM_EXIT_SYSTEM_EVENT: return "SYSTEM_EVENT";
#ifdef KVM_EXIT_X86_RDMSR
	case KVM_EXIT_X86_RDMSR: return "X86_RDMSR";
	case KVM_EXIT_X86_WRMSR: return "X86_WRMSR";
#endif
	default: return "other";
	}
}

const char *kt_exit_desc(const struct kvm_run *run)
{
	static __thread char b[80];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		snprintf(b, sizeof(b), "IO %s 0x%x", run->io.direction ? "out" : "in", run->io.port);
		break;
	case KVM_EXIT_MMIO:
		snprintf(b, sizeof(b), "MMIO %s 0x%llx len %u", run->mmio.is_write ? "write" : "read",
			 (unsigned long long)run->mmio.phys_addr, run->mmio.len);
		break;
	case KVM_EXIT_HLT:
		return "HLT";
	default:
		snprintf(b, sizeof(b), "exit %u", run->exit_reason);
	}
	return b;
}
