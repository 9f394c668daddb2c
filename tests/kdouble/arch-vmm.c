/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * arch-vmm: a legacy VMM (it knows nothing of pending completions) for the
 * scripted guests of the kernel double's non-x86 personalities.  It issues
 * every request with the target architecture's own _IOC layout (abi.h) and
 * reaches registers only through KVM_GET/SET_ONE_REG.
 *
 * Usage: arch-vmm ARCH SCENARIO EXPECT
 *   ARCH      arm64 | powerpc | riscv | loongarch | mips | s390
 *   EXPECT    fixed          under libkvmcompl: the guest must see correct I/O
 *             control        no shim: the kernel's loss, duplication, double
 *                            PC skip or double completion must show
 *             control-clean  no shim: this kernel shows no bug here
 *   exit      0 pass, 1 fail, 77 not applicable to ARCH, 99 hard error
 *
 * Guests (abi.h ISA): "MOVI R,0x99; <exit op> R; MOVI r20,0x77; HALT".  The
 * device answers the n-th read with 0x40+n.  Correct: one read, R=0x41,
 * r20=0x77 (a PC skipped twice jumps over it), PC at the HALT, and the
 * double counted no completion twice (kdouble_report).
 *
 * Scenarios:
 *   mmio_read mmio_write hcall osi sbi csr iocsr hypercall sieic
 *         save all registers (ONE_REG) and RAM at the exit, restore into a
 *         new VM, run to the HALT.
 *   getset    GET then SET of every register, same values, at the arch's
 *             main pending exit, then run on.
 *   kick, kick_iocsr  a signal handler sets immediate_exit (the VMM's own
 *             kick) at a pending exit; KVM_RUN must return EINTR; then a
 *             snapshot, re-entry on the same vCPU, and the snapshot restored
 *             into a new VM: both must be right (arm64 5.0-5.2 and loongarch
 *             complete again on re-entry).
 *   newexit   powerpc VSX 2-element load: the completion of the first
 *             element yields a NEW exit; a GET_ONE_REG in between.
 *   flags     bit 15 after a pending exit, after the HALT, and after a HALT
 *             when the VMM had set it.
 *   cap       KVM_CHECK_EXTENSION(239) (arm64: passed through; KVMCOMPL_CAP=N
 *             answered 1 instead) and KVM_ENABLE_CAP(239) = EINVAL.
 */
#define _GNU_SOURCE
#include "abi.h"
#include "../common/tap.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

enum expect { EXP_FIXED, EXP_CONTROL, EXP_CLEAN };
static enum kd_arch A;
static enum expect g_expect;
static int g_kvm = -1;
static volatile struct kvm_run *g_run;   /* for the kick handler */

/* die, say, check: tests/common/tap.h (lines "TAG: ...", TAG = scenario/arch) */

/* ---- the VM ---- */
struct avm { int fd, vcpu; struct kvm_run *run; size_t run_size; uint8_t *mem; };

static void set_reg(struct avm *m, unsigned idx, uint64_t val)
{
	struct kvm_one_reg r = { kd_reg_id(A, idx), (uintptr_t)&val };
	if (ioctl(m->vcpu, KD_SET_ONE_REG(A), &r) < 0) die("KVM_SET_ONE_REG %u", idx);
}

static uint64_t get_reg(struct avm *m, unsigned idx)
{
	uint64_t val = 0;
	struct kvm_one_reg r = { kd_reg_id(A, idx), (uintptr_t)&val };
	if (ioctl(m->vcpu, KD_GET_ONE_REG(A), &r) < 0) die("KVM_GET_ONE_REG %u", idx);
	return val;
}

static void vm_new(struct avm *m)
{
	struct kvm_userspace_memory_region reg;
	int sz;

	memset(m, 0, sizeof(*m));
	m->fd = ioctl(g_kvm, KD_CREATE_VM(A), 0);
	if (m->fd < 0) die("KVM_CREATE_VM");
	m->mem = mmap(NULL, KG_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->mem == MAP_FAILED) die("mmap");
	memset(&reg, 0, sizeof(reg));
	reg.memory_size = KG_MEM_SIZE;
	reg.userspace_addr = (uintptr_t)m->mem;
	if (ioctl(m->fd, KD_SET_USER_MEMORY_REGION(A), &reg) < 0) die("KVM_SET_USER_MEMORY_REGION");
	m->vcpu = ioctl(m->fd, KD_CREATE_VCPU(A), 0);
	if (m->vcpu < 0) die("KVM_CREATE_VCPU");
	sz = ioctl(g_kvm, KD_GET_VCPU_MMAP_SIZE(A), 0);
	if (sz < (int)sizeof(struct kvm_run)) die("KVM_GET_VCPU_MMAP_SIZE");
	m->run_size = (size_t)sz;
	m->run = mmap(NULL, m->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, m->vcpu, 0);
	if (m->run == MAP_FAILED) die("mmap of kvm_run");
	if (A == KD_ARM64) {
		struct kd_arm_vcpu_init init;
		memset(&init, 0, sizeof(init));
		if (ioctl(m->vcpu, KD_ARM_VCPU_INIT(A), &init) < 0) die("KVM_ARM_VCPU_INIT");
	}
	g_run = m->run;
}

static void vm_destroy(struct avm *m)
{
	munmap(m->run, m->run_size);
	munmap(m->mem, KG_MEM_SIZE);
	close(m->vcpu);
	close(m->fd);
}

struct snap { uint64_t r[KD_NREGS]; uint8_t *mem; };

/* Registers first (the first state ioctl), then RAM. */
static void save(struct avm *m, struct snap *s)
{
	for (unsigned i = 0; i < KD_NREGS; i++) s->r[i] = get_reg(m, i);
	s->mem = malloc(KG_MEM_SIZE);
	if (!s->mem) die("malloc");
	memcpy(s->mem, m->mem, KG_MEM_SIZE);
}

static void restore(struct avm *m, const struct snap *s)
{
	memcpy(m->mem, s->mem, KG_MEM_SIZE);
	for (unsigned i = 0; i < KD_NREGS; i++) set_reg(m, i, s->r[i]);
}

/* ---- the device ---- */
static unsigned reads, writes, intercepts;
static uint64_t wval[8];

static void answer(struct kvm_run *run)
{
	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		if (run->mmio.is_write) {
			uint64_t v = 0;
			memcpy(&v, run->mmio.data, run->mmio.len > 8 ? 8 : run->mmio.len);
			if (writes < 8) wval[writes] = v;
			writes++;
		} else {
			memset(run->mmio.data, 0, 8);
			run->mmio.data[0] = (uint8_t)(0x40 + ++reads);
		}
		return;
	case KVM_EXIT_PAPR_HCALL: run->papr_hcall.ret = 0x40 + ++reads; return;
	case KVM_EXIT_OSI: run->osi.gprs[3] = 0x40 + ++reads; return;
	case KVM_EXIT_RISCV_SBI: run->riscv_sbi.ret[0] = 0x40 + ++reads; run->riscv_sbi.ret[1] = 0; return;
	case KVM_EXIT_RISCV_CSR: run->riscv_csr.ret_value = 0x40 + ++reads; return;
	case KVM_EXIT_LOONGARCH_IOCSR:
		memset(KD_IOCSR(run)->data, 0, 8);
		KD_IOCSR(run)->data[0] = (uint8_t)(0x40 + ++reads);
		return;
	case KVM_EXIT_HYPERCALL: run->hypercall.ret = 0x40 + ++reads; return;
	case KVM_EXIT_S390_SIEIC: intercepts++; return;
	case KVM_EXIT_INTERNAL_ERROR: die("KVM_EXIT_INTERNAL_ERROR");
	default: die("unexpected exit %u", run->exit_reason);
	}
}

static int is_halt(const struct kvm_run *run) { return run->exit_reason == KVM_EXIT_SYSTEM_EVENT; }

static void run_to_halt(struct avm *m)
{
	for (int i = 0; i < 100; i++) {
		/* ppc's VSX continuation returns RESUME_HOST (> 0): an exit */
		if (ioctl(m->vcpu, KD_RUN(A), 0) < 0) die("KVM_RUN");
		if (is_halt(m->run)) return;
		answer(m->run);
	}
	die("no HALT after 100 exits");
}

/* ---- the guests ---- */
struct exitdef {
	const char *name;
	unsigned arches;     /* bit per kd_arch */
	unsigned needs;      /* arches whose rule table flags this exit */
	uint32_t reason;
	unsigned op, reg, len;
};
#define B(a) (1u << (a))
static const struct exitdef exits[] = {
	{ "mmio_read", B(KD_ARM64) | B(KD_PPC) | B(KD_RISCV) | B(KD_LOONGARCH) | B(KD_MIPS),
	  B(KD_ARM64) | B(KD_PPC) | B(KD_RISCV) | B(KD_LOONGARCH) | B(KD_MIPS), KVM_EXIT_MMIO, KG_LOAD, 5, 4 },
	/* loongarch kvm_emu_mmio_write finishes at the exit: not flagged */
	{ "mmio_write", B(KD_ARM64) | B(KD_RISCV) | B(KD_LOONGARCH), B(KD_ARM64) | B(KD_RISCV),
	  KVM_EXIT_MMIO, KG_STORE, 5, 4 },
	{ "hcall", B(KD_PPC), B(KD_PPC), KVM_EXIT_PAPR_HCALL, KG_HCALL, 3, 0 },
	{ "osi", B(KD_PPC), B(KD_PPC), KVM_EXIT_OSI, KG_OSI, 3, 0 },
	{ "sbi", B(KD_RISCV), B(KD_RISCV), KVM_EXIT_RISCV_SBI, KG_HCALL, 10, 0 },
	{ "csr", B(KD_RISCV), B(KD_RISCV), KVM_EXIT_RISCV_CSR, KG_CSR, 6, 0 },
	{ "iocsr", B(KD_LOONGARCH), B(KD_LOONGARCH), KVM_EXIT_LOONGARCH_IOCSR, KG_IOCSR, 13, 4 },
	{ "hypercall", B(KD_LOONGARCH), B(KD_LOONGARCH), KVM_EXIT_HYPERCALL, KG_HCALL, 4, 0 },
	{ "vsx", B(KD_PPC), B(KD_PPC), KVM_EXIT_MMIO, KG_VSXLOAD, 6, 8 },
	{ "sieic", B(KD_S390), 0, KVM_EXIT_S390_SIEIC, KG_SIEIC, 0, 0 },
};

static const struct exitdef *find_exit(const char *name)
{
	for (size_t i = 0; i < sizeof(exits) / sizeof(exits[0]); i++)
		if (!strcmp(exits[i].name, name) && (exits[i].arches & B(A))) return &exits[i];
	return NULL;
}

/* The exit a pending-state scenario uses on each architecture. */
static const char *main_exit(void)
{
	switch (A) {
	case KD_LOONGARCH: return "hypercall";  /* the unguarded one */
	case KD_S390: return "sieic";
	default: return "mmio_read";
	}
}

#define CANARY 20
static unsigned halt_pc;

static void load(struct avm *m, const struct exitdef *x)
{
	uint32_t code[8];
	unsigned n = 0;

	if (x->op == KG_STORE) {
		code[n++] = KG_INSN(KG_MOVI, x->reg, 0, 0x5a);
	} else if (x->op != KG_SIEIC) {
		code[n++] = KG_INSN(KG_MOVI, x->reg, 0, 0x99);
		if (x->op == KG_VSXLOAD) code[n++] = KG_INSN(KG_MOVI, x->reg + 1, 0, 0x99);
		if (!strcmp(x->name, "sbi")) code[n++] = KG_INSN(KG_MOVI, 17, 0, 0x10); /* a7: extension */
	}
	code[n++] = KG_INSN(x->op, x->reg, x->len, 0);
	code[n++] = KG_INSN(KG_MOVI, CANARY, 0, 0x77);
	halt_pc = KG_CODE + 4 * n;
	code[n++] = KG_INSN(KG_HALT, 0, 0, 0);
	memcpy(m->mem + KG_CODE, code, n * 4);
	set_reg(m, KD_REG_PC, KG_CODE);
}

static void first_exit(struct avm *m, const struct exitdef *x)
{
	if (ioctl(m->vcpu, KD_RUN(A), 0) < 0) die("KVM_RUN");
	if (m->run->exit_reason != x->reason)
		die("expected exit %u (%s), got %u", x->reason, x->name, m->run->exit_reason);
}

static unsigned doubles(void)
{
	void *p = dlsym(RTLD_DEFAULT, "kdouble_report");
	unsigned (*f)(void);
	if (!p) return 0;
	memcpy(&f, &p, sizeof(f));
	return f();
}

/* What the guest shows at the HALT; 1 when correct. */
static int outcome(struct avm *m, const struct exitdef *x, unsigned reads0, const char *where,
		   char *bug, size_t len)
{
	uint64_t pc = get_reg(m, KD_REG_PC), can = get_reg(m, CANARY);
	uint64_t r = x->op == KG_SIEIC ? 0 : get_reg(m, x->reg);
	unsigned rd = reads - reads0;
	int ok = pc == halt_pc && can == 0x77;

	if (x->op == KG_STORE) {
		say("%s: writes=%u first=0x%llx pc=0x%llx canary=0x%llx", where, writes,
		    (unsigned long long)wval[0], (unsigned long long)pc, (unsigned long long)can);
		ok = ok && writes == 1 && wval[0] == 0x5a;
		if (writes == 2) snprintf(bug, len, "write duplicated");
	} else if (x->op == KG_SIEIC) {
		say("%s: intercepts=%u pc=0x%llx canary=0x%llx", where, intercepts, (unsigned long long)pc,
		    (unsigned long long)can);
		ok = ok && intercepts == 1;
	} else if (x->op == KG_VSXLOAD) {
		uint64_t r2 = get_reg(m, x->reg + 1);
		say("%s: reads=%u r%u=0x%llx r%u=0x%llx pc=0x%llx canary=0x%llx", where, rd, x->reg,
		    (unsigned long long)r, x->reg + 1, (unsigned long long)r2, (unsigned long long)pc,
		    (unsigned long long)can);
		ok = ok && rd == 2 && r == 0x41 && r2 == 0x42;
		if (!ok) snprintf(bug, len, "VSX elements wrong");
	} else {
		say("%s: reads=%u r%u=0x%llx pc=0x%llx (halt at 0x%x) canary=0x%llx", where, rd, x->reg,
		    (unsigned long long)r, (unsigned long long)pc, halt_pc, (unsigned long long)can);
		ok = ok && rd == 1 && r == 0x41;
		if (rd == 2 && r == 0x42) snprintf(bug, len, "read performed twice (duplicated)");
		else if (rd == 1 && r == 0x99) snprintf(bug, len, "result lost (old value)");
	}
	if (can != 0x77) snprintf(bug, len, "PC advanced twice: the instruction after the exit was skipped");
	return ok;
}

static void verdict(int ok, const char *bug)
{
	unsigned d = doubles();

	if (d) say("the double counted %u DOUBLE COMPLETION(s)", d);
	if (g_expect == EXP_CONTROL) {
		if (ok && !d)
			check(0, "CONTROL DID NOT REPRODUCE: the guest saw correct I/O; update the expectations");
		else
			check(1, "bug shown: %s%s", bug[0] ? bug : "wrong result", d ? " (double completion)" : "");
	} else {
		check(ok && !d, "guest saw correct I/O exactly once%s", g_expect == EXP_CLEAN ? " (no bug on this kernel)" : "");
	}
}

/* ---- scenarios ---- */
static int flag15(const struct avm *m) { return (m->run->flags & KD_FLAG_NEEDS_COMPLETION) != 0; }

static void check_exit_flag(struct avm *m, const struct exitdef *x)
{
	int want = g_expect == EXP_FIXED ? (x->needs & B(A)) != 0 : 0;
	check(flag15(m) == want, "bit 15 at the %s exit=%d expected %d", x->name, flag15(m), want);
}

static void sc_save_restore(const struct exitdef *x)
{
	struct avm m;
	struct snap s;
	char bug[128] = "";

	vm_new(&m);
	load(&m, x);
	first_exit(&m, x);
	check_exit_flag(&m, x);
	answer(m.run);
	save(&m, &s);
	vm_destroy(&m);
	vm_new(&m);
	restore(&m, &s);
	free(s.mem);
	run_to_halt(&m);
	verdict(outcome(&m, x, 0, "after restore", bug, sizeof(bug)), bug);
	vm_destroy(&m);
}

static void sc_getset(const struct exitdef *x)
{
	struct avm m;
	struct snap s;
	char bug[128] = "";

	vm_new(&m);
	load(&m, x);
	first_exit(&m, x);
	answer(m.run);
	save(&m, &s);        /* GET of every register... */
	/* The library completed before the GET: nothing is owed any more, and
	 * no kernel here clears flags on the completion's EINTR return. */
	if (g_expect == EXP_FIXED)
		check(!flag15(&m), "bit 15 after the state read completed the %s exit=%d expected 0", x->name, flag15(&m));
	restore(&m, &s);     /* ...and SET of the same values */
	free(s.mem);
	run_to_halt(&m);
	verdict(outcome(&m, x, 0, "same vCPU", bug, sizeof(bug)), bug);
	vm_destroy(&m);
}

static void kick(int sig)
{
	(void)sig;
	g_run->immediate_exit = 1;
}

static void sc_kick(const struct exitdef *x)
{
	struct avm m, n;
	struct snap s;
	struct sigaction sa;
	char bug[128] = "", bug2[128] = "";
	int r, e, ok;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick;
	sigaction(SIGUSR1, &sa, NULL);
	vm_new(&m);
	load(&m, x);
	first_exit(&m, x);
	answer(m.run);
	raise(SIGUSR1);      /* the VMM's kick arrives while the exit is pending */
	errno = 0;
	r = ioctl(m.vcpu, KD_RUN(A), 0);
	e = errno;
	m.run->immediate_exit = 0;
	check(r == -1 && e == EINTR, "KVM_RUN after the kick returned %d errno %d expected -1 EINTR", r, e);
	/* The kernel ran the completion before the immediate_exit check; none
	 * of these kernels clears flags on that EINTR return (arm64 5.19+ only
	 * after it), so bit 15 is clear only if the library cleared it before
	 * entering KVM_RUN. */
	if (g_expect == EXP_FIXED)
		check(!flag15(&m), "bit 15 after KVM_RUN returned EINTR past the completion=%d expected 0", flag15(&m));
	save(&m, &s);        /* a snapshot, then the source runs on */
	run_to_halt(&m);
	ok = outcome(&m, x, 0, "re-entered", bug, sizeof(bug));
	vm_new(&n);
	restore(&n, &s);
	free(s.mem);
	run_to_halt(&n);
	ok = outcome(&n, x, 0, "snapshot restored", bug2, sizeof(bug2)) && ok;
	verdict(ok, bug[0] ? bug : bug2);
	vm_destroy(&n);
	vm_destroy(&m);
}

static void sc_newexit(void)
{
	const struct exitdef *x = find_exit("vsx");
	struct avm m;
	char bug[128] = "";
	uint64_t a2 = 0;
	int r, f2 = 0;

	if (!x) { printf("newexit: not applicable to %s\n", kd_arch_name(A)); exit(77); }
	vm_new(&m);
	load(&m, x);
	first_exit(&m, x);
	check_exit_flag(&m, x);
	answer(m.run);
	say("GET_ONE_REG at the first element: pc=0x%llx", (unsigned long long)get_reg(&m, KD_REG_PC));
	r = ioctl(m.vcpu, KD_RUN(A), 0);
	if (r < 0) die("KVM_RUN");
	if (m.run->exit_reason == KVM_EXIT_MMIO) {
		a2 = m.run->mmio.phys_addr;
		f2 = flag15(&m);
	}
	say("next KVM_RUN returned %d: exit %u addr=0x%llx bit15=%d", r, m.run->exit_reason,
	    (unsigned long long)a2, f2);
	if (g_expect == EXP_FIXED) {
		check(a2 == KG_MMIO + 8, "second element's exit at 0x%llx expected 0x%x",
		      (unsigned long long)a2, KG_MMIO + 8);
		check(f2 == 1, "bit 15 on the second element's exit=%d expected 1", f2);
	}
	if (!is_halt(m.run)) {
		answer(m.run);
		run_to_halt(&m);
	}
	verdict(outcome(&m, x, 0, "same vCPU", bug, sizeof(bug)), bug);
	vm_destroy(&m);
}

static void sc_flags(void)
{
	const struct exitdef *x = find_exit(main_exit());
	struct avm m;
	int f1, f2, f3;

	vm_new(&m);
	load(&m, x);
	first_exit(&m, x);
	check_exit_flag(&m, x);
	f1 = flag15(&m);
	answer(m.run);
	run_to_halt(&m);
	f2 = flag15(&m);
	m.run->flags |= KD_FLAG_NEEDS_COMPLETION;   /* stale bits a VMM left */
	if (ioctl(m.vcpu, KD_RUN(A), 0) < 0) die("KVM_RUN");
	f3 = flag15(&m);
	check(f2 == 0, "bit 15 at the HALT=%d expected 0", f2);
	if (g_expect == EXP_FIXED)
		check(f3 == 0, "bit 15 at a HALT after the VMM set it=%d expected 0", f3);
	else
		say("bit 15 at a HALT after the VMM set it=%d (%s): information", f3,
		    f3 ? "this kernel never clears flags" : "cleared by the kernel");
	(void)f1;
	vm_destroy(&m);
}

static void sc_cap(void)
{
	struct avm m;
	struct kvm_enable_cap cap;
	const char *env = getenv("KVMCOMPL_CAP");
	int c1, c2, r, e, want;

	vm_new(&m);
	c1 = ioctl(g_kvm, KD_CHECK_EXTENSION(A), KD_CAP_NEEDS_COMPLETION);
	c2 = ioctl(m.fd, KD_CHECK_EXTENSION(A), KD_CAP_NEEDS_COMPLETION);
	/* arm64: 239 is KVM_CAP_ARM_WRITABLE_IMP_ID_REGS upstream; the shim
	 * passes it through (the double's arm64 kernels answer 0) */
	want = g_expect == EXP_FIXED && A != KD_ARM64 ? 1 : 0;
	check(c1 == want, "KVM_CHECK_EXTENSION(239) on /dev/kvm=%d expected %d", c1, want);
	check(c2 == want, "KVM_CHECK_EXTENSION(239) on the VM fd=%d expected %d", c2, want);
	if (env && *env >= '0' && *env <= '9' && g_expect == EXP_FIXED) {
		long n = strtol(env, NULL, 10);
		int c3 = ioctl(g_kvm, KD_CHECK_EXTENSION(A), n);
		check(c3 == 1, "KVM_CHECK_EXTENSION(KVMCOMPL_CAP=%ld)=%d expected 1", n, c3);
	}
	memset(&cap, 0, sizeof(cap));
	cap.cap = KD_CAP_NEEDS_COMPLETION;
	errno = 0;
	r = ioctl(m.fd, KD_ENABLE_CAP(A), &cap);
	e = errno;
	check(r == -1 && e == EINVAL, "KVM_ENABLE_CAP(239)=%d errno %d expected -1 EINVAL", r, e);
	vm_destroy(&m);
}

int main(int argc, char **argv)
{
	static const char *const archs[] = { "x86", "arm64", "powerpc", "riscv", "loongarch", "mips", "s390" };
	const struct exitdef *x;
	static char tag[96];
	int found = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_prog = "arch-vmm";
	if (argc != 4) {
		fprintf(stderr, "usage: arch-vmm ARCH SCENARIO fixed|control|control-clean\n");
		return 99;
	}
	for (int i = 1; i < KD_NARCH; i++)
		if (!strcmp(argv[1], archs[i])) { A = (enum kd_arch)i; found = 1; }
	if (!found) { fprintf(stderr, "arch-vmm: unknown architecture %s\n", argv[1]); return 99; }
	if (!strcmp(argv[3], "fixed")) g_expect = EXP_FIXED;
	else if (!strcmp(argv[3], "control") || !strcmp(argv[3], "control-bug")) g_expect = EXP_CONTROL;
	else if (!strcmp(argv[3], "control-clean")) g_expect = EXP_CLEAN;
	else { fprintf(stderr, "arch-vmm: unknown expectation %s\n", argv[3]); return 99; }
	snprintf(tag, sizeof(tag), "%s/%s", argv[2], argv[1]);
	tap_tag = tag;

	g_kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (g_kvm < 0) die("open /dev/kvm (is libkdouble preloaded with KDOUBLE set?)");
	if (ioctl(g_kvm, KD_GET_API_VERSION(A), 0) != KVM_API_VERSION) die("KVM_GET_API_VERSION");

	if (!strcmp(argv[2], "getset")) sc_getset(find_exit(main_exit()));
	else if (!strcmp(argv[2], "kick") || !strcmp(argv[2], "kick_iocsr")) {
		x = find_exit(!strcmp(argv[2], "kick") ? main_exit() : "iocsr");
		if (!x || x->op == KG_SIEIC) { printf("%s: nothing pending on %s\n", argv[2], argv[1]); return 77; }
		sc_kick(x);
	} else if (!strcmp(argv[2], "newexit")) sc_newexit();
	else if (!strcmp(argv[2], "flags")) sc_flags();
	else if (!strcmp(argv[2], "cap")) sc_cap();
	else if ((x = find_exit(argv[2])) && x->op != KG_VSXLOAD) sc_save_restore(x);
	else { printf("%s: not applicable to %s\n", argv[2], argv[1]); return 77; }
	close(g_kvm);
	return tap_status();
}
