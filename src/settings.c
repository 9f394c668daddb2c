#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>

#include "rules.h"
#include "report.h"
#include "settings.h"

static const char *const level_names[] = {
	[KC_LOG_OFF] = "off", [KC_LOG_ERROR] = "error", [KC_LOG_WARN] = "warn",
	[KC_LOG_INFO] = "info", [KC_LOG_DEBUG] = "debug",
};

unsigned kc_settings_parse(struct kc_settings *s,
			   const char *(*get)(const char *name))
{
	unsigned bad = 0;
	const char *v;

	s->complete = KC_COMPLETE_AUTO;
	s->log_level = KC_LOG_WARN;
	s->log_file = NULL;

	v = get("KVMCOMPL_COMPLETE");
	if (v && strcmp(v, "off") == 0)
		s->complete = KC_COMPLETE_OFF;
	else if (v && strcmp(v, "other-thread") == 0)
		s->complete = KC_COMPLETE_OTHER_THREAD;
	else if (v && strcmp(v, "auto") != 0)
		bad |= KC_BAD_COMPLETE;

	v = get("KVMCOMPL_LOG");
	if (v) {
		unsigned i;
		for (i = 0; i < sizeof level_names / sizeof *level_names; i++)
			if (strcmp(v, level_names[i]) == 0)
				break;
		if (i < sizeof level_names / sizeof *level_names)
			s->log_level = (enum kc_level)i;
		else
			bad |= KC_BAD_LOG;
	}

	v = get("KVMCOMPL_LOG_FILE");
	if (v && *v)
		s->log_file = v;

	s->cap = KC_CAP_DEFAULT;
	v = get("KVMCOMPL_CAP");
	if (v && strcmp(v, "off") == 0) {
		s->cap = 0;
	} else if (v) {
		char *end;
		long n = strtol(v, &end, 10);

		if (*v && !*end && n > 0 && n < 65536)
			s->cap = n;
		else
			bad |= KC_BAD_CAP;
	}

	s->stats = false;
	v = get("KVMCOMPL_STATS");
	if (v && strcmp(v, "1") == 0)
		s->stats = true;
	else if (v && strcmp(v, "0") != 0)
		bad |= KC_BAD_STATS;

	s->mode = KC_MODE_FIX;
	v = get("KVMCOMPL_MODE");
	if (v) {
		static const char *const modes[] = { "fix", "report", "strict", "verify" };
		unsigned i;

		for (i = 0; i < 4 && strcmp(v, modes[i]) != 0; i++)
			;
		if (i < 4)
			s->mode = (enum kc_mode)i;
		else
			bad |= KC_BAD_MODE;
	}
	v = get("KVMCOMPL_REPORT_FILE");
	s->report_file = v && *v ? v : NULL;

	s->test_arch = get("KVMCOMPL_TEST_ARCH");
	s->test_break = 0;
	v = get("KVMCOMPL_TEST_BREAK");
	if (v && strcmp(v, "completion") == 0)
		s->test_break = KC_BREAK_COMPLETION;
	else if (v && strcmp(v, "guard") == 0)
		s->test_break = KC_BREAK_GUARD;
	else if (v && strcmp(v, "answer") == 0)
		s->test_break = KC_BREAK_ANSWER;
	else if (v && strcmp(v, "restore") == 0)
		s->test_break = KC_BREAK_RESTORE;
	else if (v)
		bad |= KC_BAD_TEST;
	return bad;
}

static const char *env_get(const char *name)
{
#ifdef HAVE_SECURE_GETENV
	return secure_getenv(name);
#else
	return getenv(name);
#endif
}

/* Parsing is pure, so racing first callers may each parse; the first to
 * publish wins and the others' identical copies are dropped. No lock, so a
 * signal handler may be the first caller. */
static struct kc_settings the_settings;
static char log_path[4096], report_path[4096];

/* A copy of an environment value (the VMM may change its environment
 * later), cut to the buffer; NULL stays NULL. */
static const char *keep(char buf[4096], const char *v)
{
	size_t n;

	if (!v)
		return NULL;
	n = strlen(v);
	if (n >= 4096)
		n = 4095;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return buf;
}
static atomic_int settings_state; /* 0 unread, 1 being written, 2 ready */

const struct kc_settings *kc_settings(void)
{
	static const struct kc_settings defaults = {
		KC_COMPLETE_AUTO, KC_LOG_WARN, NULL, KC_CAP_DEFAULT, false, KC_MODE_FIX, NULL, NULL, 0
	};
	static atomic_flag reported = ATOMIC_FLAG_INIT;
	struct kc_settings s;
	unsigned bad;
	int expected = 0;

	if (atomic_load_explicit(&settings_state, memory_order_acquire) == 2)
		return &the_settings;

	bad = kc_settings_parse(&s, env_get);
	if (atomic_compare_exchange_strong(&settings_state, &expected, 1)) {
		/* A copy: the VMM may change its environment later. */
		s.log_file = keep(log_path, s.log_file);
		s.report_file = keep(report_path, s.report_file);
		the_settings = s;
		if (s.test_arch && kc_rules_by_name(s.test_arch))
			atomic_store(&kc_rules_active, kc_rules_by_name(s.test_arch));
		atomic_store_explicit(&settings_state, 2, memory_order_release);
		kc_log_open();
		kc_report_init();
	} else if (atomic_load_explicit(&settings_state, memory_order_acquire) != 2) {
		/* Another caller (perhaps the code this handler interrupted)
		 * is publishing: use the defaults this once. */
		return &defaults;
	}

	if (bad && !atomic_flag_test_and_set(&reported)) {
		if (bad & KC_BAD_COMPLETE)
			kc_log(KC_LOG_WARN, "KVMCOMPL_COMPLETE=%s not understood (auto|other-thread|off); using auto",
			       env_get("KVMCOMPL_COMPLETE"));
		if (bad & KC_BAD_LOG)
			kc_log(KC_LOG_WARN, "KVMCOMPL_LOG=%s not understood (off|error|warn|info|debug); using warn",
			       env_get("KVMCOMPL_LOG"));
		if (bad & KC_BAD_CAP)
			kc_log(KC_LOG_WARN, "KVMCOMPL_CAP=%s not understood (a number from 1 to 65535, or off); using the default",
			       env_get("KVMCOMPL_CAP"));
		if (bad & KC_BAD_MODE)
			kc_log(KC_LOG_WARN, "KVMCOMPL_MODE=%s not understood (fix|report|strict|verify); using fix",
			       env_get("KVMCOMPL_MODE"));
		if (bad & KC_BAD_STATS)
			kc_log(KC_LOG_WARN, "KVMCOMPL_STATS=%s not understood (0|1); statistics off",
			       env_get("KVMCOMPL_STATS"));
		if (bad & KC_BAD_TEST)
			kc_log(KC_LOG_WARN, "KVMCOMPL_TEST_BREAK=%s not understood (completion|guard|answer|restore); ignored",
			       env_get("KVMCOMPL_TEST_BREAK"));
	}
	return &the_settings;
}

unsigned int kc_cap_number(void)
{
	long cap = kc_settings()->cap;

	return cap == KC_CAP_DEFAULT ? kc_rules()->default_cap : (unsigned int)cap;
}

bool kc_settings_loaded(void)
{
	return atomic_load_explicit(&settings_state, memory_order_acquire) == 2;
}
