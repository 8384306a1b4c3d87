/*
 * check.h: a tiny TAP-style assertion kit for the unit test programs.
 *
 * Header only, one test program per binary: each check prints
 * "ok N - description" or "not ok N - description" on stdout, a failure
 * adds "# file:line: ..." lines with both values, and check_done() prints
 * the plan "1..N" and returns the exit status (0 when all passed).
 * Trusts its callers; strings may be NULL and are printed as (null).
 */
#ifndef POSTERN_CHECK_H
#define POSTERN_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_count;
static int check_failed;

static inline int
check_report(int ok, const char *desc)
{
	check_count++;
	if (!ok)
		check_failed++;
	printf("%sok %d - %s\n", ok ? "" : "not ", check_count, desc);
	return ok;
}

static inline int
check_true(int ok, const char *expr, const char *file, int line,
    const char *desc)
{
	if (!check_report(ok, desc))
		printf("# %s:%d: expected true: %s\n", file, line, expr);
	return ok;
}

static inline int
check_int_eq(long long a, long long b, const char *ea, const char *eb,
    const char *file, int line, const char *desc)
{
	int ok = a == b;

	if (!check_report(ok, desc))
		printf("# %s:%d: %s == %s: got %lld, expected %lld\n", file,
		    line, ea, eb, a, b);
	return ok;
}

static inline int
check_str_eq(const char *a, const char *b, const char *ea, const char *eb,
    const char *file, int line, const char *desc)
{
	int ok = (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;

	if (!check_report(ok, desc))
		printf("# %s:%d: %s == %s:\n#   got      \"%s\"\n"
		    "#   expected \"%s\"\n", file, line, ea, eb,
		    a != NULL ? a : "(null)", b != NULL ? b : "(null)");
	return ok;
}

/* check_done: print the plan; the exit status for main. */
static inline int
check_done(void)
{
	printf("1..%d\n", check_count);
	if (check_failed > 0)
		printf("# %d of %d checks failed\n", check_failed,
		    check_count);
	fflush(stdout);
	return check_failed > 0 ? 1 : 0;
}

#define CHECK_TRUE(x, desc) \
	check_true((x) != 0, #x, __FILE__, __LINE__, (desc))
#define CHECK_INT_EQ(a, b, desc) \
	check_int_eq((long long)(a), (long long)(b), #a, #b, __FILE__, \
	    __LINE__, (desc))
#define CHECK_STR_EQ(a, b, desc) \
	check_str_eq((a), (b), #a, #b, __FILE__, __LINE__, (desc))

#endif
