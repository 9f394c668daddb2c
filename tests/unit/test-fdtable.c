/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "fdtable.h"
#include "log.h"
#include "unit.h"

START_TEST(store_and_find_across_the_range)
{
	const int fds[] = { 0, 1, 4095, 4096, 4097, (1 << 22) - 1, 1 << 22,
			    1000000, 1048575, INT_MAX };

	kc_fd_reset_for_tests();
	for (size_t i = 0; i < sizeof fds / sizeof *fds; i++) {
		ck_assert_uint_eq(kc_fd_get(fds[i]), 0);
		ck_assert_uint_eq(kc_fd_swap(fds[i], KC_FD_VM), 0);
	}
	for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
		ck_assert_uint_eq(kc_fd_get(fds[i]), KC_FD_VM);
	ck_assert_uint_eq(kc_fd_get(2), 0);
	ck_assert_uint_eq(kc_fd_get(4098), 0);
	ck_assert_uint_eq(kc_fd_get(999999), 0);
	ck_assert_uint_eq(kc_fd_swap(1000000, KC_FD_SYSTEM), KC_FD_VM);
	ck_assert_uint_eq(kc_fd_get(1000000), KC_FD_SYSTEM);
	ck_assert_uint_eq(kc_fd_swap(1000000, 0), KC_FD_SYSTEM);
	ck_assert_uint_eq(kc_fd_get(1000000), 0);
	kc_fd_reset_for_tests();
	ck_assert_uint_eq(kc_fd_get(INT_MAX), 0);
}
END_TEST

START_TEST(negative_fds)
{
	ck_assert_uint_eq(kc_fd_get(-1), 0);
	ck_assert_uint_eq(kc_fd_get(INT_MIN), 0);
	ck_assert_uint_eq(kc_fd_swap(-1, KC_FD_VM), KC_FD_SET_FAILED);
	ck_assert_uint_eq(kc_fd_swap(-1, 0), 0);
}
END_TEST

START_TEST(clearing_an_unknown_fd_allocates_nothing)
{
	kc_fd_reset_for_tests();
	ck_assert_uint_eq(kc_fd_swap(1 << 30, 0), 0);
	ck_assert_uint_eq(kc_fd_get(1 << 30), 0);
}
END_TEST

START_TEST(tagged_entries)
{
	static _Alignas(8) char obj[8];
	uintptr_t e = (uintptr_t)obj | KC_FD_VCPU;

	ck_assert_int_eq(kc_entry_kind(e), KC_FD_VCPU);
	ck_assert_ptr_eq(kc_entry_ptr(e), obj);
	ck_assert_int_eq(kc_entry_kind(KC_FD_OTHER), KC_FD_OTHER);
}
END_TEST

Suite *fdtable_suite(void)
{
	Suite *s = suite_create("fdtable");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, store_and_find_across_the_range);
	tcase_add_test(tc, negative_fds);
	tcase_add_test(tc, clearing_an_unknown_fd_allocates_nothing);
	tcase_add_test(tc, tagged_entries);
	suite_add_tcase(s, tc);
	return s;
}

static int fmt(char *buf, int size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = kc_format(buf, size, f, ap);
	va_end(ap);
	return n;
}

START_TEST(formats)
{
	char buf[128];

	fmt(buf, sizeof buf, "a %s %d %u %x %ld %lu %lx %zu %c %%", "str", -42, 42u,
	    0xbeefu, -7L, 7UL, 0xfeedUL, (size_t)9, 'z');
	ck_assert_str_eq(buf, "a str -42 42 beef -7 7 feed 9 z %");
	fmt(buf, sizeof buf, "%s|%d", (const char *)NULL, INT_MIN);
	ck_assert_str_eq(buf, "(null)|-2147483648");
	fmt(buf, sizeof buf, "%p", (void *)0x1234);
	ck_assert_str_eq(buf, "0x1234");
}
END_TEST

START_TEST(truncates_safely)
{
	char buf[8];

	memset(buf, 'X', sizeof buf);
	ck_assert_int_eq(fmt(buf, sizeof buf, "%s", "0123456789"), 7);
	ck_assert_str_eq(buf, "0123456");
	ck_assert_int_eq(fmt(buf, sizeof buf, "%d%d", 1234, 56789), 7);
	ck_assert_str_eq(buf, "1234567");
}
END_TEST

Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, formats);
	tcase_add_test(tc, truncates_safely);
	suite_add_tcase(s, tc);
	return s;
}
