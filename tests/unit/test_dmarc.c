/*
 * test_dmarc.c: unit test of DMARC (common/dmarc*.c): the record grammar,
 * policy discovery at the From domain and its organizational domain,
 * strict and relaxed alignment of SPF and DKIM, p=/sp=/pct=, every
 * result, and the From domain taken from a header block.  DNS from a
 * table (tests/tools/dnstable.h), the Public Suffix List from
 * tests/unit/psl_test.dat.  Runs as a plain program from the tree's top.
 */
#include <stdio.h>
#include <string.h>

#include "common/dmarc.h"
#include "tests/tools/dnstable.h"
#include "tests/unit/check.h"

static void
test_record(void)
{
	static const char *good[] = {
		"v=DMARC1; p=none", "v=DMARC1;p=reject", "v = DMARC1 ; p = quarantine ;",
		"v=DMARC1; p=reject; sp=none; adkim=s; aspf=r; pct=50",
		"v=DMARC1; p=none; rua=mailto:a@example.com,mailto:b@example.net!10m",
		"v=DMARC1; p=none; ruf=mailto:f@example.com; fo=0:1:d:s; rf=afrf; ri=86400",
		"v=DMARC1; p=reject; np=quarantine; unknown=whatever; x=",
		"v=DMARC1; P=Reject; ADKIM=S", "v=DMARC1; rua=mailto:a@example.com",
		"v=DMARC1; p=bogus; rua=mailto:a@example.com", "v=DMARC1; p=none;;",
		"v=DMARC1; p=none; rua=",
	};
	static const char *bad[] = {
		"v=DMARC1; p=none; adkim=x", "v=DMARC1; p=none; pct=101",
		"v=DMARC1; p=none; pct=-1", "v=DMARC1; p=none; pct=",
		"v=DMARC1; p=none; pct=5x", "v=DMARC1; p=none; p=reject",
		"v=DMARC1; p=none; fo=2", "v=DMARC1; p=none; fo=0:", "v=DMARC1; p=none; np=x",
		"v=DMARC1; p=none; =x", "v=DMARC1; p=none; novalue",
		"v=DMARC1; p=none; ri=99999999999",
	};
	static const char *nopolicy[] = {
		"v=DMARC1", "v=DMARC1; p=bogus", "v=DMARC1; sp=none",
		"v=DMARC1; p=none; sp=bogus",
	};
	static const char *notdmarc[] = {
		"v=dmarc1; p=none", "p=none; v=DMARC1", "v=DMARC10; p=none",
		"v=spf1 -all", "", "v=DMARC",
	};
	struct dmarc_record r;
	char err[128], desc[160];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(desc, sizeof(desc), "record parses: %s", good[i]);
		CHECK_INT_EQ(dmarc_record_parse(good[i], strlen(good[i]), &r,
		    err, sizeof(err)), 0, desc);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(desc, sizeof(desc), "record refused: %s", bad[i]);
		CHECK_INT_EQ(dmarc_record_parse(bad[i], strlen(bad[i]), &r, err,
		    sizeof(err)), -1, desc);
		CHECK_TRUE(err[0] != '\0', "refusal says why");
	}
	for (i = 0; i < sizeof(nopolicy) / sizeof(nopolicy[0]); i++) {
		snprintf(desc, sizeof(desc), "no policy: %s", nopolicy[i]);
		CHECK_INT_EQ(dmarc_record_parse(nopolicy[i], strlen(nopolicy[i]),
		    &r, err, sizeof(err)), -2, desc);
	}
	for (i = 0; i < sizeof(notdmarc) / sizeof(notdmarc[0]); i++) {
		snprintf(desc, sizeof(desc), "not DMARC: %s", notdmarc[i]);
		CHECK_INT_EQ(dmarc_record_is_dmarc(notdmarc[i],
		    strlen(notdmarc[i])), 0, desc);
		CHECK_INT_EQ(dmarc_record_parse(notdmarc[i], strlen(notdmarc[i]),
		    &r, err, sizeof(err)), -1, desc);
	}

	dmarc_record_parse(good[3], strlen(good[3]), &r, err, sizeof(err));
	CHECK_INT_EQ(r.p, DMARC_POLICY_REJECT, "p=reject");
	CHECK_INT_EQ(r.sp, DMARC_POLICY_NONE, "sp=none");
	CHECK_INT_EQ(r.np, DMARC_POLICY_NONE, "np defaults to sp");
	CHECK_INT_EQ(r.adkim_strict, 1, "adkim=s");
	CHECK_INT_EQ(r.aspf_strict, 0, "aspf=r");
	CHECK_INT_EQ(r.pct, 50, "pct=50");
	dmarc_record_parse(good[1], strlen(good[1]), &r, err, sizeof(err));
	CHECK_INT_EQ(r.sp, DMARC_POLICY_REJECT, "sp defaults to p");
	CHECK_INT_EQ(r.pct, 100, "pct defaults to 100");
	CHECK_INT_EQ(r.adkim_strict + r.aspf_strict, 0, "relaxed by default");
	dmarc_record_parse(good[6], strlen(good[6]), &r, err, sizeof(err));
	CHECK_INT_EQ(r.np, DMARC_POLICY_QUARANTINE, "np=quarantine");
	dmarc_record_parse(good[9], strlen(good[9]), &r, err, sizeof(err));
	CHECK_INT_EQ(r.p, DMARC_POLICY_NONE, "bad p with rua: none");
	CHECK_INT_EQ(dmarc_record_parse("v=DMARC1; p=none\0x", 18, &r, err,
	    sizeof(err)), -1, "a NUL inside refused");
	{
		char big[DMARC_RECORD_MAX + 2];

		memset(big, ' ', sizeof(big));
		memcpy(big, "v=DMARC1; p=none;", 17);
		CHECK_INT_EQ(dmarc_record_parse(big, sizeof(big), &r, err,
		    sizeof(err)), -1, "a record past the bound refused");
	}
}

static struct psl *psl;

static void
test_aligned(void)
{
	CHECK_INT_EQ(dmarc_aligned(psl, "example.com", "EXAMPLE.com.", 1), 1,
	    "strict: same domain");
	CHECK_INT_EQ(dmarc_aligned(psl, "mail.example.com", "example.com", 1),
	    0, "strict: subdomain does not align");
	CHECK_INT_EQ(dmarc_aligned(psl, "mail.example.com", "example.com", 0),
	    1, "relaxed: subdomain aligns");
	CHECK_INT_EQ(dmarc_aligned(psl, "a.example.co.uk", "b.example.co.uk",
	    0), 1, "relaxed: under co.uk");
	CHECK_INT_EQ(dmarc_aligned(psl, "example.co.uk", "other.co.uk", 0), 0,
	    "relaxed: two registrations under co.uk");
	CHECK_INT_EQ(dmarc_aligned(psl, "a.foo.ck", "b.foo.ck", 0), 0,
	    "relaxed: wildcard *.ck makes foo.ck public");
	CHECK_INT_EQ(dmarc_aligned(psl, "", "example.com", 0), 0,
	    "empty domain never aligns");
}

static struct dnstable *
zone(void)
{
	struct dnstable *t = dnstable_new();

	dnstable_add(t, "_dmarc.example.com", "TXT",
	    "v=DMARC1; p=reject; sp=quarantine; pct=100");
	dnstable_add(t, "_dmarc.example.com", "TXT", "some other text");
	dnstable_add(t, "_dmarc.strict.example", "TXT",
	    "v=DMARC1; p=reject; adkim=s; aspf=s");
	dnstable_add(t, "_dmarc.half.example", "TXT",
	    "v=DMARC1; p=reject; pct=50");
	dnstable_add(t, "_dmarc.q.example", "TXT",
	    "v=DMARC1; p=quarantine; pct=0");
	dnstable_add(t, "_dmarc.own.example.com", "TXT", "v=DMARC1; p=none");
	dnstable_add(t, "_dmarc.two.example", "TXT", "v=DMARC1; p=reject");
	dnstable_add(t, "_dmarc.two.example", "TXT", "v=DMARC1; p=none");
	dnstable_add(t, "_dmarc.bad.example", "TXT", "v=DMARC1; p=reject; pct=x");
	dnstable_add(t, "_dmarc.nop.example", "TXT", "v=DMARC1; adkim=s");
	dnstable_add(t, "_dmarc.temp.example", "TEMP", "");
	dnstable_add(t, "_dmarc.example.co.uk", "TXT", "v=DMARC1; p=reject");
	dnstable_add(t, "_dmarc.np.example", "TXT",
	    "v=DMARC1; p=none; sp=quarantine; np=reject");
	dnstable_add(t, "exists.np.example", "A", "192.0.2.1");
	return t;
}

struct dmarc_case {
	const char	*desc;
	const char	*from;
	enum spf_result	 spf;
	const char	*spf_domain;
	const char	*dkim_domain;	/* a passing signature, or NULL */
	enum authres_dkim_result dkim;
	unsigned	 sample;
	enum dmarc_result want;
	enum dmarc_policy action;
};

static const struct dmarc_case cases[] = {
	{ "SPF aligned pass", "example.com", SPF_PASS, "example.com", NULL, 0, 0,
	    DMARC_PASS, DMARC_POLICY_NONE },
	{ "SPF relaxed: bounce subdomain", "example.com", SPF_PASS,
	    "bounce.example.com", NULL, 0, 0, DMARC_PASS, DMARC_POLICY_NONE },
	{ "SPF pass, other domain", "example.com", SPF_PASS, "example.net", NULL,
	    0, 0, DMARC_FAIL, DMARC_POLICY_REJECT },
	{ "SPF softfail aligned is no pass", "example.com", SPF_SOFTFAIL,
	    "example.com", NULL, 0, 0, DMARC_FAIL, DMARC_POLICY_REJECT },
	{ "DKIM aligned pass", "example.com", SPF_FAIL, "example.com",
	    "example.com", AUTHRES_DKIM_PASS, 0, DMARC_PASS, DMARC_POLICY_NONE },
	{ "DKIM fail aligned is no pass", "example.com", SPF_NONE, "",
	    "example.com", AUTHRES_DKIM_FAIL, 0, DMARC_FAIL,
	    DMARC_POLICY_REJECT },
	{ "DKIM pass of a third party", "example.com", SPF_NONE, "",
	    "mailer.example.net", AUTHRES_DKIM_PASS, 0, DMARC_FAIL,
	    DMARC_POLICY_REJECT },
	{ "subdomain: the org record, sp=", "news.example.com", SPF_FAIL,
	    "news.example.com", NULL, 0, 0, DMARC_FAIL, DMARC_POLICY_QUARANTINE },
	{ "subdomain with its own record", "own.example.com", SPF_FAIL, "", NULL,
	    0, 0, DMARC_FAIL, DMARC_POLICY_NONE },
	{ "subdomain relaxed DKIM pass", "news.example.com", SPF_NONE, "",
	    "example.com", AUTHRES_DKIM_PASS, 0, DMARC_PASS, DMARC_POLICY_NONE },
	{ "strict SPF: subdomain fails", "strict.example", SPF_PASS,
	    "mail.strict.example", NULL, 0, 0, DMARC_FAIL, DMARC_POLICY_REJECT },
	{ "strict DKIM: subdomain fails", "strict.example", SPF_NONE, "",
	    "mail.strict.example", AUTHRES_DKIM_PASS, 0, DMARC_FAIL,
	    DMARC_POLICY_REJECT },
	{ "strict: same domain passes", "strict.example", SPF_PASS,
	    "STRICT.example", NULL, 0, 0, DMARC_PASS, DMARC_POLICY_NONE },
	{ "pct=50 sampled", "half.example", SPF_FAIL, "", NULL, 0, 49,
	    DMARC_FAIL, DMARC_POLICY_REJECT },
	{ "pct=50 not sampled: quarantine", "half.example", SPF_FAIL, "", NULL,
	    0, 50, DMARC_FAIL, DMARC_POLICY_QUARANTINE },
	{ "pct=0 quarantine: none", "q.example", SPF_FAIL, "", NULL, 0, 0,
	    DMARC_FAIL, DMARC_POLICY_NONE },
	{ "no record", "example.org", SPF_FAIL, "", NULL, 0, 0, DMARC_NONE,
	    DMARC_POLICY_NONE },
	{ "two records: none", "two.example", SPF_FAIL, "", NULL, 0, 0,
	    DMARC_NONE, DMARC_POLICY_NONE },
	{ "bad record: permerror", "bad.example", SPF_FAIL, "", NULL, 0, 0,
	    DMARC_PERMERROR, DMARC_POLICY_NONE },
	{ "record without policy: none", "nop.example", SPF_FAIL, "", NULL, 0,
	    0, DMARC_NONE, DMARC_POLICY_NONE },
	{ "DNS failure: temperror", "temp.example", SPF_PASS, "temp.example",
	    NULL, 0, 0, DMARC_TEMPERROR, DMARC_POLICY_NONE },
	{ "aligned SPF temperror: temperror", "example.com", SPF_TEMPERROR,
	    "bounce.example.com", NULL, 0, 0, DMARC_TEMPERROR,
	    DMARC_POLICY_NONE },
	{ "unaligned SPF temperror: fail", "example.com", SPF_TEMPERROR,
	    "example.net", NULL, 0, 0, DMARC_FAIL, DMARC_POLICY_REJECT },
	{ "aligned DKIM temperror: temperror", "example.com", SPF_FAIL,
	    "example.net", "example.com", AUTHRES_DKIM_TEMPERROR, 0,
	    DMARC_TEMPERROR, DMARC_POLICY_NONE },
	{ "unaligned DKIM temperror: fail", "example.com", SPF_FAIL,
	    "example.net", "example.net", AUTHRES_DKIM_TEMPERROR, 0,
	    DMARC_FAIL, DMARC_POLICY_REJECT },
	{ "aligned pass beats a temperror", "example.com", SPF_TEMPERROR,
	    "example.com", "example.com", AUTHRES_DKIM_PASS, 0, DMARC_PASS,
	    DMARC_POLICY_NONE },
	{ "org domain under co.uk", "a.b.example.co.uk", SPF_FAIL, "", NULL, 0,
	    0, DMARC_FAIL, DMARC_POLICY_REJECT },
	{ "np=: a subdomain that does not exist", "ghost.np.example", SPF_NONE,
	    "", NULL, 0, 0, DMARC_FAIL, DMARC_POLICY_REJECT },
	{ "np=: a subdomain that exists gets sp=", "exists.np.example", SPF_NONE,
	    "", NULL, 0, 0, DMARC_FAIL, DMARC_POLICY_QUARANTINE },
	{ "np=: the domain itself gets p=", "np.example", SPF_NONE, "", NULL, 0,
	    0, DMARC_FAIL, DMARC_POLICY_NONE },
	{ "From domain not a name", "exa mple.com", SPF_PASS, "", NULL, 0, 0,
	    DMARC_PERMERROR, DMARC_POLICY_NONE },
	{ "From domain empty label", "example..com", SPF_PASS, "", NULL, 0, 0,
	    DMARC_PERMERROR, DMARC_POLICY_NONE },
};

static void
test_check(void)
{
	struct dnstable *t = zone();
	struct authres_dkim dk[2];
	struct dmarc_input in;
	struct dmarc_outcome o;
	char desc[160];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct dmarc_case *c = &cases[i];

		memset(&in, 0, sizeof(in));
		memset(dk, 0, sizeof(dk));
		in.from_domain = c->from;
		in.spf = c->spf;
		in.spf_domain = c->spf_domain;
		in.sample = c->sample;
		dk[0].result = AUTHRES_DKIM_FAIL;
		snprintf(dk[0].domain, sizeof(dk[0].domain), "unrelated.example");
		if (c->dkim_domain != NULL) {
			dk[1].result = c->dkim;
			snprintf(dk[1].domain, sizeof(dk[1].domain), "%s",
			    c->dkim_domain);
		}
		in.dkim = dk;
		in.ndkim = c->dkim_domain != NULL ? 2 : 1;
		dmarc_check(dnstable_lookup, t, psl, &in, &o);
		snprintf(desc, sizeof(desc), "%s: result", c->desc);
		CHECK_STR_EQ(dmarc_result_name(o.result),
		    dmarc_result_name(c->want), desc);
		snprintf(desc, sizeof(desc), "%s: action", c->desc);
		CHECK_STR_EQ(dmarc_policy_name(o.action),
		    dmarc_policy_name(c->action), desc);
		snprintf(desc, sizeof(desc), "%s: a reason", c->desc);
		CHECK_TRUE(o.reason[0] != '\0', desc);
	}
	memset(&in, 0, sizeof(in));
	in.from_domain = "News.Example.COM";
	in.spf = SPF_PASS;
	in.spf_domain = "example.com";
	dmarc_check(dnstable_lookup, t, psl, &in, &o);
	CHECK_STR_EQ(o.from_domain, "news.example.com", "From domain lowered");
	CHECK_STR_EQ(o.org_domain, "example.com", "org domain");
	CHECK_INT_EQ(o.spf_aligned, 1, "SPF aligned");
	CHECK_INT_EQ(o.dkim_aligned, 0, "DKIM not aligned");
	CHECK_INT_EQ(o.policy, DMARC_POLICY_QUARANTINE, "published sp=");
	dnstable_free(t);
}

static void
test_from(void)
{
	static const struct {
		const char *hdr, *dom;
	} ok[] = {
		{ "From: a@example.com\r\n\r\n", "example.com" },
		{ "Subject: x\r\nFrom: Joe <joe@Example.COM>\r\nTo: b@c.d\r\n\r\n",
		    "example.com" },
		{ "FROM: \"Joe @ evil.example <x@evil.example>\" <joe@good.example>\r\n",
		    "good.example" },
		{ "From: (comment <a@evil.example>) joe@good.example (x@y.z)\n",
		    "good.example" },
		{ "From: joe@good.example,\r\n ann@GOOD.example\r\n", "good.example" },
		{ "From: team: joe@good.example, ann@good.example;\r\n", "good.example" },
		{ "From : a@example.com\r\n", "example.com" },
		{ "From: \"a@b\"@example.com\r\n", "example.com" },
		{ "From: <a@example.com>\r\n", "example.com" },
	};
	static const char *bad[] = {
		"Subject: none\r\n\r\n",
		"From: a@example.com\r\nFrom: b@example.com\r\n",
		"From: joe@good.example, eve@evil.example\r\n",
		"From: undisclosed-recipients:;\r\n",
		"From: no address\r\n",
		"From: <a@example.com\r\n",
		"From: \"unterminated <a@example.com>\r\n",
		"From: (unterminated a@example.com\r\n",
		"From: a@\r\n",
		"From: a@exa\001mple.com\r\n",
		"Subject: x\r\n\r\nFrom: a@example.com\r\n",
	};
	char out[DNS_NAME_MAX + 1], desc[160];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(desc, sizeof(desc), "From domain %zu", i);
		CHECK_INT_EQ(dmarc_from_domain(ok[i].hdr, strlen(ok[i].hdr),
		    out), 0, desc);
		CHECK_STR_EQ(out, ok[i].dom, desc);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(desc, sizeof(desc), "From refused %zu", i);
		CHECK_INT_EQ(dmarc_from_domain(bad[i], strlen(bad[i]), out), -1,
		    desc);
	}
}

int
main(void)
{
	char err[256];

	test_record();
	if ((psl = psl_load("tests/unit/psl_test.dat", err, sizeof(err))) ==
	    NULL) {
		printf("# %s\n", err);
		CHECK_TRUE(0, "the test list loads");
		return check_done();
	}
	test_aligned();
	test_check();
	test_from();
	psl_free(psl);
	return check_done();
}
