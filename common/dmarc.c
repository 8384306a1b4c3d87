/*
 * dmarc.c: DMARC policy discovery, alignment and the policy to apply
 * (RFC 7489 sections 3.1, 6.6.2-6.6.4).  Runs in the check role.  The
 * records come from DNS through a dns_lookup_fn and are read only through
 * dnsrr.h and dmarc_record.c; the From domain comes from the message and
 * is checked before it is used in a query.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/dmarc.h"
#include "common/dnsrr.h"

const char *
dmarc_result_name(enum dmarc_result r)
{
	static const char *names[] = { "none", "pass", "fail", "temperror",
	    "permerror" };

	if ((unsigned)r >= sizeof(names) / sizeof(names[0]))
		return "permerror";
	return names[r];
}

const char *
dmarc_policy_name(enum dmarc_policy p)
{
	static const char *names[] = { "none", "quarantine", "reject" };

	if ((unsigned)p >= sizeof(names) / sizeof(names[0]))
		return "none";
	return names[p];
}

int
dmarc_aligned(const struct psl *psl, const char *a, const char *b, int strict)
{
	char oa[DNS_NAME_MAX + 1], ob[DNS_NAME_MAX + 1];
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	if (la == 0 || lb == 0)
		return 0;
	if (la == lb && strncasecmp(a, b, la) == 0)
		return 1;
	if (strict)
		return 0;
	if (psl_org_domain(psl, a, oa) == -1 ||
	    psl_org_domain(psl, b, ob) == -1)
		return 0;
	return strcmp(oa, ob) == 0;
}

/* What one _dmarc lookup found. */
enum dmarc_found {
	DMARC_FOUND_ONE,	/* *r holds the record */
	DMARC_FOUND_NONE,	/* no record: try the organizational domain */
	DMARC_FOUND_SEVERAL,	/* several records: DMARC does not apply */
	DMARC_FOUND_NOPOLICY,	/* no valid p=: DMARC does not apply */
	DMARC_FOUND_TEMP,
	DMARC_FOUND_BAD
};

struct dmarc_ctx {
	dns_lookup_fn	 lookup;
	void		*arg;
	struct dns_rrset rr;
	char		 txt[DMARC_RECORD_MAX + 1];
	char		 err[96];
};

static enum dmarc_found
dmarc_fetch(struct dmarc_ctx *c, const char *domain, struct dmarc_record *r)
{
	char name[DNS_NAME_MAX + 1];
	size_t i, len, found = 0, at = 0;
	enum dns_rc rc;

	if ((size_t)snprintf(name, sizeof(name), "_dmarc.%s", domain) >=
	    sizeof(name))
		return DMARC_FOUND_NONE;
	memset(&c->rr, 0, offsetof(struct dns_rrset, buf));
	rc = c->lookup(c->arg, name, DNS_T_TXT, &c->rr);
	if (rc == DNS_TEMP || rc == DNS_BOGUS)
		return DMARC_FOUND_TEMP;
	if (rc != DNS_OK)
		return DMARC_FOUND_NONE;
	for (i = 0; i < c->rr.n && i < DNS_RR_MAX; i++)
		if (dnsrr_txt(c->rr.rdata[i], c->rr.len[i], c->txt,
		    sizeof(c->txt), &len) == 0 &&
		    dmarc_record_is_dmarc(c->txt, len)) {
			found++;
			at = i;
		}
	if (found == 0)
		return DMARC_FOUND_NONE;
	if (found > 1)
		return DMARC_FOUND_SEVERAL;
	if (dnsrr_txt(c->rr.rdata[at], c->rr.len[at], c->txt, sizeof(c->txt),
	    &len) == -1)
		return DMARC_FOUND_BAD;
	switch (dmarc_record_parse(c->txt, len, r, c->err, sizeof(c->err))) {
	case 0:
		return DMARC_FOUND_ONE;
	case -2:
		return DMARC_FOUND_NOPOLICY;
	default:
		return DMARC_FOUND_BAD;
	}
}

/* A From domain we may look up and compare: a host name, lowercase. */
static int
dmarc_from_ok(const char *in, char out[DNS_NAME_MAX + 1])
{
	size_t len = strlen(in), i, label = 0;

	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (++label > 63 || ch <= ' ' || ch == 0x7f ||
		    ch == '\\' || ch == '"' || ch == '(' || ch == ')' ||
		    ch == ';' || ch == '@' || ch == '[' || ch == ']')
			return -1;
		out[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
	}
	out[len] = '\0';
	return 0;
}

static void
dmarc_outcome_set(struct dmarc_outcome *out, enum dmarc_result r,
    const char *why)
{
	out->result = r;
	snprintf(out->reason, sizeof(out->reason), "%s", why);
}

/* RFC 7489 6.6.4: not sampled by pct=, the next weaker policy applies. */
static enum dmarc_policy
dmarc_action(const struct dmarc_record *r, enum dmarc_policy p,
    unsigned sample)
{
	if (sample < r->pct)
		return p;
	return p == DMARC_POLICY_REJECT ? DMARC_POLICY_QUARANTINE :
	    DMARC_POLICY_NONE;
}

/* dmarc_spf_is: SPF ended in result for a domain aligned with from. */
static int
dmarc_spf_is(const struct psl *psl, const struct dmarc_input *in,
    const struct dmarc_record *r, const char *from, enum spf_result result)
{
	return in->spf == result && in->spf_domain != NULL &&
	    dmarc_aligned(psl, in->spf_domain, from, r->aspf_strict);
}

/* dmarc_dkim_is: a DKIM signature of a domain aligned with from ended in
 * result. */
static int
dmarc_dkim_is(const struct psl *psl, const struct dmarc_input *in,
    const struct dmarc_record *r, const char *from,
    enum authres_dkim_result result)
{
	size_t i;

	for (i = 0; i < in->ndkim; i++)
		if (in->dkim[i].result == result &&
		    dmarc_aligned(psl, in->dkim[i].domain, from,
		    r->adkim_strict))
			return 1;
	return 0;
}

static void
dmarc_judge(const struct psl *psl, const struct dmarc_input *in,
    const struct dmarc_record *r, enum dmarc_policy policy,
    struct dmarc_outcome *out)
{
	out->policy = policy;
	out->spf_aligned = dmarc_spf_is(psl, in, r, out->from_domain,
	    SPF_PASS);
	out->dkim_aligned = dmarc_dkim_is(psl, in, r, out->from_domain,
	    AUTHRES_DKIM_PASS);
	if (out->spf_aligned || out->dkim_aligned) {
		snprintf(out->reason, sizeof(out->reason), "%s aligned with "
		    "the From domain", out->spf_aligned ? (out->dkim_aligned ?
		    "SPF and DKIM" : "SPF") : "DKIM");
		out->result = DMARC_PASS;
		return;
	}
	/* A check of an aligned domain that failed for now could have
	 * passed: the verdict waits (451) rather than a policy applied to
	 * a pass DNS kept from us. */
	if (dmarc_spf_is(psl, in, r, out->from_domain, SPF_TEMPERROR) ||
	    dmarc_dkim_is(psl, in, r, out->from_domain,
	    AUTHRES_DKIM_TEMPERROR)) {
		dmarc_outcome_set(out, DMARC_TEMPERROR, "no aligned SPF or "
		    "DKIM pass, and an aligned one could not be checked now");
		return;
	}
	out->result = DMARC_FAIL;
	out->action = dmarc_action(r, policy, in->sample % 100);
	snprintf(out->reason, sizeof(out->reason), "no aligned SPF or DKIM "
	    "pass; policy %s, applied %s", dmarc_policy_name(policy),
	    dmarc_policy_name(out->action));
}

/*
 * The policy for the From domain: p= for the domain of the record, sp=
 * for a subdomain, np= for a subdomain that does not exist (RFC 9091:
 * asked only when np= differs from sp=, with one A lookup).
 */
static enum dmarc_policy
dmarc_policy_of(struct dmarc_ctx *c, const struct dmarc_record *r, int sub,
    const char *from)
{
	if (!sub)
		return r->p;
	if (r->np == r->sp)
		return r->sp;
	memset(&c->rr, 0, offsetof(struct dns_rrset, buf));
	if (c->lookup(c->arg, from, DNS_T_A, &c->rr) == DNS_NXDOMAIN)
		return r->np;
	return r->sp;
}

enum dmarc_result
dmarc_check(dns_lookup_fn lookup, void *arg, const struct psl *psl,
    const struct dmarc_input *in, struct dmarc_outcome *out)
{
	struct dmarc_record rec;
	struct dmarc_ctx *c;
	enum dmarc_found f;
	int sub = 0;

	memset(out, 0, sizeof(*out));
	if (dmarc_from_ok(in->from_domain, out->from_domain) == -1 ||
	    psl_org_domain(psl, out->from_domain, out->org_domain) == -1) {
		dmarc_outcome_set(out, DMARC_PERMERROR,
		    "the From domain is not a domain name");
		return out->result;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		dmarc_outcome_set(out, DMARC_TEMPERROR, "out of memory");
		return out->result;
	}
	c->lookup = lookup;
	c->arg = arg;
	f = dmarc_fetch(c, out->from_domain, &rec);
	if (f == DMARC_FOUND_NONE &&
	    strcmp(out->from_domain, out->org_domain) != 0) {
		sub = 1;
		f = dmarc_fetch(c, out->org_domain, &rec);
	}
	switch (f) {
	case DMARC_FOUND_ONE:
		dmarc_judge(psl, in, &rec, dmarc_policy_of(c, &rec, sub,
		    out->from_domain), out);
		break;
	case DMARC_FOUND_NONE:
		dmarc_outcome_set(out, DMARC_NONE, "no DMARC record");
		break;
	case DMARC_FOUND_SEVERAL:
		dmarc_outcome_set(out, DMARC_NONE, "more than one DMARC record");
		break;
	case DMARC_FOUND_NOPOLICY:
		dmarc_outcome_set(out, DMARC_NONE,
		    "the DMARC record has no valid policy");
		break;
	case DMARC_FOUND_TEMP:
		dmarc_outcome_set(out, DMARC_TEMPERROR,
		    "the DMARC record lookup failed");
		break;
	case DMARC_FOUND_BAD:
		snprintf(out->reason, sizeof(out->reason), "bad DMARC record "
		    "of %.80s: %.96s", sub ? out->org_domain : out->from_domain,
		    c->err);
		out->result = DMARC_PERMERROR;
		break;
	}
	free(c);
	return out->result;
}
