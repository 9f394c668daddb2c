/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The subset of Check's runtime the unit tests use, for targets Debian has
 * no Check for (riscv64 in bookworm, musl): built against the real check.h,
 * each test in a forked child as with Check's default CK_FORK, and Check's
 * closing line. configure --with-minicheck links the unit tests with it
 * (make check-cross for riscv64, make check-musl). */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

struct TCase { const char *name; const TTest **tests; int n; TCase *next; };
struct Suite { const char *name; TCase *first, *last; Suite *next; };
struct SRunner { Suite *first, *last; int run, failed, errors; };
static const char *cur_tcase = "";
static const char *cur_test = "";

Suite *suite_create(const char *name)
{
	Suite *s = calloc(1, sizeof *s);
	if (!s) abort();
	s->name = name;
	return s;
}
void suite_add_tcase(Suite *s, TCase *tc)
{
	if (s->last) s->last->next = tc; else s->first = tc;
	s->last = tc;
}
TCase *tcase_create(const char *name)
{
	TCase *tc = calloc(1, sizeof *tc);
	if (!tc) abort();
	tc->name = name;
	return tc;
}
void _tcase_add_test(TCase *tc, const TTest *t, int sig, int exitv, int start, int end)
{
	if (sig || exitv || start != 0 || end != 1) {
		fprintf(stderr, "minicheck: %s: signal, exit or loop tests are not supported\n", t->name);
		abort();
	}
	tc->tests = realloc(tc->tests, (tc->n + 1) * sizeof *tc->tests);
	if (!tc->tests) abort();
	tc->tests[tc->n++] = t;
}
SRunner *srunner_create(Suite *s)
{
	SRunner *sr = calloc(1, sizeof *sr);
	if (!sr) abort();
	if (s) srunner_add_suite(sr, s);
	return sr;
}
void srunner_add_suite(SRunner *sr, Suite *s)
{
	if (sr->last) sr->last->next = s; else sr->first = s;
	sr->last = s;
}
void _mark_point(const char *file, int line) { (void)file; (void)line; }
void _ck_assert_failed(const char *file, int line, const char *expr, const char *msg, ...)
{
	va_list ap;

	printf("%s:%d:F:%s:%s:0: ", file, line, cur_tcase, cur_test);
	if (msg) { va_start(ap, msg); vprintf(msg, ap); va_end(ap); }
	else fputs(expr, stdout);
	putchar('\n');
	fflush(stdout);
	_exit(1);
}
void srunner_run_all(SRunner *sr, enum print_output mode)
{
	(void)mode;
	printf("Running suite(s):");
	for (Suite *s = sr->first; s; s = s->next)
		printf(" %s", s->name);
	printf("\n");
	for (Suite *s = sr->first; s; s = s->next)
		for (TCase *tc = s->first; tc; tc = tc->next)
			for (int i = 0; i < tc->n; i++) {
				const TTest *t = tc->tests[i];
				int st;
				pid_t pid;

				cur_tcase = tc->name;
				cur_test = t->name;
				fflush(stdout);
				pid = fork();
				if (pid == 0) {
					t->fn(0);
					fflush(stdout);
					_exit(0);
				}
				sr->run++;
				if (pid < 0 || waitpid(pid, &st, 0) != pid) {
					printf("%s:%d:E:%s:%s:0: fork failed\n", t->file, t->line, tc->name, t->name);
					sr->errors++;
				} else if (WIFEXITED(st) && WEXITSTATUS(st) == 1) {
					sr->failed++;
				} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
					printf("%s:%d:E:%s:%s:0: (after this point) died (status %#x)\n",
					       t->file, t->line, tc->name, t->name, st);
					sr->errors++;
				}
			}
	printf("%d%%: Checks: %d, Failures: %d, Errors: %d\n",
	       sr->run ? 100 * (sr->run - sr->failed - sr->errors) / sr->run : 100,
	       sr->run, sr->failed, sr->errors);
	fflush(stdout);
}
int srunner_ntests_failed(SRunner *sr) { return sr->failed + sr->errors; }
void srunner_free(SRunner *sr) { free(sr); }
