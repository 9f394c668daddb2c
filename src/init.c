/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Above every module: the settings are parsed into a value (settings.c,
 * which knows nothing else) and passed down from here to the rules, the
 * log, the report and the statistics, which never read them back. */
#include "config.h"

#include <stdatomic.h>

#include "init.h"
#include "log.h"
#include "report.h"
#include "rules.h"
#include "settings.h"
#include "stats.h"

void kc_init(void)
{
	static atomic_int state; /* 0 not yet, 1 being done, 2 done */
	const struct kc_settings *s;
	const struct kc_arch_rules *arch;
	int expected = 0;
	unsigned bad;

	if (atomic_load_explicit(&state, memory_order_acquire) == 2 ||
	    !atomic_compare_exchange_strong(&state, &expected, 1))
		return;
	s = kc_settings();
	if (s->test_arch && (arch = kc_rules_by_name(s->test_arch)))
		atomic_store(&kc_rules_active, arch);
	kc_log_setup((enum kc_level)s->log_level, s->log_file);
	if (s->mode != KC_MODE_FIX)
		kc_report_setup(s->mode == KC_MODE_STRICT, s->report_file);
	kc_stats_setup(s->stats != 0);
	atomic_store_explicit(&state, 2, memory_order_release);

	/* Values not understood: said once, after the log is set up. */
	bad = kc_settings_bad();
	for (size_t i = 0; i < kc_setting_count; i++)
		if (bad & (1u << i))
			kc_log(KC_LOG_WARN, "%s=%s not understood (%s); %s", kc_setting_rows[i].name,
			       kc_settings_env(kc_setting_rows[i].name), kc_setting_rows[i].values,
			       kc_setting_rows[i].if_bad);
}
