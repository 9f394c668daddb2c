/* The per-architecture tables. Expected request numbers are the values the
 * cross compilers produced from each architecture's own <linux/kvm.h>
 * (Debian bookworm cross headers: aarch64, powerpc64le, riscv64, s390x,
 * mips64el); loongarch's were worked out by hand from torvalds/linux
 * arch/loongarch/include/uapi/asm/kvm.h. */
#include <string.h>
#include <linux/kvm.h>

#include "compat.h"
#include "rules.h"
#include "unit.h"

struct req { unsigned int req; const char *name; };

#define N(a) (sizeof (a) / sizeof *(a))

static const struct req arm64_triggers[] = {
	{ 0x8004ae98, "KVM_GET_MP_STATE" }, { 0x4004ae99, "KVM_SET_MP_STATE" },
	{ 0x4010aeab, "KVM_GET_ONE_REG" }, { 0x4010aeac, "KVM_SET_ONE_REG" },
	{ 0x4018aee1, "KVM_SET_DEVICE_ATTR" }, { 0x4018aee2, "KVM_GET_DEVICE_ATTR" },
	{ 0x8040ae9f, "KVM_GET_VCPU_EVENTS" }, { 0x4040aea0, "KVM_SET_VCPU_EVENTS" },
	{ 0x4020aeae, "KVM_ARM_VCPU_INIT" },
};
static const struct req arm64_protocol[] = {
	{ 0x4004ae8b, "KVM_SET_SIGNAL_MASK" }, { 0x4208ae9b, "KVM_SET_GUEST_DEBUG" },
	{ 0xc008aeb0, "KVM_GET_REG_LIST" }, { 0x4018aee3, "KVM_HAS_DEVICE_ATTR" },
};

static const struct req powerpc_triggers[] = {
	{ 0x4188ae81, "KVM_GET_REGS" }, { 0x8188ae82, "KVM_SET_REGS" },
	{ 0x44d0ae83, "KVM_GET_SREGS" }, { 0x84d0ae84, "KVM_SET_SREGS" },
	{ 0x8010aeab, "KVM_GET_ONE_REG" }, { 0x8010aeac, "KVM_SET_ONE_REG" },
};
static const struct req powerpc_protocol[] = {
	{ 0xc018ae85, "KVM_TRANSLATE" }, { 0x8004ae86, "KVM_INTERRUPT" },
	{ 0x8004ae8b, "KVM_SET_SIGNAL_MASK" }, { 0x8108ae9b, "KVM_SET_GUEST_DEBUG" },
};

static const struct req riscv_triggers[] = {
	{ 0x8004ae98, "KVM_GET_MP_STATE" }, { 0x4004ae99, "KVM_SET_MP_STATE" },
	{ 0x4010aeab, "KVM_GET_ONE_REG" }, { 0x4010aeac, "KVM_SET_ONE_REG" },
};
static const struct req riscv_protocol[] = {
	{ 0x4004ae86, "KVM_INTERRUPT" }, { 0x4004ae8b, "KVM_SET_SIGNAL_MASK" },
	{ 0x4008ae9b, "KVM_SET_GUEST_DEBUG" }, { 0xc008aeb0, "KVM_GET_REG_LIST" },
};

static const struct req loongarch_triggers[] = {
	{ 0x8108ae81, "KVM_GET_REGS" }, { 0x4108ae82, "KVM_SET_REGS" },
	{ 0x8410ae8c, "KVM_GET_FPU" }, { 0x4410ae8d, "KVM_SET_FPU" },
	{ 0x8004ae98, "KVM_GET_MP_STATE" }, { 0x4004ae99, "KVM_SET_MP_STATE" },
	{ 0x4010aeab, "KVM_GET_ONE_REG" }, { 0x4010aeac, "KVM_SET_ONE_REG" },
	{ 0x4018aee1, "KVM_SET_DEVICE_ATTR" }, { 0x4018aee2, "KVM_GET_DEVICE_ATTR" },
};
static const struct req loongarch_protocol[] = {
	{ 0x4004ae86, "KVM_INTERRUPT" }, { 0x4004ae8b, "KVM_SET_SIGNAL_MASK" },
	{ 0x4008ae9b, "KVM_SET_GUEST_DEBUG" }, { 0x4018aee3, "KVM_HAS_DEVICE_ATTR" },
};

static const struct req mips_triggers[] = {
	{ 0x4118ae81, "KVM_GET_REGS" }, { 0x8118ae82, "KVM_SET_REGS" },
	{ 0x8010aeab, "KVM_GET_ONE_REG" }, { 0x8010aeac, "KVM_SET_ONE_REG" },
};
static const struct req mips_protocol[] = {
	{ 0x8004ae86, "KVM_INTERRUPT" }, { 0x8004ae8b, "KVM_SET_SIGNAL_MASK" },
	{ 0x8008ae9b, "KVM_SET_GUEST_DEBUG" }, { 0xc008aeb0, "KVM_GET_REG_LIST" },
};

static const struct req s390_triggers[] = {
	{ 0x8080ae81, "KVM_GET_REGS" }, { 0x4080ae82, "KVM_SET_REGS" },
	{ 0x80c0ae83, "KVM_GET_SREGS" }, { 0x40c0ae84, "KVM_SET_SREGS" },
	{ 0x8088ae8c, "KVM_GET_FPU" }, { 0x4088ae8d, "KVM_SET_FPU" },
	{ 0x8004ae98, "KVM_GET_MP_STATE" }, { 0x4004ae99, "KVM_SET_MP_STATE" },
	{ 0x4010aeab, "KVM_GET_ONE_REG" }, { 0x4010aeac, "KVM_SET_ONE_REG" },
	{ 0x4008ae95, "KVM_S390_STORE_STATUS" }, { 0x4010ae96, "KVM_S390_SET_INITIAL_PSW" },
	{ 0x0000ae97, "KVM_S390_INITIAL_RESET" }, { 0x0000aec3, "KVM_S390_NORMAL_RESET" },
	{ 0x0000aec4, "KVM_S390_CLEAR_RESET" },
	{ 0x4020aeb6, "KVM_S390_GET_IRQ_STATE" }, { 0x4020aeb5, "KVM_S390_SET_IRQ_STATE" },
};
static const struct req s390_protocol[] = {
	{ 0x4004ae8b, "KVM_SET_SIGNAL_MASK" }, { 0x4018ae9b, "KVM_SET_GUEST_DEBUG" },
	{ 0x4048aeb4, "KVM_S390_IRQ" }, { 0x4010ae94, "KVM_S390_INTERRUPT" },
};

static const struct {
	const char *arch;
	const struct req *trig, *proto;
	size_t n_trig, n_proto;
} expect[] = {
	{ "arm64", arm64_triggers, arm64_protocol, N(arm64_triggers), N(arm64_protocol) },
	{ "powerpc", powerpc_triggers, powerpc_protocol, N(powerpc_triggers), N(powerpc_protocol) },
	{ "riscv", riscv_triggers, riscv_protocol, N(riscv_triggers), N(riscv_protocol) },
	{ "loongarch", loongarch_triggers, loongarch_protocol, N(loongarch_triggers), N(loongarch_protocol) },
	{ "mips", mips_triggers, mips_protocol, N(mips_triggers), N(mips_protocol) },
	{ "s390", s390_triggers, s390_protocol, N(s390_triggers), N(s390_protocol) },
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

/* Exactly the expected requests, each with its class and name. */
START_TEST(request_numbers_match_the_headers)
{
	for (size_t a = 0; a < N(expect); a++) {
		const struct kc_arch_rules *r = arch(expect[a].arch);

		for (size_t i = 0; i < expect[a].n_trig; i++) {
			const struct req *q = &expect[a].trig[i];

			ck_assert_msg(kc_request_class(r, q->req) == KC_REQ_TRIGGER,
				      "%s: %s (%#x) is not a trigger", r->arch, q->name, q->req);
			ck_assert_str_eq(kc_request_name(r, q->req), q->name);
		}
		for (size_t i = 0; i < expect[a].n_proto; i++) {
			const struct req *q = &expect[a].proto[i];

			ck_assert_msg(kc_request_class(r, q->req) == KC_REQ_PROTOCOL,
				      "%s: %s (%#x) is not exit protocol", r->arch, q->name, q->req);
			ck_assert_str_eq(kc_request_name(r, q->req), q->name);
		}
		ck_assert_msg(r->n_requests == expect[a].n_trig + expect[a].n_proto,
			      "%s: %zu requests in the table, %zu expected", r->arch,
			      r->n_requests, expect[a].n_trig + expect[a].n_proto);
		ck_assert_int_eq(kc_request_class(r, 0x0000ae80), KC_REQ_OTHER); /* KVM_RUN */
		ck_assert_int_eq(kc_request_class(r, 0x2000ae80), KC_REQ_OTHER); /* ppc/mips KVM_RUN */
		ck_assert_int_eq(kc_request_class(r, 0xdeadbeef), KC_REQ_OTHER);
	}
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

START_TEST(arm64_exits)
{
	/* MMIO reads AND writes: kvm_handle_mmio_return advances PC for both */
	const unsigned int yes[] = { KVM_EXIT_MMIO };

	check_exits("arm64", yes, N(yes), NULL, 0);
	ck_assert_str_eq(rule("arm64", KVM_EXIT_MMIO, 1)->name, "MMIO");
	ck_assert_ptr_null(rule("arm64", KVM_EXIT_HYPERCALL, 0));
	ck_assert_ptr_null(rule("arm64", KVM_EXIT_ARM_NISV, 0));
	ck_assert_ptr_null(rule("arm64", KVM_EXIT_ARM_SEA, 0));
	ck_assert_ptr_null(rule("arm64", KVM_EXIT_ARM_LDST64B, 0));
}
END_TEST

START_TEST(powerpc_exits)
{
	/* MMIO stores too: split VSX/VMX stores continue in the completion */
	const unsigned int yes[] = {
		KVM_EXIT_MMIO, KVM_EXIT_OSI, KVM_EXIT_PAPR_HCALL, KVM_EXIT_EPR, KVM_EXIT_DCR,
	};

	ck_assert_uint_eq(KVM_EXIT_OSI, 18);
	ck_assert_uint_eq(KVM_EXIT_PAPR_HCALL, 19);
	ck_assert_uint_eq(KVM_EXIT_EPR, 23);
	ck_assert_uint_eq(KVM_EXIT_DCR, 15);
	check_exits("powerpc", yes, N(yes), NULL, 0);
}
END_TEST

START_TEST(riscv_exits)
{
	const unsigned int yes[] = { KVM_EXIT_MMIO, KVM_EXIT_RISCV_SBI, KVM_EXIT_RISCV_CSR };

	ck_assert_uint_eq(KVM_EXIT_RISCV_SBI, 35);
	ck_assert_uint_eq(KVM_EXIT_RISCV_CSR, 36);
	check_exits("riscv", yes, N(yes), NULL, 0);
	ck_assert_ptr_nonnull(rule("riscv", KVM_EXIT_MMIO, 1));
}
END_TEST

START_TEST(loongarch_exits)
{
	const unsigned int yes[] = { KVM_EXIT_HYPERCALL };
	const unsigned int reads[] = { KVM_EXIT_MMIO, KVM_EXIT_LOONGARCH_IOCSR };

	ck_assert_uint_eq(KVM_EXIT_LOONGARCH_IOCSR, 38);
	check_exits("loongarch", yes, N(yes), reads, N(reads));
	ck_assert_ptr_null(rule("loongarch", KVM_EXIT_MMIO, 1));
	ck_assert_ptr_null(rule("loongarch", KVM_EXIT_LOONGARCH_IOCSR, 1));
}
END_TEST

START_TEST(mips_exits)
{
	const unsigned int reads[] = { KVM_EXIT_MMIO };

	check_exits("mips", NULL, 0, reads, N(reads));
	ck_assert_ptr_null(rule("mips", KVM_EXIT_MMIO, 1));
}
END_TEST

START_TEST(s390_flags_nothing)
{
	check_exits("s390", NULL, 0, NULL, 0);
	ck_assert_uint_eq(arch("s390")->n_exits, 0);
	ck_assert_uint_gt(arch("s390")->n_requests, 0);
}
END_TEST

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

START_TEST(default_capability)
{
	ck_assert_uint_eq(arch("arm64")->default_cap, 0);
	ck_assert_uint_eq(arch("x86")->default_cap, 239);
	ck_assert_uint_eq(arch("powerpc")->default_cap, 239);
	ck_assert_uint_eq(arch("riscv")->default_cap, 239);
	ck_assert_uint_eq(arch("loongarch")->default_cap, 239);
	ck_assert_uint_eq(arch("mips")->default_cap, 239);
	ck_assert_uint_eq(arch("s390")->default_cap, 239);
}
END_TEST

Suite *rules_arches_suite(void)
{
	Suite *s = suite_create("rules-arches");
	TCase *tc = tcase_create("arches");

	tcase_add_test(tc, every_table_is_reachable_by_name);
	tcase_add_test(tc, request_numbers_match_the_headers);
	tcase_add_test(tc, powerpc_and_mips_use_their_own_ioc_layout);
	tcase_add_test(tc, arm64_exits);
	tcase_add_test(tc, powerpc_exits);
	tcase_add_test(tc, riscv_exits);
	tcase_add_test(tc, loongarch_exits);
	tcase_add_test(tc, mips_exits);
	tcase_add_test(tc, s390_flags_nothing);
	tcase_add_test(tc, twice_windows);
	tcase_add_test(tc, default_capability);
	suite_add_tcase(s, tc);
	return s;
}
