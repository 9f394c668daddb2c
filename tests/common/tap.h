/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The test programs' one harness: observation lines, checks, skips and hard
 * errors, each failure naming the source file and line that found it.
 *
 * Lines (stdout unless said):
 *   say(...)        "TAG: message"
 *   check(ok, ...)  "TAG: message: OK" or "TAG: message: FAIL (file.c:123)";
 *                   a FAIL makes tap_status() return 1
 *   fail(...)       "TAG: FAIL: message (file.c:123)", counted as a failure
 *   skip(...)       "PROG: SKIP: reason" on tap_diag, exit 77 (the last
 *                   line: the .test scripts quote it as the TAP SKIP reason)
 *   die(...)        "PROG: hard error: message (errno N: text) at file.c:123"
 *                   on tap_diag, exit 99
 * TAG is tap_tag ("scenario/mode"), PROG tap_prog; with no tag the lines
 * have no prefix.  The .test scripts turn the exit status into TAP
 * (tests/lib.sh run_case): 0 pass, 1 fail, 77 skip, 99 hard error.
 * tap_quiet silences say/check/fail (legacy-vmm's demo prints verdicts only). */
#ifndef KC_TEST_TAP_H
#define KC_TEST_TAP_H

#include <stdio.h>

extern const char *tap_prog;   /* program name, for skip and die */
extern const char *tap_tag;    /* line prefix, or NULL */
extern int tap_quiet;
extern FILE *tap_diag;         /* skip and die lines: stderr unless set */
extern void (*tap_before_exit)(void); /* run by skip() first (e.g. the kernel double's counters) */
extern unsigned tap_failures;

#define TAP_PRINTF(a, b) __attribute__((format(printf, a, b)))

void tap_say(const char *fmt, ...) TAP_PRINTF(1, 2);
int tap_check(const char *file, int line, int ok, const char *fmt, ...) TAP_PRINTF(4, 5);
void tap_fail(const char *file, int line, const char *fmt, ...) TAP_PRINTF(3, 4);
void tap_skip(const char *fmt, ...) __attribute__((noreturn)) TAP_PRINTF(1, 2);
void tap_die(const char *file, int line, const char *fmt, ...) __attribute__((noreturn)) TAP_PRINTF(3, 4);
/* 0 when no check failed, else 1: the program's exit status. */
int tap_status(void);
/* The errno's symbol (EINTR, EBADF...), or "errno N". */
const char *tap_errname(int e);

#define say(...) tap_say(__VA_ARGS__)
#define check(ok, ...) tap_check(__FILE__, __LINE__, (ok), __VA_ARGS__)
#define fail(...) tap_fail(__FILE__, __LINE__, __VA_ARGS__)
#define skip(...) tap_skip(__VA_ARGS__)
#define die(...) tap_die(__FILE__, __LINE__, __VA_ARGS__)

#endif
