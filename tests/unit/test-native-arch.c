/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The build selected the rule table of the architecture it was compiled
 * for, and that table classifies the request numbers of this target's own
 * <linux/kvm.h> (powerpc and mips have their own _IOC layout). On x86 this
 * runs in make check; make check-cross runs it, cross-built, under
 * qemu-user for arm64, ppc64el, riscv64, s390x and mips64el. */
#include <stdio.h>
#include <string.h>
#include <linux/kvm.h>

#include "compat.h"
#include "rules.h"
#include "unit.h"

/* Worked out from the compiler's own macros, not from rules.c. */
#if defined(__x86_64__) || defined(__i386__)
#define KC_TEST_ARCH "x86"
#elif defined(__aarch64__)
#define KC_TEST_ARCH "arm64"
#elif defined(__powerpc64__) || defined(__powerpc__)
#define KC_TEST_ARCH "powerpc"
#define KC_TEST_PPC_MIPS_IOC 1
#elif defined(__riscv)
#define KC_TEST_ARCH "riscv"
#elif defined(__loongarch__)
#define KC_TEST_ARCH "loongarch"
#elif defined(__mips__)
#define KC_TEST_ARCH "mips"
#define KC_TEST_PPC_MIPS_IOC 1
#elif defined(__s390x__) || defined(__s390__)
#define KC_TEST_ARCH "s390"
#else
#define KC_TEST_ARCH "none"
#endif

START_TEST(native_table_is_this_targets)
{
	/* make check-cross looks for this line in the output. */
	printf("native rules: %s (compiled for %s)\n", kc_native_rules->arch, KC_TEST_ARCH);
	fflush(stdout);
	ck_assert_str_eq(kc_native_rules->arch, KC_TEST_ARCH);
	ck_assert_ptr_eq(kc_native_rules, kc_rules_by_name(KC_TEST_ARCH));
	ck_assert_ptr_eq(kc_rules(), kc_native_rules);
}
END_TEST

/* The target's headers, not numbers written out: _IO(KVMIO, 0x80) has
 * direction bits 1 << 29 with the powerpc/mips layout, none elsewhere. */
START_TEST(this_targets_ioc_layout)
{
#ifdef KC_TEST_PPC_MIPS_IOC
	ck_assert_uint_eq((unsigned int)KVM_RUN, 0x2000ae80u);
	ck_assert_uint_eq((unsigned int)KVM_GET_ONE_REG, KC_PM_IOW(0xab, sizeof(struct kvm_one_reg)));
#else
	ck_assert_uint_eq((unsigned int)KVM_RUN, 0x0000ae80u);
	ck_assert_uint_eq((unsigned int)KVM_GET_ONE_REG, KC_GEN_IOW(0xab, sizeof(struct kvm_one_reg)));
#endif
}
END_TEST

/* The native table classifies this target's own request numbers. */
START_TEST(native_table_knows_this_targets_requests)
{
	const struct kc_arch_rules *r = kc_native_rules;

	ck_assert_int_eq(kc_request_class(r, KVM_RUN), KC_REQ_OTHER);
	ck_assert_int_eq(kc_request_class(r, KVM_GET_ONE_REG), KC_REQ_TRIGGER);
	ck_assert_int_eq(kc_request_class(r, KVM_SET_ONE_REG), KC_REQ_TRIGGER);
	ck_assert_int_eq(kc_request_class(r, KVM_SET_SIGNAL_MASK), KC_REQ_PROTOCOL);
	ck_assert_int_eq(kc_request_class(r, KVM_SET_GUEST_DEBUG), KC_REQ_PROTOCOL);
#if defined(__aarch64__)
	ck_assert_int_eq(kc_request_class(r, KVM_ARM_VCPU_INIT), KC_REQ_TRIGGER);
	ck_assert_int_eq(kc_request_class(r, KVM_GET_REG_LIST), KC_REQ_PROTOCOL);
#elif defined(__s390x__) || defined(__s390__)
	ck_assert_int_eq(kc_request_class(r, KVM_GET_REGS), KC_REQ_TRIGGER);
	ck_assert_int_eq(kc_request_class(r, KVM_S390_INITIAL_RESET), KC_REQ_TRIGGER);
	ck_assert_int_eq(kc_request_class(r, KVM_S390_STORE_STATUS), KC_REQ_TRIGGER);
#elif defined(__powerpc64__) || defined(__powerpc__) || defined(__mips__) || \
	defined(__x86_64__) || defined(__i386__)
	ck_assert_int_eq(kc_request_class(r, KVM_GET_REGS), KC_REQ_TRIGGER);
	ck_assert_int_eq(kc_request_class(r, KVM_SET_REGS), KC_REQ_TRIGGER);
#endif
}
END_TEST

/* Every request name of every table, with this target's header value
 * (generated from src/rules-*.c by tests/unit/gen-header-names.sh). */
static const struct { const char *name; unsigned int value; int defined; } header[] = {
#include "header-names.h"
};

/* Every row of the native table has the number this target's own
 * <linux/kvm.h> gives its name: numbers are written once, in the table. */
START_TEST(every_native_row_matches_this_targets_header)
{
	const struct kc_arch_rules *r = kc_native_rules;
	size_t checked = 0;

	for (size_t i = 0; i < r->n_requests; i++) {
		const struct kc_request *q = &r->requests[i];
		size_t h = 0;

		while (h < sizeof header / sizeof *header && strcmp(header[h].name, q->name))
			h++;
		ck_assert_msg(h < sizeof header / sizeof *header, "%s: %s is not in header-names.h (rebuild it)",
			      r->arch, q->name);
		ck_assert_msg(header[h].defined, "%s: %s is not in this target's <linux/kvm.h>", r->arch, q->name);
		ck_assert_msg(header[h].value == q->request, "%s: %s is %#x in the table, %#x in <linux/kvm.h>",
			      r->arch, q->name, q->request, header[h].value);
		checked++;
	}
	/* make check-cross shows this line */
	printf("native rules: %zu of %zu requests checked against <linux/kvm.h>\n", checked, r->n_requests);
	fflush(stdout);
	ck_assert_uint_eq(checked, r->n_requests);
	ck_assert_uint_gt(checked, 0);
}
END_TEST

/* An MMIO read owes a completion on every KVM architecture but s390. */
START_TEST(native_table_flags_an_mmio_read)
{
	struct kvm_run run;

	memset(&run, 0, sizeof run);
	run.exit_reason = KVM_EXIT_MMIO;
	run.mmio.is_write = 0;
#if defined(__s390x__) || defined(__s390__)
	ck_assert_ptr_null(kc_exit_rule(kc_native_rules, &run));
#else
	ck_assert_ptr_nonnull(kc_exit_rule(kc_native_rules, &run));
#endif
	run.exit_reason = KVM_EXIT_INTR;
	ck_assert_ptr_null(kc_exit_rule(kc_native_rules, &run));
}
END_TEST

Suite *native_arch_suite(void)
{
	Suite *s = suite_create("native-arch");
	TCase *tc = tcase_create("native-arch");

	tcase_add_test(tc, native_table_is_this_targets);
	tcase_add_test(tc, this_targets_ioc_layout);
	tcase_add_test(tc, native_table_knows_this_targets_requests);
	tcase_add_test(tc, native_table_flags_an_mmio_read);
	tcase_add_test(tc, every_native_row_matches_this_targets_header);
	suite_add_tcase(s, tc);
	return s;
}
