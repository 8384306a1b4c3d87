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
	struct check_dkim d[CHECK_DKIM_MAX];
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
	for (i = 0; i < CHECK_DKIM_MAX; i++) {
		dkim_init(&d[i], "permerror", name);
		memset(d[i].selector, 's', 200);
		memset(d[i].reason, 'r', sizeof(d[i].reason) - 1);
	}
	check_eval(&env, &m, d, CHECK_DKIM_MAX, &r);
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
	dnstable_free(dt);
	psl_free(psl);
	return check_done();
}
