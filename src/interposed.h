/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The functions this library interposes, one row each. From this table:
 * the entry points' prototypes (entry.h: the exports of libkvmcompl.so, or
 * __wrap_NAME in libkvmcompl.a), the next-definition slots and their
 * dlsym(RTLD_NEXT) / __real_NAME lookups (next.h, next.c); and
 * tests/interposition.test reads the rows to check the exported symbols,
 * the --wrap flags (Makefile.am, libkvmcompl.pc.in, README.md), the
 * version scripts and the Debian symbols file against them.
 *
 * Columns: the function; its slot (KC_NEXT_<slot>); its type; the
 * configure check it needs (a HAVE_ macro of config.h, or 1: always);
 * whether a static VMM wraps it (wrap) or not (nowrap). Rows in the
 * order of the slots; the first, ioctl, is the hot path's.
 *
 * Adding a function: its row (and type) here, its raw system call
 * raw_NAME in next.c, its definition KC_ENTRY(NAME) (fdcalls.c), and a
 * configure check (configure.ac AC_CHECK_FUNCS) unless every libc has it;
 * tests/interposition.test then names each list that lacks it. */
#ifndef KC_INTERPOSED_H
#define KC_INTERPOSED_H

typedef int kc_ioctl_ft(int, KC_IOCTL_REQ_T, ...);
typedef int kc_ioctl_time64_ft(int, unsigned long, ...);
typedef int kc_int_ft(int);
typedef int kc_dup2_ft(int, int);
typedef int kc_dup3_ft(int, int, int);
typedef int kc_fcntl_ft(int, int, ...);
typedef int kc_close_range_ft(unsigned int, unsigned int, int);
typedef void kc_closefrom_ft(int);

#define KC_INTERPOSED(X) \
	X(ioctl,          IOCTL,        kc_ioctl_ft,        1,                   wrap)   \
	X(__ioctl_time64, IOCTL_TIME64, kc_ioctl_time64_ft, HAVE___IOCTL_TIME64, nowrap) \
	X(close,          CLOSE,        kc_int_ft,          1,                   wrap)   \
	X(dup,            DUP,          kc_int_ft,          1,                   wrap)   \
	X(dup2,           DUP2,         kc_dup2_ft,         1,                   wrap)   \
	X(dup3,           DUP3,         kc_dup3_ft,         HAVE_DUP3,           wrap)   \
	X(fcntl,          FCNTL,        kc_fcntl_ft,        1,                   wrap)   \
	X(fcntl64,        FCNTL64,      kc_fcntl_ft,        HAVE_FCNTL64,        wrap)   \
	X(close_range,    CLOSE_RANGE,  kc_close_range_ft,  HAVE_CLOSE_RANGE,    wrap)   \
	X(closefrom,      CLOSEFROM,    kc_closefrom_ft,    HAVE_CLOSEFROM,      wrap)

/* KC_IF(check)(text): text where the configure check holds (its macro is
 * defined as 1), nothing where it is not defined; at compile time. */
#define KC_IF_PROBE_1 ~, 1
#define KC_IF_SECOND(a, b, ...) b
#define KC_IF_IS1(...) KC_IF_SECOND(__VA_ARGS__, 0, ~)
#define KC_IF_TEST(v) KC_IF_IS1(KC_IF_PROBE_##v)
#define KC_IF_PICK(b) KC_IF_PICK_(b)
#define KC_IF_PICK_(b) KC_IF_##b
#define KC_IF_1(...) __VA_ARGS__
#define KC_IF_0(...)
#define KC_IF(check) KC_IF_PICK(KC_IF_TEST(check))

#endif
