/*
 * test_split.c: unit test of authd/split.c, where a login secret may end
 * in a TOTP code or a recovery code: each shape, both recovery forms and
 * cases, the byte of password that must stay before a code, and secrets
 * that only look close.  Runs as a plain program; it is the test.
 */
#include <string.h>

#include "authd/split.h"
#include "tests/unit/check.h"

static void
split_str(const char *s, struct split *sp)
{
	split_secret((const uint8_t *)s, strlen(s), sp);
}

static void
test_code(void)
{
	struct split sp;

	split_str("hunter2hunter2123456", &sp);
	CHECK_INT_EQ(sp.has_code, 1, "six digits at the end");
	CHECK_INT_EQ(sp.code_prefix, 14, "password length before the code");
	CHECK_STR_EQ(sp.code, "123456", "the code");
	CHECK_INT_EQ(sp.has_recovery, 0, "digits 1-6 are no recovery shape");
	split_str("123456", &sp);
	CHECK_INT_EQ(sp.has_code, 0, "a code alone leaves no password");
	split_str("x123456", &sp);
	CHECK_INT_EQ(sp.has_code, 1, "one byte of password is enough");
	CHECK_INT_EQ(sp.code_prefix, 1, "one byte before the code");
	split_str("password12345", &sp);
	CHECK_INT_EQ(sp.has_code, 0, "five digits are no code");
	split_str("password12345x", &sp);
	CHECK_INT_EQ(sp.has_code, 0, "digits not at the end");
	split_secret((const uint8_t *)"pw\0""123456", 9, &sp);
	CHECK_INT_EQ(sp.has_code, 1, "a NUL in the password is just a byte");
	CHECK_INT_EQ(sp.code_prefix, 3, "NUL counted");
}

static void
test_recovery(void)
{
	struct split sp;

	split_str("hunter2hunter2abcd-efgh-2345", &sp);
	CHECK_INT_EQ(sp.has_recovery, 1, "dashed recovery code");
	CHECK_INT_EQ(sp.recovery_prefix, 14, "password before it");
	CHECK_STR_EQ(sp.recovery, "abcdefgh2345", "normalised");
	CHECK_INT_EQ(sp.has_code, 0, "2345 is no six-digit code");
	split_str("hunter2hunter2ABCDEFGH2345", &sp);
	CHECK_INT_EQ(sp.has_recovery, 1, "bare upper-case recovery code");
	CHECK_INT_EQ(sp.recovery_prefix, 14, "password before it");
	CHECK_STR_EQ(sp.recovery, "abcdefgh2345", "lowercased");
	split_str("abcd-efgh-2345", &sp);
	CHECK_INT_EQ(sp.has_recovery, 0, "a code alone leaves no password");
	split_str("pwabcd_efgh-2345", &sp);
	CHECK_INT_EQ(sp.has_recovery, 0, "a dash out of place is no shape");
	split_str("pwabcdefgh2389", &sp);
	CHECK_INT_EQ(sp.has_recovery, 0, "8 and 9 are not in the alphabet");
	split_str("x-abcdefgh2345", &sp);
	CHECK_INT_EQ(sp.has_recovery, 1, "bare twelve after a dash");
	CHECK_INT_EQ(sp.recovery_prefix, 2, "the dash is password");
	split_str("pw777777777777", &sp);
	CHECK_INT_EQ(sp.has_recovery, 1, "digits 2-7 are letters too");
	CHECK_INT_EQ(sp.has_code, 1, "and the last six a code shape");
}

int
main(void)
{
	test_code();
	test_recovery();
	return check_done();
}
