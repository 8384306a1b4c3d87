/*
 * relay_sts.c: MTA-STS policy discovery and fetch in the relay
 * (relay_sts.h).  Runs in the relay role, under its sandbox (the HTTPS
 * fetch uses the socket, connect, poll and TLS calls SMTP uses; all of
 * it, every address tried, within x->sts_fetch_ms).  The
 * TXT record, the addresses of the policy host and the HTTPS answer are
 * hostile: dnsrr.h, https.h and mtasts.h read them under bounds.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/dnsrr.h"
#include "common/https.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "common/util.h"
#include "smtpd/relay_mx.h"
#include "smtpd/relay_sts.h"

#define RELAY_STS_TXT_MAX	512	/* a TXT record we read */
#define RELAY_STS_ADDRS_MAX	2	/* addresses tried per family */

static struct dns_rrset sts_rr;

static const char *
relay_sts_mode_name(enum mtasts_mode m)
{
	return m == MTASTS_MODE_ENFORCE ? "enforce" :
	    m == MTASTS_MODE_TESTING ? "testing" : "none";
}

/* relay_sts_txt: the id of domain's one "v=STSv1" TXT record: 1 with
 * id set; 0 when there is none to use (no record, several, a malformed
 * one: RFC 8461 §3.1), -1 when DNS failed. */
static int
relay_sts_txt(struct relay_ctx *x, const char *domain,
    char id[MTASTS_ID_MAX + 1])
{
	char name[DNS_NAME_MAX + 16], txt[RELAY_STS_TXT_MAX];
	size_t i, len, nsts = 0;
	enum dns_rc rc;
	int ok = 0;

	if (snprintf(name, sizeof(name), "_mta-sts.%s", domain) >=
	    (int)sizeof(name))
		return 0;
	rc = x->lookup(x->lookup_arg, name, DNS_T_TXT, &sts_rr);
	if (rc == DNS_TEMP || rc == DNS_BOGUS)
		return -1;
	if (rc != DNS_OK)
		return 0;
	for (i = 0; i < sts_rr.n; i++) {
		if (dnsrr_txt(sts_rr.rdata[i], sts_rr.len[i], txt, sizeof(txt),
		    &len) == -1 || len < 7 || memcmp(txt, "v=STSv1", 7) != 0)
			continue;
		nsts++;
		ok = mtasts_txt_parse(txt, len, id) == 0;
	}
	return nsts == 1 && ok ? 1 : 0;
}

/* relay_sts_late: the fetch's time is up (until, mono_ms): 1 with the
 * reason in err, else 0. */
static int
relay_sts_late(const struct relay_ctx *x, int64_t until, char *err,
    size_t errlen)
{
	if (mono_ms() < until)
		return 0;
	(void)snprintf(err, errlen, "no policy within the %lld s allowed",
	    (long long)(x->sts_fetch_ms / 1000));
	return 1;
}

/* relay_sts_try: one address of the policy host, by until (mono_ms);
 * 0 with p, or -1. */
static int
relay_sts_try(struct relay_ctx *x, const char *addr, const char *domain,
    int64_t until, struct mtasts_policy *p, char *err, size_t errlen)
{
	static struct http_resp r;
	int64_t left;
	int fd, rc;

	left = until - mono_ms();
	if ((fd = https_connect(addr, (uint16_t)x->cfg->mtasts_port,
	    (int)(left < x->connect_ms ? left : x->connect_ms), err,
	    errlen)) == -1) {
		(void)relay_sts_late(x, until, err, errlen);
		return -1;
	}
	rc = -1;
	if (!relay_sts_late(x, until, err, errlen) &&
	    (rc = https_mtasts_fetch(fd, domain, x->anchors,
	    (int)(until - mono_ms()), &r, p, err, errlen)) == -1)
		(void)relay_sts_late(x, until, err, errlen);
	(void)close(fd);
	return rc;
}

/* relay_sts_fetch: domain's policy from https://mta-sts.<domain>/, each
 * address of that host in turn (IPv6 first, a few of each), all within
 * x->sts_fetch_ms: a host that drips its answer must not hold the relay
 * for a timeout per address; 0 or -1 with the reason in err. */
static int
relay_sts_fetch(struct relay_ctx *x, const char *domain,
    struct mtasts_policy *p, char *err, size_t errlen)
{
	static const uint16_t types[] = { DNS_T_AAAA, DNS_T_A };
	char host[DNS_NAME_MAX + 16], addr[NETADDR_STRLEN];
	int64_t until = mono_ms() + x->sts_fetch_ms;
	size_t i, k;
	int family;

	(void)snprintf(err, errlen, "mta-sts.%s has no address", domain);
	if (x->anchors == NULL) {
		(void)snprintf(err, errlen, "no CA bundle was loaded");
		return -1;
	}
	if (snprintf(host, sizeof(host), "mta-sts.%s", domain) >=
	    (int)sizeof(host))
		return -1;
	for (k = 0; k < 2; k++) {
		if (x->lookup(x->lookup_arg, host, types[k], &sts_rr) !=
		    DNS_OK)
			continue;
		family = types[k] == DNS_T_A ? AF_INET : AF_INET6;
		for (i = 0; i < sts_rr.n && i < RELAY_STS_ADDRS_MAX; i++) {
			if (dnsrr_addr(types[k], sts_rr.rdata[i],
			    sts_rr.len[i], addr, sizeof(addr)) == -1 ||
			    relay_mx_refused(family, sts_rr.rdata[i]))
				continue;
			if (relay_sts_late(x, until, err, errlen))
				return -1;
			if (relay_sts_try(x, addr, domain, until, p, err,
			    errlen) == 0)
				return 0;
		}
	}
	return -1;
}

/* relay_sts_cached: what c (NULL: nothing cached) holds, when its mode
 * asks something of us. */
static const struct mtasts_policy *
relay_sts_cached(const struct relay_sts_entry *c)
{
	return c != NULL && c->policy.mode != MTASTS_MODE_NONE ? &c->policy :
	    NULL;
}

/* relay_sts_failed: the TXT lookup or the fetch ("lookup", "fetch") of
 * domain's policy failed (what says how): logged, no new one for
 * RELAY_STS_RETRY_S; the cached policy c still applies. */
static const struct mtasts_policy *
relay_sts_failed(struct relay_ctx *x, const char *jobid, const char *domain,
    const struct relay_sts_entry *c, int64_t now, const char *what,
    const char *step)
{
	log_warnx("%s to %s: %s; %s (no new %s for %d minutes)", jobid, domain,
	    what, c != NULL ? "the cached policy applies" :
	    "delivered as without MTA-STS", step, RELAY_STS_RETRY_S / 60);
	if (x->sts != NULL)
		(void)relay_sts_cache_hold(x->sts, domain, now);
	return relay_sts_cached(c);
}

const struct mtasts_policy *
relay_sts_policy(struct relay_ctx *x, const char *jobid, const char *domain,
    int64_t now)
{
	static struct mtasts_policy fetched;
	const struct relay_sts_entry *c = NULL;
	char id[MTASTS_ID_MAX + 1], err[256], what[400];
	int rc;

	if (x->sts != NULL)
		c = relay_sts_cache_find(x->sts, domain, now);
	/* RFC 8461 §3.3: no new fetch soon after one failed (logged then,
	 * not for each message), nor soon after one for another id; nor a
	 * new TXT lookup soon after one that failed. */
	if (x->sts != NULL && relay_sts_cache_held(x->sts, domain, now))
		return relay_sts_cached(c);
	if ((rc = relay_sts_txt(x, domain, id)) == -1)
		return relay_sts_failed(x, jobid, domain, c, now,
		    "the MTA-STS record could not be looked up", "lookup");
	if (rc != 1 || (c != NULL && strcmp(c->id, id) == 0))
		return relay_sts_cached(c);
	memset(&fetched, 0, sizeof(fetched));
	if (relay_sts_fetch(x, domain, &fetched, err, sizeof(err)) == -1) {
		(void)snprintf(what, sizeof(what), "the MTA-STS policy (id %s) "
		    "could not be fetched: %s", id, err);
		return relay_sts_failed(x, jobid, domain, c, now, what,
		    "fetch");
	}
	log_info("%s to %s: MTA-STS policy id %s fetched: mode %s, max_age "
	    "%u, %zu mx pattern%s", jobid, domain, id,
	    relay_sts_mode_name(fetched.mode), fetched.max_age, fetched.nmx,
	    fetched.nmx == 1 ? "" : "s");
	if (x->sts != NULL && relay_sts_cache_put(x->sts, domain, id,
	    &fetched, now) == 0 &&
	    (c = relay_sts_cache_find(x->sts, domain, now)) != NULL)
		return relay_sts_cached(c);
	return fetched.mode != MTASTS_MODE_NONE ? &fetched : NULL;
}

enum relay_sts_host
relay_sts_host(const struct mtasts_policy *p, const char *host)
{
	int in;

	if (p == NULL || p->mode == MTASTS_MODE_NONE)
		return RELAY_STS_NONE;
	in = mtasts_mx_match(p, host);
	if (p->mode == MTASTS_MODE_ENFORCE)
		return in ? RELAY_STS_ENFORCE : RELAY_STS_SKIP;
	return in ? RELAY_STS_TESTING : RELAY_STS_TESTING_MISS;
}
