/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"

/* The words parser stores a word's number into an enum or unsigned field. */
_Static_assert(sizeof(enum kc_complete_mode) == sizeof(unsigned) &&
	       sizeof(enum kc_mode) == sizeof(unsigned), "word fields are unsigned-sized");

#define FIELD(s, row, type) ((type *)((char *)(s) + (row)->field))

/* The number of v among the row's '|'-separated words, or -1. */
static int word_number(const char *words, const char *v)
{
	size_t n = strlen(v);
	int i = 0;

	for (const char *w = words; *w; i++) {
		const char *end = strchr(w, '|');
		size_t len = end ? (size_t)(end - w) : strlen(w);

		if (n && len == n && memcmp(w, v, n) == 0)
			return i;
		if (!end)
			break;
		w = end + 1;
	}
	return -1;
}

static bool parse_word(const struct kc_setting *row, struct kc_settings *s, const char *v)
{
	int i = word_number(row->values, v);

	if (i < 0)
		return false;
	*FIELD(s, row, unsigned) = (unsigned)i;
	return true;
}

/* A set of switches, one bit per word; the setting names one. */
static bool parse_bit(const struct kc_setting *row, struct kc_settings *s, const char *v)
{
	int i = word_number(row->values, v);

	if (i < 0)
		return false;
	*FIELD(s, row, unsigned) = 1u << i;
	return true;
}

/* Any text; empty is unset. */
static bool parse_text(const struct kc_setting *row, struct kc_settings *s, const char *v)
{
	*FIELD(s, row, const char *) = *v ? v : NULL;
	return true;
}

/* Any text, empty included (an empty architecture matches none). */
static bool parse_any(const struct kc_setting *row, struct kc_settings *s, const char *v)
{
	*FIELD(s, row, const char *) = v;
	return true;
}

static bool parse_cap(const struct kc_setting *row, struct kc_settings *s, const char *v)
{
	char *end;
	long n;

	if (strcmp(v, "off") == 0) {
		*FIELD(s, row, long) = KC_CAP_OFF;
		return true;
	}
	n = strtol(v, &end, 10);
	if (!*v || *end || n <= 0 || n >= 65536)
		return false;
	*FIELD(s, row, long) = n;
	return true;
}

#define AT(f) offsetof(struct kc_settings, f)

/* Every setting, one row each: adding one is a field in struct kc_settings,
 * a row here, and its entries in README.md ("Settings") and
 * man/libkvmcompl.7 (SETTINGS), which tests/settings.test checks. The
 * default is written once, in `def`, and parsed like a user's value. */
const struct kc_setting kc_setting_rows[] = {
	{ "KVMCOMPL_COMPLETE", "auto|other-thread|off", parse_word, AT(complete),
	  "auto", NULL, "using auto", false },
	{ "KVMCOMPL_LOG", "off|error|warn|info|debug", parse_word, AT(log_level),
	  "warn", NULL, "using warn", false },
	{ "KVMCOMPL_LOG_FILE", "a path", parse_text, AT(log_file),
	  NULL, "stderr", NULL, false },
	{ "KVMCOMPL_CAP", "a number from 1 to 65535, or off", parse_cap, AT(cap),
	  NULL, "239; none on arm64", "using the default", false },
	{ "KVMCOMPL_MODE", "fix|report|strict|verify", parse_word, AT(mode),
	  "fix", NULL, "using fix", false },
	{ "KVMCOMPL_REPORT_FILE", "a path", parse_text, AT(report_file),
	  NULL, "none", NULL, false },
	{ "KVMCOMPL_STATS", "0|1", parse_word, AT(stats),
	  "0", NULL, "statistics off", false },
	{ "KVMCOMPL_TEST_ARCH", "an architecture's name", parse_any, AT(test_arch),
	  NULL, "the native one", NULL, true },
	{ "KVMCOMPL_TEST_BREAK", "completion|guard|answer|restore", parse_bit, AT(test_break),
	  NULL, "none", "ignored", true },
};
const size_t kc_setting_count = sizeof kc_setting_rows / sizeof *kc_setting_rows;

unsigned kc_setting_bit(const char *name)
{
	for (size_t i = 0; i < kc_setting_count; i++)
		if (strcmp(kc_setting_rows[i].name, name) == 0)
			return 1u << i;
	return 0;
}

unsigned kc_settings_parse(struct kc_settings *s,
			   const char *(*get)(const char *name))
{
	unsigned bad = 0;

	memset(s, 0, sizeof *s);
	for (size_t i = 0; i < kc_setting_count; i++) {
		const struct kc_setting *row = &kc_setting_rows[i];
		const char *v = get(row->name);

		if (row->def)
			row->parse(row, s, row->def);
		if (v && !row->parse(row, s, v))
			bad |= 1u << i;
	}
	return bad;
}

const char *kc_settings_env(const char *name)
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
static unsigned the_bad;
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
	/* For a caller that races the first: its own parse, in its thread. */
	static _Thread_local struct kc_settings racing;
	struct kc_settings s;
	unsigned bad;
	int expected = 0;

	if (atomic_load_explicit(&settings_state, memory_order_acquire) == 2)
		return &the_settings;

	bad = kc_settings_parse(&s, kc_settings_env);
	if (atomic_compare_exchange_strong(&settings_state, &expected, 1)) {
		/* A copy: the VMM may change its environment later. */
		s.log_file = keep(log_path, s.log_file);
		s.report_file = keep(report_path, s.report_file);
		the_settings = s;
		the_bad = bad;
		atomic_store_explicit(&settings_state, 2, memory_order_release);
	} else if (atomic_load_explicit(&settings_state, memory_order_acquire) != 2) {
		/* Another caller (perhaps the code this handler interrupted)
		 * is publishing: use this parse this once. */
		racing = s;
		return &racing;
	}
	return &the_settings;
}

unsigned kc_settings_bad(void)
{
	return atomic_load_explicit(&settings_state, memory_order_acquire) == 2 ? the_bad : 0;
}

bool kc_settings_loaded(void)
{
	return atomic_load_explicit(&settings_state, memory_order_acquire) == 2;
}
