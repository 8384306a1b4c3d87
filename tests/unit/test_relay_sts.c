/*
 * test_relay_sts.c: unit test of the relay's MTA-STS logic: the policy
 * cache (smtpd/relay_sts_cache.c: lookup, expiry by max_age, update,
 * the least recently used domain making room, the memory of a failed
 * fetch), the verdict of a policy for an MX host (relay_sts_host:
 * enforce, testing, none, wildcards), and the discovery of
 * relay_sts_policy on a table of DNS answers: no record, the cached id,
 * a new id whose fetch fails (the cached policy holds, RFC 8461 §5.1,
 * else none; no new fetch for RELAY_STS_RETRY_S), several records, a
 * DNS failure; and the deadline of the whole fetch against a policy host
 * that never answers.  The fetch that succeeds is
 * tests/integration/test_relay_mtasts.py's.  Runs as a plain program;
 * the failed fetch connects to a closed port on 127.0.0.1, the silent
 * host is a listening socket that is never read.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/tls.h"
#include "common/util.h"
#include "smtpd/relay_sts.h"
#include "tests/unit/check.h"

struct answer {
	const char	*name;
	uint16_t	 type;
	enum dns_rc	 rc;
	const char	*rdata[3];	/* TXT: the text; A: 4 bytes */
};

static const struct answer *table;
static size_t ntable;
static int nfetch;		/* lookups of the policy host */
static int ntxt;		/* lookups of the _mta-sts TXT record */

static enum dns_rc
lookup(void *arg, const char *name, uint16_t type, struct dns_rrset *out)
{
	size_t i, k, off = 0, len;

	(void)arg;
	if (strncmp(name, "mta-sts.", 8) == 0)
		nfetch++;
	if (strncmp(name, "_mta-sts.", 9) == 0)
		ntxt++;
	memset(out, 0, offsetof(struct dns_rrset, buf));
	out->type = type;
	out->rc = DNS_NXDOMAIN;
	for (i = 0; i < ntable; i++) {
		if (strcmp(table[i].name, name) != 0 || table[i].type != type)
			continue;
		out->rc = table[i].rc;
		for (k = 0; k < 3 && table[i].rdata[k] != NULL; k++) {
			unsigned char *p = out->buf + off;

			if (type == DNS_T_TXT) {
				len = strlen(table[i].rdata[k]);
				p[0] = (unsigned char)len;
				memcpy(p + 1, table[i].rdata[k], len);
				len++;
			} else {
				len = 4;
				memcpy(p, table[i].rdata[k], len);
			}
			out->rdata[k] = p;
			out->len[k] = (uint16_t)len;
			off += len;
		}
		out->n = k;
		break;
	}
	return out->rc;
}

static void
use(const struct answer *t, size_t n)
{
	table = t;
	ntable = n;
	nfetch = 0;
	ntxt = 0;
}

static struct mtasts_policy
policy(enum mtasts_mode mode, uint32_t max_age, const char *mx)
{
	struct mtasts_policy p;

	memset(&p, 0, sizeof(p));
	p.mode = mode;
	p.max_age = max_age;
	if (mx != NULL) {
		(void)snprintf(p.mx[0], sizeof(p.mx[0]), "%s", mx);
		p.nmx = 1;
	}
	return p;
}

static void
test_cache(void)
{
	static struct relay_sts_cache c;
	struct mtasts_policy p = policy(MTASTS_MODE_ENFORCE, 100,
	    "mx.example.net");
	const struct relay_sts_entry *e;
	char dom[64];
	int i, ok;

	memset(&c, 0, sizeof(c));
	CHECK_TRUE(relay_sts_cache_find(&c, "example.net", 1000) == NULL,
	    "empty cache: nothing");
	CHECK_INT_EQ(relay_sts_cache_put(&c, "example.net", "id1", &p, 1000),
	    0, "put");
	e = relay_sts_cache_find(&c, "example.net", 1099);
	CHECK_TRUE(e != NULL && strcmp(e->id, "id1") == 0 &&
	    e->policy.mode == MTASTS_MODE_ENFORCE &&
	    strcmp(e->policy.mx[0], "mx.example.net") == 0,
	    "found before max_age, with its id and policy");
	CHECK_TRUE(relay_sts_cache_find(&c, "other.net", 1099) == NULL,
	    "another domain: nothing");
	CHECK_TRUE(relay_sts_cache_find(&c, "example.net", 1100) == NULL,
	    "expired at fetch + max_age");
	CHECK_TRUE(relay_sts_cache_find(&c, "example.net", 1000) == NULL,
	    "an expired entry is gone");
	p.mode = MTASTS_MODE_TESTING;
	(void)relay_sts_cache_put(&c, "example.net", "id1", &p, 2000);
	p.mode = MTASTS_MODE_ENFORCE;
	(void)relay_sts_cache_put(&c, "example.net", "id2", &p, 2000);
	e = relay_sts_cache_find(&c, "example.net", 2001);
	CHECK_TRUE(e != NULL && strcmp(e->id, "id2") == 0 &&
	    e->policy.mode == MTASTS_MODE_ENFORCE, "a new id replaces");
	for (i = 0, ok = 0; i < RELAY_STS_CACHE_MAX; i++)
		ok += c.e[i].domain[0] != '\0';
	CHECK_INT_EQ(ok, 1, "one entry per domain");
	CHECK_INT_EQ(relay_sts_cache_put(&c, "example.net",
	    "012345678901234567890123456789012", &p, 2000), -1,
	    "an id too long is not stored");

	/* Fill it: d0 .. d255 (example.net was d-1: its slot is reused). */
	memset(&c, 0, sizeof(c));
	for (i = 0; i < RELAY_STS_CACHE_MAX; i++) {
		(void)snprintf(dom, sizeof(dom), "d%d.example", i);
		(void)relay_sts_cache_put(&c, dom, "x", &p, 3000);
	}
	CHECK_TRUE(relay_sts_cache_find(&c, "d0.example", 3001) != NULL,
	    "d0 used again");
	(void)relay_sts_cache_put(&c, "new.example", "x", &p, 3001);
	CHECK_TRUE(relay_sts_cache_find(&c, "new.example", 3002) != NULL,
	    "full cache: the new domain is in");
	CHECK_TRUE(relay_sts_cache_find(&c, "d1.example", 3002) == NULL,
	    "the least recently used (d1) made room");
	CHECK_TRUE(relay_sts_cache_find(&c, "d0.example", 3002) != NULL &&
	    relay_sts_cache_find(&c, "d2.example", 3002) != NULL,
	    "d0 (used) and d2 stay");
	p.max_age = 10;
	(void)relay_sts_cache_put(&c, "short.example", "x", &p, 3002);
	CHECK_TRUE(relay_sts_cache_find(&c, "d3.example", 3003) == NULL &&
	    relay_sts_cache_find(&c, "short.example", 3003) != NULL,
	    "short is in, over d3");
	p.max_age = 100;
	(void)relay_sts_cache_put(&c, "later.example", "x", &p, 3020);
	CHECK_TRUE(relay_sts_cache_find(&c, "d4.example", 3020) != NULL,
	    "an expired entry (short) makes room before the least recently "
	    "used (d4)");
	CHECK_TRUE(relay_sts_cache_find(&c, "later.example", 3020) != NULL &&
	    relay_sts_cache_find(&c, "short.example", 3020) == NULL,
	    "later is in, short is gone");
}

static void
test_cache_fail(void)
{
	static struct relay_sts_cache c;
	struct mtasts_policy p = policy(MTASTS_MODE_ENFORCE, 100,
	    "mx.example.net");
	const struct relay_sts_entry *e;

	memset(&c, 0, sizeof(c));
	CHECK_INT_EQ(relay_sts_cache_held(&c, "example.net", 1000), 0,
	    "nothing failed yet");
	CHECK_INT_EQ(relay_sts_cache_hold(&c, "example.net", 1000), 0,
	    "a failed fetch remembered");
	CHECK_INT_EQ(relay_sts_cache_held(&c, "example.net", 1000 +
	    RELAY_STS_RETRY_S - 1), 1, "until the retry time");
	CHECK_INT_EQ(relay_sts_cache_held(&c, "other.net", 1001), 0,
	    "for that domain only");
	CHECK_TRUE(relay_sts_cache_find(&c, "example.net", 1001) == NULL,
	    "the memory is no policy");
	CHECK_INT_EQ(relay_sts_cache_held(&c, "example.net", 1000 +
	    RELAY_STS_RETRY_S), 0, "forgotten at the retry time");
	CHECK_INT_EQ(relay_sts_cache_held(&c, "example.net", 999), 0,
	    "and when the clock went back past it");

	(void)relay_sts_cache_put(&c, "example.net", "id1", &p, 2000);
	CHECK_INT_EQ(relay_sts_cache_hold(&c, "example.net", 2010), 0,
	    "a failure with a policy cached");
	e = relay_sts_cache_find(&c, "example.net", 2011);
	CHECK_TRUE(e != NULL && strcmp(e->id, "id1") == 0,
	    "the cached policy is kept (RFC 8461 §5.1)");
	CHECK_INT_EQ(relay_sts_cache_held(&c, "example.net", 2011), 1,
	    "and the failure remembered beside it");
	CHECK_TRUE(relay_sts_cache_find(&c, "example.net", 2100) == NULL,
	    "the policy expires at its max_age");
	CHECK_INT_EQ(relay_sts_cache_held(&c, "example.net", 2100), 1,
	    "the failure is still remembered");
	(void)relay_sts_cache_put(&c, "example.net", "id2", &p, 2200);
	CHECK_INT_EQ(relay_sts_cache_held(&c, "example.net", 2201), 1,
	    "a fetch that worked holds the next one too");
	CHECK_INT_EQ(relay_sts_cache_held(&c, "example.net", 2200 +
	    RELAY_STS_RETRY_S), 0, "for as long");
	CHECK_INT_EQ(relay_sts_cache_hold(&c, "", 2201), -1,
	    "no empty domain");
}

static void
test_host(void)
{
	struct mtasts_policy p = policy(MTASTS_MODE_ENFORCE, 100,
	    "*.example.net");

	(void)snprintf(p.mx[1], sizeof(p.mx[1]), "mail.example.org");
	p.nmx = 2;
	CHECK_INT_EQ(relay_sts_host(NULL, "mx.example.net"), RELAY_STS_NONE,
	    "no policy");
	CHECK_INT_EQ(relay_sts_host(&p, "mx1.example.net"), RELAY_STS_ENFORCE,
	    "enforce, wildcard match");
	CHECK_INT_EQ(relay_sts_host(&p, "MAIL.example.org."),
	    RELAY_STS_ENFORCE, "enforce, exact match, case and dot");
	CHECK_INT_EQ(relay_sts_host(&p, "a.b.example.net"), RELAY_STS_SKIP,
	    "enforce: the wildcard is one label");
	CHECK_INT_EQ(relay_sts_host(&p, "example.net"), RELAY_STS_SKIP,
	    "enforce: the wildcard needs a label");
	CHECK_INT_EQ(relay_sts_host(&p, "evil.example.com"), RELAY_STS_SKIP,
	    "enforce: another host is skipped");
	p.mode = MTASTS_MODE_TESTING;
	CHECK_INT_EQ(relay_sts_host(&p, "mx1.example.net"), RELAY_STS_TESTING,
	    "testing, in the list");
	CHECK_INT_EQ(relay_sts_host(&p, "evil.example.com"),
	    RELAY_STS_TESTING_MISS, "testing, not in the list");
	p.mode = MTASTS_MODE_NONE;
	CHECK_INT_EQ(relay_sts_host(&p, "mx1.example.net"), RELAY_STS_NONE,
	    "mode none");
}

/* closed_port: a TCP port on 127.0.0.1 nothing listens on. */
static int
closed_port(void)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd, port;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == -1)
		return 1;
	port = ntohs(sin.sin_port);
	(void)close(fd);
	return port;
}

/* silent_port: a port on 127.0.0.1 that takes connections (the
 * kernel's backlog) and never answers; its socket in *fd. */
static int
silent_port(int *fd)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((*fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(*fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(*fd, 64) == -1 ||
	    getsockname(*fd, (struct sockaddr *)&sin, &sl) == -1)
		return 1;
	return ntohs(sin.sin_port);
}

/* test_deadline: a policy host with two addresses that never answers:
 * the fetch gives up once, after x->sts_fetch_ms in all (each address
 * alone would be waited for that long), and is not tried again while
 * the failure is remembered. */
static void
test_deadline(void)
{
	static const struct answer slow[] = {
		{ "_mta-sts.slow.example", DNS_T_TXT, DNS_OK,
		  { "v=STSv1; id=s1" } },
		{ "mta-sts.slow.example", DNS_T_A, DNS_OK,
		  { "\x7f\0\0\1", "\x7f\0\0\1" } },
	};
	static struct relay_sts_cache c;
	static struct config cfg;
	static struct relay_ctx x;
	char err[256];
	int64_t t0, ms;
	int fd = -1;

	memset(&c, 0, sizeof(c));
	cfg.mtasts_port = silent_port(&fd);
	x.cfg = &cfg;
	x.lookup = lookup;
	x.sts = &c;
	x.connect_ms = 5000;
	x.sts_fetch_ms = 1000;
	x.anchors = tls_anchors_load("/etc/ssl/certs/ca-certificates.crt",
	    err, sizeof(err));
	CHECK_TRUE(x.anchors != NULL && fd != -1, "set up");

	use(slow, 2);
	t0 = mono_ms();
	CHECK_TRUE(relay_sts_policy(&x, "j", "slow.example", 5000) == NULL,
	    "a policy host that never answers: no policy");
	ms = mono_ms() - t0;
	CHECK_TRUE(ms >= 900 && ms < 1800, "given up after the fetch's "
	    "deadline (1 s), not per address");
	CHECK_INT_EQ(nfetch, 2, "the policy host was looked up");

	use(slow, 2);
	t0 = mono_ms();
	CHECK_TRUE(relay_sts_policy(&x, "j", "slow.example", 5010) == NULL,
	    "the next message: no policy");
	CHECK_TRUE(mono_ms() - t0 < 500 && nfetch == 0, "without a fetch");

	use(slow, 2);
	(void)relay_sts_policy(&x, "j", "slow.example", 5000 +
	    RELAY_STS_RETRY_S);
	CHECK_INT_EQ(nfetch, 2, "after RELAY_STS_RETRY_S: fetched again");
	if (fd != -1)
		(void)close(fd);
	if (x.anchors != NULL)
		tls_anchors_free((struct tls_anchors *)x.anchors);
}

static void
test_discovery(void)
{
	static const struct answer none[] = {
		{ "mta-sts.example.net", DNS_T_A, DNS_OK, { "\x7f\0\0\1" } },
	};
	static const struct answer same[] = {
		{ "_mta-sts.example.net", DNS_T_TXT, DNS_OK,
		  { "v=STSv1; id=abc" } },
		{ "mta-sts.example.net", DNS_T_A, DNS_OK, { "\x7f\0\0\1" } },
	};
	static const struct answer fresh[] = {
		{ "_mta-sts.example.net", DNS_T_TXT, DNS_OK,
		  { "v=spf1 -all", "v=STSv1;id=new2" } },
		{ "mta-sts.example.net", DNS_T_A, DNS_OK, { "\x7f\0\0\1" } },
	};
	static const struct answer two[] = {
		{ "_mta-sts.example.net", DNS_T_TXT, DNS_OK,
		  { "v=STSv1; id=one", "v=STSv1; id=two" } },
		{ "mta-sts.example.net", DNS_T_A, DNS_OK, { "\x7f\0\0\1" } },
	};
	static const struct answer temp[] = {
		{ "_mta-sts.example.net", DNS_T_TXT, DNS_TEMP, { NULL } },
		{ "_mta-sts.other.net", DNS_T_TXT, DNS_TEMP, { NULL } },
	};
	static struct relay_sts_cache c;
	static struct config cfg;
	static struct relay_ctx x;
	struct mtasts_policy p = policy(MTASTS_MODE_ENFORCE, 100,
	    "mx.example.net");
	const struct mtasts_policy *got;
	char err[256];

	memset(&c, 0, sizeof(c));
	cfg.mtasts_port = closed_port();
	x.cfg = &cfg;
	x.lookup = lookup;
	x.sts = &c;
	x.connect_ms = 2000;
	x.sts_fetch_ms = 5000;
	x.anchors = tls_anchors_load("/etc/ssl/certs/ca-certificates.crt",
	    err, sizeof(err));
	CHECK_TRUE(x.anchors != NULL, "the system CA bundle loads");

	use(none, 1);
	CHECK_TRUE(relay_sts_policy(&x, "j", "example.net", 1000) == NULL,
	    "no TXT record, nothing cached: no policy");
	CHECK_INT_EQ(nfetch, 0, "and no fetch");

	use(same, 2);
	CHECK_TRUE(relay_sts_policy(&x, "j", "example.net", 1000) == NULL,
	    "a record, the fetch fails, nothing cached: no policy");
	CHECK_INT_EQ(nfetch, 2, "the policy host was looked up (AAAA, A)");

	(void)relay_sts_cache_put(&c, "example.net", "abc", &p, 1000);
	use(same, 2);
	got = relay_sts_policy(&x, "j", "example.net", 1050);
	CHECK_TRUE(got != NULL && got->mode == MTASTS_MODE_ENFORCE,
	    "the cached id: the cached policy");
	CHECK_INT_EQ(nfetch, 0, "without a fetch");

	use(fresh, 2);
	got = relay_sts_policy(&x, "j", "example.net", 1050);
	CHECK_TRUE(got != NULL && got->mode == MTASTS_MODE_ENFORCE,
	    "a new id soon after a fetch: the cached policy still holds");
	CHECK_INT_EQ(nfetch, 0, "without a fetch (an id that changes with "
	    "every message is fetched once in RELAY_STS_RETRY_S)");
	CHECK_INT_EQ(ntxt, 0, "nor a TXT lookup");

	use(fresh, 2);
	CHECK_TRUE(relay_sts_policy(&x, "j", "example.net", 1100) == NULL,
	    "a new id, the cached one expired, the fetch held: none");
	CHECK_INT_EQ(nfetch, 0, "still without a fetch");

	use(fresh, 2);
	CHECK_TRUE(relay_sts_policy(&x, "j", "example.net",
	    1000 + RELAY_STS_RETRY_S) == NULL, "the hold over: the fetch "
	    "fails: none");
	CHECK_INT_EQ(nfetch, 2, "a fetch was tried for the new id");

	use(fresh, 2);
	CHECK_TRUE(relay_sts_policy(&x, "j", "example.net",
	    1010 + RELAY_STS_RETRY_S) == NULL, "the failure remembered: none");
	CHECK_INT_EQ(nfetch, 0, "without a new fetch (RFC 8461 §3.3)");

	p.max_age = 10000;
	(void)relay_sts_cache_put(&c, "example.net", "abc", &p, 5000);
	p.max_age = 100;
	use(fresh, 2);
	got = relay_sts_policy(&x, "j", "example.net",
	    5000 + RELAY_STS_RETRY_S);
	CHECK_TRUE(got != NULL && got->mode == MTASTS_MODE_ENFORCE,
	    "a new id, the fetch fails: the cached policy still holds");
	CHECK_INT_EQ(nfetch, 2, "a fetch was tried");
	use(fresh, 2);
	got = relay_sts_policy(&x, "j", "example.net",
	    5010 + RELAY_STS_RETRY_S);
	CHECK_TRUE(got != NULL && got->mode == MTASTS_MODE_ENFORCE,
	    "the failure remembered: the cached policy still holds");
	CHECK_INT_EQ(nfetch, 0, "without a new fetch");

	p.max_age = 10000;
	(void)relay_sts_cache_put(&c, "example.net", "abc", &p, 20000);
	p.max_age = 100;
	use(two, 2);
	got = relay_sts_policy(&x, "j", "example.net",
	    20000 + RELAY_STS_RETRY_S);
	CHECK_TRUE(got != NULL, "two STSv1 records: the cached policy");
	CHECK_INT_EQ(nfetch, 0, "and no fetch");
	CHECK_INT_EQ(ntxt, 1, "the TXT record was looked up");
	use(temp, 2);
	CHECK_TRUE(relay_sts_policy(&x, "j", "example.net",
	    20001 + RELAY_STS_RETRY_S) != NULL,
	    "DNS failure: the cached policy");
	CHECK_INT_EQ(ntxt, 1, "after a lookup");
	use(temp, 2);
	CHECK_TRUE(relay_sts_policy(&x, "j", "example.net",
	    20002 + RELAY_STS_RETRY_S) != NULL,
	    "the failure remembered: the cached policy");
	CHECK_INT_EQ(ntxt, 0, "without a new lookup");
	use(temp, 2);
	CHECK_TRUE(relay_sts_policy(&x, "j", "other.net", 20001) == NULL,
	    "DNS failure, nothing cached: none");
	CHECK_INT_EQ(ntxt, 1, "after a lookup");
	use(temp, 2);
	CHECK_TRUE(relay_sts_policy(&x, "j", "other.net", 20002) == NULL,
	    "the failure remembered, nothing cached: none");
	CHECK_INT_EQ(ntxt, 0, "without a new lookup (a domain whose DNS does "
	    "not answer costs one lookup's wait per RELAY_STS_RETRY_S)");
	use(temp, 2);
	CHECK_TRUE(relay_sts_policy(&x, "j", "other.net",
	    20001 + RELAY_STS_RETRY_S) == NULL, "the hold over: none");
	CHECK_INT_EQ(ntxt, 1, "after a new lookup");

	p.mode = MTASTS_MODE_NONE;
	(void)relay_sts_cache_put(&c, "example.net", "abc", &p, 3000);
	use(same, 2);
	CHECK_TRUE(relay_sts_policy(&x, "j", "example.net", 3001) == NULL,
	    "a cached policy of mode none: nothing applies");
	CHECK_INT_EQ(nfetch, 0, "and no fetch");
	if (x.anchors != NULL)
		tls_anchors_free((struct tls_anchors *)x.anchors);
}

int
main(void)
{
	log_init("test_relay_sts", 1, 0);
	test_cache();
	test_cache_fail();
	test_host();
	test_discovery();
	test_deadline();
	return check_done();
}
