/*
 * test_mtasts.c: unit tests of the MTA-STS parsers and MX pattern match
 * (common/mtasts.c): good inputs in every accepted shape, and the
 * hostile ones each refused with its reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mtasts.h"
#include "tests/unit/check.h"

static int
policy(const char *text, struct mtasts_policy *p, char *err)
{
	return mtasts_policy_parse(text, strlen(text), p, err, 128);
}

static void
test_policy_good(void)
{
	struct mtasts_policy p;
	char err[128];

	CHECK_INT_EQ(policy("version: STSv1\r\nmode: enforce\r\n"
	    "mx: mail.example.com\r\nmx: *.Example.NET\r\n"
	    "max_age: 604800\r\n", &p, err), 0, "policy: RFC 8461 example");
	CHECK_INT_EQ(p.mode, MTASTS_MODE_ENFORCE, "policy: enforce");
	CHECK_INT_EQ(p.max_age, 604800, "policy: max_age");
	CHECK_INT_EQ(p.nmx, 2, "policy: two mx");
	CHECK_STR_EQ(p.mx[1], "*.example.net", "policy: mx lowercased");
	CHECK_INT_EQ(policy("version:STSv1\nmode:testing\nmax_age:\t86400 \n"
	    "mx: mx.example.com\nfoo: bar\n\n", &p, err), 0,
	    "policy: LF, no space, tab, unknown field, blank line");
	CHECK_INT_EQ(p.mode, MTASTS_MODE_TESTING, "policy: testing");
	CHECK_INT_EQ(policy("version: STSv1\nmode: none\nmax_age: 99999999999"
	    , &p, err), -1, "policy: 11 digits of max_age refused");
	CHECK_INT_EQ(policy("version: STSv1\nmode: none\nmax_age: 9999999999",
	    &p, err), 0, "policy: mode none needs no mx, no final newline");
	CHECK_INT_EQ(p.max_age, MTASTS_MAX_AGE, "policy: max_age cut to a "
	    "year");
	CHECK_INT_EQ(policy("version: STSv1\nmode: enforce\nmode: none\n"
	    "max_age: 1\nmx: a.b\n", &p, err), 0, "policy: repeated mode");
	CHECK_INT_EQ(p.mode, MTASTS_MODE_ENFORCE, "policy: the first counts");
}

static void
test_policy_bad(void)
{
	static const struct {
		const char	*text, *err;
	} bad[] = {
		{ "mode: enforce\nmax_age: 1\nmx: a.b\n", "no version" },
		{ "version: STSv2\nmode: enforce\nmax_age: 1\nmx: a.b\n",
		    "an unknown policy version" },
		{ "version: STSv1\nmax_age: 1\nmx: a.b\n", "no mode" },
		{ "version: STSv1\nmode: strict\nmax_age: 1\nmx: a.b\n",
		    "an unknown mode" },
		{ "version: STSv1\nmode: enforce\nmx: a.b\n", "no max_age" },
		{ "version: STSv1\nmode: enforce\nmax_age: -1\nmx: a.b\n",
		    "a malformed max_age" },
		{ "version: STSv1\nmode: enforce\nmax_age: \nmx: a.b\n",
		    "a malformed max_age" },
		{ "version: STSv1\nmode: testing\nmax_age: 1\n",
		    "no mx in an enforce or testing policy" },
		{ "version: STSv1\nmode: enforce\nmax_age: 1\nmx: a..b\n",
		    "a malformed mx pattern" },
		{ "version: STSv1\nmode: enforce\nmax_age: 1\nmx: a.b.\n",
		    "a malformed mx pattern" },
		{ "version: STSv1\nmode: enforce\nmax_age: 1\nmx: *\n",
		    "a malformed mx pattern" },
		{ "version: STSv1\nmode: enforce\nmax_age: 1\nmx: a.*.b\n",
		    "a malformed mx pattern" },
		{ "version: STSv1\nmode: enforce\nmax_age: 1\nmx: a b\n",
		    "a malformed mx pattern" },
		{ "version: STSv1\nmode enforce\n", "a line without a field "
		    "name" },
		{ "version: STSv1\r\rmode: enforce\n", "a stray carriage "
		    "return" },
		{ "version: STSv1\nmode: enf\001orce\n",
		    "a control character" },
	};
	struct mtasts_policy p;
	char err[128], text[4096];
	size_t i;
	int n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(err, "(none)");
		CHECK_INT_EQ(policy(bad[i].text, &p, err), -1, bad[i].err);
		CHECK_STR_EQ(err, bad[i].err, "policy: the reason");
	}
	CHECK_INT_EQ(mtasts_policy_parse("version: STSv1\0mode: none\n", 26,
	    &p, err, sizeof(err)), -1, "policy: a NUL refused");
	n = snprintf(text, sizeof(text), "version: STSv1\nmode: enforce\n"
	    "max_age: 1\n");
	for (i = 0; i <= MTASTS_MX_MAX; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		    "mx: mx%zu.example.com\n", i);
	CHECK_INT_EQ(policy(text, &p, err), -1, "policy: too many mx");
	CHECK_INT_EQ(p.nmx, 0, "policy: zeroed on failure");
}

static void
test_txt(void)
{
	char id[MTASTS_ID_MAX + 1];
	const char *s;

	s = "v=STSv1; id=20160831085700Z;";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), 0, "txt: RFC example");
	CHECK_STR_EQ(id, "20160831085700Z", "txt: id");
	s = "v=STSv1 ;id=abc ; ext=x!y";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), 0,
	    "txt: spaces, an extension");
	CHECK_STR_EQ(id, "abc", "txt: id among others");
	s = "v=STSv1; id=12345678901234567890123456789012";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), 0, "txt: 32 id chars");
	s = "v=STSv1; id=123456789012345678901234567890123";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), -1, "txt: 33 refused");
	s = "v=STSv1; id=ab-c";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), -1,
	    "txt: id not alphanumeric");
	s = "v=STSv1;";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), -1, "txt: no id");
	s = "v=spf1 -all";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), -1, "txt: not STS");
	s = "v=STSv10; id=1";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), -1, "txt: STSv10");
	s = "id=1; v=STSv1";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), -1, "txt: v first");
	s = "v=STSv1; id=1;; x=y";
	CHECK_INT_EQ(mtasts_txt_parse(s, strlen(s), id), -1, "txt: empty "
	    "field");
	CHECK_INT_EQ(mtasts_txt_parse("v=STSv1; id=1\0", 14, id), -1,
	    "txt: a NUL");
}

static void
test_match(void)
{
	struct mtasts_policy p;
	char err[128];

	CHECK_INT_EQ(mtasts_pattern_match("mail.example.com",
	    "MAIL.example.com."), 1, "match: same name, case, dot");
	CHECK_INT_EQ(mtasts_pattern_match("*.example.com", "mx.example.com"),
	    1, "match: wildcard");
	CHECK_INT_EQ(mtasts_pattern_match("*.example.com", "example.com"), 0,
	    "match: wildcard needs a label");
	CHECK_INT_EQ(mtasts_pattern_match("*.example.com", "a.b.example.com"),
	    0, "match: wildcard is one label");
	CHECK_INT_EQ(mtasts_pattern_match("*.example.com", ".example.com"), 0,
	    "match: empty label");
	CHECK_INT_EQ(mtasts_pattern_match("*.example.com", "*.example.com"), 0,
	    "match: a host is never a wildcard");
	CHECK_INT_EQ(mtasts_pattern_match("mail.example.com", "mail.example"),
	    0, "match: another name");
	CHECK_INT_EQ(policy("version: STSv1\nmode: enforce\nmax_age: 1\n"
	    "mx: a.example.com\nmx: *.b.example.com\n", &p, err), 0,
	    "match: a policy");
	CHECK_INT_EQ(mtasts_mx_match(&p, "x.b.example.com"), 1,
	    "match: the second pattern");
	CHECK_INT_EQ(mtasts_mx_match(&p, "b.example.com"), 0,
	    "match: no pattern");
}

int
main(void)
{
	test_policy_good();
	test_policy_bad();
	test_txt();
	test_match();
	return check_done();
}
