/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging that allocates nothing and is safe in a signal handler: every line
 * is formatted on the stack and written with one write(2). */
#ifndef KC_LOG_H
#define KC_LOG_H

#include <stdatomic.h>

enum kc_level { KC_LOG_OFF, KC_LOG_ERROR, KC_LOG_WARN, KC_LOG_INFO, KC_LOG_DEBUG };

/* Supports %s %c %d %u %x %ld %lu %lx %zu %p and %%. */
void kc_log(enum kc_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A line whatever KVMCOMPL_LOG says (statistics the user asked for). */
void kc_log_always(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* kc_format with the arguments inline. */
int kc_snprintf(char *buf, int size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "cannot open WHAT PATH: <the error>" (a symlink named as such) in buf,
 * returned: for KVMCOMPL_LOG_FILE and KVMCOMPL_REPORT_FILE. */
const char *kc_open_error(char *buf, int size, const char *what, const char *path, int err);

/* From the settings (src/init.c), once: the level, and the file to open
 * (NULL: stderr). Until then lines of level warn and above go to stderr. */
void kc_log_setup(enum kc_level level, const char *path);

/* A file of the library's own (log, report): opened for appending, no
 * symlink, close-on-exec, numbered far from the VMM's fds; remembered by
 * identity, since the VMM may close the number and reuse it. */
struct kc_own_file {
	unsigned long dev, ino;
};
int kc_own_file_open(const char *path, struct kc_own_file *id);
/* Whether fd is still that file (one fstat). */
int kc_own_file_is(int fd, const struct kc_own_file *id);

/* Format into buf (always NUL-terminated); returns the length written. */
int kc_format(char *buf, int size, const char *fmt, __builtin_va_list ap);

/* Logs the first time this call site is reached, then stays quiet. */
#define kc_log_once(level, ...)                                              \
	do {                                                                 \
		static atomic_flag kc_once_ = ATOMIC_FLAG_INIT;              \
		if (!atomic_flag_test_and_set_explicit(&kc_once_,            \
						       memory_order_relaxed)) \
			kc_log(level, __VA_ARGS__);                          \
	} while (0)

#endif
