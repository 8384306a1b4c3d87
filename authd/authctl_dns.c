/*
 * authctl_dns.c: "dns check DOMAIN": what the relay would find in the DNS
 * for a destination, through the resolver the relay uses (common/dns.h,
 * "dns server" and "dns trust anchor" of postern.conf): the MX records
 * (or the null MX, or the domain itself when it has none), the addresses
 * and the DANE TLSA records of each mail host, the domain's SPF record,
 * its DMARC and MTA-STS records, each with its DNSSEC status.
 *
 * Runs in authctl.  ctl_dns_prep opens the resolver as root, before the
 * drop to the auth user (the trust anchor file is read there, as the
 * relay reads it before its chroot); the lookups run after the drop.
 * Every answer is hostile: records are read by dnsrr.h's bounded readers
 * and text is printed with anything unprintable escaped.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authd/authctl.h"
#include "common/dns.h"
#include "common/dnsrr.h"
#include "common/netaddr.h"
#include "common/util.h"

#define CTL_DNS_TXT_MAX		4096	/* one TXT record, joined */
#define CTL_DNS_TLSA_SHOW	64	/* data bytes shown in hex */

static struct dns	*ctl_dns;
static int		 ctl_dns_failed;	/* lookups that did not work */
static char		 ctl_dns_first[DNS_NAME_MAX + 300];
static struct dns_rrset	 ctl_dns_rr;

struct ctl_dns_mx {
	uint16_t	pref;
	char		host[DNS_NAME_MAX + 1];
};

/* ctl_dns_domain_ok: letters, digits, '-', '_' and dots, labels of 1 to
 * 63 bytes, at most DNS_NAME_MAX in all; a final dot is dropped. */
static int
ctl_dns_domain_ok(const char *arg, char out[DNS_NAME_MAX + 1])
{
	size_t i, n = strlen(arg), label = 0;

	if (n > 0 && arg[n - 1] == '.')
		n--;
	if (n == 0 || n > DNS_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)arg[i];

		if (ch == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum(ch) || ch == '-' || ch == '_') {
			if (++label > 63)
				return 0;
		} else
			return 0;
		out[i] = (char)tolower(ch);
	}
	out[n] = '\0';
	return label != 0;
}

int
ctl_dns_prep(struct ctl *c, int argc, char **argv, uid_t uid, gid_t gid)
{
	char err[512];

	if ((ctl_dns = dns_open_config(&c->cfg, 0, err, sizeof(err))) ==
	    NULL) {
		ctl_err("%s", err);
		return CTL_ERR;
	}
	return CTL_OK;
}

static const char *
ctl_dns_sec(const struct dns_rrset *rr)
{
	if (rr->rc == DNS_BOGUS)
		return "bogus";
	return rr->secure ? "secure" : "insecure";
}

/* ctl_dns_ask: one lookup; a failed one is printed, counted, and the
 * first remembered for the closing error line.  Returns the rc. */
static enum dns_rc
ctl_dns_ask(const char *name, uint16_t type, const char *tname)
{
	struct dns_rrset *rr = &ctl_dns_rr;
	enum dns_rc rc;

	rc = dns_query(ctl_dns, name, type, rr);
	switch (rc) {
	case DNS_OK:
		break;
	case DNS_NODATA:
		printf("%s %s: no record (DNSSEC: %s)\n", name, tname,
		    ctl_dns_sec(rr));
		break;
	case DNS_NXDOMAIN:
		printf("%s %s: no such name (DNSSEC: %s)\n", name, tname,
		    ctl_dns_sec(rr));
		break;
	case DNS_TEMP:
	case DNS_BOGUS:
		printf("%s %s: lookup failed: %s%s%s%s%s\n", name, tname,
		    dns_rc_name(rc), rr->why[0] != '\0' ? " (" : "",
		    ctl_vis(rr->why), rr->why[0] != '\0' ? ")" : "",
		    rc == DNS_BOGUS ? " (DNSSEC: bogus)" : "");
		if (ctl_dns_failed++ == 0)
			(void)snprintf(ctl_dns_first, sizeof(ctl_dns_first),
			    "%s %s: %s", name, tname, dns_rc_name(rc));
		break;
	}
	return rc;
}

/* ctl_dns_text: a TXT record's text, quoted, with '"', '\' and every
 * byte outside printable ASCII escaped. */
static void
ctl_dns_text(const char *s, size_t len)
{
	size_t i;

	putchar('"');
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < ' ' || ch > '~')
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* ctl_dns_txt: the TXT records at name; prefix non-NULL: only those
 * that start with it (case-insensitive), e.g. "v=spf1". */
static void
ctl_dns_txt(const char *name, const char *prefix)
{
	struct dns_rrset *rr = &ctl_dns_rr;
	char txt[CTL_DNS_TXT_MAX];
	size_t i, len, plen = prefix != NULL ? strlen(prefix) : 0, shown = 0;

	if (ctl_dns_ask(name, DNS_T_TXT, "TXT") != DNS_OK)
		return;
	for (i = 0; i < rr->n; i++) {
		if (dnsrr_txt(rr->rdata[i], rr->len[i], txt, sizeof(txt),
		    &len) == -1) {
			printf("%s TXT: a malformed or over-long record "
			    "(DNSSEC: %s)\n", name, ctl_dns_sec(rr));
			continue;
		}
		if (prefix != NULL && (len < plen ||
		    strncasecmp(txt, prefix, plen) != 0 ||
		    (len > plen && txt[plen] != ' ')))
			continue;
		printf("%s TXT ", name);
		ctl_dns_text(txt, len);
		printf(" (DNSSEC: %s)\n", ctl_dns_sec(rr));
		shown++;
	}
	if (shown == 0)
		printf("%s TXT: no %s record (DNSSEC: %s)\n", name,
		    prefix != NULL ? prefix : "", ctl_dns_sec(rr));
}

static void
ctl_dns_addrs(const char *host, uint16_t type, const char *tname)
{
	struct dns_rrset *rr = &ctl_dns_rr;
	char addr[NETADDR_STRLEN];
	size_t i;

	if (ctl_dns_ask(host, type, tname) != DNS_OK)
		return;
	for (i = 0; i < rr->n; i++) {
		if (dnsrr_addr(type, rr->rdata[i], rr->len[i], addr,
		    sizeof(addr)) == -1)
			printf("%s %s: a malformed record (DNSSEC: %s)\n",
			    host, tname, ctl_dns_sec(rr));
		else
			printf("%s %s %s (DNSSEC: %s)\n", host, tname, addr,
			    ctl_dns_sec(rr));
	}
}

static void
ctl_dns_tlsa(const char *host)
{
	struct dns_rrset *rr = &ctl_dns_rr;
	char name[DNS_NAME_MAX + 16];
	struct dnsrr_tlsa t;
	size_t i, j;

	if ((size_t)snprintf(name, sizeof(name), "_25._tcp.%s", host) >
	    DNS_NAME_MAX) {
		printf("_25._tcp.%s TLSA: the name is too long\n", host);
		return;
	}
	if (ctl_dns_ask(name, DNS_T_TLSA, "TLSA") != DNS_OK)
		return;
	for (i = 0; i < rr->n; i++) {
		if (dnsrr_tlsa(rr->rdata[i], rr->len[i], &t) == -1) {
			printf("%s TLSA: a malformed record (DNSSEC: %s)\n",
			    name, ctl_dns_sec(rr));
			continue;
		}
		printf("%s TLSA %u %u %u ", name, t.usage, t.selector, t.mtype);
		for (j = 0; j < t.len && j < CTL_DNS_TLSA_SHOW; j++)
			printf("%02x", t.data[j]);
		printf("%s (DNSSEC: %s)\n", t.len > CTL_DNS_TLSA_SHOW ?
		    "..." : "", ctl_dns_sec(rr));
	}
}

static int
ctl_dns_mx_cmp(const void *a, const void *b)
{
	const struct ctl_dns_mx *x = a, *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return strcmp(x->host, y->host);
}

/* ctl_dns_mx: the MX records of domain into mx (sorted by preference);
 * returns how many, 0 when the domain has none (its own address takes
 * the mail, RFC 5321 §5.1), -1 for a null MX or a failed lookup. */
static int
ctl_dns_mx(const char *domain, struct ctl_dns_mx *mx)
{
	struct dns_rrset *rr = &ctl_dns_rr;
	size_t i, n = 0;
	enum dns_rc rc;

	rc = ctl_dns_ask(domain, DNS_T_MX, "MX");
	if (rc == DNS_NODATA) {
		printf("%s: no MX record, mail goes to the domain's own "
		    "address\n", domain);
		return 0;
	}
	if (rc != DNS_OK)
		return -1;
	for (i = 0; i < rr->n; i++) {
		if (dnsrr_mx(rr->rdata[i], rr->len[i], &mx[n].pref,
		    mx[n].host) == -1) {
			printf("%s MX: a malformed record (DNSSEC: %s)\n",
			    domain, ctl_dns_sec(rr));
			continue;
		}
		if (mx[n].host[0] == '\0') {
			printf("%s MX: null MX, the domain accepts no mail "
			    "(DNSSEC: %s)\n", domain, ctl_dns_sec(rr));
			return -1;
		}
		n++;
	}
	qsort(mx, n, sizeof(mx[0]), ctl_dns_mx_cmp);
	for (i = 0; i < n; i++)
		printf("%s MX %u %s (DNSSEC: %s)\n", domain, mx[i].pref,
		    mx[i].host, ctl_dns_sec(rr));
	if (rr->truncated)
		printf("%s MX: more records than the %d shown\n", domain,
		    DNS_RR_MAX);
	return (int)n;
}

static void
ctl_dns_host(const char *host)
{
	ctl_dns_addrs(host, DNS_T_A, "A");
	ctl_dns_addrs(host, DNS_T_AAAA, "AAAA");
	ctl_dns_tlsa(host);
}

static void
ctl_dns_policies(const char *domain)
{
	char name[DNS_NAME_MAX + 16];

	ctl_dns_txt(domain, "v=spf1");
	if ((size_t)snprintf(name, sizeof(name), "_dmarc.%s", domain) <=
	    DNS_NAME_MAX)
		ctl_dns_txt(name, NULL);
	if ((size_t)snprintf(name, sizeof(name), "_mta-sts.%s", domain) <=
	    DNS_NAME_MAX)
		ctl_dns_txt(name, NULL);
}

int
ctl_dns_check(struct ctl *c, int argc, char **argv)
{
	static struct ctl_dns_mx mx[DNS_RR_MAX];
	char domain[DNS_NAME_MAX + 1];
	char *pos[1];
	enum dns_rc mxrc;
	int i, n, npos, rc = CTL_OK;

	if (ctl_parse(argc, argv, NULL, pos, 1, &npos) == -1 || npos != 1) {
		rc = ctl_usage(c);
		goto out;
	}
	if (!ctl_dns_domain_ok(pos[0], domain)) {
		rc = ctl_usage_why(c, "not a domain name");
		goto out;
	}
	n = ctl_dns_mx(domain, mx);
	mxrc = ctl_dns_rr.rc;
	if (mxrc == DNS_NXDOMAIN) {
		ctl_err("%s: no such domain", domain);
		rc = CTL_ERR;
		goto out;
	}
	if (n == 0)
		ctl_dns_host(domain);
	for (i = 0; i < n; i++)
		ctl_dns_host(mx[i].host);
	ctl_dns_policies(domain);
	if (ctl_dns_failed != 0) {
		ctl_err("%s: %d lookup%s failed (first: %s)", domain,
		    ctl_dns_failed, ctl_dns_failed == 1 ? "" : "s",
		    ctl_dns_first);
		rc = CTL_ERR;
	}
out:
	dns_close(ctl_dns);
	ctl_dns = NULL;
	return rc;
}
