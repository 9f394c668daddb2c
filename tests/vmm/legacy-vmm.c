/*
 * legacy-vmm: a small "legacy" VMM used as the real-KVM integration test of
 * libkvmcompl.  It drives /dev/kvm directly (one VM, one memory slot, one
 * vCPU, real or long mode) and, like a VMM written before the proposed
 * KVM_RUN_NEEDS_COMPLETION flag, knows nothing about pending completions:
 * it answers an exit in kvm_run and may then save the vCPU without
 * re-entering KVM_RUN.  Run without the shim it shows the kernel's bug;
 * run under LD_PRELOAD=libkvmcompl.so it must behave correctly.
 *
 * Usage: legacy-vmm SCENARIO MODE EXPECT  |  legacy-vmm list
 *   MODE   real (16-bit real mode) | long (64-bit long mode)
 *   EXPECT fixed (under the shim: assert correct behaviour)
 *          control (no shim: assert the bug this kernel shows: a loss or a
 *                  duplication of a read; writes and immediate_exit are
 *                  information only)
 *          control-bug (as control, and a write scenario must show its
 *                  duplication or loss, flags the VMM's stale bit 15)
 *          control-clean (no shim: assert this kernel shows no bug)
 *          demo (one-line verdict, never fails except on internal error)
 *   exit   0 pass, 1 fail, 77 skip (/dev/kvm unusable, or the kernel lacks
 *          what the scenario needs), 99 hard error
 * Without the shim, a kernel that answers KVM_CHECK_EXTENSION(239) itself
 * (the upstream flag series) is expected to set bit 15 natively.
 *
 * Devices (devices.c): port 0xE0 returns 0x40+n on its n-th byte read, an
 * MMIO page pair at 0xA0000 likewise per access, MSR 0xABC (routed to user
 * space by an MSR filter) returns (0xAB00+n)<<32 | 0x40+n; port 0xE1 and
 * MMIO 0xA4000 record writes.  Device state lives in the VMM, so it counts
 * accesses across a save/restore, as migrated device state would.
 *
 * Save/restore scenarios (answer the exit, save REGS/SREGS/XSAVE/XCRS/
 * EVENTS/MSRS/MP_STATE + RAM without re-entering KVM_RUN, restore into a new
 * VM, run to HLT):
 *   in, mmio_read, rdmsr  the guest's read is still owed at the exit (x86.c
 *         complete_emulated_pio / complete_fast_pio_in, complete_emulated_mmio,
 *         complete_emulated_rdmsr write RAX and advance RIP only on the next
 *         KVM_RUN), so the new VM re-executes it: 2 reads, second value.
 *   insb  rep insb x10: complete_emulated_pio copies the chunk into memory
 *         later; the new VM repeats the whole string: 20 reads.
 *   out, mmio_write  RIP is already past the instruction at the exit on this
 *         backend (emulated OUT/MMIO write), so no duplicate; SVM fast PIO
 *         (complete_fast_pio_out) would duplicate.  The control never fails.
 *   complete_off  `in` under KVMCOMPL_COMPLETE=off: flag set, read duplicated.
 *   explicit_api  `in` under KVMCOMPL_COMPLETE=off, completed by an explicit
 *         kvmcompl_complete(vcpu_fd) (looked up with dlsym).
 * Same-VM scenarios:
 *   getset_in, getset_mmio  GET_REGS+SET_REGS of identical values while the
 *         read is pending: __set_regs sets emulate_regs_need_sync_from_vcpu,
 *         the NO_DECODE re-emulation (x86_emulate_instruction) then drops the
 *         emulator's register cache and the result is lost (control).  A
 *         fast-PIO IN (SVM/VMX complete_fast_pio_in) keeps it: getset_in's
 *         control is expected to report "did not reproduce" there.
 *   split_read, split_write  4-byte MMIO straddling two pages: the completion
 *         of the first half yields a NEW exit (complete_emulated_mmio), which
 *         the shim must hand to the next KVM_RUN with bit 15 set.
 * Flag/capability/API scenarios: flags, cap, vmm_immediate_exit.
 *   other_thread  `mmio_read`, saved by a thread other than the vCPU's.
 *   race  `in`, with two threads calling GET_REGS at once before the save:
 *         the harness checks that the library completed exactly once.
 *   inherited  `in` on a VM and vCPU created with the raw system call, as
 *         fds inherited across exec or passed over a socket would be.
 *   in_qemu_like, mmio_read_qemu_like, rdmsr_qemu_like  a VMM that completes
 *         correctly, as QEMU does: after answering the exit it re-enters
 *         KVM_RUN with immediate_exit=1 (EINTR, the kernel finishes the
 *         instruction), and only then saves.  Correct with and without the
 *         library (control-clean); nothing is pending at the save, so
 *         KVMCOMPL_MODE=report|strict must report nothing
 *         (tests/sanitizer.test).
 * Answer-aware completion (each compared with native: the control runs
 * the same steps without the library and must see the same):
 *   ucall_in  the kernel selftests' ucall: at an IN the VMM never answers it
 *         reads REGS, SREGS and VCPU_EVENTS, then re-enters KVM_RUN.  The
 *         reads see the IN still pending (RAX unchanged), exit_reason stays
 *         IO, the library completes nothing, and the guest receives what it
 *         receives natively: 0, the kernel clears an IN's data before the
 *         exit (x86.c emulator_pio_in_out), though the VMM wrote 0x5c into
 *         the I/O page before the first KVM_RUN.
 *   insb_edit  userspace_io_test: at a pending `rep insb` x10 the VMM reads
 *         the registers, writes the answer, sets RCX to 4 and re-enters: the
 *         kernel finishes the string with the edited count (4 bytes stored,
 *         the other 6 untouched; emulator_pio_in_emulated), nothing completed
 *         by the library.
 *   read_then_save_in, read_then_save_mmio  QEMU's vmport pattern followed by
 *         a legacy save: GET_REGS at the unanswered read (passes, RAX still
 *         0x99999999), then the answer, then save/restore into a new VM:
 *         the save must see the read finished (1 device read, the value).
 *   out7e  OUT to port 0x7e (kvmvapic): the kernel advanced RIP before the
 *         exit (KVM_X86_QUIRK_OUT_7E_INC_RIP): bit 15 clear, a GET_REGS at
 *         the exit completes nothing, save/restore repeats nothing.
 *   out7e_noquirk  the same after KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS,
 *         OUT_7E_INC_RIP): the OUT is owed (complete_fast_pio_out), bit 15
 *         set, the save completes it (natively the restored VM repeats it).
 *   in_repeat  three `in` rounds, each on a fresh VM and fresh devices: two
 *         saved at the pending IN (vm_save), then one GET_REGS+SET_REGS at
 *         the pending IN (vm_get_regs): two buggy call sites, the first
 *         reached twice (tests/sanitizer.test).
 */
#define _GNU_SOURCE
#include "devices.h"
#include "kvmcompl.h"
#include "vm.h"

#include <dlfcn.h>
#include <pthread.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define GUEST_SYMS(n) \
	extern const uint8_t guest_real_##n##_start[], guest_real_##n##_end[]; \
	extern const uint8_t guest_long_##n##_start[], guest_long_##n##_end[];
GUEST_SYMS(in)
GUEST_SYMS(mmio_read)
GUEST_SYMS(rdmsr)
GUEST_SYMS(out)
GUEST_SYMS(mmio_write)
GUEST_SYMS(insb)
GUEST_SYMS(split_read)
GUEST_SYMS(split_write)
GUEST_SYMS(flags)
GUEST_SYMS(out7e)
extern const uint8_t guest_real_in_after[], guest_long_in_after[];

struct guest {
	const char *name;
	const uint8_t *rs, *re, *ls, *le;
};
#define GUEST(n) { #n, guest_real_##n##_start, guest_real_##n##_end, \
		   guest_long_##n##_start, guest_long_##n##_end }
static const struct guest guests[] = {
	GUEST(in), GUEST(mmio_read), GUEST(rdmsr), GUEST(out), GUEST(mmio_write),
	GUEST(insb), GUEST(split_read), GUEST(split_write), GUEST(flags), GUEST(out7e),
};

enum expect { EXP_FIXED, EXP_CONTROL, EXP_CONTROL_BUG, EXP_CLEAN, EXP_DEMO };

static enum vm_mode g_mode;
static enum expect g_expect;
static int g_kvm = -1;
static char g_tag[64];
static int g_failed;
static struct devices g_dev;
static unsigned g_flag15_seen;   /* exits returned with bit 15 set */
static int g_native;             /* no shim, and the kernel flags natively */

/* Runs without the shim: the kernel's own behaviour is asserted. */
static int no_shim(void)
{
	return g_expect == EXP_CONTROL || g_expect == EXP_CONTROL_BUG || g_expect == EXP_CLEAN;
}

static void skip(const char *why) __attribute__((noreturn));
static void skip(const char *why)
{
	/* Under the kernel double its counters come first, so the reason
	 * stays the last line (the TAP SKIP text). */
	void *p = dlsym(RTLD_DEFAULT, "kdouble_report");
	unsigned (*report)(void);
	if (p) {
		memcpy(&report, &p, sizeof(report));
		report();
	}
	fprintf(stderr, "legacy-vmm: SKIP: %s\n", why);
	exit(77);
}

#define F15 KVM_RUN_NEEDS_COMPLETION_BIT

/* ---- reporting ---- */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	if (g_expect == EXP_DEMO) return;
	printf("%s: ", g_tag);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
	va_list ap;
	if (g_expect == EXP_DEMO) return;
	printf("%s: ", g_tag);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(": %s\n", ok ? "OK" : "FAIL");
	if (!ok) g_failed = 1;
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;
	if (g_expect == EXP_DEMO) return;
	printf("%s: ", g_tag);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	g_failed = 1;
}

static void verdict(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void verdict(const char *fmt, ...)
{
	va_list ap;
	if (g_expect != EXP_DEMO) return;
	printf("%s: ", g_tag);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* ---- VM helpers ---- */

static void new_vm(struct vm *vm, const char *guest)
{
	const struct guest *g = NULL;
	for (size_t i = 0; i < sizeof(guests) / sizeof(guests[0]); i++)
		if (!strcmp(guests[i].name, guest)) g = &guests[i];
	if (!g) die("no guest program %s", guest);
	vm_create(vm, g_kvm, g_mode);
	if (g_mode == MODE_REAL)
		vm_load(vm, g->rs, (size_t)(g->re - g->rs));
	else
		vm_load(vm, g->ls, (size_t)(g->le - g->ls));
	vm_setup_msr(vm);
}

static uint32_t flag15(const struct vm *vm)
{
	return (vm->run->flags & F15) ? 1 : 0;
}

/* One KVM_RUN that must stop at the given exit. */
static void run_expect(struct vm *vm, uint32_t reason, const char *what)
{
	vm_run_ok(vm);
	if (flag15(vm)) g_flag15_seen++;
	if (vm->run->exit_reason != reason)
		die("expected a %s exit (%s), got exit %u (%s)", exit_name(reason), what,
		    vm->run->exit_reason, exit_name(vm->run->exit_reason));
}

static void run_to_hlt(struct vm *vm)
{
	for (int i = 0; i < 1000; i++) {
		vm_run_ok(vm);
		if (flag15(vm)) g_flag15_seen++;
		if (vm->run->exit_reason == KVM_EXIT_HLT) return;
		if (!dev_handle(&g_dev, vm->run)) {
			if (vm->run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
				die("KVM_EXIT_INTERNAL_ERROR suberror %u", vm->run->internal.suberror);
			die("unexpected exit %u (%s)", vm->run->exit_reason,
			    exit_name(vm->run->exit_reason));
		}
	}
	die("guest did not reach HLT after 1000 exits");
}

/* Save the vCPU and RAM, close the VM, restore into a new VM. */
static void save_restore(struct vm *vm)
{
	struct vcpu_state st;
	vm_save(vm, &st);
	vm_destroy(vm);
	vm_create(vm, g_kvm, g_mode);
	vm_setup_msr(vm);  /* MSR routing is VM state the VMM must redo */
	vm_restore(vm, &st);
	state_free(&st);
}

static const char *errname(int e)
{
	static char buf[64];
	switch (e) {
	case EINVAL: return "EINVAL";
	case EINTR: return "EINTR";
	case EBADF: return "EBADF";
	case ENOTTY: return "ENOTTY";
	case EFAULT: return "EFAULT";
	default: snprintf(buf, sizeof(buf), "errno %d", e); return buf;
	}
}

typedef int (*complete_fn)(int);
typedef const char *(*version_fn)(void);

static complete_fn find_complete(void)
{
	void *p = dlsym(RTLD_DEFAULT, "kvmcompl_complete");
	complete_fn f;
	memcpy(&f, &p, sizeof(f));
	return f;
}

static const char *shim_version(void)
{
	void *p = dlsym(RTLD_DEFAULT, "kvmcompl_version");
	version_fn f;
	if (!p) return NULL;
	memcpy(&f, &p, sizeof(f));
	return f();
}

/* ---- save/restore of a read: in, mmio_read, rdmsr, insb, complete_off,
 * explicit_api ---- */

enum rd_kind { RD_IN, RD_MMIO, RD_MSR, RD_INSB };

static unsigned rd_count(enum rd_kind k)
{
	return k == RD_MMIO ? g_dev.mmio_reads : k == RD_MSR ? g_dev.msr_reads : g_dev.port_reads;
}

/* Value the guest sees when it got the device's reads number first..first+n-1. */
static void rd_expected(enum rd_kind k, unsigned first, char *buf, size_t len)
{
	switch (k) {
	case RD_IN: snprintf(buf, len, "0x%02x", port_value(first)); break;
	case RD_MMIO: snprintf(buf, len, "0x%08x", port_value(first)); break;
	case RD_MSR: snprintf(buf, len, "0x%016llx", (unsigned long long)msr_value(first)); break;
	case RD_INSB:
		for (unsigned i = 0; i < 10 && 2 * i + 3 <= len; i++)
			snprintf(buf + 2 * i, len - 2 * i, "%02x", port_value(first + i));
		break;
	}
}

static void rd_observed(enum rd_kind k, struct vm *vm, char *buf, size_t len)
{
	struct kvm_regs r;
	vm_get_regs(vm, &r);
	switch (k) {
	case RD_IN: snprintf(buf, len, "0x%02x", (unsigned)(r.rax & 0xff)); break;
	case RD_MMIO: snprintf(buf, len, "0x%08x", (unsigned)r.rax); break;
	case RD_MSR:
		snprintf(buf, len, "0x%016llx",
			 (unsigned long long)(((r.rdx & 0xffffffffull) << 32) | (r.rax & 0xffffffffull)));
		break;
	case RD_INSB:
		for (unsigned i = 0; i < 10 && 2 * i + 3 <= len; i++)
			snprintf(buf + 2 * i, len - 2 * i, "%02x", vm->mem[BUF_ADDR + i]);
		break;
	}
}

enum sr_variant { SR_PLAIN, SR_COMPLETE_OFF, SR_EXPLICIT, SR_OTHER_THREAD, SR_RACE, SR_QEMU_LIKE,
		  SR_READ_FIRST };

/* The cloud-hypervisor pattern: the vCPU thread (this one) has parked after
 * the exit, and the VMM thread saves the state. */
static void *save_restore_thread(void *vm)
{
	save_restore(vm);
	return NULL;
}

/* Two threads read the registers of the pending vCPU at the same moment. */
static pthread_barrier_t race_barrier;
static void *get_regs_thread(void *vm)
{
	struct kvm_regs r;

	pthread_barrier_wait(&race_barrier);
	vm_get_regs(vm, &r);
	return NULL;
}

/* QEMU's kvm_cpu_exec: before a vCPU's state is read (cpu_synchronize_state,
 * migration, reset) the vCPU thread has re-entered KVM_RUN, with
 * immediate_exit set when it must return at once: the kernel runs the
 * pending completion, then returns EINTR without entering the guest. */
static void qemu_like_complete(struct vm *vm)
{
	int ret, e;

	if (ioctl(g_kvm, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		skip("this kernel has no KVM_CAP_IMMEDIATE_EXIT (4.11+): the QEMU-like VMM needs it");
	vm->run->immediate_exit = 1;
	errno = 0;
	ret = vm_run(vm);
	e = errno;
	vm->run->immediate_exit = 0;
	if (!(ret == -1 && e == EINTR))
		die("KVM_RUN with immediate_exit=1 returned %d (%s), expected -1 EINTR", ret,
		    ret < 0 ? errname(e) : exit_name(vm->run->exit_reason));
	say("re-entered KVM_RUN with immediate_exit=1 before the save: EINTR");
}

static void save_restore_variant(struct vm *vm, enum sr_variant v)
{
	pthread_t t[2];

	if (v == SR_QEMU_LIKE)
		qemu_like_complete(vm);

	if (v == SR_OTHER_THREAD) {
		if (pthread_create(&t[0], NULL, save_restore_thread, vm)) die("pthread_create");
		pthread_join(t[0], NULL);
		return;
	}
	if (v == SR_RACE) {
		pthread_barrier_init(&race_barrier, NULL, 2);
		for (int i = 0; i < 2; i++)
			if (pthread_create(&t[i], NULL, get_regs_thread, vm)) die("pthread_create");
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&race_barrier);
	}
	save_restore(vm);
}

static void explicit_api_extra(void);

/* The counters the shim keeps for this vCPU: one exit (the IN), flagged,
 * one completion, by kvmcompl_complete(). */
static void check_stats(int vcpu)
{
	typedef int (*stats_fn)(int, struct kvmcompl_stats *, unsigned long);
	stats_fn stats = (stats_fn)dlsym(RTLD_DEFAULT, "kvmcompl_stats");
	struct kvmcompl_stats st;

	if (!stats) {
		fail("kvmcompl_stats not found by dlsym(RTLD_DEFAULT)");
		return;
	}
	memset(&st, 0xff, sizeof st);
	check(stats(vcpu, &st, sizeof st) == 0, "kvmcompl_stats(vcpu_fd) returned 0");
	check(st.exits == 1 && st.exits_by_reason[KVM_EXIT_IO] == 1 && st.flagged == 1,
	      "stats: exits=%llu (IO %llu) flagged=%llu expected 1, 1, 1",
	      st.exits, st.exits_by_reason[KVM_EXIT_IO], st.flagged);
	check(st.completions == 1 && st.completions_by_api == 1 && st.new_exits == 0 &&
	      st.failures == 0 && st.trigger_request[0] == 0,
	      "stats: completions=%llu by_api=%llu new_exits=%llu failures=%llu first trigger=%#x expected 1, 1, 0, 0, 0",
	      st.completions, st.completions_by_api, st.new_exits, st.failures, st.trigger_request[0]);
}

static void sc_read_save_restore(const char *name, enum rd_kind k, enum sr_variant v)
{
	static const char *guest_of[] = { "in", "mmio_read", "rdmsr", "insb" };
	static const char *dev_of[] = { "port", "mmio", "msr", "port" };
	unsigned n = k == RD_INSB ? 10 : 1;
	struct vm vm;
	uint32_t f15;
	char obs[64], first[64], second[64];
	complete_fn api = NULL;

	if (v == SR_EXPLICIT) {
		api = find_complete();
		if (!api) {
			if (g_expect == EXP_FIXED) {
				fail("kvmcompl_complete not found by dlsym(RTLD_DEFAULT): expected the shim's API, observed none: FAIL");
			} else {
				say("kvmcompl_complete not found (no shim): API part skipped");
				verdict("no shim loaded: explicit completion API not available (nothing to test)");
			}
			return;
		}
		say("kvmcompl_complete found (shim %s)", shim_version() ? shim_version() : "?");
	}

	new_vm(&vm, guest_of[k]);
	if (k == RD_MSR && !vm.msr_how) skip("this kernel has no user-space MSR exits (KVM_CAP_X86_USER_SPACE_MSR, 5.10+)");
	if (k == RD_MSR) say("MSR 0x%x routed by %s", MSR_DEV, vm.msr_how);
	switch (k) {
	case RD_IN:
	case RD_INSB:
		run_expect(&vm, KVM_EXIT_IO, "IN from the read-counting port");
		if (vm.run->io.direction != KVM_EXIT_IO_IN || vm.run->io.port != PORT_RD)
			die("IO exit is not an IN from port 0x%x", PORT_RD);
		if (k == RD_INSB)
			say("rep insb exit: size=%u count=%u", vm.run->io.size, vm.run->io.count);
		break;
	case RD_MMIO:
		run_expect(&vm, KVM_EXIT_MMIO, "MMIO read");
		if (vm.run->mmio.is_write) die("MMIO exit is a write");
		say("MMIO read exit: addr=0x%llx len=%u",
		    (unsigned long long)vm.run->mmio.phys_addr, vm.run->mmio.len);
		break;
	case RD_MSR:
		run_expect(&vm, KVM_EXIT_X86_RDMSR, "RDMSR");
		say("RDMSR exit: index=0x%x reason=0x%x", vm.run->msr.index, vm.run->msr.reason);
		break;
	}
	f15 = flag15(&vm);
	if (v == SR_READ_FIRST) {
		/* QEMU's vmport handler: the registers are read before the
		 * answer exists; the read must still be pending there. */
		struct kvm_regs r;
		vm_get_regs(&vm, &r);
		say("GET_REGS before the answer: rax=0x%llx", (unsigned long long)r.rax);
		if (g_expect != EXP_DEMO)
			check((uint32_t)r.rax == 0x99999999u,
			      "RAX at the unanswered read=0x%08x expected 0x99999999 (still pending)",
			      (unsigned)r.rax);
	}
	dev_handle(&g_dev, vm.run);   /* answer: the device counts the read */

	if (v == SR_EXPLICIT) {
		int r, e;
		say("bit 15 before kvmcompl_complete=%u", f15);
		errno = 0;
		r = api(vm.vcpu);
		e = errno;
		check(r == 0, "kvmcompl_complete(vcpu_fd) at the pending IN returned %d (%s) expected 0",
		      r, r ? errname(e) : "-");
		check(!flag15(&vm), "bit 15 after kvmcompl_complete=%u expected 0", flag15(&vm));
		check_stats(vm.vcpu);
	} else if (g_expect == EXP_FIXED) {
		/* Also with KVMCOMPL_COMPLETE=off: the flag is still reported. */
		check(f15 == 1, "bit 15 at the %s exit=%u expected 1", dev_of[k], f15);
	} else if (no_shim()) {
		check(f15 == (uint32_t)g_native, "bit 15 at the %s exit=%u expected %d (no shim)", dev_of[k], f15, g_native);
	}

	save_restore_variant(&vm, v);
	run_to_hlt(&vm);
	rd_observed(k, &vm, obs, sizeof(obs));
	rd_expected(k, 1, first, sizeof(first));
	rd_expected(k, n + 1, second, sizeof(second));
	unsigned reads = rd_count(k);
	int correct = reads == n && !strcmp(obs, first);
	int dup = reads == 2 * n && !strcmp(obs, second);
	int lost = reads == n && strcmp(obs, first) != 0;

	if (g_expect == EXP_DEMO) {
		verdict("guest saw %s after %u device reads -> %s", obs, reads,
			correct ? "correct: the read happened once across save/restore" :
			dup ? "BUG: the read was performed twice (pending completion lost at save)" :
			"inconsistent result");
	} else if ((g_expect == EXP_FIXED && v != SR_COMPLETE_OFF) || v == SR_EXPLICIT ||
		   v == SR_QEMU_LIKE || g_expect == EXP_CLEAN) {
		check(correct, "%s reads=%u guest saw=%s expected reads=%u value=%s",
		      dev_of[k], reads, obs, n, first);
	} else {
		/* control, or complete_off: a duplicate (the read re-executed) or
		 * a loss (RIP already past it, the result never written: fast
		 * PIO before 5.1) is the expected outcome */
		if (correct && no_shim())
			fail("CONTROL DID NOT REPRODUCE: %s: %s reads=%u guest saw=%s (expected reads=%u value=%s); this kernel completes before save; update the expectations",
			     name, dev_of[k], reads, obs, 2 * n, second);
		else
			check(dup || lost, "%s reads=%u guest saw=%s expected reads=%u value=%s (duplicated) or reads=%u and not %s (lost)%s",
			      dev_of[k], reads, obs, 2 * n, second, n, first,
			      v == SR_COMPLETE_OFF ? " (no automatic completion)" : " (bug reproduced)");
	}
	if (v == SR_EXPLICIT) {
		int r, e;
		errno = 0;
		r = api(vm.vcpu);  /* the restored vCPU sits at HLT: nothing pending */
		e = errno;
		check(r == 0, "kvmcompl_complete on a vCPU with nothing pending returned %d (%s) expected 0",
		      r, r ? errname(e) : "-");
		explicit_api_extra();
	}
	vm_destroy(&vm);
}

static void explicit_api_extra(void)
{
	complete_fn api = find_complete();
	int p[2], r, e;
	if (pipe(p) < 0) die("pipe");
	errno = 0;
	r = api(p[0]);
	e = errno;
	check(r == -1 && e != 0, "kvmcompl_complete(pipe fd) returned %d errno=%s expected -1 with an errno",
	      r, e ? errname(e) : "0");
	close(p[0]);
	close(p[1]);
}

/* ---- answer-aware: ucall_in, insb_edit, out7e, out7e_noquirk ---- */

/* The library's completions on this vCPU, or -1 without the library. */
static long shim_completions(int vcpu)
{
	typedef int (*stats_fn)(int, struct kvmcompl_stats *, unsigned long);
	void *p = dlsym(RTLD_DEFAULT, "kvmcompl_stats");
	stats_fn stats;
	struct kvmcompl_stats st;

	if (!p)
		return -1;
	memcpy(&stats, &p, sizeof(stats));
	if (stats(vcpu, &st, sizeof st) != 0)
		return -1;
	return (long)st.completions;
}

/* With the library its count must be `want`; without it there is none. */
static void check_completions(int vcpu, long want, const char *where)
{
	long c = shim_completions(vcpu);

	if (g_expect == EXP_FIXED)
		check(c == want, "library completions %s=%ld expected %ld", where, c, want);
	else if (c >= 0)
		fail("the library is loaded in a run without it (completions=%ld)", c);
}

#define PIO_PAGE 4096 /* x86 KVM_PIO_PAGE_OFFSET * PAGE_SIZE: io.data_offset */

static void sc_ucall_in(void)
{
	struct vm vm;
	struct kvm_regs r, fin;
	struct kvm_sregs s;
	struct kvm_vcpu_events ev;
	unsigned reason, f15;
	uint32_t want = 0x99999900u;

	new_vm(&vm, "in");
	if (vm.run_size < PIO_PAGE + 1) die("kvm_run mapping has no I/O page");
	/* Natively an IN nobody answers reads 0: the kernel clears the I/O data
	 * at the exit, whatever the page held before. */
	((volatile uint8_t *)vm.run)[PIO_PAGE] = 0x5c;
	run_expect(&vm, KVM_EXIT_IO, "IN");
	if (vm.run->io.data_offset != PIO_PAGE) die("io.data_offset=%llu", (unsigned long long)vm.run->io.data_offset);
	/* the ucall: registers, segments, events; the IN is never answered */
	vm_get_regs(&vm, &r);
	if (ioctl(vm.vcpu, KVM_GET_SREGS, &s) < 0) die("KVM_GET_SREGS");
	if (ioctl(vm.vcpu, KVM_GET_VCPU_EVENTS, &ev) < 0) die("KVM_GET_VCPU_EVENTS");
	reason = vm.run->exit_reason;
	f15 = flag15(&vm);
	check_completions(vm.vcpu, 0, "at the ucall reads");
	run_to_hlt(&vm);
	vm_get_regs(&vm, &fin);
	if (g_expect == EXP_DEMO) {
		verdict("registers read at an unanswered IN: %s; guest got 0x%02x",
			(uint32_t)r.rax == 0x99999999u ? "left pending (native)" : "COMPLETED early",
			(unsigned)(fin.rax & 0xff));
	} else {
		check((uint32_t)r.rax == 0x99999999u, "RAX read at the unanswered IN=0x%08x expected 0x99999999 (the IN still pending)",
		      (unsigned)r.rax);
		check(reason == KVM_EXIT_IO, "exit_reason after the reads=%u expected %u (IO, as the kernel left it)",
		      reason, KVM_EXIT_IO);
		check(f15 == (g_expect == EXP_FIXED ? 1u : (uint32_t)g_native),
		      "bit 15 after the reads=%u expected %u (still owed)", f15,
		      g_expect == EXP_FIXED ? 1u : (unsigned)g_native);
		check((uint32_t)fin.rax == want && g_dev.port_reads == 0,
		      "guest EAX=0x%08x device reads=%u expected 0x%08x (AL 0: the kernel's cleared I/O data, as natively) and 0",
		      (unsigned)fin.rax, g_dev.port_reads, want);
	}
	vm_destroy(&vm);
}

static void sc_insb_edit(void)
{
	struct vm vm;
	struct kvm_regs r, fin;
	unsigned count, cx_seen;
	char got[32];
	int mem_ok = 1;

	new_vm(&vm, "insb");
	run_expect(&vm, KVM_EXIT_IO, "rep insb");
	count = vm.run->io.count;
	if (vm.run->io.direction != KVM_EXIT_IO_IN || count != 10)
		die("rep insb exit: direction %u count %u", vm.run->io.direction, count);
	vm_get_regs(&vm, &r);                 /* before the answer */
	cx_seen = (unsigned)(r.rcx & 0xffff);
	dev_handle(&g_dev, vm.run);           /* the answer: 10 bytes */
	r.rcx = (r.rcx & ~0xffffull) | 4;     /* steer how the kernel finishes */
	vm_set_regs(&vm, &r);
	run_to_hlt(&vm);
	vm_get_regs(&vm, &fin);
	for (unsigned i = 0; i < 10; i++) {
		snprintf(got + 2 * i, sizeof(got) - 2 * i, "%02x", vm.mem[BUF_ADDR + i]);
		if (vm.mem[BUF_ADDR + i] != (i < 4 ? port_value(i + 1) : 0)) mem_ok = 0;
	}
	if (g_expect == EXP_DEMO) {
		verdict("rep insb with RCX edited mid-exit stored %s", got);
	} else {
		check(cx_seen == 10, "RCX read at the unanswered rep insb=%u expected 10 (still pending)", cx_seen);
		check(mem_ok && (fin.rcx & 0xffff) == 0,
		      "guest buffer=%s RCX=%llu expected 41424344000000000000 and 0 (4 of the answered bytes, as natively)",
		      got, (unsigned long long)(fin.rcx & 0xffff));
		check_completions(vm.vcpu, 0, "for the whole string");
	}
	vm_destroy(&vm);
}

static void sc_out7e(int noquirk)
{
	struct vm vm;
	struct kvm_regs r;
	unsigned f15;
	long comps;
	int owed = noquirk;

	new_vm(&vm, "out7e");
	if (noquirk) {
		struct kvm_enable_cap cap;
		memset(&cap, 0, sizeof(cap));
		cap.cap = KVM_CAP_DISABLE_QUIRKS;
		cap.args[0] = 1u << 3; /* KVM_X86_QUIRK_OUT_7E_INC_RIP */
		if (ioctl(vm.fd, KVM_ENABLE_CAP, &cap) < 0)
			skip("KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS) refused");
	}
	run_expect(&vm, KVM_EXIT_IO, "OUT to port 0x7e");
	if (vm.run->io.port != PORT_7E || vm.run->io.direction != KVM_EXIT_IO_OUT)
		die("expected an OUT to port 0x7e, got port 0x%x", vm.run->io.port);
	f15 = flag15(&vm);
	dev_handle(&g_dev, vm.run);
	vm_get_regs(&vm, &r);   /* kvmvapic: cpu_synchronize_state in the handler */
	comps = shim_completions(vm.vcpu);
	save_restore(&vm);
	run_to_hlt(&vm);
	if (g_expect == EXP_DEMO) {
		verdict("OUT 0x7e%s: bit 15=%u, port 0x7e writes=%u", noquirk ? " (quirk disabled)" : "",
			f15, g_dev.port7e_writes);
	} else if (g_expect == EXP_FIXED) {
		check(f15 == (unsigned)owed, "bit 15 at the OUT to 0x7e=%u expected %d%s", f15, owed,
		      owed ? " (quirk disabled: complete_fast_pio_out owes RIP)" : " (RIP advanced before the exit)");
		check(comps == owed, "library completions at the GET_REGS=%ld expected %d", comps, owed);
		check(g_dev.port7e_writes == 1 && g_dev.port_writes == 1,
		      "port 0x7e writes=%u port 0xE1 writes=%u expected 1 and 1", g_dev.port7e_writes,
		      g_dev.port_writes);
	} else {
		check(f15 == (unsigned)g_native || !owed, "bit 15 at the OUT to 0x7e=%u (no shim)", f15);
		if (g_expect == EXP_CONTROL_BUG) {
			if (g_dev.port7e_writes == 1)
				fail("CONTROL DID NOT REPRODUCE: port 0x7e writes=1: the OUT was not repeated; update the expectations");
			else
				check(g_dev.port7e_writes == 2, "port 0x7e writes=%u expected 2 (repeated by save/restore, bug reproduced)",
				      g_dev.port7e_writes);
		} else if (g_expect == EXP_CLEAN) {
			check(g_dev.port7e_writes == 1 && g_dev.port_writes == 1,
			      "port 0x7e writes=%u port 0xE1 writes=%u expected 1 and 1 (nothing owed natively)",
			      g_dev.port7e_writes, g_dev.port_writes);
		} else {
			/* an emulated OUT owes nothing, a fast one repeats */
			say("port 0x7e writes=%u: OK (information)", g_dev.port7e_writes);
		}
	}
	vm_destroy(&vm);
}

/* ---- out, mmio_write ---- */

static void sc_write_save_restore(int mmio)
{
	struct vm vm;
	uint32_t f15;
	unsigned w;
	int right;

	new_vm(&vm, mmio ? "mmio_write" : "out");
	if (mmio) {
		run_expect(&vm, KVM_EXIT_MMIO, "MMIO write");
		if (!vm.run->mmio.is_write) die("MMIO exit is a read");
	} else {
		run_expect(&vm, KVM_EXIT_IO, "OUT");
		if (vm.run->io.direction != KVM_EXIT_IO_OUT) die("IO exit is not an OUT");
	}
	f15 = flag15(&vm);
	dev_handle(&g_dev, vm.run);
	if (g_expect == EXP_FIXED)
		check(f15 == 1, "bit 15 at the %s exit=%u expected 1", mmio ? "MMIO write" : "OUT", f15);
	else if (no_shim())
		check(f15 == (uint32_t)g_native, "bit 15 at the %s exit=%u expected %d (no shim)", mmio ? "MMIO write" : "OUT", f15, g_native);
	save_restore(&vm);
	run_to_hlt(&vm);

	if (mmio) {
		w = g_dev.mmio_writes;
		uint32_t v0 = 0;
		if (w >= 1) memcpy(&v0, g_dev.mmio_wr[0].data, 4);
		right = w >= 1 && g_dev.mmio_wr[0].addr == MMIO_WR_BASE && g_dev.mmio_wr[0].len == 4 &&
			v0 == 0xCAFEBABE;
		for (unsigned i = 0; i < w && i < DEV_LOG; i++) {
			uint32_t v = 0;
			memcpy(&v, g_dev.mmio_wr[i].data, 4);
			say("MMIO write %u: addr=0x%llx len=%u value=0x%08x", i + 1,
			    (unsigned long long)g_dev.mmio_wr[i].addr, g_dev.mmio_wr[i].len, v);
		}
	} else {
		w = g_dev.port_writes;
		right = w >= 1 && g_dev.port_wval[0] == 0x5A;
		for (unsigned i = 0; i < w && i < DEV_LOG; i++)
			say("port write %u: value=0x%02x", i + 1, g_dev.port_wval[i]);
	}
	const char *what = mmio ? "mmio writes" : "port writes";
	const char *val = mmio ? "0xcafebabe" : "0x5a";
	if (g_expect == EXP_FIXED || g_expect == EXP_CLEAN) {
		check(w == 1 && right, "%s=%u expected 1 write of %s", what, w, val);
	} else if (g_expect == EXP_CONTROL_BUG) {
		if (w == 1 && right)
			fail("CONTROL DID NOT REPRODUCE: %s=%u value %s: the write was not duplicated or lost; update the expectations", what, w, val);
		else
			check(w == 2 || w == 0, "%s=%u expected 2 (duplicated by save/restore) or 0 (lost) (bug reproduced)", what, w);
	} else if (g_expect == EXP_CONTROL) {
		if (w == 1 && right)
			say("%s=%u value %s: no duplicate on this kernel (the write was finished at the exit): OK (information)", what, w, val);
		else if (w == 2)
			say("%s=%u: the write was DUPLICATED by save/restore on this kernel (e.g. SVM fast PIO): OK (information)", what, w);
		else
			say("%s=%u right=%d: unusual result, reported only: OK (information)", what, w, right);
	} else {
		verdict("%s=%u -> %s", what, w,
			w == 1 && right ? "correct: the write reached the device once" :
			w == 2 ? "BUG: the write was performed twice" : "unusual result");
	}
	vm_destroy(&vm);
}

/* ---- getset_in, getset_mmio ---- */

static void sc_getset(int mmio)
{
	struct vm vm;
	struct kvm_regs r;
	unsigned got, want, old, reads, reason;
	uint32_t exit = mmio ? KVM_EXIT_MMIO : KVM_EXIT_IO;

	new_vm(&vm, mmio ? "mmio_read" : "in");
	if (mmio)
		run_expect(&vm, KVM_EXIT_MMIO, "MMIO read");
	else
		run_expect(&vm, KVM_EXIT_IO, "IN");
	dev_handle(&g_dev, vm.run);
	/* A VMM that inspects and writes back registers at an exit (a monitor,
	 * a debugger stub) with identical values. */
	vm_get_regs(&vm, &r);
	/* The library completed there (x86: no double-completion guard):
	 * exit_reason is what the kernel's completing KVM_RUN leaves: the
	 * exit's own after an immediate exit; KVM_EXIT_INTR where only a
	 * signal can stop it (before 4.11: vcpu_run's signal check sets it). */
	reason = vm.run->exit_reason;
	if (g_expect != EXP_DEMO) {
		uint32_t left = exit;
		if (g_expect == EXP_FIXED && ioctl(g_kvm, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
			left = KVM_EXIT_INTR;
		check(reason == left, "exit_reason after GET_REGS=%u expected %u (as the kernel left it)", reason, left);
	}
	say("GET_REGS at the pending %s: rax=0x%llx rip=0x%llx", mmio ? "MMIO read" : "IN",
	    (unsigned long long)r.rax, (unsigned long long)r.rip);
	vm_set_regs(&vm, &r);
	run_to_hlt(&vm);
	vm_get_regs(&vm, &r);
	got = mmio ? (unsigned)r.rax : (unsigned)(r.rax & 0xff);
	want = port_value(1);
	old = mmio ? 0x99999999u : 0x99u;
	reads = mmio ? g_dev.mmio_reads : g_dev.port_reads;
	if (g_expect == EXP_FIXED || g_expect == EXP_CLEAN) {
		check(got == want && reads == 1, "reads=%u guest saw=0x%x expected reads=1 value=0x%x",
		      reads, got, want);
	} else if (no_shim()) {
		if (got == want)
			fail("CONTROL DID NOT REPRODUCE: %s: reads=%u guest saw=0x%x (expected the old value 0x%x); this kernel keeps the result across GET/SET_REGS; update the expectations",
			     mmio ? "getset_mmio" : "getset_in", reads, got, old);
		else
			check(got == old, "reads=%u guest saw=0x%x expected the old register value 0x%x (result lost, bug reproduced)",
			      reads, got, old);
	} else {
		verdict("after GET_REGS+SET_REGS the guest saw 0x%x (device reads=%u) -> %s", got, reads,
			got == want ? "correct: the answered value arrived" :
			got == old ? "BUG: the answered value was lost" : "inconsistent");
	}
	vm_destroy(&vm);
}

/* ---- split_read, split_write ---- */

static void sc_split(int write)
{
	struct vm vm;
	struct kvm_regs r;
	const uint64_t base = write ? MMIO_WR_BASE : MMIO_RD_BASE;
	const uint64_t a1 = base + 0xffe, a2 = base + 0x1000;
	uint32_t f1, f2 = 0;
	int ret, e, second_exit = 0;

	new_vm(&vm, write ? "split_write" : "split_read");
	run_expect(&vm, KVM_EXIT_MMIO, "first half of the straddling access");
	f1 = flag15(&vm);
	say("first exit: MMIO %s addr=0x%llx len=%u bit15=%u", vm.run->mmio.is_write ? "write" : "read",
	    (unsigned long long)vm.run->mmio.phys_addr, vm.run->mmio.len, f1);
	if (vm.run->mmio.phys_addr != a1 || vm.run->mmio.len != 2 || vm.run->mmio.is_write != write)
		die("first half is not a 2-byte %s at 0x%llx", write ? "write" : "read",
		    (unsigned long long)a1);
	dev_handle(&g_dev, vm.run);
	vm_get_regs(&vm, &r);
	say("GET_REGS after answering the first half: rip=0x%llx", (unsigned long long)r.rip);

	ret = vm_run(&vm);
	e = errno;
	if (ret < 0) {
		say("next KVM_RUN returned -1 %s", errname(e));
		if (e != EINTR) die("KVM_RUN");
	} else {
		f2 = flag15(&vm);
		if (f2) g_flag15_seen++;
		say("next KVM_RUN returned 0: exit %s addr=0x%llx len=%u %s bit15=%u",
		    exit_name(vm.run->exit_reason), (unsigned long long)vm.run->mmio.phys_addr,
		    vm.run->mmio.len, vm.run->mmio.is_write ? "write" : "read", f2);
		second_exit = vm.run->exit_reason == KVM_EXIT_MMIO && vm.run->mmio.phys_addr == a2 &&
			      vm.run->mmio.len == 2 && vm.run->mmio.is_write == write;
		if (vm.run->exit_reason == KVM_EXIT_MMIO)
			dev_handle(&g_dev, vm.run);
		else if (vm.run->exit_reason != KVM_EXIT_HLT && !dev_handle(&g_dev, vm.run))
			die("unexpected exit %s", exit_name(vm.run->exit_reason));
	}
	if (!(ret == 0 && vm.run->exit_reason == KVM_EXIT_HLT))
		run_to_hlt(&vm);
	vm_get_regs(&vm, &r);

	/* What the device saw, half by half. */
	unsigned cnt = write ? g_dev.mmio_writes : g_dev.mmio_reads;
	const struct mmio_access *log = write ? g_dev.mmio_wr : g_dev.mmio_rd;
	for (unsigned i = 0; i < cnt && i < DEV_LOG; i++)
		say("device %s %u: addr=0x%llx len=%u data=%02x %02x", write ? "write" : "read", i + 1,
		    (unsigned long long)log[i].addr, log[i].len, log[i].data[0], log[i].data[1]);
	int halves_ok = cnt == 2 && log[0].addr == a1 && log[0].len == 2 && log[1].addr == a2 &&
			log[1].len == 2;
	int data_ok;
	unsigned guest = (unsigned)r.rax;
	if (write)
		data_ok = halves_ok && log[0].data[0] == 0x11 && log[0].data[1] == 0x22 &&
			  log[1].data[0] == 0x33 && log[1].data[1] == 0x44;
	else
		data_ok = guest == 0x00420041u;

	if (g_expect == EXP_FIXED) {
		check(ret == 0 && second_exit, "KVM_RUN after GET_REGS returned %d with the second-half exit=%d expected 0 and a %s at 0x%llx len 2",
		      ret, second_exit, write ? "write" : "read", (unsigned long long)a2);
		check(f2 == 1, "bit 15 on the second-half exit=%u expected 1", f2);
		check(halves_ok, "device accesses=%u expected 2 (one per half, 0x%llx and 0x%llx)", cnt,
		      (unsigned long long)a1, (unsigned long long)a2);
		if (write)
			check(data_ok, "device bytes=%02x %02x | %02x %02x expected 11 22 | 33 44",
			      log[0].data[0], log[0].data[1], cnt > 1 ? log[1].data[0] : 0,
			      cnt > 1 ? log[1].data[1] : 0);
		else
			check(data_ok, "guest saw=0x%08x expected 0x00420041", guest);
	} else if (no_shim()) {
		say("second-half exit from the next KVM_RUN=%d, device accesses=%u, %s", second_exit, cnt,
		    write ? (data_ok ? "bytes 11 22 | 33 44" : "bytes wrong") :
		    (data_ok ? "guest saw 0x00420041" : "guest value wrong"));
		if (g_native)
			check(f1 == 1 && (ret < 0 || f2 == 1), "bit 15 on the halves=%u,%u expected 1 (native flag)", f1, f2);
		else
			check(f1 == 0 && g_flag15_seen == 0, "bit 15 set on %u exits expected never (no shim)",
			      g_flag15_seen);
		if (g_expect == EXP_CLEAN)
			check(second_exit && halves_ok && data_ok, "second half delivered=%d, one access per half=%d, data right=%d expected all 1",
			      second_exit, halves_ok, data_ok);
	} else {
		verdict("second half %s; device accesses=%u; %s", second_exit ? "delivered by the next KVM_RUN" : "not seen as a separate exit",
			cnt, data_ok ? "data right" : "data WRONG");
	}
	vm_destroy(&vm);
}

/* ---- flags ---- */

static void sc_flags(void)
{
	struct vm vm;
	uint32_t fin, fmmio, fmsr, fhlt, fself;
	uint32_t want = g_expect == EXP_FIXED ? 1 : (uint32_t)g_native;

	new_vm(&vm, "flags");
	if (!vm.msr_how) skip("the flags guest needs user-space MSR exits (KVM_CAP_X86_USER_SPACE_MSR, 5.10+)");
	run_expect(&vm, KVM_EXIT_IO, "IN");
	fin = flag15(&vm);
	dev_handle(&g_dev, vm.run);
	run_expect(&vm, KVM_EXIT_MMIO, "MMIO read");
	fmmio = flag15(&vm);
	dev_handle(&g_dev, vm.run);
	run_expect(&vm, KVM_EXIT_X86_RDMSR, "RDMSR");
	fmsr = flag15(&vm);
	dev_handle(&g_dev, vm.run);
	run_expect(&vm, KVM_EXIT_HLT, "first HLT");
	fhlt = flag15(&vm);
	/* A VMM that leaves stale bits (or writes flags) must not see bit 15 on
	 * an exit with nothing pending. */
	vm.run->flags |= F15;
	run_expect(&vm, KVM_EXIT_HLT, "second HLT");
	fself = flag15(&vm);

	if (g_expect == EXP_DEMO) {
		verdict("bit 15 after IN=%u MMIO read=%u RDMSR=%u HLT=%u HLT-after-VMM-set=%u -> %s",
			fin, fmmio, fmsr, fhlt, fself,
			fin && fmmio && fmsr && !fhlt && !fself ? "flag reports pending completions" :
			!fin && !fmmio && !fmsr && !fhlt && !fself ? "flag never set (kernel without the flag)" :
			"inconsistent");
	} else {
		check(fin == want, "bit 15 after IN exit=%u expected %u", fin, want);
		check(fmmio == want, "bit 15 after MMIO read exit=%u expected %u", fmmio, want);
		check(fmsr == want, "bit 15 after RDMSR exit=%u expected %u", fmsr, want);
		check(fhlt == 0, "bit 15 after HLT exit=%u expected 0", fhlt);
		if (g_expect == EXP_CONTROL_BUG) /* a kernel that never clears flags */
			check(fself == 1, "bit 15 after a HLT exit when the VMM had set it before KVM_RUN=%u expected 1 (stale, kernel leaves flags alone)", fself);
		else
			check(fself == 0, "bit 15 after a HLT exit when the VMM had set it before KVM_RUN=%u expected 0", fself);
	}
	vm_destroy(&vm);
}

/* ---- cap ---- */

static void sc_cap(void)
{
	struct vm vm;
	struct kvm_enable_cap cap;
	int c1, c2, r, e;
	int want = g_expect == EXP_FIXED ? 1 : g_native;
	const char *ver = shim_version();

	new_vm(&vm, "in");
	c1 = ioctl(g_kvm, KVM_CHECK_EXTENSION, CAP_NEEDS_COMPLETION);
	c2 = ioctl(vm.fd, KVM_CHECK_EXTENSION, CAP_NEEDS_COMPLETION);
	memset(&cap, 0, sizeof(cap));
	cap.cap = CAP_NEEDS_COMPLETION;
	errno = 0;
	r = ioctl(vm.fd, KVM_ENABLE_CAP, &cap);
	e = errno;
	say("kvmcompl_version=%s", ver ? ver : "(not loaded)");
	if (g_expect == EXP_DEMO) {
		verdict("KVM_CHECK_EXTENSION(239): /dev/kvm=%d VM=%d; KVM_ENABLE_CAP(239)=%d %s -> %s",
			c1, c2, r, r < 0 ? errname(e) : "", c1 == 1 && c2 == 1 ? "capability advertised" :
			"capability not advertised");
	} else {
		check(c1 == want, "KVM_CHECK_EXTENSION(239) on /dev/kvm=%d expected %d", c1, want);
		check(c2 == want, "KVM_CHECK_EXTENSION(239) on the VM fd=%d expected %d", c2, want);
		check(r == -1 && e == EINVAL, "KVM_ENABLE_CAP(239) on the VM fd returned %d %s expected -1 EINVAL",
		      r, r < 0 ? errname(e) : "");
	}
	vm_destroy(&vm);
}

/* ---- vmm_immediate_exit ---- */

static void sc_vmm_immediate_exit(void)
{
	struct vm vm;
	struct kvm_regs r;
	int ret, e;
	unsigned ie, al;
	uint64_t rip;
	uint64_t after = CODE_ADDR + (uint64_t)(g_mode == MODE_REAL ?
		guest_real_in_after - guest_real_in_start : guest_long_in_after - guest_long_in_start);

	if (ioctl(g_kvm, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		skip("this kernel has no KVM_CAP_IMMEDIATE_EXIT (4.11+): a VMM cannot kick with it");
	new_vm(&vm, "in");
	run_expect(&vm, KVM_EXIT_IO, "IN");
	dev_handle(&g_dev, vm.run);
	vm.run->immediate_exit = 1;   /* the VMM's own request to exit at once */
	vm_get_regs(&vm, &r);
	ie = vm.run->immediate_exit;
	al = (unsigned)(r.rax & 0xff);
	rip = r.rip;
	errno = 0;
	ret = vm_run(&vm);
	e = errno;
	say("after GET_REGS: immediate_exit=%u rax=0x%llx rip=0x%llx (IN ends at 0x%llx); KVM_RUN returned %d %s",
	    ie, (unsigned long long)r.rax, (unsigned long long)r.rip, (unsigned long long)after, ret,
	    ret < 0 ? errname(e) : exit_name(vm.run->exit_reason));
	if (ret == 0) die("KVM_RUN with immediate_exit=1 returned 0 (exit %s)", exit_name(vm.run->exit_reason));
	vm.run->immediate_exit = 0;
	run_to_hlt(&vm);
	vm_get_regs(&vm, &r);
	unsigned fin = (unsigned)(r.rax & 0xff);

	if (g_expect == EXP_FIXED) {
		check(ie == 1, "immediate_exit after GET_REGS=%u expected 1 (VMM's value kept)", ie);
		check(al == port_value(1), "RAX low byte at GET_REGS=0x%02x expected 0x%02x (completed)",
		      al, port_value(1));
		check(rip == after, "RIP at GET_REGS=0x%llx expected 0x%llx (past the IN)",
		      (unsigned long long)rip, (unsigned long long)after);
		check(ret == -1 && e == EINTR, "KVM_RUN with immediate_exit=1 returned %d %s expected -1 EINTR",
		      ret, ret < 0 ? errname(e) : "");
		check(g_dev.port_reads == 1 && fin == port_value(1), "reads=%u guest saw=0x%02x expected reads=1 value=0x%02x",
		      g_dev.port_reads, fin, port_value(1));
	} else if (no_shim()) {
		say("no shim: GET_REGS saw rax low byte 0x%02x (%s); final reads=%u guest saw=0x%02x: OK (information)",
		    al, al == port_value(1) ? "completed" : "not completed yet", g_dev.port_reads, fin);
	} else {
		verdict("GET_REGS with the VMM's immediate_exit=1 saw %s; final reads=%u value=0x%02x",
			al == port_value(1) ? "the completed IN" : "the IN still pending", g_dev.port_reads, fin);
	}
	vm_destroy(&vm);
}

/* ---- scenario table and main ---- */

static void sc_in(void) { sc_read_save_restore("in", RD_IN, SR_PLAIN); }
static void sc_mmio_read(void) { sc_read_save_restore("mmio_read", RD_MMIO, SR_PLAIN); }
static void sc_rdmsr(void) { sc_read_save_restore("rdmsr", RD_MSR, SR_PLAIN); }
static void sc_insb(void) { sc_read_save_restore("insb", RD_INSB, SR_PLAIN); }
static void sc_out(void) { sc_write_save_restore(0); }
static void sc_mmio_write(void) { sc_write_save_restore(1); }
static void sc_getset_in(void) { sc_getset(0); }
static void sc_getset_mmio(void) { sc_getset(1); }
static void sc_split_read(void) { sc_split(0); }
static void sc_split_write(void) { sc_split(1); }
static void sc_complete_off(void) { sc_read_save_restore("complete_off", RD_IN, SR_COMPLETE_OFF); }
static void sc_explicit_api(void) { sc_read_save_restore("explicit_api", RD_IN, SR_EXPLICIT); }
static void sc_other_thread(void) { sc_read_save_restore("other_thread", RD_MMIO, SR_OTHER_THREAD); }
static void sc_race(void) { sc_read_save_restore("race", RD_IN, SR_RACE); }
static void sc_in_qemu_like(void) { sc_read_save_restore("in_qemu_like", RD_IN, SR_QEMU_LIKE); }
static void sc_mmio_read_qemu_like(void)
{
	sc_read_save_restore("mmio_read_qemu_like", RD_MMIO, SR_QEMU_LIKE);
}
static void sc_rdmsr_qemu_like(void) { sc_read_save_restore("rdmsr_qemu_like", RD_MSR, SR_QEMU_LIKE); }
static void sc_read_then_save_in(void) { sc_read_save_restore("read_then_save_in", RD_IN, SR_READ_FIRST); }
static void sc_read_then_save_mmio(void)
{
	sc_read_save_restore("read_then_save_mmio", RD_MMIO, SR_READ_FIRST);
}
static void sc_out7e_quirk(void) { sc_out7e(0); }
static void sc_out7e_noquirk(void) { sc_out7e(1); }
static void sc_in_repeat(void)
{
	for (int i = 0; i < 3; i++) {
		memset(&g_dev, 0, sizeof(g_dev));
		if (i < 2)
			sc_read_save_restore("in_repeat", RD_IN, SR_PLAIN);
		else
			sc_getset(0);
	}
}
/* The first VM's fds are made behind the shim's back, so it must identify
 * the vCPU fd when it first meets it (inherited or passed fds). */
static void sc_inherited(void)
{
	vm_raw_create = 1;
	sc_read_save_restore("inherited", RD_IN, SR_PLAIN);
}

static const struct {
	const char *name;
	void (*fn)(void);
} scenarios[] = {
	{ "in", sc_in },
	{ "mmio_read", sc_mmio_read },
	{ "rdmsr", sc_rdmsr },
	{ "out", sc_out },
	{ "mmio_write", sc_mmio_write },
	{ "insb", sc_insb },
	{ "getset_in", sc_getset_in },
	{ "getset_mmio", sc_getset_mmio },
	{ "split_read", sc_split_read },
	{ "split_write", sc_split_write },
	{ "flags", sc_flags },
	{ "cap", sc_cap },
	{ "vmm_immediate_exit", sc_vmm_immediate_exit },
	{ "complete_off", sc_complete_off },
	{ "explicit_api", sc_explicit_api },
	{ "inherited", sc_inherited },
	{ "other_thread", sc_other_thread },
	{ "race", sc_race },
	{ "in_qemu_like", sc_in_qemu_like },
	{ "mmio_read_qemu_like", sc_mmio_read_qemu_like },
	{ "rdmsr_qemu_like", sc_rdmsr_qemu_like },
	{ "in_repeat", sc_in_repeat },
	{ "ucall_in", sc_ucall_in },
	{ "insb_edit", sc_insb_edit },
	{ "read_then_save_in", sc_read_then_save_in },
	{ "read_then_save_mmio", sc_read_then_save_mmio },
	{ "out7e", sc_out7e_quirk },
	{ "out7e_noquirk", sc_out7e_noquirk },
};
#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

static int usage(void)
{
	fprintf(stderr, "usage: legacy-vmm SCENARIO real|long fixed|control|control-bug|control-clean|demo\n"
			"       legacy-vmm list\n");
	return 99;
}

int main(int argc, char **argv)
{
	void (*fn)(void) = NULL;
	const char *why;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "list")) {
		for (size_t i = 0; i < NSCEN; i++) puts(scenarios[i].name);
		return 0;
	}
	if (argc != 4) return usage();
	for (size_t i = 0; i < NSCEN; i++)
		if (!strcmp(argv[1], scenarios[i].name)) fn = scenarios[i].fn;
	if (!fn) { fprintf(stderr, "legacy-vmm: unknown scenario %s\n", argv[1]); return usage(); }
	if (!strcmp(argv[2], "real")) g_mode = MODE_REAL;
	else if (!strcmp(argv[2], "long")) g_mode = MODE_LONG;
	else { fprintf(stderr, "legacy-vmm: unknown mode %s\n", argv[2]); return usage(); }
	if (!strcmp(argv[3], "fixed")) g_expect = EXP_FIXED;
	else if (!strcmp(argv[3], "control")) g_expect = EXP_CONTROL;
	else if (!strcmp(argv[3], "control-bug")) g_expect = EXP_CONTROL_BUG;
	else if (!strcmp(argv[3], "control-clean")) g_expect = EXP_CLEAN;
	else if (!strcmp(argv[3], "demo")) g_expect = EXP_DEMO;
	else { fprintf(stderr, "legacy-vmm: unknown expectation %s\n", argv[3]); return usage(); }
	snprintf(g_tag, sizeof(g_tag), "%s/%s", argv[1], argv[2]);

	g_kvm = kvm_open();
	if (g_kvm < 0) {
		fprintf(stderr, "legacy-vmm: SKIP: cannot open /dev/kvm: %s\n", strerror(errno));
		return 77;
	}
	why = probe_kvm(g_kvm);
	if (why) {
		fprintf(stderr, "legacy-vmm: SKIP: /dev/kvm cannot run a trivial guest: %s (%s)\n", why,
			strerror(errno));
		return 77;
	}
	if (no_shim())
		g_native = ioctl(g_kvm, KVM_CHECK_EXTENSION, CAP_NEEDS_COMPLETION) == 1;
	fn();
	close(g_kvm);
	/* Under the kernel double: its per-vCPU completion counters. */
	{
		void *p = dlsym(RTLD_DEFAULT, "kdouble_report");
		unsigned (*report)(void);
		if (p) {
			memcpy(&report, &p, sizeof(report));
			if (report() && g_expect != EXP_DEMO && !(g_expect == EXP_CONTROL || g_expect == EXP_CONTROL_BUG)) {
				printf("%s: the kernel double counted a DOUBLE COMPLETION or a guest run under an ignored immediate_exit: FAIL\n", g_tag);
				g_failed = 1;
			}
		}
	}
	if (g_expect == EXP_DEMO) return 0;
	return g_failed ? 1 : 0;
}
