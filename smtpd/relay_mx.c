/*
 * relay_mx.c: a destination domain's hosts and addresses (relay_mx.h).
 * Runs in the relay role; the DNS answers are hostile: every rdata goes
 * through dnsrr.h, every count is bounded by our arrays, and names that
 * do not parse are skipped, never guessed at.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dnsrr.h"
#include "common/util.h"
#include "smtpd/relay_mx.h"

/* One DNS answer at a time: the rrsets are large (dns.h), and the relay
 * resolves one job at a time. */
static struct dns_rrset rr;

struct relay_mx_cand {
	char		 name[DNS_NAME_MAX + 1];
	uint16_t	 pref;
	uint32_t	 shuffle;	/* random order among equal prefs */
};

int
relay_mx_refused(int family, const unsigned char *raw)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	static const unsigned char zero[16];

	if (family == AF_INET)
		return raw[0] == 0;
	if (memcmp(raw, zero, 16) == 0)
		return 1;
	return memcmp(raw, mapped, 12) == 0 && raw[12] == 0;
}

static int
relay_mx_cand_cmp(const void *a, const void *b)
{
	const struct relay_mx_cand *x = a, *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	if (x->shuffle != y->shuffle)
		return x->shuffle < y->shuffle ? -1 : 1;
	return 0;
}

/* relay_mx_addrs: host's addresses of one family into h; 0 when the
 * lookup answered (records or none), -1 when it failed. */
static int
relay_mx_addrs(dns_lookup_fn lookup, void *arg, struct relay_host *h,
    uint16_t type, int *secure, size_t *refused)
{
	unsigned char raw[16];
	size_t i, taken = 0, rawlen = type == DNS_T_AAAA ? 16 : 4;
	int family = type == DNS_T_AAAA ? AF_INET6 : AF_INET;
	enum dns_rc rc;

	rc = lookup(arg, h->name, type, &rr);
	if (rc == DNS_TEMP || rc == DNS_BOGUS)
		return -1;
	if (!rr.secure)
		*secure = 0;
	if (rc != DNS_OK)
		return 0;
	for (i = 0; i < rr.n && taken < 2 && h->naddr < RELAY_ADDRS_MAX;
	    i++) {
		struct relay_addr *a = &h->addr[h->naddr];

		if (rr.len[i] != rawlen ||
		    dnsrr_addr(type, rr.rdata[i], rr.len[i], a->text,
		    sizeof(a->text)) == -1)
			continue;
		memcpy(raw, rr.rdata[i], rawlen);
		if (relay_mx_refused(family, raw)) {
			if (refused != NULL)
				(*refused)++;
			continue;
		}
		a->family = family;
		h->naddr++;
		taken++;
	}
	return 0;
}

/* relay_mx_host: look up one candidate's addresses; 1 when it has some,
 * 0 when none, -1 when the lookups failed. */
static int
relay_mx_host(dns_lookup_fn lookup, void *arg, const struct relay_mx_cand *c,
    int mx_secure, struct relay_host *h, size_t *refused)
{
	int secure = mx_secure, failed = 0;

	memset(h, 0, sizeof(*h));
	(void)str_copy(h->name, c->name, sizeof(h->name));
	h->pref = c->pref;
	if (relay_mx_addrs(lookup, arg, h, DNS_T_AAAA, &secure, refused) ==
	    -1)
		failed++;
	if (relay_mx_addrs(lookup, arg, h, DNS_T_A, &secure, refused) == -1)
		failed++;
	h->secure = secure && failed == 0;
	if (h->naddr > 0)
		return 1;
	return failed > 0 ? -1 : 0;
}

static enum relay_dest_rc
relay_mx_end(struct relay_dest *d, enum relay_dest_rc rc, const char *why,
    const char *domain)
{
	d->rc = rc;
	if (rc != RELAY_DEST_OK)
		(void)snprintf(d->why, sizeof(d->why), "%s %.100s", why,
		    domain);
	return rc;
}

/* relay_mx_cands: the MX answer in rr into c[] sorted; the count, or -1
 * for a null MX. */
static int
relay_mx_cands(struct relay_mx_cand *c, size_t max)
{
	size_t i, n = 0, nulls = 0;

	for (i = 0; i < rr.n && n < max; i++) {
		if (dnsrr_mx(rr.rdata[i], rr.len[i], &c[n].pref,
		    c[n].name) == -1)
			continue;
		if (c[n].name[0] == '\0') {
			nulls++;
			continue;
		}
		str_lower(c[n].name);
		random_bytes(&c[n].shuffle, sizeof(c[n].shuffle));
		n++;
	}
	/* RFC 7505 §3: a null MX is the only record; one among others is
	 * a broken zone, and the others are used. */
	if (n == 0 && nulls > 0)
		return -1;
	qsort(c, n, sizeof(c[0]), relay_mx_cand_cmp);
	return (int)n;
}

enum relay_dest_rc
relay_mx_resolve(dns_lookup_fn lookup, void *arg, const char *domain,
    struct relay_dest *d, size_t *refused)
{
	static struct relay_mx_cand c[DNS_RR_MAX];
	size_t i, temp = 0;
	int n, mx_secure, r;
	enum dns_rc rc;

	memset(d, 0, sizeof(*d));
	rc = lookup(arg, domain, DNS_T_MX, &rr);
	if (rc == DNS_NXDOMAIN)
		return relay_mx_end(d, RELAY_DEST_NXDOMAIN,
		    "no such domain:", domain);
	if (rc == DNS_TEMP || rc == DNS_BOGUS)
		return relay_mx_end(d, RELAY_DEST_TEMP, rc == DNS_BOGUS ?
		    "DNSSEC validation failed for the MX of" :
		    "DNS lookup failed for the MX of", domain);
	mx_secure = rr.secure;
	if (rc == DNS_NODATA) {
		d->implicit = 1;
		(void)str_copy(c[0].name, domain, sizeof(c[0].name));
		c[0].pref = 0;
		n = 1;
	} else if ((n = relay_mx_cands(c, DNS_RR_MAX)) == -1)
		return relay_mx_end(d, RELAY_DEST_NULLMX,
		    "the domain accepts no mail (null MX):", domain);
	else if (n == 0)
		return relay_mx_end(d, RELAY_DEST_TEMP,
		    "no usable MX record for", domain);
	for (i = 0; i < (size_t)n && i < RELAY_HOSTS_LOOKED_MAX &&
	    d->nhost < RELAY_HOSTS_MAX; i++) {
		r = relay_mx_host(lookup, arg, &c[i], mx_secure,
		    &d->host[d->nhost], refused);
		if (r == 1)
			d->nhost++;
		else if (r == -1)
			temp++;
	}
	if (d->nhost > 0)
		return relay_mx_end(d, RELAY_DEST_OK, "", domain);
	if (temp > 0)
		return relay_mx_end(d, RELAY_DEST_TEMP,
		    "DNS lookup failed for the addresses of the MX hosts of",
		    domain);
	return relay_mx_end(d, RELAY_DEST_NOHOST,
	    "no mail host with a usable address for", domain);
}

enum relay_dest_rc
relay_mx_direct(dns_lookup_fn lookup, void *arg, const char *host,
    struct relay_dest *d, size_t *refused)
{
	struct relay_mx_cand c;
	struct relay_host *h = &d->host[0];
	unsigned char raw[16];
	int r, family;

	memset(d, 0, sizeof(*d));
	family = inet_pton(AF_INET, host, raw) == 1 ? AF_INET :
	    inet_pton(AF_INET6, host, raw) == 1 ? AF_INET6 : 0;
	if (family != 0) {
		if (relay_mx_refused(family, raw)) {
			if (refused != NULL)
				(*refused)++;
			return relay_mx_end(d, RELAY_DEST_NOHOST,
			    "refused address", host);
		}
		(void)str_copy(h->name, host, sizeof(h->name));
		h->naddr = 1;
		h->addr[0].family = family;
		(void)str_copy(h->addr[0].text, host, sizeof(h->addr[0].text));
		d->nhost = 1;
		return relay_mx_end(d, RELAY_DEST_OK, "", host);
	}
	memset(&c, 0, sizeof(c));
	(void)str_copy(c.name, host, sizeof(c.name));
	str_lower(c.name);
	r = relay_mx_host(lookup, arg, &c, 0, h, refused);
	if (r == 1) {
		d->nhost = 1;
		return relay_mx_end(d, RELAY_DEST_OK, "", host);
	}
	if (r == -1)
		return relay_mx_end(d, RELAY_DEST_TEMP,
		    "DNS lookup failed for the addresses of", host);
	return relay_mx_end(d, RELAY_DEST_NOHOST, "no usable address for",
	    host);
}
