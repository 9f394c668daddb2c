/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KC_UNIT_H
#define KC_UNIT_H
#include <check.h>
Suite *rules_suite(void);
Suite *rules_arches_suite(void);
Suite *settings_suite(void);
Suite *fdtable_suite(void);
Suite *log_suite(void);
Suite *native_arch_suite(void);
#endif
