/*
 * test_mutf7.c: unit test of modified UTF-7 (common/mutf7.c): RFC 3501's
 * examples, round trips, and every malformed input the strict decoder
 * and encoder must refuse.  Runs as a plain program; it is the test.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/mutf7.h"
#include "tests/unit/check.h"

static const struct {
	const char	*utf8;
	const char	*mutf7;
} pairs[] = {
	{ "INBOX", "INBOX" },
	{ "Entw\xc3\xbcrfe", "Entw&APw-rfe" },
	{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac"
	    "\xe8\xaa\x9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
	{ "A&B", "A&-B" },
	{ "&", "&-" },
	{ "\xf0\x9f\x98\x81", "&2D3eAQ-" },
	{ "a\x01z", "a&AAE-z" },
	{ "\xc3\xa4&\xc3\xb6", "&AOQ-&-&APY-" },
	{ "", "" },
};

static const char *bad_mutf7[] = {
	"&U,BTFw",		/* unterminated */
	"&-&",			/* unterminated after a literal & */
	"&AGE-",		/* 'a' must stand for itself */
	"&AOQ-&APY-",		/* null shift */
	"&APx-",		/* leftover bits not zero */
	"&2D0-",		/* lone high surrogate */
	"&3gE-",		/* lone low surrogate */
	"&AOQA-",		/* six leftover bits */
	"&-a&-",		/* fine: see the good list; not here */
	"&A*Q-",		/* not BASE64 */
	"&AOQ/-",		/* '/' is plain BASE64, not modified */
	"\xc3\xa4",		/* 8-bit */
	"tab\there",		/* control */
	"&--",			/* fine as "&-" then "-"; not here */
	"a&AAA-b",		/* U+0000 */
};

static const char *bad_utf8[] = {
	"\xc3",			/* truncated */
	"\xc0\xaf",		/* overlong '/' */
	"\xe0\x80\xaf",		/* overlong */
	"\xed\xa0\x80",		/* surrogate */
	"\xf4\x90\x80\x80",	/* above U+10FFFF */
	"\xff",
	"a\x80z",		/* stray continuation */
};

static void
test_pairs(void)
{
	char buf[256];
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		CHECK_INT_EQ(mutf7_encode(pairs[i].utf8, buf, sizeof(buf)), 0,
		    "encode");
		CHECK_STR_EQ(buf, pairs[i].mutf7, "encoded as RFC 3501 says");
		CHECK_INT_EQ(mutf7_decode(pairs[i].mutf7, buf, sizeof(buf)), 0,
		    "decode");
		CHECK_STR_EQ(buf, pairs[i].utf8, "decoded back");
	}
}

static void
test_bad(void)
{
	char buf[256];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(bad_mutf7) / sizeof(bad_mutf7[0]); i++) {
		errno = 0;
		rc = mutf7_decode(bad_mutf7[i], buf, sizeof(buf));
		if (strcmp(bad_mutf7[i], "&-a&-") == 0 ||
		    strcmp(bad_mutf7[i], "&--") == 0) {
			CHECK_INT_EQ(rc, 0, "literal & runs are fine");
			continue;
		}
		if (!CHECK_TRUE(rc == -1 && errno == EINVAL,
		    "malformed modified UTF-7 refused"))
			printf("# input \"%s\" gave \"%s\"\n", bad_mutf7[i],
			    buf);
	}
	for (i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		errno = 0;
		rc = mutf7_encode(bad_utf8[i], buf, sizeof(buf));
		CHECK_TRUE(rc == -1 && errno == EINVAL,
		    "invalid UTF-8 refused");
	}
}

static void
test_bounds(void)
{
	char small[8], big[600], out[2048], back[600];
	size_t i;

	errno = 0;
	CHECK_TRUE(mutf7_encode("Entw\xc3\xbcrfe", small, sizeof(small)) ==
	    -1 && errno == ENAMETOOLONG, "encode: too small a buffer");
	CHECK_TRUE(strlen(small) < sizeof(small), "prefix terminated");
	errno = 0;
	CHECK_TRUE(mutf7_decode("Entw&APw-rfe", small, sizeof(small)) == -1 &&
	    errno == ENAMETOOLONG, "decode: too small a buffer");
	for (i = 0; i + 2 < sizeof(big); i += 2) {
		big[i] = '\xc3';
		big[i + 1] = '\xa4';
	}
	big[i] = '\0';
	CHECK_INT_EQ(mutf7_encode(big, out, sizeof(out)), 0,
	    "a long non-ASCII run is one BASE64 run");
	CHECK_TRUE(out[0] == '&' && strchr(out + 1, '&') == NULL,
	    "no null shift inside it");
	CHECK_INT_EQ(mutf7_decode(out, back, sizeof(back)), 0, "decode it");
	CHECK_STR_EQ(back, big, "and back");
}

int
main(void)
{
	test_pairs();
	test_bad();
	test_bounds();
	return check_done();
}
