/*
 * test_psl.c: unit test of the Public Suffix List (common/psl.c) and the
 * Punycode encoder it uses (common/punycode.c): normal, wildcard and
 * exception rules from a small list in the real file's format
 * (tests/unit/psl_test.dat), UTF-8 rules matched in A-label form,
 * malformed lists refused, and, when Debian's publicsuffix package is
 * installed, the real list.  Runs as a plain program from the tree's top.
 */
#include <stdio.h>
#include <string.h>

#include "common/psl.h"
#include "common/punycode.h"
#include "tests/unit/check.h"

static void
test_punycode(void)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "公司", "xn--55qx5d" }, { "bücher", "xn--bcher-kva" },
		{ "münchen", "xn--mnchen-3ya" }, { "ελ", "xn--qxam" },
		{ "ファッション", "xn--bck1b9a5dre4c" }, { "例え", "xn--r8jz45g" },
		{ "example", "example" },
	};
	static const char *bad[] = {
		"", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe4\xbd",
		"\x80", "\xff",
	};
	char out[64], desc[96];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(desc, sizeof(desc), "punycode %s", ok[i].out);
		CHECK_INT_EQ(punycode_label(ok[i].in, strlen(ok[i].in), out,
		    sizeof(out)), strlen(ok[i].out), desc);
		CHECK_STR_EQ(out, ok[i].out, desc);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(desc, sizeof(desc), "punycode refuses bad UTF-8 %zu", i);
		CHECK_INT_EQ(punycode_label(bad[i], strlen(bad[i]), out,
		    sizeof(out)), -1, desc);
	}
	CHECK_INT_EQ(punycode_label("bücher", 7, out, 8), -1,
	    "punycode output past the buffer refused");
	{
		char big[160] = "";

		for (i = 0; i < 70; i++)
			strcat(big, "ü");
		CHECK_INT_EQ(punycode_label(big, strlen(big), out,
		    sizeof(out)), -1, "an A-label past 63 bytes refused");
	}
}

static void
check_org(const struct psl *p, const char *domain, const char *org,
    const char *suffix)
{
	char out[DNS_NAME_MAX + 1], desc[160];

	snprintf(desc, sizeof(desc), "org domain of %s", domain);
	CHECK_INT_EQ(psl_org_domain(p, domain, out), 0, desc);
	CHECK_STR_EQ(out, org, desc);
	snprintf(desc, sizeof(desc), "public suffix of %s", domain);
	CHECK_INT_EQ(psl_public_suffix(p, domain, out), 0, desc);
	CHECK_STR_EQ(out, suffix, desc);
}

static void
test_small(void)
{
	static const char *bad[] = { "", ".", "a..b", ".a", "a@b..",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com" };
	char err[256], out[DNS_NAME_MAX + 1];
	struct psl *p;
	size_t i;

	p = psl_load("tests/unit/psl_test.dat", err, sizeof(err));
	CHECK_TRUE(p != NULL, "the test list loads");
	if (p == NULL) {
		printf("# %s\n", err);
		return;
	}
	CHECK_INT_EQ(psl_count(p), 13, "12 rules and one A-label copy");
	check_org(p, "a.b.example.co.uk", "example.co.uk", "co.uk");
	check_org(p, "example.co.uk", "example.co.uk", "co.uk");
	check_org(p, "Mail.Example.CO.UK.", "example.co.uk", "co.uk");
	check_org(p, "co.uk", "co.uk", "co.uk");
	check_org(p, "example.uk", "example.uk", "uk");
	check_org(p, "a.b.foo.ck", "b.foo.ck", "foo.ck");
	check_org(p, "foo.ck", "foo.ck", "foo.ck");
	check_org(p, "www.ck", "www.ck", "ck");
	check_org(p, "a.www.ck", "www.ck", "ck");
	check_org(p, "a.b.city.kawasaki.jp", "city.kawasaki.jp", "kawasaki.jp");
	check_org(p, "a.b.c.kawasaki.jp", "b.c.kawasaki.jp", "c.kawasaki.jp");
	check_org(p, "x.example.jp", "example.jp", "jp");
	check_org(p, "shop.公司.cn", "shop.公司.cn", "公司.cn");
	check_org(p, "a.shop.xn--55qx5d.cn", "shop.xn--55qx5d.cn",
	    "xn--55qx5d.cn");
	check_org(p, "a.example.com", "example.com", "com");
	check_org(p, "www.project.github.io", "project.github.io", "github.io");
	check_org(p, "a.b.example.unlisted", "example.unlisted", "unlisted");
	check_org(p, "localhost", "localhost", "localhost");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT_EQ(psl_org_domain(p, bad[i], out), -1,
		    "not a domain name refused");
	psl_free(p);
}

static void
test_malformed(void)
{
	static const char *bad[] = {
		"foo..bar\n", "!com\n", "*.\n", ".com\n", "com.\n", "a*.com\n",
		"foo.*.com\n", "x\0y\n", "\xff.com\n",
	};
	static const size_t badlen[] = { 9, 5, 3, 5, 5, 7, 10, 4, 6 };
	char err[256], line[600];
	struct psl *p;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char desc[80];

		snprintf(desc, sizeof(desc), "malformed list %zu refused", i);
		err[0] = '\0';
		p = psl_parse(bad[i], badlen[i], "t.dat", err, sizeof(err));
		CHECK_TRUE(p == NULL, desc);
		CHECK_TRUE(strncmp(err, "t.dat:1:", 8) == 0, "error names the line");
		psl_free(p);
	}
	memset(line, 'a', sizeof(line));
	p = psl_parse(line, sizeof(line), "t.dat", err, sizeof(err));
	CHECK_TRUE(p == NULL, "a line past the bound refused");
	psl_free(p);
	p = psl_parse("// only a comment", 17, "t.dat", err, sizeof(err));
	CHECK_TRUE(p != NULL && psl_count(p) == 0, "a list of no rule");
	if (p != NULL) {
		char out[DNS_NAME_MAX + 1];

		CHECK_INT_EQ(psl_org_domain(p, "a.b.c", out), 0, "no rule: *");
		CHECK_STR_EQ(out, "b.c", "no rule: the last two labels");
	}
	psl_free(p);
	CHECK_TRUE(psl_load("/nonexistent/psl.dat", err, sizeof(err)) == NULL,
	    "a missing file");
	CHECK_TRUE(strstr(err, "/nonexistent/psl.dat") != NULL,
	    "the error names the file");
}

static void
test_real(void)
{
	char err[256];
	struct psl *p;

	if ((p = psl_load(PSL_DEFAULT_FILE, err, sizeof(err))) == NULL) {
		printf("# skipping the real list: %s\n", err);
		return;
	}
	CHECK_TRUE(psl_count(p) > 5000, "the real list has its rules");
	check_org(p, "a.b.example.co.uk", "example.co.uk", "co.uk");
	check_org(p, "mail.example.com", "example.com", "com");
	check_org(p, "www.ck", "www.ck", "ck");
	check_org(p, "x.city.kawasaki.jp", "city.kawasaki.jp", "kawasaki.jp");
	check_org(p, "a.b.kawasaki.jp", "a.b.kawasaki.jp", "b.kawasaki.jp");
	check_org(p, "x.y.project.github.io", "project.github.io", "github.io");
	check_org(p, "a.shop.xn--55qx5d.cn", "shop.xn--55qx5d.cn",
	    "xn--55qx5d.cn");
	psl_free(p);
}

int
main(void)
{
	test_punycode();
	test_small();
	test_malformed();
	test_real();
	return check_done();
}
