/*
 * spf.c: the SPF evaluator (RFC 7208 sections 4 and 5): check_host() over
 * the records spf_record.c parses, with the lookup limits of section
 * 4.6.4.  Runs in the check role.  Trusts nothing it reads from DNS:
 * every answer goes through dnsrr.h's bounded readers, every name it
 * builds is checked before it is asked for, and the recursion through
 * include and redirect is bounded by the 10-lookup limit (each costs one).
 * One context per check, on the heap (the parsed records of every level).
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/dnsrr.h"
#include "common/spf.h"

#define SPF_DEPTH	(SPF_LOOKUP_MAX + 1)

struct spf_ctx {
	dns_lookup_fn	 lookup;
	void		*arg;
	uint8_t		 ip[16];
	int		 v6;
	char		 ip_dots[72];		/* %{i} */
	char		 ip_text[64];		/* %{c} */
	char		 sender[512];		/* %{s} */
	char		 local[256];		/* %{l} */
	char		 sender_domain[DNS_NAME_MAX + 1];
	const char	*helo, *receiver;
	char		 timestamp[24];
	unsigned	 lookups, voids;
	enum spf_result	 error;			/* set when a step failed */
	char		 reason[SPF_REASON_MAX];
	struct dns_rrset rr;
	char		 txt[DNS_RRSET_BUF];
	struct spf_record rec[SPF_DEPTH];
};

static enum spf_result spf_eval(struct spf_ctx *, const char *, size_t, int);

const char *
spf_result_name(enum spf_result r)
{
	static const char *names[] = { "none", "neutral", "pass", "fail",
	    "softfail", "temperror", "permerror" };

	if ((unsigned)r >= sizeof(names) / sizeof(names[0]))
		return "permerror";
	return names[r];
}

/* Record the first failure; the evaluation unwinds with ctx->error set. */
static int
spf_fail(struct spf_ctx *c, enum spf_result r, const char *domain,
    const char *why)
{
	if (c->error == SPF_NONE) {
		c->error = r;
		snprintf(c->reason, sizeof(c->reason), "%.80s: %.120s", domain,
		    why);
	}
	return -1;
}

/* A name we may ask for: 1..253 bytes of printable ASCII other than
 * backslash, labels of 1..63 bytes; multi: at least two labels. */
static int
spf_name_ok(const char *name, int multi)
{
	size_t len = strlen(name), label = 0, i, labels = 1;

	if (len == 0 || len > DNS_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch < 0x21 || ch > 0x7e || ch == '\\')
			return 0;
		if (ch != '.') {
			if (++label > 63)
				return 0;
			continue;
		}
		if (label == 0)
			return 0;
		label = 0;
		if (i + 1 < len)
			labels++;
	}
	return !multi || labels >= 2;
}

/*
 * One lookup: 1 with records, 0 void (NODATA, NXDOMAIN, or a name we
 * refuse to ask for, counted against the void limit), -1 failed (a DNS
 * error: temperror, or the void limit: permerror).
 */
static int
spf_dns(struct spf_ctx *c, const char *name, uint16_t type)
{
	enum dns_rc rc = DNS_NXDOMAIN;

	memset(&c->rr, 0, offsetof(struct dns_rrset, buf));
	if (spf_name_ok(name, 0))
		rc = c->lookup(c->arg, name, type, &c->rr);
	if (rc == DNS_TEMP || rc == DNS_BOGUS)
		return spf_fail(c, SPF_TEMPERROR, name, rc == DNS_BOGUS ?
		    "DNSSEC validation failed" : "DNS lookup failed");
	if (rc == DNS_OK && c->rr.n > 0 && c->rr.n <= DNS_RR_MAX)
		return 1;
	if (++c->voids > SPF_VOID_MAX)
		return spf_fail(c, SPF_PERMERROR, name,
		    "more than 2 lookups found nothing");
	return 0;
}

/* Count a term that looks names up (RFC 7208 4.6.4). */
static int
spf_count(struct spf_ctx *c, const char *domain)
{
	if (++c->lookups > SPF_LOOKUP_MAX)
		return spf_fail(c, SPF_PERMERROR, domain,
		    "more than 10 DNS lookups");
	return 0;
}

static int
spf_addr_match(const struct spf_ctx *c, const unsigned char *a, size_t len,
    unsigned prefix)
{
	size_t full = prefix / 8;
	unsigned rest = prefix % 8;

	if (len != (c->v6 ? 16u : 4u))
		return 0;
	if (memcmp(a, c->ip, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ c->ip[full]) & (0xff00 >> rest)) == 0;
}

/* Does the name have an A (AAAA for IPv6) record in the prefix?  1, 0,
 * or -1 (failed). */
static int
spf_match_addr(struct spf_ctx *c, const char *name, unsigned prefix)
{
	size_t i;
	int rc;

	if ((rc = spf_dns(c, name, c->v6 ? DNS_T_AAAA : DNS_T_A)) != 1)
		return rc;
	for (i = 0; i < c->rr.n; i++)
		if (spf_addr_match(c, c->rr.rdata[i], c->rr.len[i], prefix))
			return 1;
	return 0;
}

static int
spf_match_mx(struct spf_ctx *c, const char *name, unsigned prefix)
{
	char hosts[SPF_NAMES_MAX][DNS_NAME_MAX + 1];
	size_t n = 0, i;
	uint16_t pref;
	int rc;

	if ((rc = spf_dns(c, name, DNS_T_MX)) != 1)
		return rc;
	if (c->rr.n > SPF_NAMES_MAX || c->rr.truncated)
		return spf_fail(c, SPF_PERMERROR, name,
		    "more than 10 MX records");
	for (i = 0; i < c->rr.n; i++)
		if (dnsrr_mx(c->rr.rdata[i], c->rr.len[i], &pref,
		    hosts[n]) == 0 && hosts[n][0] != '\0')
			n++;
	for (i = 0; i < n; i++)
		if ((rc = spf_match_addr(c, hosts[i], prefix)) != 0)
			return rc;
	return 0;
}

/* The reverse-lookup name of the client address. */
static void
spf_reverse_name(const struct spf_ctx *c, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	int i;

	if (!c->v6) {
		snprintf(out, cap, "%u.%u.%u.%u.in-addr.arpa", c->ip[3],
		    c->ip[2], c->ip[1], c->ip[0]);
		return;
	}
	for (i = 15; i >= 0 && o + 4 < cap; i--) {
		out[o++] = hex[c->ip[i] & 15];
		out[o++] = '.';
		out[o++] = hex[c->ip[i] >> 4];
		out[o++] = '.';
	}
	snprintf(out + o, cap - o, "ip6.arpa");
}

static int
spf_suffix_match(const char *name, const char *domain)
{
	size_t nl = strlen(name), dl = strlen(domain);

	if (nl > 0 && name[nl - 1] == '.')
		nl--;
	if (nl == dl)
		return strncasecmp(name, domain, dl) == 0;
	return nl > dl && name[nl - dl - 1] == '.' &&
	    strncasecmp(name + nl - dl, domain, dl) == 0;
}

/* ptr (RFC 7208 5.5, "do not use"): the first 10 PTR names in the
 * target domain, validated by a forward lookup back to the address. */
static int
spf_match_ptr(struct spf_ctx *c, const char *target)
{
	char rev[80], names[SPF_NAMES_MAX][DNS_NAME_MAX + 1];
	size_t n = 0, i;
	int rc;

	spf_reverse_name(c, rev, sizeof(rev));
	if ((rc = spf_dns(c, rev, DNS_T_PTR)) != 1) {
		if (rc == -1 && c->error == SPF_TEMPERROR) {
			/* a DNS error on the PTR lookup is no match */
			c->error = SPF_NONE;
			return 0;
		}
		return rc;
	}
	for (i = 0; i < c->rr.n && n < SPF_NAMES_MAX; i++) {
		size_t used;

		if (dnsrr_name(c->rr.rdata[i], c->rr.len[i], names[n],
		    &used) == 0 && spf_suffix_match(names[n], target))
			n++;
	}
	for (i = 0; i < n; i++)
		if ((rc = spf_match_addr(c, names[i], c->v6 ? 128 : 32)) != 0)
			return rc;
	return 0;
}

static void
spf_vars(const struct spf_ctx *c, const char *domain,
    struct spf_macro_vars *v)
{
	v->sender = c->sender;
	v->local = c->local;
	v->sender_domain = c->sender_domain;
	v->domain = domain;
	v->ip = c->ip_dots;
	v->ip_text = c->ip_text;
	v->version = c->v6 ? "ip6" : "in-addr";
	v->helo = c->helo;
	v->receiver = c->receiver;
	v->timestamp = c->timestamp;
}

/* The target of a term: its expanded domain-spec, or the current domain. */
static int
spf_target(struct spf_ctx *c, const char *domain, const char *spec,
    char out[DNS_NAME_MAX + 1])
{
	char buf[SPF_EXPAND_MAX];
	struct spf_macro_vars v;

	if (spec == NULL) {
		snprintf(out, DNS_NAME_MAX + 1, "%s", domain);
		return 0;
	}
	spf_vars(c, domain, &v);
	if (spf_macro_expand(spec, &v, 0, 1, buf, sizeof(buf)) == -1 ||
	    strlen(buf) > DNS_NAME_MAX)
		return spf_fail(c, SPF_PERMERROR, domain,
		    "a macro expansion failed");
	memcpy(out, buf, strlen(buf) + 1);
	return 0;
}

/* A nested check one level down: an include (top 0), or a redirect
 * (top as the record that redirects: its result is the check's). */
static enum spf_result
spf_nested(struct spf_ctx *c, const char *target, size_t depth, int top)
{
	if (depth >= SPF_DEPTH) {
		spf_fail(c, SPF_PERMERROR, target, "nested too deeply");
		return SPF_PERMERROR;
	}
	return spf_eval(c, target, depth, top);
}

static int
spf_match_include(struct spf_ctx *c, const char *target, size_t depth)
{
	switch (spf_nested(c, target, depth + 1, 0)) {
	case SPF_PASS:
		return 1;
	case SPF_FAIL:
	case SPF_SOFTFAIL:
	case SPF_NEUTRAL:
		return 0;
	case SPF_NONE:
		return spf_fail(c, SPF_PERMERROR, target,
		    "included domain has no SPF record");
	default:
		return -1;
	}
}

/* One mechanism: 1 matched, 0 not, -1 failed (ctx->error set). */
static int
spf_match(struct spf_ctx *c, const char *domain, const struct spf_term *t,
    size_t depth)
{
	char target[DNS_NAME_MAX + 1];

	if (t->kind == SPF_ALL)
		return 1;
	if (t->kind == SPF_IP4 || t->kind == SPF_IP6) {
		if ((t->kind == SPF_IP6) != c->v6)
			return 0;
		return spf_addr_match(c, t->addr, c->v6 ? 16 : 4,
		    c->v6 ? t->cidr6 : t->cidr4);
	}
	if (spf_count(c, domain) == -1 ||
	    spf_target(c, domain, t->spec, target) == -1)
		return -1;
	switch (t->kind) {
	case SPF_INCLUDE:
		return spf_match_include(c, target, depth);
	case SPF_A:
		return spf_match_addr(c, target, c->v6 ? t->cidr6 : t->cidr4);
	case SPF_MX:
		return spf_match_mx(c, target, c->v6 ? t->cidr6 : t->cidr4);
	case SPF_PTR:
		return spf_match_ptr(c, target);
	case SPF_EXISTS:
		return spf_dns(c, target, DNS_T_A);
	default:
		return 0;
	}
}

/* The one SPF record of domain into c->rec[depth]: 1 found, 0 none, -1
 * failed. */
static int
spf_fetch(struct spf_ctx *c, const char *domain, size_t depth)
{
	char err[120];
	size_t i, len, found = 0, at = 0;
	int rc;

	if ((rc = spf_dns(c, domain, DNS_T_TXT)) != 1)
		return rc;
	for (i = 0; i < c->rr.n; i++)
		if (dnsrr_txt(c->rr.rdata[i], c->rr.len[i], c->txt,
		    sizeof(c->txt), &len) == 0 &&
		    spf_record_is_spf(c->txt, len)) {
			found++;
			at = i;
		}
	if (found == 0)
		return 0;
	if (found > 1)
		return spf_fail(c, SPF_PERMERROR, domain,
		    "more than one SPF record");
	if (dnsrr_txt(c->rr.rdata[at], c->rr.len[at], c->txt, sizeof(c->txt),
	    &len) == -1 || spf_record_parse(c->txt, len, &c->rec[depth], err,
	    sizeof(err)) == -1)
		return spf_fail(c, SPF_PERMERROR, domain, err);
	return 1;
}

static const char *
spf_kind_name(enum spf_kind k)
{
	static const char *names[] = { "all", "include", "a", "mx", "ptr",
	    "ip4", "ip6", "exists" };

	return names[k];
}

/* check_host() for one domain at one nesting level; top: not inside an
 * include (the matching term there is the reason of the result). */
static enum spf_result
spf_eval(struct spf_ctx *c, const char *domain, size_t depth, int top)
{
	char target[DNS_NAME_MAX + 1], dom[DNS_NAME_MAX + 1];
	struct spf_record *r = &c->rec[depth];
	enum spf_result res;
	size_t i;
	int rc;

	if (!spf_name_ok(domain, 1))
		return SPF_NONE;
	snprintf(dom, sizeof(dom), "%s", domain);
	if ((rc = spf_fetch(c, dom, depth)) != 1)
		return rc == 0 ? SPF_NONE : c->error;
	for (i = 0; i < r->n; i++) {
		if ((rc = spf_match(c, dom, &r->term[i], depth)) == -1)
			return c->error;
		if (rc == 1) {
			if (top)
				snprintf(c->reason, sizeof(c->reason),
				    "%.80s: matched %s%s%.80s", dom,
				    spf_kind_name(r->term[i].kind),
				    r->term[i].spec != NULL ? ":" : "",
				    r->term[i].spec != NULL ?
				    r->term[i].spec : "");
			return r->term[i].qual;
		}
	}
	if (r->redirect == NULL) {
		if (top)
			snprintf(c->reason, sizeof(c->reason),
			    "%.80s: no mechanism matched", dom);
		return SPF_NEUTRAL;
	}
	if (spf_count(c, dom) == -1 ||
	    spf_target(c, dom, r->redirect, target) == -1)
		return c->error;
	res = spf_nested(c, target, depth + 1, top);
	if (res == SPF_NONE) {
		spf_fail(c, SPF_PERMERROR, target,
		    "redirect to a domain without an SPF record");
		return SPF_PERMERROR;
	}
	return res;
}

/* The address in the forms the macros need; -1 when not numeric. */
static int
spf_ctx_ip(struct spf_ctx *c, const char *ip)
{
	static const char hex[] = "0123456789abcdef";
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	size_t i, o = 0;

	memset(c->ip, 0, sizeof(c->ip));
	if (inet_pton(AF_INET, ip, c->ip) != 1) {
		if (inet_pton(AF_INET6, ip, c->ip) != 1)
			return -1;
		c->v6 = memcmp(c->ip, mapped, sizeof(mapped)) != 0;
		if (!c->v6)
			memmove(c->ip, c->ip + 12, 4);
	}
	if (inet_ntop(c->v6 ? AF_INET6 : AF_INET, c->ip, c->ip_text,
	    sizeof(c->ip_text)) == NULL)
		return -1;
	if (!c->v6) {
		snprintf(c->ip_dots, sizeof(c->ip_dots), "%s", c->ip_text);
		return 0;
	}
	for (i = 0; i < 16; i++) {
		c->ip_dots[o++] = hex[c->ip[i] >> 4];
		c->ip_dots[o++] = '.';
		c->ip_dots[o++] = hex[c->ip[i] & 15];
		c->ip_dots[o++] = i < 15 ? '.' : '\0';
	}
	return 0;
}

/* The sender's parts: no local-part means "postmaster" (RFC 7208 4.3). */
static int
spf_ctx_sender(struct spf_ctx *c, const char *sender)
{
	const char *at = strrchr(sender, '@');
	size_t llen = at == NULL ? 0 : (size_t)(at - sender);
	const char *dom = at == NULL ? sender : at + 1;

	if (llen >= sizeof(c->local) || strlen(dom) > DNS_NAME_MAX)
		return -1;
	if (llen == 0)
		snprintf(c->local, sizeof(c->local), "postmaster");
	else {
		memcpy(c->local, sender, llen);
		c->local[llen] = '\0';
	}
	snprintf(c->sender_domain, sizeof(c->sender_domain), "%s", dom);
	snprintf(c->sender, sizeof(c->sender), "%s@%s", c->local, dom);
	return 0;
}

static void
spf_outcome_set(struct spf_outcome *out, enum spf_result r, const char *why)
{
	out->result = r;
	snprintf(out->reason, sizeof(out->reason), "%s", why);
}

enum spf_result
spf_check_host(dns_lookup_fn lookup, void *arg, const char *ip,
    const char *domain, const char *sender, const char *helo,
    const char *receiver, struct spf_outcome *out)
{
	struct spf_ctx *c;
	enum spf_result r;

	out->helo = 0;
	snprintf(out->domain, sizeof(out->domain), "%s", domain);
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		spf_outcome_set(out, SPF_TEMPERROR, "out of memory");
		return out->result;
	}
	c->lookup = lookup;
	c->arg = arg;
	c->helo = helo;
	c->receiver = receiver != NULL ? receiver : "unknown";
	snprintf(c->timestamp, sizeof(c->timestamp), "%lld",
	    (long long)time(NULL));
	if (spf_ctx_ip(c, ip) == -1)
		spf_outcome_set(out, SPF_PERMERROR, "client address not numeric");
	else if (spf_ctx_sender(c, sender) == -1 ||
	    !spf_name_ok(domain, 1) || strlen(domain) >= sizeof(out->domain))
		spf_outcome_set(out, SPF_NONE, "no valid domain to check");
	else {
		r = spf_eval(c, domain, 0, 1);
		spf_outcome_set(out, r, c->reason[0] != '\0' ? c->reason :
		    r == SPF_NONE ? "no SPF record" : "");
	}
	free(c);
	return out->result;
}

enum spf_result
spf_check(dns_lookup_fn lookup, void *arg, const char *ip,
    const char *mailfrom, const char *helo, const char *receiver,
    struct spf_outcome *out)
{
	char sender[DNS_NAME_MAX + 16];
	const char *at;

	if (mailfrom[0] != '\0') {
		at = strrchr(mailfrom, '@');
		spf_check_host(lookup, arg, ip, at != NULL ? at + 1 : mailfrom,
		    mailfrom, helo, receiver, out);
		return out->result;
	}
	/* an address literal HELO has no SPF identity (RFC 7208 2.3) */
	if (helo[0] == '\0' || helo[0] == '[' || strlen(helo) > DNS_NAME_MAX) {
		out->helo = 1;
		snprintf(out->domain, sizeof(out->domain), "%s",
		    strlen(helo) > DNS_NAME_MAX ? "" : helo);
		spf_outcome_set(out, SPF_NONE, "null sender and no HELO name");
		return out->result;
	}
	snprintf(sender, sizeof(sender), "postmaster@%s", helo);
	spf_check_host(lookup, arg, ip, helo, sender, helo, receiver, out);
	out->helo = 1;
	return out->result;
}
