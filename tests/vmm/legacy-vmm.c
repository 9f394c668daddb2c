/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * legacy-vmm: a small "legacy" VMM used as the real-KVM integration test of
 * libkvmcompl.  It drives /dev/kvm directly (one VM, one memory slot, one
 * vCPU, real or long mode) and, like a VMM written before the proposed
 * KVM_RUN_NEEDS_COMPLETION flag, knows nothing about pending completions:
 * it answers an exit in kvm_run and may then save the vCPU without
 * re-entering KVM_RUN.  Run without the shim it shows the kernel's bug;
 * run under LD_PRELOAD=libkvmcompl.so it must behave correctly.
 *
 * Usage: legacy-vmm SCENARIO MODE EXPECT
 *        legacy-vmm list [--tag T]... [--no-tag T]... [--field F]
 *          the scenarios with all those tags and none of the --no-tag ones
 *          (scenarios.c); F: name, or NAME=VALUE of control, env, breaks, tags
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
 * Scenarios: the registry (scenarios.c: name, tags, expectations; `legacy-vmm
 * list`) and, by concern, sc-snapshot.c (save/restore and same-VM reads),
 * sc-threads.c (other_thread, race), sc-answer.c (answer-aware
 * completion), sc-api.c (flags, cap, immediate_exit, the C API); each file
 * describes its scenarios.
 */
#define _GNU_SOURCE
#include "legacy-vmm.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* The guest programs (guest-real.S, guest-long.S). */
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

enum vm_mode g_mode;
enum expect g_expect;
int g_kvm = -1;
static char g_tag[64];
struct devices g_dev;
unsigned g_flag15_seen;   /* exits returned with bit 15 set */
int g_native;             /* no shim, and the kernel flags natively */

/* Runs without the shim: the kernel's own behaviour is asserted. */
int no_shim(void)
{
	return g_expect == EXP_CONTROL || g_expect == EXP_CONTROL_BUG || g_expect == EXP_CLEAN;
}

/* Under the kernel double its counters come first, so a skip's reason
 * stays the last line (the TAP SKIP text). */
static void kdouble_counters(void)
{
	void *p = dlsym(RTLD_DEFAULT, "kdouble_report");
	unsigned (*report)(void);
	if (p) {
		memcpy(&report, &p, sizeof(report));
		report();
	}
}

/* ---- reporting (tests/common/tap.h; demo runs print verdicts only) ---- */

void verdict(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void verdict(const char *fmt, ...)
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

void new_vm(struct vm *vm, const char *guest)
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

uint32_t flag15(const struct vm *vm)
{
	return (vm->k.run->flags & F15) ? 1 : 0;
}

/* One KVM_RUN that must stop at the given exit. */
void run_expect(struct vm *vm, uint32_t reason, const char *what)
{
	vm_run_ok(vm);
	if (flag15(vm)) g_flag15_seen++;
	if (vm->k.run->exit_reason != reason)
		die("expected a %s exit (%s), got exit %u (%s)", kt_exit_name(reason), what,
		    vm->k.run->exit_reason, kt_exit_name(vm->k.run->exit_reason));
}

void run_to_hlt(struct vm *vm)
{
	for (int i = 0; i < 1000; i++) {
		vm_run_ok(vm);
		if (flag15(vm)) g_flag15_seen++;
		if (vm->k.run->exit_reason == KVM_EXIT_HLT) return;
		if (!dev_handle(&g_dev, vm->k.run)) {
			if (vm->k.run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
				die("KVM_EXIT_INTERNAL_ERROR suberror %u", vm->k.run->internal.suberror);
			die("unexpected exit %u (%s)", vm->k.run->exit_reason,
			    kt_exit_name(vm->k.run->exit_reason));
		}
	}
	die("guest did not reach HLT after 1000 exits");
}

/* Save the vCPU and RAM, close the VM, restore into a new VM. */
void save_restore(struct vm *vm)
{
	struct vcpu_state st;
	vm_save(vm, &st);
	vm_destroy(vm);
	vm_create(vm, g_kvm, g_mode);
	vm_setup_msr(vm);  /* MSR routing is VM state the VMM must redo */
	vm_restore(vm, &st);
	state_free(&st);
}

typedef const char *(*version_fn)(void);

complete_fn find_complete(void)
{
	void *p = dlsym(RTLD_DEFAULT, "kvmcompl_complete");
	complete_fn f;
	memcpy(&f, &p, sizeof(f));
	return f;
}

const char *shim_version(void)
{
	void *p = dlsym(RTLD_DEFAULT, "kvmcompl_version");
	version_fn f;
	if (!p) return NULL;
	memcpy(&f, &p, sizeof(f));
	return f();
}

/* The library's completions on this vCPU, or -1 without the library. */
long shim_completions(int vcpu)
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
void check_completions(int vcpu, long want, const char *where)
{
	long c = shim_completions(vcpu);

	if (g_expect == EXP_FIXED)
		check(c == want, "library completions %s=%ld expected %ld", where, c, want);
	else if (c >= 0)
		fail("the library is loaded in a run without it (completions=%ld)", c);
}

static int usage(void)
{
	fprintf(stderr, "usage: legacy-vmm SCENARIO real|long fixed|control|control-bug|control-clean|demo\n"
			"       legacy-vmm list [--tag T]... [--no-tag T]... [--field name|control|env|breaks|tags]\n");
	return 99;
}

int main(int argc, char **argv)
{
	const struct scenario *sc;
	const char *why;

	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_prog = "legacy-vmm";
	if (argc >= 2 && !strcmp(argv[1], "list"))
		return list_scenarios(argc, argv);
	if (argc != 4) return usage();
	sc = find_scenario(argv[1]);
	if (!sc) { fprintf(stderr, "legacy-vmm: unknown scenario %s\n", argv[1]); return usage(); }
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
	tap_tag = g_tag;
	tap_quiet = g_expect == EXP_DEMO;
	tap_before_exit = kdouble_counters;

	g_kvm = kt_open(1);
	if (g_kvm < 0)
		skip("cannot open /dev/kvm: %s", strerror(errno));
	why = probe_kvm(g_kvm);
	if (why)
		skip("/dev/kvm cannot run a trivial guest: %s (%s)", why, strerror(errno));
	if (no_shim())
		g_native = ioctl(g_kvm, KVM_CHECK_EXTENSION, CAP_NEEDS_COMPLETION) == 1;
	sc->fn();
	close(g_kvm);
	/* Under the kernel double: its per-vCPU completion counters. */
	{
		void *p = dlsym(RTLD_DEFAULT, "kdouble_report");
		unsigned (*report)(void);
		if (p) {
			memcpy(&report, &p, sizeof(report));
			if (report() && g_expect != EXP_DEMO && !(g_expect == EXP_CONTROL || g_expect == EXP_CONTROL_BUG))
				fail("the kernel double counted a DOUBLE COMPLETION or a guest run under an ignored immediate_exit");
		}
	}
	if (g_expect == EXP_DEMO) return 0;
	return tap_status();
}
