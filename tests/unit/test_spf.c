/*
 * test_spf.c: unit test of the SPF check (common/spf*.c): the record
 * grammar, the macro examples of RFC 7208 section 7.4, the evaluation
 * examples of its appendix A, every result, and the lookup limits of
 * section 4.6.4, answered by a table DNS (tests/tools/dnstable.h).
 * Runs as a plain program; trusts nothing: it is the test.
 */
#include <stdio.h>
#include <string.h>

#include "common/spf.h"
#include "tests/tools/dnstable.h"
#include "tests/unit/check.h"

static void
test_record(void)
{
	static const char *good[] = {
		"v=spf1", "V=SPF1 -ALL", "v=spf1  a  mx  -all ",
		"v=spf1 a/24 mx:example.org//64 a:mail.example.com/24//48 -all",
		"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ~all",
		"v=spf1 include:_spf.example.com ?all",
		"v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all",
		"v=spf1 ptr ptr:example.com -all",
		"v=spf1 redirect=_spf.example.com",
		"v=spf1 -all exp=explain._spf.%{d}",
		"v=spf1 -all moo=foo match.sub-domains_9=yes x=",
		"v=spf1 a:%{d}.example.com. -all",
		"v=spf1 mx:%%%_/.Clara.de/27",
		"v=spf1 a:foo-1.123-4",
		"v=spf1 ip4:0.0.0.0/0 ip6:::/0",
	};
	static const char *bad[] = {
		"v=spf10", "v=spf1 moo", "v=spf1 =a", "v=spf1 all:foo",
		"v=spf1 -all:3030", "v=spf1 ip4:192.0.0.n", "v=spf1 ip4:1.2.3.4/33",
		"v=spf1 ip4:1.2.3.4/08", "v=spf1 ip4:1.2.03.4", "v=spf1 ip6:2001:db8:ZZZZ::",
		"v=spf1 ip6:::1/129", "v=spf1 ip4:1.2.3.4//64", "v=spf1 include",
		"v=spf1 include:", "v=spf1 exists", "v=spf1 a:example.com:8080",
		"v=spf1 a:mail.example.com,", "v=spf1 a:localhost", "v=spf1 a:example.123",
		"v=spf1 a/33", "v=spf1 a//129", "v=spf1 a/", "v=spf1 mx:example.com/",
		"v=spf1 redirect=a.example.com redirect=b.example.com",
		"v=spf1 exp=a.example.com exp=b.example.com", "v=spf1 redirect=",
		"v=spf1 exists:%{x}.example.com", "v=spf1 exists:%{d0}.example.com",
		"v=spf1 exists:%{c}.example.com", "v=spf1 exists:%(d).example.com",
		"v=spf1 a:%", "v=spf1 include:example.com/24", "v=spf1 ptr/24",
		"v=spf1 a:ex\tample.com", "v=spf1 moo=%{", "v=spf1 +-all",
		"v=spf1 a:foo.-example", "",
	};
	struct spf_record r;
	char err[128], desc[160];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(desc, sizeof(desc), "record parses: %s", good[i]);
		CHECK_INT_EQ(spf_record_parse(good[i], strlen(good[i]), &r, err,
		    sizeof(err)), 0, desc);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(desc, sizeof(desc), "record refused: %s", bad[i]);
		CHECK_INT_EQ(spf_record_parse(bad[i], strlen(bad[i]), &r, err,
		    sizeof(err)), -1, desc);
		CHECK_TRUE(err[0] != '\0', "refusal says why");
	}

	CHECK_INT_EQ(spf_record_parse(good[3], strlen(good[3]), &r, err,
	    sizeof(err)), 0, "dual cidr record");
	CHECK_INT_EQ(r.n, 4, "four terms");
	CHECK_INT_EQ(r.term[0].kind, SPF_A, "a");
	CHECK_INT_EQ(r.term[0].cidr4, 24, "a/24");
	CHECK_INT_EQ(r.term[0].cidr6, 128, "a/24 keeps /128");
	CHECK_TRUE(r.term[0].spec == NULL, "a without domain");
	CHECK_STR_EQ(r.term[1].spec, "example.org", "mx domain");
	CHECK_INT_EQ(r.term[1].cidr4, 32, "mx //64 keeps /32");
	CHECK_INT_EQ(r.term[1].cidr6, 64, "mx //64");
	CHECK_INT_EQ(r.term[2].cidr4, 24, "a /24//48: 24");
	CHECK_INT_EQ(r.term[2].cidr6, 48, "a /24//48: 48");
	CHECK_INT_EQ(r.term[3].qual, SPF_FAIL, "-all");

	CHECK_INT_EQ(spf_record_parse(good[8], strlen(good[8]), &r, err,
	    sizeof(err)), 0, "redirect record");
	CHECK_STR_EQ(r.redirect, "_spf.example.com", "redirect kept");
	CHECK_INT_EQ(r.n, 0, "redirect is no mechanism");

	{
		char big[SPF_RECORD_MAX + 16];

		memset(big, 'a', sizeof(big));
		memcpy(big, "v=spf1 ", 7);
		for (i = 7; i + 1 < sizeof(big); i += 2)
			big[i + 1] = ' ';
		CHECK_INT_EQ(spf_record_parse(big, sizeof(big), &r, err,
		    sizeof(err)), -1, "record longer than the bound refused");
		CHECK_INT_EQ(spf_record_parse(big, 7 + 2 * SPF_TERMS_MAX, &r,
		    err, sizeof(err)), 0, "SPF_TERMS_MAX terms accepted");
		CHECK_INT_EQ(spf_record_parse(big, 7 + 2 * SPF_TERMS_MAX + 2,
		    &r, err, sizeof(err)), -1, "one term more refused");
	}
	CHECK_INT_EQ(spf_record_parse("v=spf1 a\0 -all", 15, &r, err,
	    sizeof(err)), -1, "a NUL inside refused");
	spf_record_parse("v=spf1 a:example.com/33 -all", 28, &r, err,
	    sizeof(err));
	CHECK_STR_EQ(err, "syntax error: \"a:example.com/33\"",
	    "the error shows the term as written");
}

static struct spf_macro_vars rfc_vars = {
	.sender = "strong-bad@email.example.com", .local = "strong-bad",
	.sender_domain = "email.example.com", .domain = "email.example.com",
	.ip = "192.0.2.3", .ip_text = "192.0.2.3", .version = "in-addr",
	.helo = "mx.example.org", .receiver = "mx.example.net",
	.timestamp = "1700000000",
};

static void
test_macro(void)
{
	/* RFC 7208 7.4 */
	static const struct {
		const char *spec, *out;
	} ex[] = {
		{ "%{s}", "strong-bad@email.example.com" },
		{ "%{o}", "email.example.com" },
		{ "%{d}", "email.example.com" },
		{ "%{d4}", "email.example.com" },
		{ "%{d3}", "email.example.com" },
		{ "%{d2}", "example.com" },
		{ "%{d1}", "com" },
		{ "%{dr}", "com.example.email" },
		{ "%{d2r}", "example.email" },
		{ "%{l}", "strong-bad" },
		{ "%{l-}", "strong.bad" },
		{ "%{lr}", "strong-bad" },
		{ "%{lr-}", "bad.strong" },
		{ "%{l1r-}", "strong" },
		{ "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com" },
		{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
		{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
		    "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
		{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
		    "3.2.0.192.in-addr.strong.lp._spf.example.com" },
		{ "%{d2}.trusted-domains.example.net",
		    "example.com.trusted-domains.example.net" },
		{ "%{S}", "strong-bad%40email.example.com" },
		{ "%{L}", "strong-bad" },
		{ "%%%_%-", "% %20" },
		{ "%{d999999999999}", "email.example.com" },
		{ "%{s-}", "strong.bad@email.example.com" },
		{ "%{sr-.}", "com.example.bad@email.strong" },
		{ "%{s2r-.}", "bad@email.strong" },
		{ "%{h}", "mx.example.org" },
		{ "%{p}", "unknown" },
		{ "x%{dR}y", "xcom.example.emaily" },
	};
	static const char *bad[] = {
		"%{d0}", "%{x}", "%", "%{d", "%{c}", "%{r}", "%{t}", "%a",
		"%{dr2}", "%{d+x}", "%{}",
	};
	char out[SPF_EXPAND_MAX], desc[160];
	size_t i;

	for (i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		snprintf(desc, sizeof(desc), "expand %s", ex[i].spec);
		CHECK_INT_EQ(spf_macro_expand(ex[i].spec, &rfc_vars, 0, 0, out,
		    sizeof(out)), 0, desc);
		CHECK_STR_EQ(out, ex[i].out, desc);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(desc, sizeof(desc), "expand refuses %s", bad[i]);
		CHECK_INT_EQ(spf_macro_expand(bad[i], &rfc_vars, 0, 0, out,
		    sizeof(out)), -1, desc);
		CHECK_INT_EQ(spf_macro_check(bad[i], 0, NULL), -1, desc);
	}
	CHECK_INT_EQ(spf_macro_expand("%{c} %{r} %{t}", &rfc_vars, 1, 0, out,
	    sizeof(out)), 0, "c, r, t in explanations");
	CHECK_STR_EQ(out, "192.0.2.3 mx.example.net 1700000000", "c r t");

	/* RFC 7208 7.4, IPv6 */
	{
		struct spf_macro_vars v6 = rfc_vars;

		v6.ip = "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		    "0.0.0.0.c.b.0.1";
		v6.version = "ip6";
		CHECK_INT_EQ(spf_macro_expand("%{ir}.%{v}._spf.%{d2}", &v6, 0,
		    1, out, sizeof(out)), 0, "IPv6 example");
		CHECK_STR_EQ(out, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		    "0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com",
		    "IPv6 example");
	}

	CHECK_INT_EQ(spf_macro_expand("%{d}.", &rfc_vars, 0, 1, out,
	    sizeof(out)), 0, "trailing dot");
	CHECK_STR_EQ(out, "email.example.com", "trailing dot dropped");
	CHECK_INT_EQ(spf_macro_expand("%{d}", &rfc_vars, 0, 0, out, 10), -1,
	    "expansion past the buffer refused");
	{
		char spec[512];

		spec[0] = '\0';
		for (i = 0; i < 20; i++)
			strcat(spec, "%{o}.");
		strcat(spec, "example.net");
		CHECK_INT_EQ(spf_macro_expand(spec, &rfc_vars, 0, 1, out,
		    sizeof(out)), 0, "long domain expands");
		CHECK_TRUE(strlen(out) <= 253, "cut to 253");
		CHECK_TRUE(strlen(out) > 240, "only as much as needed cut");
		CHECK_TRUE(strcmp(out + strlen(out) - 12, ".example.net") == 0,
		    "cut on the left");
		CHECK_TRUE(out[0] != '.', "cut at a label");
	}
}

/* RFC 7208 appendix A's zone, with example.com's record as given. */
static struct dnstable *
zone(const char *record)
{
	static const char *rr[][3] = {
		{ "example.com", "MX", "10 mx.example.com" },
		{ "example.com", "MX", "20 mx2.example.com" },
		{ "mx.example.com", "A", "192.0.2.129" },
		{ "mx2.example.com", "A", "192.0.2.130" },
		{ "example.com", "A", "192.0.2.10" },
		{ "example.com", "A", "192.0.2.11" },
		{ "amy.example.com", "A", "192.0.2.65" },
		{ "bob.example.com", "A", "192.0.2.66" },
		{ "mail-a.example.com", "A", "192.0.2.129" },
		{ "mail-b.example.com", "A", "192.0.2.130" },
		{ "example.org", "MX", "10 mail-c.example.org" },
		{ "mail-c.example.org", "A", "192.0.2.140" },
		{ "10.2.0.192.in-addr.arpa", "PTR", "example.com" },
		{ "11.2.0.192.in-addr.arpa", "PTR", "example.com" },
		{ "65.2.0.192.in-addr.arpa", "PTR", "amy.example.com" },
		{ "66.2.0.192.in-addr.arpa", "PTR", "bob.example.com" },
		{ "129.2.0.192.in-addr.arpa", "PTR", "mail-a.example.com" },
		{ "130.2.0.192.in-addr.arpa", "PTR", "mail-b.example.com" },
		{ "140.2.0.192.in-addr.arpa", "PTR", "mail-c.example.org" },
		{ "4.0.0.10.in-addr.arpa", "PTR", "bob.example.com" },
	};
	struct dnstable *t = dnstable_new();
	size_t i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < sizeof(rr) / sizeof(rr[0]); i++)
		if (dnstable_add(t, rr[i][0], rr[i][1], rr[i][2]) == -1)
			printf("# zone record %zu refused\n", i);
	if (record != NULL)
		dnstable_add(t, "example.com", "TXT", record);
	return t;
}

static enum spf_result
check(struct dnstable *t, const char *ip, const char *sender)
{
	struct spf_outcome o;

	return spf_check(dnstable_lookup, t, ip, sender, "mx.example.org",
	    "mx.example.net", &o);
}

/* RFC 7208 A.1: which of the zone's addresses pass example.com's record. */
static void
test_appendix(void)
{
	static const char *addrs[] = {
		"192.0.2.10", "192.0.2.11", "192.0.2.65", "192.0.2.66",
		"192.0.2.129", "192.0.2.130", "192.0.2.131", "192.0.2.140",
		"192.0.2.143", "192.0.2.200", "10.0.0.4",
	};
	static const struct {
		const char *record;
		const char *pass;	/* one letter per address: + pass */
	} ex[] = {
		{ "v=spf1 +all", "+++++++++++" },
		{ "v=spf1 a -all", "++---------" },
		{ "v=spf1 a:example.org -all", "-----------" },
		{ "v=spf1 mx -all", "----++-----" },
		{ "v=spf1 mx:example.org -all", "-------+---" },
		{ "v=spf1 mx mx:example.org -all", "----++-+---" },
		{ "v=spf1 mx/30 mx:example.org/30 -all", "----+++++--" },
		{ "v=spf1 ptr -all", "++++++-----" },
		{ "v=spf1 ip4:192.0.2.128/28 -all", "----+++++--" },
	};
	char desc[160];
	size_t i, j;

	for (i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		struct dnstable *t = zone(ex[i].record);

		for (j = 0; j < sizeof(addrs) / sizeof(addrs[0]); j++) {
			snprintf(desc, sizeof(desc), "A.1 \"%s\" from %s",
			    ex[i].record, addrs[j]);
			CHECK_STR_EQ(spf_result_name(check(t, addrs[j],
			    "joe@example.com")), ex[i].pass[j] == '+' ?
			    "pass" : "fail", desc);
		}
		dnstable_free(t);
	}
}

/* One case: records (NAME TYPE VALUE triples, NULL ended), a check. */
struct spf_case {
	const char	*desc;
	const char	*rr[16][3];
	const char	*ip, *sender, *helo;
	enum spf_result	 want;
};

static const struct spf_case cases[] = {
	{ "no record: none", { { "example.com", "A", "192.0.2.1" } },
	    "192.0.2.1", "a@example.com", "h.example.com", SPF_NONE },
	{ "nxdomain: none", { { NULL } },
	    "192.0.2.1", "a@nowhere.example", "h.example.com", SPF_NONE },
	{ "single-label domain: none", { { "localhost", "TXT", "v=spf1 +all" } },
	    "192.0.2.1", "a@localhost", "h.example.com", SPF_NONE },
	{ "other TXT only: none", { { "example.com", "TXT", "v=spf10 +all" },
	    { "example.com", "TXT", "google-site-verification=x" } },
	    "192.0.2.1", "a@example.com", "h", SPF_NONE },
	{ "two records: permerror", { { "example.com", "TXT", "v=spf1 +all" },
	    { "example.com", "TXT", "v=spf1 -all" } },
	    "192.0.2.1", "a@example.com", "h", SPF_PERMERROR },
	{ "DNS failure: temperror", { { "example.com", "TEMP", "" } },
	    "192.0.2.1", "a@example.com", "h", SPF_TEMPERROR },
	{ "syntax error after a match: permerror",
	    { { "example.com", "TXT", "v=spf1 +all moo" } },
	    "192.0.2.1", "a@example.com", "h", SPF_PERMERROR },
	{ "no match, no redirect: neutral",
	    { { "example.com", "TXT", "v=spf1 ip4:10.0.0.0/8" } },
	    "192.0.2.1", "a@example.com", "h", SPF_NEUTRAL },
	{ "softfail", { { "example.com", "TXT", "v=spf1 ip4:10.0.0.0/8 ~all" } },
	    "192.0.2.1", "a@example.com", "h", SPF_SOFTFAIL },
	{ "?all: neutral", { { "example.com", "TXT", "v=spf1 ?all" } },
	    "192.0.2.1", "a@example.com", "h", SPF_NEUTRAL },
	{ "uppercase record", { { "example.com", "TXT", "V=SPF1 IP4:192.0.2.0/24 -ALL" } },
	    "192.0.2.1", "a@example.com", "h", SPF_PASS },
	{ "include pass", { { "example.com", "TXT", "v=spf1 include:_spf.example.net -all" },
	    { "_spf.example.net", "TXT", "v=spf1 ip4:192.0.2.1 -all" } },
	    "192.0.2.1", "a@example.com", "h", SPF_PASS },
	{ "include fail is no match", { { "example.com", "TXT", "v=spf1 include:_spf.example.net ~all" },
	    { "_spf.example.net", "TXT", "v=spf1 -all" } },
	    "192.0.2.1", "a@example.com", "h", SPF_SOFTFAIL },
	{ "include of no record: permerror", { { "example.com", "TXT", "v=spf1 include:_spf.example.net -all" },
	    { "_spf.example.net", "A", "192.0.2.1" } },
	    "192.0.2.1", "a@example.com", "h", SPF_PERMERROR },
	{ "include temperror", { { "example.com", "TXT", "v=spf1 include:_spf.example.net -all" },
	    { "_spf.example.net", "TEMP", "" } },
	    "192.0.2.1", "a@example.com", "h", SPF_TEMPERROR },
	{ "include permerror", { { "example.com", "TXT", "v=spf1 include:_spf.example.net -all" },
	    { "_spf.example.net", "TXT", "v=spf1 moo" } },
	    "192.0.2.1", "a@example.com", "h", SPF_PERMERROR },
	{ "redirect", { { "example.com", "TXT", "v=spf1 redirect=_spf.example.net" },
	    { "_spf.example.net", "TXT", "v=spf1 ip4:192.0.2.0/24 -all" } },
	    "192.0.2.1", "a@example.com", "h", SPF_PASS },
	{ "redirect keeps the target's result", { { "example.com", "TXT", "v=spf1 redirect=_spf.example.net" },
	    { "_spf.example.net", "TXT", "v=spf1 ip4:192.0.2.0/24 -all" } },
	    "198.51.100.1", "a@example.com", "h", SPF_FAIL },
	{ "redirect ignored after all", { { "example.com", "TXT", "v=spf1 -all redirect=_spf.example.net" },
	    { "_spf.example.net", "TXT", "v=spf1 +all" } },
	    "192.0.2.1", "a@example.com", "h", SPF_FAIL },
	{ "redirect to no record: permerror", { { "example.com", "TXT", "v=spf1 redirect=_spf.example.net" } },
	    "192.0.2.1", "a@example.com", "h", SPF_PERMERROR },
	{ "redirect %{d} is the target", { { "example.com", "TXT", "v=spf1 redirect=_spf.example.net" },
	    { "_spf.example.net", "TXT", "v=spf1 exists:%{d}.ok.example.org -all" },
	    { "_spf.example.net.ok.example.org", "A", "127.0.0.2" } },
	    "192.0.2.1", "a@example.com", "h", SPF_PASS },
	{ "exists with macros", { { "example.com", "TXT", "v=spf1 exists:%{ir}.%{l1r-}.%{d}.rbl.example.org -all" },
	    { "1.2.0.192.jo.example.com.rbl.example.org", "A", "127.0.0.2" } },
	    "192.0.2.1", "jo-x@example.com", "h", SPF_PASS },
	{ "exists with macros (match)", { { "example.com", "TXT", "v=spf1 exists:%{ir}.%{l1r-}.%{d}.rbl.example.org -all" },
	    { "1.2.0.192.x.example.com.rbl.example.org", "A", "127.0.0.2" } },
	    "192.0.2.1", "jo-x@example.com", "h", SPF_FAIL },
	{ "exists asks A even for IPv6", { { "example.com", "TXT", "v=spf1 exists:%{v}.example.org -all" },
	    { "ip6.example.org", "A", "127.0.0.2" } },
	    "2001:db8::1", "a@example.com", "h", SPF_PASS },
	{ "ip6", { { "example.com", "TXT", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all" } },
	    "2001:db8:1::5", "a@example.com", "h", SPF_PASS },
	{ "ip6 outside", { { "example.com", "TXT", "v=spf1 ip6:2001:db8::/32 -all" } },
	    "2001:db9::5", "a@example.com", "h", SPF_FAIL },
	{ "ip4 does not match IPv6", { { "example.com", "TXT", "v=spf1 ip4:0.0.0.0/0 -all" } },
	    "2001:db8::1", "a@example.com", "h", SPF_FAIL },
	{ "mapped IPv6 is IPv4", { { "example.com", "TXT", "v=spf1 ip4:192.0.2.0/24 -all" } },
	    "::ffff:192.0.2.9", "a@example.com", "h", SPF_PASS },
	{ "a with AAAA", { { "example.com", "TXT", "v=spf1 a//64 -all" },
	    { "example.com", "AAAA", "2001:db8:5:6::1" } },
	    "2001:db8:5:6:ffff::1", "a@example.com", "h", SPF_PASS },
	{ "a//64 outside", { { "example.com", "TXT", "v=spf1 a//64 -all" },
	    { "example.com", "AAAA", "2001:db8:5:6::1" } },
	    "2001:db8:5:7::1", "a@example.com", "h", SPF_FAIL },
	{ "mx over IPv6", { { "example.com", "TXT", "v=spf1 mx -all" },
	    { "example.com", "MX", "10 mx.example.com" }, { "mx.example.com", "AAAA", "2001:db8::25" } },
	    "2001:db8::25", "a@example.com", "h", SPF_PASS },
	{ "mx null MX: no match", { { "example.com", "TXT", "v=spf1 mx -all" },
	    { "example.com", "MX", "0 ." } },
	    "192.0.2.1", "a@example.com", "h", SPF_FAIL },
	{ "mx A lookup fails: temperror", { { "example.com", "TXT", "v=spf1 mx -all" },
	    { "example.com", "MX", "10 mx.example.com" }, { "mx.example.com", "TEMP", "" } },
	    "192.0.2.1", "a@example.com", "h", SPF_TEMPERROR },
	{ "HELO identity for <>", { { "mx.example.org", "TXT", "v=spf1 a -all" },
	    { "mx.example.org", "A", "192.0.2.7" } },
	    "192.0.2.7", "", "mx.example.org", SPF_PASS },
	{ "HELO identity fails", { { "mx.example.org", "TXT", "v=spf1 a -all" },
	    { "mx.example.org", "A", "192.0.2.7" } },
	    "192.0.2.8", "", "mx.example.org", SPF_FAIL },
	{ "null sender, HELO is an address literal: none",
	    { { "[192.0.2.8]", "TEMP", "" } },
	    "192.0.2.8", "", "[192.0.2.8]", SPF_NONE },
	{ "%{l} is postmaster for <>", { { "mx.example.org", "TXT", "v=spf1 exists:%{l}.%{o}.x.example.net -all" },
	    { "postmaster.mx.example.org.x.example.net", "A", "127.0.0.2" } },
	    "192.0.2.8", "", "mx.example.org", SPF_PASS },
	{ "%{h} is the HELO name", { { "example.com", "TXT", "v=spf1 exists:%{h}.x.example.net -all" },
	    { "helo.example.org.x.example.net", "A", "127.0.0.2" } },
	    "192.0.2.8", "a@example.com", "helo.example.org", SPF_PASS },
	{ "ptr with a target", { { "example.com", "TXT", "v=spf1 ptr:example.net -all" },
	    { "1.2.0.192.in-addr.arpa", "PTR", "mail.example.net" }, { "mail.example.net", "A", "192.0.2.1" } },
	    "192.0.2.1", "a@example.com", "h", SPF_PASS },
	{ "ptr not validated", { { "example.com", "TXT", "v=spf1 ptr:example.net -all" },
	    { "1.2.0.192.in-addr.arpa", "PTR", "mail.example.net" }, { "mail.example.net", "A", "192.0.2.2" } },
	    "192.0.2.1", "a@example.com", "h", SPF_FAIL },
	{ "ptr IPv6", { { "example.com", "TXT", "v=spf1 ptr -all" },
	    { "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "PTR", "mx.example.com" },
	    { "mx.example.com", "AAAA", "2001:db8::1" } },
	    "2001:db8::1", "a@example.com", "h", SPF_PASS },
	{ "ptr lookup fails: no match", { { "example.com", "TXT", "v=spf1 ptr ?all" },
	    { "1.2.0.192.in-addr.arpa", "TEMP", "" } },
	    "192.0.2.1", "a@example.com", "h", SPF_NEUTRAL },
	{ "unknown modifier ignored", { { "example.com", "TXT", "v=spf1 foo=%{d}.bar -all" } },
	    "192.0.2.1", "a@example.com", "h", SPF_FAIL },
	{ "exp parsed, not used", { { "example.com", "TXT", "v=spf1 -all exp=explain.%{d}" } },
	    "192.0.2.1", "a@example.com", "h", SPF_FAIL },
	{ "sender without local part", { { "example.com", "TXT", "v=spf1 exists:%{l}.x.example.net -all" },
	    { "postmaster.x.example.net", "A", "127.0.0.2" } },
	    "192.0.2.1", "@example.com", "h", SPF_PASS },
	{ "two voids are allowed", { { "example.com", "TXT", "v=spf1 a:n1.example.com a:n2.example.com ip4:192.0.2.1 -all" } },
	    "192.0.2.1", "a@example.com", "h", SPF_PASS },
	{ "a third void: permerror", { { "example.com", "TXT", "v=spf1 a:n1.example.com a:n2.example.com a:n3.example.com ip4:192.0.2.1 -all" } },
	    "192.0.2.1", "a@example.com", "h", SPF_PERMERROR },
	{ "void limit counts NODATA", { { "example.com", "TXT", "v=spf1 mx:n1.example.com mx:n2.example.com exists:n3.example.com +all" },
	    { "n1.example.com", "A", "192.0.2.5" }, { "n2.example.com", "A", "192.0.2.5" }, { "n3.example.com", "MX", "1 x.example.com" } },
	    "192.0.2.1", "a@example.com", "h", SPF_PERMERROR },
	{ "include loop: permerror", { { "example.com", "TXT", "v=spf1 include:example.net -all" },
	    { "example.net", "TXT", "v=spf1 include:example.com -all" } },
	    "192.0.2.1", "a@example.com", "h", SPF_PERMERROR },
	{ "redirect loop: permerror", { { "example.com", "TXT", "v=spf1 redirect=example.com" } },
	    "192.0.2.1", "a@example.com", "h", SPF_PERMERROR },
	{ "record too long: permerror", { { "example.com", "TXT", NULL } },
	    "192.0.2.1", "a@example.com", "h", SPF_PERMERROR },
};

static void
test_cases(void)
{
	struct spf_outcome o;
	char longrec[SPF_RECORD_MAX + 64], desc[160];
	size_t i, j;

	memset(longrec, 0, sizeof(longrec));
	memcpy(longrec, "v=spf1", 6);
	for (j = 6; j + 8 < sizeof(longrec) - 1; j += 7)
		memcpy(longrec + j, " ?all  ", 7);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct spf_case *c = &cases[i];
		struct dnstable *t = dnstable_new();

		for (j = 0; j < 16 && c->rr[j][0] != NULL; j++)
			if (dnstable_add(t, c->rr[j][0], c->rr[j][1],
			    c->rr[j][2] != NULL ? c->rr[j][2] : longrec) == -1)
				printf("# %s: record %zu refused\n", c->desc, j);
		spf_check(dnstable_lookup, t, c->ip, c->sender, c->helo,
		    "mx.example.net", &o);
		CHECK_STR_EQ(spf_result_name(o.result),
		    spf_result_name(c->want), c->desc);
		snprintf(desc, sizeof(desc), "%s: a reason is given", c->desc);
		CHECK_TRUE(o.reason[0] != '\0', desc);
		dnstable_free(t);
	}
}

/* A chain of n includes from example.com, the last one passing. */
static enum spf_result
chain(int n, unsigned *queries)
{
	struct dnstable *t = dnstable_new();
	struct spf_outcome o;
	char name[64], rec[128];
	int i;

	for (i = 0; i < n; i++) {
		if (i == 0)
			snprintf(name, sizeof(name), "example.com");
		else
			snprintf(name, sizeof(name), "i%d.example.com", i);
		snprintf(rec, sizeof(rec), "v=spf1 include:i%d.example.com -all",
		    i + 1);
		dnstable_add(t, name, "TXT", rec);
	}
	snprintf(name, sizeof(name), "i%d.example.com", n);
	dnstable_add(t, name, "TXT", "v=spf1 +all");
	spf_check(dnstable_lookup, t, "192.0.2.1", "a@example.com", "h", NULL,
	    &o);
	*queries = dnstable_queries(t);
	dnstable_free(t);
	return o.result;
}

static void
test_limits(void)
{
	struct dnstable *t;
	struct spf_outcome o;
	char name[64], val[64], rec[512];
	unsigned q;
	int i;

	CHECK_INT_EQ(chain(10, &q), SPF_PASS, "10 nested includes pass");
	CHECK_INT_EQ(chain(11, &q), SPF_PERMERROR, "11 nested includes: permerror");
	CHECK_TRUE(q <= 12, "no lookup past the limit");

	/* 10 MX names is the most (RFC 7208 4.6.4) */
	for (i = 10; i <= 11; i++) {
		int j;

		t = dnstable_new();
		dnstable_add(t, "example.com", "TXT", "v=spf1 mx -all");
		for (j = 0; j < i; j++) {
			snprintf(val, sizeof(val), "%d mx%d.example.com", j, j);
			dnstable_add(t, "example.com", "MX", val);
			snprintf(name, sizeof(name), "mx%d.example.com", j);
			snprintf(val, sizeof(val), "192.0.2.%d", j + 1);
			dnstable_add(t, name, "A", val);
		}
		spf_check(dnstable_lookup, t, "192.0.2.10", "a@example.com",
		    "h", NULL, &o);
		CHECK_INT_EQ(o.result, i == 10 ? SPF_PASS : SPF_PERMERROR,
		    i == 10 ? "10 MX names" : "11 MX names: permerror");
		dnstable_free(t);
	}

	/* only the first 10 PTR names are looked at */
	t = dnstable_new();
	dnstable_add(t, "example.com", "TXT", "v=spf1 ptr -all");
	for (i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "h%d.example.com", i);
		dnstable_add(t, "1.2.0.192.in-addr.arpa", "PTR", name);
		dnstable_add(t, name, "A", i == 11 ? "192.0.2.1" :
		    "198.51.100.1");
	}
	spf_check(dnstable_lookup, t, "192.0.2.1", "a@example.com", "h", NULL,
	    &o);
	CHECK_INT_EQ(o.result, SPF_FAIL, "the 12th PTR name is not looked at");
	dnstable_free(t);

	/* 10 a terms are fine, the 11th term that looks up is a permerror */
	for (i = 10; i <= 11; i++) {
		int j;

		t = dnstable_new();
		snprintf(rec, sizeof(rec), "v=spf1");
		for (j = 0; j < i; j++) {
			snprintf(name, sizeof(name), "a%d.example.com", j);
			snprintf(rec + strlen(rec), sizeof(rec) - strlen(rec),
			    " a:%s", name);
			dnstable_add(t, name, "A", "198.51.100.1");
		}
		strcat(rec, " ip4:192.0.2.1 -all");
		dnstable_add(t, "example.com", "TXT", rec);
		spf_check(dnstable_lookup, t, "192.0.2.1", "a@example.com",
		    "h", NULL, &o);
		CHECK_INT_EQ(o.result, i == 10 ? SPF_PASS : SPF_PERMERROR,
		    i == 10 ? "10 a terms" : "11 a terms: permerror");
		if (i == 11)
			CHECK_TRUE(strstr(o.reason, "10 DNS lookups") != NULL,
			    "the reason names the limit");
		dnstable_free(t);
	}

	/* ip4, ip6 and all cost no lookup */
	t = dnstable_new();
	snprintf(rec, sizeof(rec), "v=spf1");
	for (i = 0; i < 30; i++)
		snprintf(rec + strlen(rec), sizeof(rec) - strlen(rec),
		    " ip4:10.0.0.%d", i);
	strcat(rec, " ip6:2001:db8::1 +all");
	dnstable_add(t, "example.com", "TXT", rec);
	spf_check(dnstable_lookup, t, "192.0.2.1", "a@example.com", "h", NULL,
	    &o);
	CHECK_INT_EQ(o.result, SPF_PASS, "30 ip4 terms are no lookups");
	CHECK_INT_EQ(dnstable_queries(t), 1, "only the record was asked for");
	dnstable_free(t);

	CHECK_INT_EQ(spf_check(dnstable_lookup, NULL, "not-an-address",
	    "a@example.com", "h", NULL, &o), SPF_PERMERROR,
	    "a client address that is no address");
}

int
main(void)
{
	test_record();
	test_macro();
	test_appendix();
	test_cases();
	test_limits();
	return check_done();
}
