/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the library's internals: rule tables, settings, fd table,
 * log formatting. The real-KVM behaviour is tested in tests/vmm. */
#include <stdlib.h>
#include "unit.h"

int main(void)
{
	SRunner *sr = srunner_create(NULL);
	int failed;

	/* test-rules.c checks the x86 table against the build's x86 headers,
	 * so it is built on x86 only; test-rules-arches.c covers every table. */
#if defined(__x86_64__) || defined(__i386__)
	srunner_add_suite(sr, rules_suite());
#endif
	srunner_add_suite(sr, rules_arches_suite());
	srunner_add_suite(sr, settings_suite());
	srunner_add_suite(sr, fdtable_suite());
	srunner_add_suite(sr, log_suite());
	srunner_add_suite(sr, native_arch_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
