/*
 * test_check_eval.c: unit test of the inbound checks' judgement and of
 * the broker's pure parts: smtpd/check_eval.c against a table DNS
 * (tests/tools/dnstable.c): SPF, DMARC over SPF and DKIM results, the
 * disposition each configuration gives a DMARC failure, the
 * Authentication-Results value (reported methods only, always a value
 * the queue stores); smtpd/broker_check.c: the From domain of a header
 * section, and the value made when the check role cannot answer.  Runs
 * as a plain program.
 */
#include <stdio.h>
#include <string.h>

#include "common/dkim.h"
#include "smtpd/broker_check.h"
#include "smtpd/check.h"
#include "tests/tools/dnstable.h"
#include "tests/unit/check.h"

static struct dnstable *dt;
static struct psl *psl;

static void
setup(void)
{
	static const char list[] = "// a tiny list\ntest\nco.test\n";
	char err[128];

	dt = dnstable_new();
	psl = psl_parse(list, sizeof(list) - 1, "list", err, sizeof(err));
	CHECK_TRUE(dt != NULL && psl != NULL, "table DNS and suffix list");
	dnstable_add(dt, "good.test", "TXT", "v=spf1 ip4:192.0.2.1 -all");
	dnstable_add(dt, "_dmarc.good.test", "TXT", "v=DMARC1; p=reject");
	dnstable_add(dt, "quar.test", "TXT", "v=spf1 ip4:192.0.2.1 -all");
	dnstable_add(dt, "_dmarc.quar.test", "TXT", "v=DMARC1; p=quarantine");
	dnstable_add(dt, "nop.test", "TXT", "v=spf1 ?all");
	dnstable_add(dt, "temp.test", "TEMP", "");
	dnstable_add(dt, "_dmarc.slow.test", "TEMP", "");
}

static void
env_init(struct check_env *env)
{
	memset(env, 0, sizeof(*env));
	env->lookup = dnstable_lookup;
	env->arg = dt;
	env->until = INT64_MAX;
	env->psl = psl;
	env->hostname = "mx.example.test";
	env->dmarc_reject = 1;
	env->dmarc_junk = 1;
	env->sample = 0;
}

static void
msg_init(struct check_msg *m, const char *ip, const char *sender,
    const char *from)
{
	memset(m, 0, sizeof(*m));
	strcpy(m->address, ip);
	strcpy(m->helo, "client.example.net");
	strcpy(m->sender, sender);
	m->from = from != NULL ? CHECK_FROM_ONE : CHECK_FROM_NONE;
	if (from != NULL)
		strcpy(m->from_domain, from);
	m->checks = CHECK_ALL;
}

static void
dkim_init(struct check_dkim *d, const char *result, const char *domain)
{
	memset(d, 0, sizeof(*d));
	strcpy(d->result, result);
	strcpy(d->domain, domain);
	strcpy(d->selector, "sel");
	strcpy(d->b, "abcdEFGH");
	if (strcmp(result, "pass") != 0)
		strcpy(d->reason, "body hash did not verify");
}

static void
test_pass(void)
{
	struct check_env env;
	struct check_msg m;
	struct check_dkim d[1];
	static struct check_result r;

	env_init(&env);
	msg_init(&m, "192.0.2.1", "ann@good.test", "good.test");
	dkim_init(&d[0], "pass", "good.test");
	check_eval(&env, &m, d, 1, &r);
	CHECK_INT_EQ(r.disposition, CHECK_ACCEPT, "accepted");
	CHECK_STR_EQ(r.reason, "", "no reason");
	CHECK_STR_EQ(r.authres, "mx.example.test; spf=pass "
	    "smtp.mailfrom=ann@good.test; dkim=pass header.d=good.test "
	    "header.s=sel header.b=abcdEFGH; dmarc=pass "
	    "(p=reject dis=none) header.from=good.test",
	    "the whole value, unfolded");
	CHECK_TRUE(queueproto_authres_valid(r.authres), "what the queue "
	    "stores");
}

static void
test_dispositions(void)
{
	struct check_env env;
	struct check_msg m;
	static struct check_result r;

	env_init(&env);
	msg_init(&m, "192.0.2.9", "eve@good.test", "good.test");
	check_eval(&env, &m, NULL, 0, &r);
	CHECK_INT_EQ(r.disposition, CHECK_REJECT, "p=reject: refused");
	CHECK_STR_EQ(r.reason, "Message refused by the DMARC policy of "
	    "good.test", "its reason");
	CHECK_TRUE(strstr(r.authres, "spf=fail") != NULL &&
	    strstr(r.authres, "dkim=none") != NULL &&
	    strstr(r.authres, "dmarc=fail (p=reject dis=reject)") != NULL,
	    r.authres);

	env.dmarc_reject = 0;
	check_eval(&env, &m, NULL, 0, &r);
	CHECK_INT_EQ(r.disposition, CHECK_QUARANTINE, "reject off: Junk");

	env.dmarc_junk = 0;
	check_eval(&env, &m, NULL, 0, &r);
	CHECK_INT_EQ(r.disposition, CHECK_ACCEPT, "both off: delivered");

	/* A DMARC record that cannot be read now: later, never past it. */
	env_init(&env);
	msg_init(&m, "192.0.2.9", "eve@slow.test", "slow.test");
	check_eval(&env, &m, NULL, 0, &r);
	CHECK_INT_EQ(r.disposition, CHECK_DEFER, "DMARC temperror: deferred");
	CHECK_TRUE(strstr(r.reason, "slow.test") != NULL &&
	    strstr(r.reason, "try again later") != NULL, r.reason);

	env_init(&env);
	msg_init(&m, "192.0.2.9", "eve@quar.test", "quar.test");
	check_eval(&env, &m, NULL, 0, &r);
	CHECK_INT_EQ(r.disposition, CHECK_QUARANTINE, "p=quarantine: Junk");
	CHECK_TRUE(strstr(r.reason, "quar.test") != NULL, r.reason);
	env.dmarc_junk = 0;
	check_eval(&env, &m, NULL, 0, &r);
	CHECK_INT_EQ(r.disposition, CHECK_ACCEPT, "quarantine deliver");
	CHECK_TRUE(strstr(r.authres, "dmarc=fail") != NULL, r.authres);

	/* An aligned DKIM pass saves a failed SPF. */
	env_init(&env);
	msg_init(&m, "192.0.2.9", "eve@good.test", "good.test");
	{
		struct check_dkim d[2];

		dkim_init(&d[0], "fail", "good.test");
		dkim_init(&d[1], "pass", "sub.good.test");
		check_eval(&env, &m, d, 2, &r);
	}
	CHECK_INT_EQ(r.disposition, CHECK_ACCEPT, "relaxed DKIM alignment");
	CHECK_TRUE(strstr(r.authres, "dmarc=pass") != NULL, r.authres);
	CHECK_TRUE(strstr(r.authres, "dkim=fail (body hash did not verify)") !=
	    NULL, r.authres);
}

static void
test_from_and_methods(void)
{
	struct check_env env;
	struct check_msg m;
	static struct check_result r;

	env_init(&env);
	msg_init(&m, "192.0.2.9", "eve@good.test", "good.test");
	m.from = CHECK_FROM_MANY;
	m.from_domain[0] = '\0';
	check_eval(&env, &m, NULL, 0, &r);
	CHECK_INT_EQ(r.disposition, CHECK_ACCEPT, "several From: no policy");
	CHECK_TRUE(strstr(r.authres, "dmarc=permerror") != NULL, r.authres);
	CHECK_TRUE(strstr(r.authres, "header.from") == NULL, r.authres);

	msg_init(&m, "192.0.2.9", "eve@good.test", NULL);
	check_eval(&env, &m, NULL, 0, &r);
	CHECK_TRUE(strstr(r.authres, "dmarc=none") != NULL, r.authres);

	msg_init(&m, "192.0.2.9", "eve@good.test", "good.test");
	m.checks = CHECK_SPF;
	check_eval(&env, &m, NULL, 0, &r);
	CHECK_STR_EQ(r.authres, "mx.example.test; spf=fail "
	    "smtp.mailfrom=eve@good.test", "SPF alone");
	CHECK_INT_EQ(r.disposition, CHECK_ACCEPT, "no DMARC, no refusal");

	msg_init(&m, "192.0.2.9", "", "good.test");
	strcpy(m.helo, "temp.test");
	m.checks = CHECK_SPF;
	check_eval(&env, &m, NULL, 0, &r);
	CHECK_STR_EQ(r.authres, "mx.example.test; spf=temperror "
	    "smtp.helo=temp.test", "the null sender: HELO; DNS failure");

	msg_init(&m, "192.0.2.9", "x@nop.test", "nop.test");
	check_eval(&env, &m, NULL, 0, &r);
	CHECK_TRUE(strstr(r.authres, "spf=neutral") != NULL &&
	    strstr(r.authres, "dmarc=none") != NULL, r.authres);
}

static void
test_long(void)
{
	struct check_env env;
	struct check_msg m;
	struct check_dkim d[DKIM_SIGS_MAX];
	static struct check_result r;
	char name[DNS_NAME_MAX + 1];
	size_t i;

	/* Five results with the longest names may not all fit: the value
	 * still does, with fewer. */
	memset(name, 0, sizeof(name));
	for (i = 0; i < 250; i += 50) {
		memset(name + i, 'a' + (int)(i / 50), 49);
		name[i + 49] = '.';
	}
	strcpy(name + 250, "org");
	env_init(&env);
	msg_init(&m, "192.0.2.9", "eve@good.test", "good.test");
	for (i = 0; i < DKIM_SIGS_MAX; i++) {
		dkim_init(&d[i], "permerror", name);
		memset(d[i].selector, 's', 200);
		memset(d[i].reason, 'r', sizeof(d[i].reason) - 1);
	}
	check_eval(&env, &m, d, DKIM_SIGS_MAX, &r);
	CHECK_TRUE(queueproto_authres_valid(r.authres), r.authres);
	CHECK_TRUE(strstr(r.authres, "dmarc=fail") != NULL, "DMARC kept");
	CHECK_TRUE(strstr(r.authres, "dkim=permerror") != NULL,
	    "some DKIM results kept");
	dkim_init(&d[0], "neutral", "good.test");
	check_eval(&env, &m, d, 1, &r);
	CHECK_TRUE(strstr(r.authres, "dkim=neutral") != NULL, r.authres);
}

/* from: broker_check_from of a header section. */
static uint32_t
from(const char *hdr, char *domain)
{
	static struct dkim_msg msg;

	dkim_msg_init(&msg);
	(void)dkim_msg_feed(&msg, hdr, strlen(hdr));
	(void)dkim_msg_end(&msg);
	return broker_check_from(&msg, domain, CHECK_DOMAIN_MAX);
}

static void
test_from(void)
{
	char d[CHECK_DOMAIN_MAX];

	CHECK_INT_EQ(from("From: Ann <ann@Good.TEST>\r\nTo: x\r\n\r\nb\r\n", d),
	    CHECK_FROM_ONE, "one");
	CHECK_STR_EQ(d, "good.test", "lowercase");
	CHECK_INT_EQ(from("from: \"a@evil.test\" <ann@good.test.>\r\n\r\n", d),
	    CHECK_FROM_ONE, "a quoted @, a final dot");
	CHECK_STR_EQ(d, "good.test", "the address's domain");
	CHECK_INT_EQ(from("From: ann@good.test (x)\r\n folded\r\n\r\n", d),
	    CHECK_FROM_ONE, "folded");
	CHECK_INT_EQ(from("To: x\r\n\r\n", d), CHECK_FROM_NONE, "none");
	CHECK_STR_EQ(d, "", "no domain");
	CHECK_INT_EQ(from("From: a@good.test\r\nFrom: b@evil.test\r\n\r\n", d),
	    CHECK_FROM_MANY, "two fields");
	CHECK_INT_EQ(from("From: a@good.test, b@good.test\r\n\r\n", d),
	    CHECK_FROM_MANY, "two addresses");
	CHECK_INT_EQ(from("From: list: ;\r\n\r\n", d), CHECK_FROM_MANY,
	    "an empty group: no address");
	CHECK_INT_EQ(from("From: a@[192.0.2.1]\r\n\r\n", d), CHECK_FROM_BAD,
	    "an address literal is no domain");
	CHECK_INT_EQ(from("From: a@-x-.test\r\n\r\n", d), CHECK_FROM_BAD,
	    "a bad name");
	CHECK_STR_EQ(d, "", "no domain");
}

static void
test_temperror(void)
{
	char out[CHECK_AUTHRES_MAX];

	checkproto_temperror(out, sizeof(out), "mx.example.test", CHECK_ALL,
	    "the check service did not answer in time");
	CHECK_STR_EQ(out, "mx.example.test; spf=temperror reason=\"the check "
	    "service did not answer in time\"; dkim=temperror reason=\"the "
	    "check service did not answer in time\"; dmarc=temperror "
	    "reason=\"the check service did not answer in time\"",
	    "every check a temperror");
	CHECK_TRUE(queueproto_authres_valid(out), "stored as it is");
	checkproto_temperror(out, sizeof(out), "mx.example.test", CHECK_DKIM,
	    "x");
	CHECK_STR_EQ(out, "mx.example.test; dkim=temperror reason=\"x\"",
	    "only what is checked");
}

/* Checks that could not be made defer the message when DMARC is among
 * them (never past a p=reject unchecked), and only annotate it when
 * not. */
static void
test_unchecked(void)
{
	struct check_result r;

	checkproto_unchecked(&r, "mx.example.test", CHECK_ALL, "slow DNS");
	CHECK_INT_EQ(r.disposition, CHECK_DEFER, "DMARC on: deferred");
	CHECK_TRUE(strstr(r.reason, "try again later") != NULL, r.reason);
	CHECK_TRUE(strstr(r.authres, "dmarc=temperror") != NULL, r.authres);
	checkproto_unchecked(&r, "mx.example.test", CHECK_SPF | CHECK_DKIM,
	    "slow DNS");
	CHECK_INT_EQ(r.disposition, CHECK_ACCEPT, "DMARC off: accepted");
	CHECK_STR_EQ(r.reason, "", "no reason");
	CHECK_TRUE(strstr(r.authres, "spf=temperror") != NULL, r.authres);
}

/*
 * The deadline: a clock of the test's own, which each question moves on
 * by step ms (a DNS that takes that long to answer), and the table's
 * answers.
 */
static int64_t fake_now;
static int64_t fake_step;
static unsigned fake_asked;

static int64_t
fake_clock(void)
{
	return fake_now;
}

static enum dns_rc
slow_lookup(void *arg, const char *name, uint16_t type,
    struct dns_rrset *out)
{
	fake_asked++;
	fake_now += fake_step;
	return dnstable_lookup(arg, name, type, out);
}

static void
slow_env(struct check_env *env, int64_t step, int64_t until)
{
	env_init(env);
	env->lookup = slow_lookup;
	env->clock = fake_clock;
	env->until = until;
	fake_now = 0;
	fake_step = step;
	fake_asked = 0;
}

static void
test_deadline_query(void)
{
	struct dns_deadline d;
	static struct dns_rrset rr;

	memset(&d, 0, sizeof(d));
	d.lookup = slow_lookup;
	d.arg = dt;
	d.clock = fake_clock;
	d.until = 1000;
	fake_now = 0;
	fake_step = 600;
	fake_asked = 0;
	CHECK_INT_EQ(dns_deadline_query(&d, "good.test", DNS_T_TXT, &rr),
	    DNS_OK, "before the deadline: asked");
	CHECK_INT_EQ(dns_deadline_query(&d, "good.test", DNS_T_TXT, &rr),
	    DNS_OK, "still before it (600 < 1000): asked");
	CHECK_INT_EQ(dns_deadline_query(&d, "good.test", DNS_T_TXT, &rr),
	    DNS_TEMP, "at 1200: not asked, a temporary failure");
	CHECK_INT_EQ(rr.rc, DNS_TEMP, "in the answer too");
	CHECK_INT_EQ(rr.n, 0, "no record");
	CHECK_STR_EQ(rr.why, "the time allowed for the checks ran out",
	    "why, in words");
	CHECK_INT_EQ(fake_asked, 2, "two questions went out");
	CHECK_INT_EQ(d.skipped, 1, "one was not asked");
}

/* An SPF record that costs 12 lookups (TXT, MX, 10 A): 3 s each. */
static void
test_deadline_spf(void)
{
	struct check_env env;
	struct check_msg m;
	static struct check_result r;
	char host[64], mx[80], a[32];
	unsigned skipped;
	int i;

	dnstable_add(dt, "flood.test", "TXT", "v=spf1 mx:m.flood.test -all");
	dnstable_add(dt, "_dmarc.flood.test", "TXT", "v=DMARC1; p=reject");
	for (i = 1; i <= 10; i++) {
		(void)snprintf(host, sizeof(host), "h%d.flood.test", i);
		(void)snprintf(mx, sizeof(mx), "%d %s", i, host);
		(void)snprintf(a, sizeof(a), "198.51.100.%d", i);
		dnstable_add(dt, "m.flood.test", "MX", mx);
		dnstable_add(dt, host, "A", a);
	}

	/* Without a deadline: all 12 and the DMARC record, a fail. */
	slow_env(&env, 3000, INT64_MAX);
	msg_init(&m, "192.0.2.9", "eve@flood.test", "flood.test");
	CHECK_INT_EQ(check_eval(&env, &m, NULL, 0, &r), 0, "all asked");
	CHECK_INT_EQ(fake_asked, 13, "12 for SPF, 1 for DMARC");
	CHECK_TRUE(strstr(r.authres, "spf=fail") != NULL, r.authres);
	CHECK_INT_EQ(r.disposition, CHECK_REJECT, "p=reject");

	/* 16 s, 8 of them kept for DMARC: SPF asks at 0, 3 and 6 s, not
	 * at 9; the DMARC record is asked at 9 s.  SPF of the From domain
	 * itself undecided: DMARC too. */
	slow_env(&env, 3000, 16000);
	skipped = check_eval(&env, &m, NULL, 0, &r);
	CHECK_INT_EQ(fake_asked, 4, "three SPF questions before its share "
	    "of the time, then the DMARC record");
	CHECK_TRUE(skipped >= 1, "the SPF ones after it not made");
	CHECK_TRUE(strstr(r.authres, "spf=temperror") != NULL, r.authres);
	CHECK_TRUE(strstr(r.authres, "dmarc=temperror") != NULL, r.authres);
	CHECK_INT_EQ(r.disposition, CHECK_DEFER, "undecided: deferred, never "
	    "accepted past p=reject");

	/* The same slow SPF for a sender of another domain, From a
	 * p=reject domain: SPF cannot align, and the policy still has its
	 * time: refused, not deferred. */
	dnstable_add(dt, "_dmarc.victim.test", "TXT", "v=DMARC1; p=reject");
	slow_env(&env, 3000, 16000);
	msg_init(&m, "192.0.2.9", "eve@flood.test", "victim.test");
	(void)check_eval(&env, &m, NULL, 0, &r);
	CHECK_TRUE(strstr(r.authres, "dmarc=fail") != NULL, r.authres);
	CHECK_INT_EQ(r.disposition, CHECK_REJECT, "a spoof with slow SPF of "
	    "its own: refused");
	msg_init(&m, "192.0.2.9", "eve@flood.test", "flood.test");

	/* Past the deadline on arrival: nothing asked at all. */
	slow_env(&env, 3000, 0);
	CHECK_TRUE(check_eval(&env, &m, NULL, 0, &r) > 0, "not made");
	CHECK_INT_EQ(fake_asked, 0, "no question");
	CHECK_INT_EQ(r.disposition, CHECK_DEFER, "deferred");
}

/* A ptr lookup that fails is no match (RFC 7208 5.5), but one not made
 * for lack of time makes SPF a temperror (4.6.4), not the -all after it. */
static void
test_deadline_ptr(void)
{
	struct check_env env;
	struct check_msg m;
	static struct check_result r;

	dnstable_add(dt, "ptr.test", "TXT", "v=spf1 ptr -all");
	slow_env(&env, 0, INT64_MAX);
	msg_init(&m, "192.0.2.9", "eve@ptr.test", NULL);
	m.checks = CHECK_SPF;
	check_eval(&env, &m, NULL, 0, &r);
	CHECK_STR_EQ(r.authres, "mx.example.test; spf=fail "
	    "smtp.mailfrom=eve@ptr.test", "in time: no PTR record, a fail");

	slow_env(&env, 20000, 16000);
	CHECK_INT_EQ(check_eval(&env, &m, NULL, 0, &r), 1, "PTR not asked");
	CHECK_INT_EQ(fake_asked, 1, "only the TXT record asked");
	CHECK_STR_EQ(r.authres, "mx.example.test; spf=temperror "
	    "smtp.mailfrom=eve@ptr.test", "out of time: temperror");
}

/* A DKIM key not looked up for lack of time. */
static void
test_deadline_dkim(void)
{
	struct check_env env;
	static struct dkim_sig sigs[2];
	static struct check_dkim dk[2];
	size_t i;

	memset(sigs, 0, sizeof(sigs));
	for (i = 0; i < 2; i++) {
		sigs[i].result = DKIM_PENDING;
		strcpy(sigs[i].domain, "good.test");
		strcpy(sigs[i].selector, i == 0 ? "sel" : "other");
		sigs[i].blen = 128;
	}
	slow_env(&env, 20000, 16000);
	CHECK_INT_EQ(check_dkim_finish(&env, sigs, 2, dk), 1,
	    "the second key not looked up");
	CHECK_INT_EQ(fake_asked, 1, "one question");
	CHECK_STR_EQ(dk[0].result, "permerror", "the first: no key record");
	CHECK_STR_EQ(dk[1].result, "temperror", "the second: out of time");
	CHECK_STR_EQ(dk[1].reason, "no time left to look the key up",
	    "and why");
}

int
main(void)
{
	setup();
	test_pass();
	test_dispositions();
	test_from_and_methods();
	test_long();
	test_from();
	test_temperror();
	test_unchecked();
	test_deadline_query();
	test_deadline_spf();
	test_deadline_ptr();
	test_deadline_dkim();
	dnstable_free(dt);
	psl_free(psl);
	return check_done();
}
