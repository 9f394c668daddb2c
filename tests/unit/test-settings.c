/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "kernel.h"
#include "log.h"
#include "rules.h"
#include "settings.h"
#include "track.h"
#include "unit.h"

static const char *const *env_now;

static const char *fake_get(const char *name)
{
	size_t n = strlen(name);

	for (const char *const *e = env_now; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static unsigned parse(struct kc_settings *s, const char *const *env)
{
	env_now = env;
	return kc_settings_parse(s, fake_get);
}

/* The bit kc_settings_parse sets for a value of `name` not understood. */
static unsigned bad_bit(const char *name)
{
	unsigned bit = kc_setting_bit(name);

	ck_assert_msg(bit, "no row %s", name);
	return bit;
}

START_TEST(defaults)
{
	struct kc_settings s;
	const char *const env[] = { NULL };

	ck_assert_uint_eq(parse(&s, env), 0);
	ck_assert_int_eq(s.complete, KC_COMPLETE_AUTO);
	ck_assert_int_eq(s.log_level, KC_LOG_WARN);
	ck_assert_ptr_null(s.log_file);
}
END_TEST

START_TEST(every_value)
{
	struct kc_settings s;
	const char *const off[] = { "KVMCOMPL_COMPLETE=off", "KVMCOMPL_LOG=debug",
				    "KVMCOMPL_LOG_FILE=/tmp/x.log", NULL };
	const char *const on[] = { "KVMCOMPL_COMPLETE=auto", "KVMCOMPL_LOG=off", NULL };
	const char *const levels[] = { "off", "error", "warn", "info", "debug" };

	const char *const other[] = { "KVMCOMPL_COMPLETE=other-thread", NULL };

	ck_assert_uint_eq(parse(&s, off), 0);
	ck_assert_int_eq(s.complete, KC_COMPLETE_OFF);
	ck_assert_int_eq(s.log_level, KC_LOG_DEBUG);
	ck_assert_str_eq(s.log_file, "/tmp/x.log");
	ck_assert_uint_eq(parse(&s, on), 0);
	ck_assert_int_eq(s.complete, KC_COMPLETE_AUTO);
	ck_assert_int_eq(s.log_level, KC_LOG_OFF);
	ck_assert_uint_eq(parse(&s, other), 0);
	ck_assert_int_eq(s.complete, KC_COMPLETE_OTHER_THREAD);
	for (int i = 0; i < 5; i++) {
		char buf[64] = "KVMCOMPL_LOG=";
		const char *const env[] = { strcat(buf, levels[i]), NULL };
		ck_assert_uint_eq(parse(&s, env), 0);
		ck_assert_int_eq(s.log_level, i);
	}
}
END_TEST

START_TEST(unknown_values_fall_back_to_defaults)
{
	struct kc_settings s;
	const char *const env[] = { "KVMCOMPL_COMPLETE=yes", "KVMCOMPL_LOG=verbose",
				    "KVMCOMPL_LOG_FILE=", NULL };

	ck_assert_uint_eq(parse(&s, env), bad_bit("KVMCOMPL_COMPLETE") | bad_bit("KVMCOMPL_LOG"));
	ck_assert_int_eq(s.complete, KC_COMPLETE_AUTO);
	ck_assert_int_eq(s.log_level, KC_LOG_WARN);
	ck_assert_ptr_null(s.log_file); /* empty means stderr */
}
END_TEST

START_TEST(capability_number)
{
	struct kc_settings s;
	const char *const none[] = { NULL };
	const char *const off[] = { "KVMCOMPL_CAP=off", NULL };
	const char *const n[] = { "KVMCOMPL_CAP=250", NULL };
	const char *const bad[] = { "KVMCOMPL_CAP=25x", NULL };
	const char *const zero[] = { "KVMCOMPL_CAP=0", NULL };

	ck_assert_uint_eq(parse(&s, none), 0);
	ck_assert_int_eq(s.cap, KC_CAP_DEFAULT);
	ck_assert_uint_eq(parse(&s, off), 0);
	ck_assert_int_eq(s.cap, KC_CAP_OFF);
	ck_assert_uint_eq(parse(&s, n), 0);
	ck_assert_int_eq(s.cap, 250);
	ck_assert_uint_eq(parse(&s, bad), bad_bit("KVMCOMPL_CAP"));
	ck_assert_int_eq(s.cap, KC_CAP_DEFAULT);
	ck_assert_uint_eq(parse(&s, zero), bad_bit("KVMCOMPL_CAP"));
}
END_TEST

START_TEST(test_only_settings)
{
	struct kc_settings s;
	const char *const c[] = { "KVMCOMPL_TEST_BREAK=completion", "KVMCOMPL_TEST_ARCH=arm64", NULL };
	const char *const g[] = { "KVMCOMPL_TEST_BREAK=guard", NULL };
	const char *const bad[] = { "KVMCOMPL_TEST_BREAK=all", NULL };

	ck_assert_uint_eq(parse(&s, c), 0);
	ck_assert_uint_eq(s.test_break, KC_BREAK_COMPLETION);
	ck_assert_str_eq(s.test_arch, "arm64");
	ck_assert_uint_eq(parse(&s, g), 0);
	ck_assert_uint_eq(s.test_break, KC_BREAK_GUARD);
	ck_assert_ptr_null(s.test_arch);
	ck_assert_uint_eq(parse(&s, bad), bad_bit("KVMCOMPL_TEST_BREAK"));
	ck_assert_uint_eq(s.test_break, 0);
}
END_TEST

/* Every row of the table, so that a new one is held to the same rules:
 * documented values, a default that parses, a value it does not
 * understand reported with what follows, and each word accepted. */
START_TEST(every_row)
{
	struct kc_settings unset, given, s;
	const char *const none[] = { NULL };
	const char *env[33];
	char defs[32][96], garbage_buf[96], word[96];
	size_t n = 0;

	ck_assert_uint_le(kc_setting_count, 32); /* one bit each in the mask */
	ck_assert_uint_eq(parse(&unset, none), 0);
	for (size_t i = 0; i < kc_setting_count; i++) {
		const struct kc_setting *row = &kc_setting_rows[i];
		const char *const garbage[] = { garbage_buf, NULL };
		unsigned bad;

		snprintf(garbage_buf, sizeof garbage_buf, "%s=no such value", row->name);
		ck_assert_msg(strncmp(row->name, "KVMCOMPL_", 9) == 0, "row %zu: %s", i, row->name);
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(kc_setting_rows[j].name, row->name) &&
				      kc_setting_rows[j].field != row->field, "%s twice", row->name);
		ck_assert_msg(row->values && *row->values && row->parse, "%s: values, parser", row->name);
		ck_assert_msg(row->def || row->shown, "%s: no documented default", row->name);
		bad = parse(&s, garbage);
		ck_assert_msg(bad == 0 || (bad == 1u << i && row->if_bad && *row->if_bad),
			      "%s: a value not understood, and what follows", row->name);
		if (bad)
			ck_assert_msg(memcmp(&s, &unset, sizeof s) == 0, "%s: default after a bad value", row->name);
		/* Each word of a word setting is understood. */
		if (strchr(row->values, '|')) {
			const char *w = row->values;

			while (*w) {
				size_t len = strcspn(w, "|");
				const char *const one[] = { word, NULL };

				snprintf(word, sizeof word, "%s=%.*s", row->name, (int)len, w);
				ck_assert_msg(parse(&s, one) == 0, "%s", word);
				w += len + (w[len] == '|');
			}
		}
		if (row->def) {
			snprintf(defs[n], sizeof defs[n], "%s=%s", row->name, row->def);
			env[n] = defs[n];
			n++;
		}
	}
	/* The defaults are the rows' def, written once: set by hand, the same. */
	env[n] = NULL;
	ck_assert_uint_eq(parse(&given, env), 0);
	ck_assert(memcmp(&given, &unset, sizeof given) == 0);
}
END_TEST

START_TEST(kernel_release_versions)
{
	ck_assert_uint_eq(kc_parse_release("6.18.44-fc-v657"), KC_KVER(6, 18, 44));
	ck_assert_uint_eq(kc_parse_release("5.2.0-kdouble"), KC_KVER(5, 2, 0));
	ck_assert_uint_eq(kc_parse_release("4.10"), KC_KVER(4, 10, 0));
	ck_assert_uint_eq(kc_parse_release("6.1.0-28-amd64"), KC_KVER(6, 1, 0));
	ck_assert_uint_eq(kc_parse_release("5.3"), KC_KVER(5, 3, 0));
	ck_assert_uint_eq(kc_parse_release("weird"), 0);
	ck_assert_uint_eq(kc_parse_release("4.300.1"), 0);
	ck_assert(kc_parse_release("5.2.21") < KC_KVER(5, 3, 0));
	ck_assert(kc_parse_release("5.10.0") > KC_KVER(5, 3, 0));
}
END_TEST

START_TEST(proc_link_names)
{
	ck_assert_int_eq(kc_kind_from_link("/dev/kvm"), KC_FD_SYSTEM);
	ck_assert_int_eq(kc_kind_from_link("anon_inode:kvm-vm"), KC_FD_VM);
	ck_assert_int_eq(kc_kind_from_link("anon_inode:kvm-vcpu:0"), KC_FD_VCPU);
	ck_assert_int_eq(kc_kind_from_link("anon_inode:kvm-vcpu:17"), KC_FD_VCPU);
	ck_assert_int_eq(kc_kind_from_link("anon_inode:kvm-vcpu-stats:0"), KC_FD_OTHER);
	ck_assert_int_eq(kc_kind_from_link("anon_inode:kvm-vfio"), KC_FD_OTHER);
	ck_assert_int_eq(kc_kind_from_link("anon_inode:[kvm-gmem]"), KC_FD_OTHER);
	ck_assert_int_eq(kc_kind_from_link("pipe:[1234]"), KC_FD_UNKNOWN);
	ck_assert_int_eq(kc_kind_from_link("/dev/kvmx"), KC_FD_UNKNOWN);
	ck_assert_int_eq(kc_kind_from_link("anon_inode:kvm-vmx"), KC_FD_OTHER);
}
END_TEST

Suite *settings_suite(void)
{
	Suite *s = suite_create("settings");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_value);
	tcase_add_test(tc, unknown_values_fall_back_to_defaults);
	tcase_add_test(tc, proc_link_names);
	tcase_add_test(tc, capability_number);
	tcase_add_test(tc, test_only_settings);
	tcase_add_test(tc, every_row);
	tcase_add_test(tc, kernel_release_versions);
	suite_add_tcase(s, tc);
	return s;
}
