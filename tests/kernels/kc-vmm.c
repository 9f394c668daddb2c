/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kc-vmm: a minimal VMM for make check-kernels on arm64 and riscv64, run
 * on real KVM inside a Debian kernel of that architecture booted under QEMU
 * TCG (nested virtualization: arm64 EL2, riscv64 H extension). Guest code is
 * in the architecture's assembly (tests/kernels/ARCH/guest-ARCH.S). It knows
 * nothing about libkvmcompl: the check runs it with LD_PRELOAD of the
 * cross-built library and without it.
 *
 *   kc-vmm probe | SCENARIO EXPECT
 * SCENARIO: snapshot_read getset_read snapshot_write flags cap kick, on
 *           arm64 cap_default, on riscv64 snapshot_sbi getset_sbi
 * EXPECT:   fixed  the guest must see correct I/O (the library is loaded)
 *           bug    control: the loss must show natively (without it)
 *           clean  control: this kernel shows no loss here
 * Exit: 0 the observation matches EXPECT, 1 it does not, 77 no usable
 * /dev/kvm, 2 the VMM itself failed. Each line it prints says what it saw.
 *
 * Device (no memory slot at DEV): a read of DEV_DATA returns 0x100 + the
 * number of reads so far (the first read gives 0x101); DEV_STORE counts
 * writes; DEV_REPORT records what the guest loaded. On riscv64 an SBI call
 * of the experimental extension (0x08000000, forwarded to user space as
 * KVM_EXIT_RISCV_SBI) returns a1 = 0x100 + the number of calls. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kvm.h>

#define MEM_SIZE   0x10000
#define DEV        0x100000
#define DEV_DATA   (DEV + 0x0)
#define DEV_STORE  (DEV + 0x4)
#define DEV_REPORT (DEV + 0x8)
#define NEEDS_COMPLETION (1u << 15)  /* kvm_run.flags bit 15 */
#define CAP_NEEDS_COMPLETION 239
#if defined(__aarch64__)
/* No default number on arm64 (239 is KVM_CAP_ARM_WRITABLE_IMP_ID_REGS since
 * 6.15): the check sets KVMCOMPL_CAP=250, a number without arm64 meaning. */
#define CAP_ANSWER 250
/* x0..x30, sp, pc, pstate (struct user_pt_regs) */
#define NCORE 34
#define PC 32
#elif defined(__riscv)
#define CAP_ANSWER CAP_NEEDS_COMPLETION  /* the riscv default */
/* struct kvm_riscv_core: pc, ra, sp, ... t6 (struct user_regs_struct), mode */
#define NCORE 33
#define PC 0
#define SBI_EXT_FORWARDED 0x08000000  /* SBI_EXT_EXPERIMENTAL_START */
#else
#error "kc-vmm: arm64 or riscv64 only"
#endif

extern const unsigned char guest_start[], guest_end[];
extern const unsigned char guest_read[], guest_write[];
#ifdef __riscv
extern const unsigned char guest_sbi[];
#endif

struct vm {
	int fd, vcpu;
	struct kvm_run *run;
	uint8_t *mem;
};

/* The saved state: the core registers. */
struct state { uint64_t r[NCORE]; };

static int kvm = -1;
static long run_size;
static unsigned reads, writes, calls, report, exits, flagged, unflagged;
static int report_seen;

static void die(const char *what)
{
	printf("kc-vmm: %s: %s\n", what, strerror(errno));
	exit(2);
}

static uint64_t core_id(int i)
{
#if defined(__aarch64__)
	/* arch/arm64/kvm/guest.c core_reg_offset_from_id: the offset in
	 * 32-bit words into struct kvm_regs. */
	size_t off = i < 31 ? offsetof(struct kvm_regs, regs.regs[i]) :
		     i == 31 ? offsetof(struct kvm_regs, regs.sp) :
		     i == 32 ? offsetof(struct kvm_regs, regs.pc) :
			       offsetof(struct kvm_regs, regs.pstate);
	return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (off / sizeof(uint32_t));
#else
	/* arch/riscv/kvm/vcpu_onereg.c kvm_riscv_vcpu_get_reg_core: the
	 * index of an unsigned long in struct kvm_riscv_core. */
	return KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | (uint64_t)i;
#endif
}

static uint64_t get_reg(struct vm *v, int i)
{
	uint64_t val = 0;
	struct kvm_one_reg r = { .id = core_id(i), .addr = (uintptr_t)&val };

	if (ioctl(v->vcpu, KVM_GET_ONE_REG, &r) < 0)
		die("KVM_GET_ONE_REG");
	return val;
}

static void set_reg(struct vm *v, int i, uint64_t val)
{
	struct kvm_one_reg r = { .id = core_id(i), .addr = (uintptr_t)&val };

	if (ioctl(v->vcpu, KVM_SET_ONE_REG, &r) < 0)
		die("KVM_SET_ONE_REG");
}

static void save(struct vm *v, struct state *s)
{
	for (int i = 0; i < NCORE; i++)
		s->r[i] = get_reg(v, i);
}

static void restore(struct vm *v, const struct state *s)
{
	for (int i = 0; i < NCORE; i++)
		set_reg(v, i, s->r[i]);
}

static void vm_new(struct vm *v, const unsigned char *entry)
{
	struct kvm_userspace_memory_region mr;

	v->fd = ioctl(kvm, KVM_CREATE_VM, 0);
	if (v->fd < 0)
		die("KVM_CREATE_VM");
	v->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->mem == MAP_FAILED)
		die("mmap guest memory");
	memcpy(v->mem, guest_start, (size_t)(guest_end - guest_start));
	mr = (struct kvm_userspace_memory_region){ .slot = 0, .guest_phys_addr = 0,
		.memory_size = MEM_SIZE, .userspace_addr = (uintptr_t)v->mem };
	if (ioctl(v->fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	v->vcpu = ioctl(v->fd, KVM_CREATE_VCPU, 0);
	if (v->vcpu < 0)
		die("KVM_CREATE_VCPU");
#ifdef __aarch64__
	struct kvm_vcpu_init init;

	memset(&init, 0, sizeof init);
	if (ioctl(v->fd, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		die("KVM_ARM_PREFERRED_TARGET");
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;  /* SYSTEM_OFF ends the guest */
	if (ioctl(v->vcpu, KVM_ARM_VCPU_INIT, &init) < 0)
		die("KVM_ARM_VCPU_INIT");
#endif
	/* riscv64: a new vCPU starts in S mode with paging off (satp 0). */
	v->run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	if (v->run == MAP_FAILED)
		die("mmap kvm_run");
	set_reg(v, PC, (uint64_t)(entry - guest_start));
}

static void vm_free(struct vm *v)
{
	munmap(v->run, (size_t)run_size);
	close(v->vcpu);
	close(v->fd);
	munmap(v->mem, MEM_SIZE);
}

/* One KVM_RUN and the device's answer. Returns the exit reason, or -1 when
 * the guest is off. */
static int step(struct vm *v)
{
	struct kvm_run *run = v->run;
	uint32_t val;

	if (ioctl(v->vcpu, KVM_RUN, 0) < 0)
		die("KVM_RUN");
	exits++;
	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		if (run->flags & NEEDS_COMPLETION)
			flagged++;
		else
			unflagged++;
		if (!run->mmio.is_write && run->mmio.phys_addr == DEV_DATA && run->mmio.len == 4) {
			val = 0x100 + ++reads;
			memcpy(run->mmio.data, &val, 4);
		} else if (run->mmio.is_write && run->mmio.phys_addr == DEV_STORE) {
			writes++;
		} else if (run->mmio.is_write && run->mmio.phys_addr == DEV_REPORT) {
			memcpy(&report, run->mmio.data, 4);
			report_seen = 1;
		} else {
			printf("kc-vmm: unexpected MMIO %s at 0x%llx len %u\n",
			       run->mmio.is_write ? "write" : "read",
			       (unsigned long long)run->mmio.phys_addr, run->mmio.len);
			exit(2);
		}
		return KVM_EXIT_MMIO;
#ifdef __riscv
	case KVM_EXIT_RISCV_SBI:
		/* Forwarded by vcpu_sbi.c kvm_riscv_vcpu_sbi_forward; a0/a1
		 * come from ret[] at the next KVM_RUN. */
		if (run->flags & NEEDS_COMPLETION)
			flagged++;
		else
			unflagged++;
		if (run->riscv_sbi.extension_id != SBI_EXT_FORWARDED) {
			printf("kc-vmm: unexpected SBI call, extension 0x%lx\n", run->riscv_sbi.extension_id);
			exit(2);
		}
		run->riscv_sbi.ret[0] = 0;
		run->riscv_sbi.ret[1] = 0x100 + ++calls;
		return KVM_EXIT_RISCV_SBI;
#endif
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->flags & NEEDS_COMPLETION) {
			printf("kc-vmm: flag bit 15 set at KVM_EXIT_SYSTEM_EVENT (owes no completion)\n");
			exit(1);
		}
		if (run->system_event.type != KVM_SYSTEM_EVENT_SHUTDOWN) {
			printf("kc-vmm: system event %u\n", run->system_event.type);
			exit(2);
		}
		return -1;
	default:
		printf("kc-vmm: unexpected exit %u at pc 0x%llx\n", run->exit_reason,
		       (unsigned long long)get_reg(v, PC));
		exit(2);
	}
}

static void run_to_end(struct vm *v)
{
	for (int i = 0; i < 20; i++)
		if (step(v) < 0)
			return;
	printf("kc-vmm: the guest did not power off\n");
	exit(2);
}

/* Answer the first exit, which must owe a completion. */
static void first_exit(struct vm *v)
{
	if (step(v) < 0) {
		printf("kc-vmm: the guest powered off at once\n");
		exit(2);
	}
}

/* Verdict: ok says whether the guest saw correct I/O. */
static int verdict(const char *expect, int ok, const char *what)
{
	printf("kc-vmm: %s (reads %u, writes %u, SBI calls %u, report 0x%x, exits %u)\n", what,
	       reads, writes, calls, report, exits);
	if (!strcmp(expect, "fixed") || !strcmp(expect, "clean")) {
		if (ok)
			return 0;
		printf("kc-vmm: FAIL: expected correct I/O (%s)\n", expect);
		return 1;
	}
	if (!ok)
		return 0;
	printf("kc-vmm: FAIL: the control was expected to show the loss\n");
	return 1;
}

static int read_ok(void)
{
	return reads == 1 && report_seen && report == 0x101;
}

#ifdef __riscv
static int sbi_ok(void)
{
	return calls == 1 && report_seen && report == 0x101;
}
#endif

int main(int argc, char **argv)
{
	struct vm v, w;
	struct state s;
	const char *sc, *expect;
	int r, k;

	if (argc < 2 || argc > 3 || (argc == 2 && strcmp(argv[1], "probe"))) {
		fprintf(stderr, "usage: arm64-vmm SCENARIO fixed|bug|clean\n");
		return 2;
	}
	sc = argv[1];
	expect = argc == 3 ? argv[2] : "fixed";
	setvbuf(stdout, NULL, _IONBF, 0);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("kc-vmm: /dev/kvm: %s\n", strerror(errno));
		return 77;
	}
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");

	if (!strcmp(sc, "probe")) {
		/* /dev/kvm runs a guest: MMIO exits and the power-off call. */
		vm_new(&v, guest_read);
		run_to_end(&v);
		printf("kc-vmm: probe: %u exits, guest loaded 0x%x\n", exits, report);
		return 0;
	}
	if (!strcmp(sc, "snapshot_read") || !strcmp(sc, "snapshot_write")) {
		/* Snapshot at the pending exit into a fresh VM and vCPU.
		 * pc still points at the access until the next KVM_RUN:
		 * arm.c kvm_arch_vcpu_ioctl_run -> mmio.c
		 * kvm_handle_mmio_return writes the loaded register and
		 * skips the instruction (kvm_incr_pc) only then, for loads
		 * and stores alike; riscv: vcpu.c kvm_arch_vcpu_ioctl_run ->
		 * vcpu_insn.c kvm_riscv_vcpu_mmio_return (sepc += insn_len).
		 * A fresh vCPU re-executes the access. */
		int rd = sc[9] == 'r';
		vm_new(&v, rd ? guest_read : guest_write);
		first_exit(&v);
		save(&v, &s);
		vm_free(&v);
		vm_new(&w, guest_start);
		restore(&w, &s);
		run_to_end(&w);
		return verdict(expect, rd ? read_ok() : writes == 1,
			       rd ? "snapshot at a pending MMIO load" :
				    "snapshot at a pending MMIO store");
	}
	if (!strcmp(sc, "getset_read")) {
		/* GET_ONE_REG then SET_ONE_REG of the same values on the same
		 * vCPU: vcpu->mmio_needed survives (only
		 * kvm_handle_mmio_return clears it; riscv: the
		 * mmio_decode.return_handled guard), so the next KVM_RUN
		 * completes the load over the restored registers. */
		vm_new(&v, guest_read);
		first_exit(&v);
		save(&v, &s);
		restore(&v, &s);
		run_to_end(&v);
		return verdict(expect, read_ok(), "save and restore on the same vCPU at a pending load");
	}
	if (!strcmp(sc, "kick")) {
		/* The VMM's own kick: arm.c kvm_arch_vcpu_ioctl_run runs
		 * kvm_handle_mmio_return before it honours immediate_exit
		 * (-EINTR), so the load is complete when KVM_RUN returns
		 * (riscv: vcpu.c, kvm_riscv_vcpu_mmio_return likewise). */
		vm_new(&v, guest_read);
		first_exit(&v);
		v.run->immediate_exit = 1;
		r = ioctl(v.vcpu, KVM_RUN, 0);
		k = errno;
		v.run->immediate_exit = 0;
		if (r != -1 || k != EINTR) {
			printf("kc-vmm: KVM_RUN with immediate_exit returned %d (%s), not EINTR\n", r,
			       strerror(k));
			return 1;
		}
		save(&v, &s);
		vm_free(&v);
		vm_new(&w, guest_start);
		restore(&w, &s);
		run_to_end(&w);
		return verdict(expect, read_ok(), "immediate_exit kick, then a snapshot");
	}
	if (!strcmp(sc, "flags")) {
		/* Bit 15 on each MMIO exit (both owe kvm_handle_mmio_return /
		 * kvm_riscv_vcpu_mmio_return), never on SYSTEM_EVENT (step()
		 * checks). No kernel sets it: without the library the VMM
		 * cannot tell. */
		vm_new(&v, guest_read);
		run_to_end(&v);
		printf("kc-vmm: MMIO exits with bit 15: %u, without: %u\n", flagged, unflagged);
		return verdict(expect, read_ok() && flagged == 2 && unflagged == 0,
			       "flag bit 15 at MMIO exits");
	}
	if (!strcmp(sc, "cap")) {
		/* The raw system call is the kernel's own answer
		 * (virt/kvm/kvm_main.c kvm_vm_ioctl_check_extension_generic
		 * -> the arch's kvm_vm_ioctl_check_extension). arm64: 239
		 * must keep the kernel's meaning, and KVMCOMPL_CAP=250 makes
		 * the library answer there; riscv64: the library answers 239. */
		int vm = ioctl(kvm, KVM_CREATE_VM, 0);
		long k239 = syscall(SYS_ioctl, kvm, KVM_CHECK_EXTENSION, CAP_NEEDS_COMPLETION);
		int l239 = ioctl(kvm, KVM_CHECK_EXTENSION, CAP_NEEDS_COMPLETION);
		long kc = syscall(SYS_ioctl, kvm, KVM_CHECK_EXTENSION, CAP_ANSWER);
		int lc = ioctl(kvm, KVM_CHECK_EXTENSION, CAP_ANSWER);
		int vc = ioctl(vm, KVM_CHECK_EXTENSION, CAP_ANSWER);

		printf("kc-vmm: capability 239: kernel %ld, seen %d; %d: kernel %ld, seen %d (VM fd %d)\n",
		       k239, l239, CAP_ANSWER, kc, lc, vc);
		if (CAP_ANSWER != CAP_NEEDS_COMPLETION && l239 != k239) {
			printf("kc-vmm: FAIL: capability 239 lost the kernel's meaning\n");
			return 1;
		}
		return verdict(expect, lc == 1 && vc == 1 && kc == 0, "capability answered");
	}
	if (!strcmp(sc, "cap_default")) {
		/* arm64, the library's defaults: 239 is not the library's
		 * (KVM_CAP_ARM_WRITABLE_IMP_ID_REGS since 6.15), every fd
		 * must see the kernel's own answer. */
		int vm = ioctl(kvm, KVM_CREATE_VM, 0);
		long k = syscall(SYS_ioctl, kvm, KVM_CHECK_EXTENSION, CAP_NEEDS_COMPLETION);
		long kv = syscall(SYS_ioctl, vm, KVM_CHECK_EXTENSION, CAP_NEEDS_COMPLETION);
		int l = ioctl(kvm, KVM_CHECK_EXTENSION, CAP_NEEDS_COMPLETION);
		int lv = ioctl(vm, KVM_CHECK_EXTENSION, CAP_NEEDS_COMPLETION);

		printf("kc-vmm: capability 239: kernel %ld (VM fd %ld), seen %d (VM fd %d)\n", k, kv, l, lv);
		return verdict(expect, l == k && lv == kv, "capability 239 keeps the kernel's answer");
	}
#ifdef __riscv
	if (!strcmp(sc, "snapshot_sbi") || !strcmp(sc, "getset_sbi")) {
		/* An SBI call forwarded to user space: sepc stays at the
		 * ecall, a0/a1 unwritten, until vcpu.c
		 * kvm_arch_vcpu_ioctl_run -> vcpu_sbi.c
		 * kvm_riscv_vcpu_sbi_return copies run->riscv_sbi.ret and
		 * adds 4 to sepc (guarded by sbi_context.return_handled). A
		 * fresh vCPU makes the call again; the same vCPU completes
		 * it over restored registers. */
		int fresh = sc[0] == 's';
		vm_new(&v, guest_sbi);
		first_exit(&v);
		save(&v, &s);
		if (fresh) {
			vm_free(&v);
			vm_new(&w, guest_start);
			restore(&w, &s);
			run_to_end(&w);
		} else {
			restore(&v, &s);
			run_to_end(&v);
		}
		return verdict(expect, sbi_ok(), fresh ? "snapshot at a pending SBI call" :
					       "save and restore on the same vCPU at a pending SBI call");
	}
#endif
	fprintf(stderr, "kc-vmm: unknown scenario %s\n", sc);
	return 2;
}
