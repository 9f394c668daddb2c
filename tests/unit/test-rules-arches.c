/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-architecture tables, every one of kc_all_rules[]: each must have
 * its expectations here (which requests it knows and how it classes them,
 * which exits it flags, its default capability), so a table added without
 * them fails. Request NUMBERS are written once, in the tables, and checked
 * against each architecture's own <linux/kvm.h> by test-native-arch.c (make
 * check here, make check-cross for arm64, ppc64el, riscv64, s390x and
 * mips64el); here requests are found by name. loongarch has no cross
 * compiler in this Debian release: its numbers are checked below against
 * values worked out by hand from torvalds/linux
 * arch/loongarch/include/uapi/asm/kvm.h. */
#include <string.h>
#include <linux/kvm.h>

#include "compat.h"
#include "rules.h"
#include "unit.h"

#define N(a) (sizeof (a) / sizeof *(a))

static const char *const x86_triggers[] = {
	"KVM_GET_REGS", "KVM_SET_REGS", "KVM_GET_SREGS", "KVM_SET_SREGS", "KVM_GET_MSRS",
	"KVM_SET_MSRS", "KVM_GET_FPU", "KVM_SET_FPU", "KVM_GET_LAPIC", "KVM_SET_LAPIC",
	"KVM_GET_MP_STATE", "KVM_SET_MP_STATE", "KVM_GET_VCPU_EVENTS", "KVM_SET_VCPU_EVENTS",
	"KVM_GET_DEBUGREGS", "KVM_SET_DEBUGREGS", "KVM_GET_XSAVE", "KVM_SET_XSAVE",
	"KVM_GET_XSAVE2", "KVM_GET_XCRS", "KVM_SET_XCRS", "KVM_GET_ONE_REG", "KVM_SET_ONE_REG",
	"KVM_GET_NESTED_STATE", "KVM_SET_NESTED_STATE", "KVM_GET_SREGS2", "KVM_SET_SREGS2",
	"KVM_SET_DEVICE_ATTR", "KVM_GET_DEVICE_ATTR",
};
/* Exit protocol or no guest state (doc/kernel-rules.md, x86) */
static const char *const x86_protocol[] = {
	"KVM_TRANSLATE", "KVM_INTERRUPT", "KVM_NMI", "KVM_SMI", "KVM_X86_SET_MCE",
	"KVM_SET_SIGNAL_MASK", "KVM_SET_GUEST_DEBUG", "KVM_KVMCLOCK_CTRL", "KVM_GET_REG_LIST",
	"KVM_HAS_DEVICE_ATTR", "KVM_XEN_VCPU_GET_ATTR", "KVM_XEN_VCPU_SET_ATTR",
	"KVM_SET_TSC_KHZ", "KVM_GET_TSC_KHZ", "KVM_GET_CPUID2", "KVM_SET_CPUID2",
};

static const char *const arm64_triggers[] = {
	"KVM_GET_MP_STATE", "KVM_SET_MP_STATE", "KVM_GET_ONE_REG", "KVM_SET_ONE_REG",
	"KVM_SET_DEVICE_ATTR", "KVM_GET_DEVICE_ATTR", "KVM_GET_VCPU_EVENTS",
	"KVM_SET_VCPU_EVENTS", "KVM_ARM_VCPU_INIT",
};
static const char *const arm64_protocol[] = {
	"KVM_SET_SIGNAL_MASK", "KVM_SET_GUEST_DEBUG", "KVM_GET_REG_LIST",
	"KVM_HAS_DEVICE_ATTR",
};

static const char *const powerpc_triggers[] = {
	"KVM_GET_REGS", "KVM_SET_REGS", "KVM_GET_SREGS", "KVM_SET_SREGS", "KVM_GET_ONE_REG",
	"KVM_SET_ONE_REG",
};
static const char *const powerpc_protocol[] = {
	"KVM_TRANSLATE", "KVM_INTERRUPT", "KVM_SET_SIGNAL_MASK", "KVM_SET_GUEST_DEBUG",
};

static const char *const riscv_triggers[] = {
	"KVM_GET_MP_STATE", "KVM_SET_MP_STATE", "KVM_GET_ONE_REG", "KVM_SET_ONE_REG",
};
static const char *const riscv_protocol[] = {
	"KVM_INTERRUPT", "KVM_SET_SIGNAL_MASK", "KVM_SET_GUEST_DEBUG", "KVM_GET_REG_LIST",
};

static const char *const loongarch_triggers[] = {
	"KVM_GET_REGS", "KVM_SET_REGS", "KVM_GET_FPU", "KVM_SET_FPU", "KVM_GET_MP_STATE",
	"KVM_SET_MP_STATE", "KVM_GET_ONE_REG", "KVM_SET_ONE_REG", "KVM_SET_DEVICE_ATTR",
	"KVM_GET_DEVICE_ATTR",
};
static const char *const loongarch_protocol[] = {
	"KVM_INTERRUPT", "KVM_SET_SIGNAL_MASK", "KVM_SET_GUEST_DEBUG", "KVM_HAS_DEVICE_ATTR",
};

static const char *const mips_triggers[] = {
	"KVM_GET_REGS", "KVM_SET_REGS", "KVM_GET_ONE_REG", "KVM_SET_ONE_REG",
};
static const char *const mips_protocol[] = {
	"KVM_INTERRUPT", "KVM_SET_SIGNAL_MASK", "KVM_SET_GUEST_DEBUG", "KVM_GET_REG_LIST",
};

static const char *const s390_triggers[] = {
	"KVM_GET_REGS", "KVM_SET_REGS", "KVM_GET_SREGS", "KVM_SET_SREGS", "KVM_GET_FPU",
	"KVM_SET_FPU", "KVM_GET_MP_STATE", "KVM_SET_MP_STATE", "KVM_GET_ONE_REG",
	"KVM_SET_ONE_REG", "KVM_S390_STORE_STATUS", "KVM_S390_SET_INITIAL_PSW",
	"KVM_S390_INITIAL_RESET", "KVM_S390_NORMAL_RESET", "KVM_S390_CLEAR_RESET",
	"KVM_S390_GET_IRQ_STATE", "KVM_S390_SET_IRQ_STATE",
};
static const char *const s390_protocol[] = {
	"KVM_SET_SIGNAL_MASK", "KVM_SET_GUEST_DEBUG", "KVM_S390_IRQ", "KVM_S390_INTERRUPT",
};

/* Exits flagged in both directions (exits) and for reads only (reads). */
/* x86: HYPERV only for HCALL, tested apart (test-rules.c) */
static const unsigned int x86_exits[] = {
	KVM_EXIT_IO, KVM_EXIT_MMIO, KVM_EXIT_X86_RDMSR, KVM_EXIT_X86_WRMSR, KVM_EXIT_HYPERCALL,
	KVM_EXIT_XEN, KVM_EXIT_TDX, KVM_EXIT_SNP_REQ_CERTS, KVM_EXIT_X86_BUS_LOCK,
};
/* MMIO reads AND writes: kvm_handle_mmio_return advances PC for both */
static const unsigned int arm64_exits[] = { KVM_EXIT_MMIO };
/* MMIO stores too: split VSX/VMX stores continue in the completion */
static const unsigned int powerpc_exits[] = {
	KVM_EXIT_MMIO, KVM_EXIT_OSI, KVM_EXIT_PAPR_HCALL, KVM_EXIT_EPR, KVM_EXIT_DCR,
};
static const unsigned int riscv_exits[] = { KVM_EXIT_MMIO, KVM_EXIT_RISCV_SBI, KVM_EXIT_RISCV_CSR };
static const unsigned int loongarch_exits[] = { KVM_EXIT_HYPERCALL };
static const unsigned int loongarch_reads[] = { KVM_EXIT_MMIO, KVM_EXIT_LOONGARCH_IOCSR };
static const unsigned int mips_reads[] = { KVM_EXIT_MMIO };

#define LIST(a) a, N(a)
#define NONE NULL, 0
static const struct expectation {
	const char *arch;
	const char *const *trig; size_t n_trig;
	const char *const *proto; size_t n_proto;
	const unsigned int *exits; size_t n_exits;
	const unsigned int *reads; size_t n_reads;
	unsigned int default_cap; /* 0: none (arm64: 239 is another capability) */
} expect[] = {
	{ "x86", LIST(x86_triggers), LIST(x86_protocol), LIST(x86_exits), NONE, 239 },
	{ "arm64", LIST(arm64_triggers), LIST(arm64_protocol), LIST(arm64_exits), NONE, 0 },
	{ "powerpc", LIST(powerpc_triggers), LIST(powerpc_protocol), LIST(powerpc_exits), NONE, 239 },
	{ "riscv", LIST(riscv_triggers), LIST(riscv_protocol), LIST(riscv_exits), NONE, 239 },
	{ "loongarch", LIST(loongarch_triggers), LIST(loongarch_protocol), LIST(loongarch_exits),
	  LIST(loongarch_reads), 239 },
	{ "mips", LIST(mips_triggers), LIST(mips_protocol), NONE, LIST(mips_reads), 239 },
	/* s390: nothing owes a completion (kernel-rules.md, s390) */
	{ "s390", LIST(s390_triggers), LIST(s390_protocol), NONE, NONE, 239 },
};

static const struct kc_arch_rules *arch(const char *name)
{
	const struct kc_arch_rules *r = kc_rules_by_name(name);

	ck_assert_msg(r != NULL, "no rules for %s", name);
	return r;
}

START_TEST(every_table_is_reachable_by_name)
{
	const char *names[] = { "x86", "arm64", "powerpc", "riscv", "loongarch", "mips", "s390" };
	size_t n = 0;

	for (size_t i = 0; i < N(names); i++)
		ck_assert_str_eq(arch(names[i])->arch, names[i]);
	for (n = 0; kc_all_rules[n]; n++)
		ck_assert_ptr_eq(kc_rules_by_name(kc_all_rules[n]->arch), kc_all_rules[n]);
	ck_assert_uint_eq(n, N(names));
	ck_assert_ptr_eq(kc_rules_by_name("x86"), &kc_rules_x86);
	ck_assert_ptr_null(kc_rules_by_name("sparc"));
	ck_assert_ptr_null(kc_rules_by_name(NULL));
#if defined(__x86_64__) || defined(__i386__)
	ck_assert_ptr_eq(kc_native_rules, &kc_rules_x86);
	ck_assert_ptr_eq(kc_rules(), &kc_rules_x86);
#endif
}
END_TEST

static const struct kc_request *by_name(const struct kc_arch_rules *r, const char *name)
{
	for (size_t i = 0; i < r->n_requests; i++)
		if (!strcmp(r->requests[i].name, name))
			return &r->requests[i];
	return NULL;
}

static void check_requests(const struct kc_arch_rules *r, const char *const *names, size_t n,
			   enum kc_req_class class)
{
	for (size_t i = 0; i < n; i++) {
		const struct kc_request *q = by_name(r, names[i]);

		ck_assert_msg(q != NULL, "%s: %s is not in the table", r->arch, names[i]);
		ck_assert_msg(kc_request_class(r, q->request) == class, "%s: %s (%#x) is not %s",
			      r->arch, names[i], q->request,
			      class == KC_REQ_TRIGGER ? "a trigger" : "exit protocol");
		ck_assert_str_eq(kc_request_name(r, q->request), names[i]);
	}
}

static const struct kc_exit_rule *rule(const char *a, unsigned int reason, int is_write);
static void check_exits(const char *a, const unsigned int *yes, size_t n_yes,
			const unsigned int *yes_read_only, size_t n_ro);

/* Every table has expectations, and meets them: exactly the expected
 * requests with their class, exactly the expected exits, its capability. */
START_TEST(every_table_meets_its_expectations)
{
	size_t tables = 0;

	for (size_t a = 0; kc_all_rules[a]; a++, tables++) {
		const struct kc_arch_rules *r = kc_all_rules[a];
		const struct expectation *e = NULL;

		for (size_t i = 0; i < N(expect); i++)
			if (!strcmp(expect[i].arch, r->arch))
				e = &expect[i];
		ck_assert_msg(e != NULL, "the %s table has no expectations in %s", r->arch, __FILE__);
		check_requests(r, e->trig, e->n_trig, KC_REQ_TRIGGER);
		check_requests(r, e->proto, e->n_proto, KC_REQ_PROTOCOL);
		ck_assert_msg(r->n_requests == e->n_trig + e->n_proto,
			      "%s: %zu requests in the table, %zu expected", r->arch,
			      r->n_requests, e->n_trig + e->n_proto);
		ck_assert_int_eq(kc_request_class(r, 0x0000ae80), KC_REQ_OTHER); /* KVM_RUN */
		ck_assert_int_eq(kc_request_class(r, 0x2000ae80), KC_REQ_OTHER); /* ppc/mips KVM_RUN */
		ck_assert_int_eq(kc_request_class(r, 0xdeadbeef), KC_REQ_OTHER);
		check_exits(r->arch, e->exits, e->n_exits, e->reads, e->n_reads);
		ck_assert_msg(r->default_cap == e->default_cap, "%s: default capability %u, expected %u",
			      r->arch, r->default_cap, e->default_cap);
	}
	ck_assert_uint_eq(tables, N(expect));
}
END_TEST

/* loongarch only (no cross compiler here, see the top): numbers by hand. */
START_TEST(loongarch_numbers)
{
	static const struct { unsigned int req; const char *name; } hand[] = {
		{ 0x8108ae81, "KVM_GET_REGS" }, { 0x4108ae82, "KVM_SET_REGS" },
		{ 0x8410ae8c, "KVM_GET_FPU" }, { 0x4410ae8d, "KVM_SET_FPU" },
		{ 0x8004ae98, "KVM_GET_MP_STATE" }, { 0x4004ae99, "KVM_SET_MP_STATE" },
		{ 0x4010aeab, "KVM_GET_ONE_REG" }, { 0x4010aeac, "KVM_SET_ONE_REG" },
		{ 0x4018aee1, "KVM_SET_DEVICE_ATTR" }, { 0x4018aee2, "KVM_GET_DEVICE_ATTR" },
		{ 0x4004ae86, "KVM_INTERRUPT" }, { 0x4004ae8b, "KVM_SET_SIGNAL_MASK" },
		{ 0x4008ae9b, "KVM_SET_GUEST_DEBUG" }, { 0x4018aee3, "KVM_HAS_DEVICE_ATTR" },
	};
	const struct kc_arch_rules *r = arch("loongarch");

	ck_assert_uint_eq(r->n_requests, N(hand));
	for (size_t i = 0; i < N(hand); i++)
		ck_assert_str_eq(kc_request_name(r, hand[i].req), hand[i].name);
}
END_TEST

/* powerpc and mips: 3 direction bits at 29 (NONE 1, READ 2, WRITE 4). */
START_TEST(powerpc_and_mips_use_their_own_ioc_layout)
{
	const char *pm[] = { "powerpc", "mips" };

	ck_assert_uint_eq(KC_IOC_PPC_MIPS(KC_PM_WRITE, 0xab, 0x10), 0x8010aeab);
	ck_assert_uint_eq(KC_IOC_GENERIC(KC_GEN_WRITE, 0xab, 0x10), 0x4010aeab);
	ck_assert_uint_eq(KC_PM_IOR(0x81, 0x188), 0x4188ae81);
	ck_assert_uint_eq(KC_GEN_IOR(0x81, 0x188), 0x8188ae81);
	ck_assert_uint_eq(KC_PM_IO(0x80), 0x2000ae80);
	ck_assert_uint_eq(KC_GEN_IO(0x80), 0x0000ae80);
	/* read+write is the one direction where both layouts agree */
	ck_assert_uint_eq(KC_PM_IOWR(0xb0, 0x8), KC_GEN_IOWR(0xb0, 0x8));

	for (size_t a = 0; a < N(pm); a++) {
		const struct kc_arch_rules *r = arch(pm[a]);

		for (size_t i = 0; i < r->n_requests; i++) {
			unsigned int q = r->requests[i].request;
			unsigned int dir = q >> 29, size = (q >> 16) & 0x1fff, nr = q & 0xff;
			unsigned int gdir = dir == KC_PM_NONE ? KC_GEN_NONE :
					    dir == KC_PM_READ ? KC_GEN_READ :
					    dir == KC_PM_WRITE ? KC_GEN_WRITE :
					    KC_GEN_READ | KC_GEN_WRITE;
			unsigned int generic = KC_IOC_GENERIC(gdir, nr, size);

			ck_assert_uint_eq((q >> 8) & 0xff, 0xae);
			if (dir == (KC_PM_READ | KC_PM_WRITE))
				ck_assert_uint_eq(q, generic);
			else
				ck_assert_msg(q != generic, "%s: %s equals the generic %#x",
					      r->arch, r->requests[i].name, generic);
			/* the generic number is not what this arch's VMM sends */
			if (q != generic)
				ck_assert_int_eq(kc_request_class(r, generic), KC_REQ_OTHER);
		}
	}
	/* the same ONE_REG nr/size: generic number on arm64, own on ppc/mips */
	ck_assert_int_eq(kc_request_class(arch("powerpc"), 0x4010aeab), KC_REQ_OTHER);
	ck_assert_int_eq(kc_request_class(arch("mips"), 0x4010aeab), KC_REQ_OTHER);
	ck_assert_int_eq(kc_request_class(arch("arm64"), 0x8010aeab), KC_REQ_OTHER);
	/* x86 numbers are not triggers elsewhere: GET_REGS sizes differ */
	ck_assert_int_eq(kc_request_class(arch("s390"), 0x8090ae81), KC_REQ_OTHER);
	ck_assert_int_eq(kc_request_class(arch("loongarch"), 0x8090ae81), KC_REQ_OTHER);
}
END_TEST

static const struct kc_exit_rule *rule(const char *a, unsigned int reason, int is_write)
{
	struct kvm_run run;

	memset(&run, 0, sizeof run);
	run.exit_reason = reason;
	run.mmio.is_write = is_write; /* also iocsr_io.is_write (same layout) */
	return kc_exit_rule(arch(a), &run);
}

/* Every exit number below 64, both directions: exactly the flagged set. */
static void check_exits(const char *a, const unsigned int *yes, size_t n_yes,
			const unsigned int *yes_read_only, size_t n_ro)
{
	for (unsigned int reason = 0; reason < 64; reason++)
		for (int w = 0; w <= 1; w++) {
			int want = 0;

			for (size_t i = 0; i < n_yes; i++)
				want |= yes[i] == reason;
			for (size_t i = 0; i < n_ro; i++)
				want |= yes_read_only[i] == reason && !w;
			ck_assert_msg(!!rule(a, reason, w) == want, "%s: exit %u (is_write %d) %s",
				      a, reason, w, want ? "not flagged" : "flagged");
		}
	ck_assert_ptr_null(rule(a, 1000, 0));
}

START_TEST(twice_windows)
{
	const struct kc_exit_rule *r;

	/* arm64: 0d640732dbeb (5.0) until 2113c5f62b74 (5.3) */
	r = rule("arm64", KVM_EXIT_MMIO, 0);
	ck_assert_uint_eq(r->twice_from, KC_KVER(5, 0, 0));
	ck_assert_uint_eq(r->twice_until, KC_KVER(5, 3, 0));
	/* loongarch: unguarded since the first kernel with each exit, no fix */
	r = rule("loongarch", KVM_EXIT_LOONGARCH_IOCSR, 0);
	ck_assert_uint_eq(r->twice_from, KC_KVER(6, 7, 0));
	ck_assert_uint_eq(r->twice_until, 0);
	r = rule("loongarch", KVM_EXIT_HYPERCALL, 0);
	ck_assert_uint_eq(r->twice_from, KC_KVER(6, 14, 0));
	ck_assert_uint_eq(r->twice_until, 0);
	ck_assert_uint_eq(rule("loongarch", KVM_EXIT_MMIO, 0)->twice_from, 0);

	/* everything else is guarded by a private flag */
	for (size_t a = 0; kc_all_rules[a]; a++) {
		const struct kc_arch_rules *ar = kc_all_rules[a];

		for (size_t i = 0; i < ar->n_exits; i++) {
			const struct kc_exit_rule *e = &ar->exits[i];
			int known = (!strcmp(ar->arch, "arm64") && e->exit_reason == KVM_EXIT_MMIO) ||
				    (!strcmp(ar->arch, "loongarch") &&
				     e->exit_reason != KVM_EXIT_MMIO);

			ck_assert_msg(!!e->twice_from == known, "%s %s twice_from %#x",
				      ar->arch, e->name, e->twice_from);
			if (e->twice_until)
				ck_assert_uint_gt(e->twice_until, e->twice_from);
			ck_assert_ptr_nonnull(e->source);
			ck_assert_ptr_nonnull(e->name);
		}
	}
}
END_TEST

Suite *rules_arches_suite(void)
{
	Suite *s = suite_create("rules-arches");
	TCase *tc = tcase_create("arches");

	tcase_add_test(tc, every_table_is_reachable_by_name);
	tcase_add_test(tc, every_table_meets_its_expectations);
	tcase_add_test(tc, loongarch_numbers);
	tcase_add_test(tc, powerpc_and_mips_use_their_own_ioc_layout);
	tcase_add_test(tc, twice_windows);
	suite_add_tcase(s, tc);
	return s;
}
