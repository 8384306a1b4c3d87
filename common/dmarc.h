/*
 * dmarc.h: DMARC (RFC 7489) for mail arriving on port 25, in the check
 * role: the policy record parser, policy discovery (_dmarc.<From domain>,
 * then _dmarc.<organizational domain>), identifier alignment of the SPF
 * and DKIM results with the RFC5322.From domain, and the policy to apply
 * (p=, sp=, pct=).  Records come from DNS and are hostile: bounded, every
 * tag checked.  DNS only through a dns_lookup_fn; the organizational
 * domain from the Public Suffix List (psl.h).  No global state.
 */
#ifndef POSTERN_DMARC_H
#define POSTERN_DMARC_H

#include <stddef.h>

#include "common/authres.h"
#include "common/dns.h"
#include "common/psl.h"
#include "common/spf.h"

#define DMARC_RECORD_MAX	2048	/* longest record text read */
#define DMARC_REASON_MAX	256

enum dmarc_result {
	DMARC_NONE = 0,		/* no policy record: DMARC does not apply */
	DMARC_PASS,
	DMARC_FAIL,
	DMARC_TEMPERROR,
	DMARC_PERMERROR
};

enum dmarc_policy {
	DMARC_POLICY_NONE = 0,
	DMARC_POLICY_QUARANTINE,
	DMARC_POLICY_REJECT
};

/* A parsed policy record.  rua, ruf, ri, fo and rf are checked and then
 * ignored: we send no reports. */
struct dmarc_record {
	enum dmarc_policy p;
	enum dmarc_policy sp;		/* p when absent */
	enum dmarc_policy np;		/* sp when absent (RFC 9091) */
	int		 adkim_strict;	/* adkim=s (default r) */
	int		 aspf_strict;	/* aspf=s (default r) */
	unsigned	 pct;		/* 0..100, default 100 */
	int		 has_rua;
};

/* dmarc_record_is_dmarc: 1 when the TXT string txt[0..len) starts with
 * the version tag "v=DMARC1" (then blanks, ';' or the end), else 0. */
int	dmarc_record_is_dmarc(const char *txt, size_t len);

/*
 * dmarc_record_parse: parse one record (txt[0..len), need not be NUL
 * terminated) into *r.  v=DMARC1 first; tags separated by ';' with
 * optional blanks; unknown tags ignored; a known tag twice, or with a
 * value outside its grammar, is an error.  A missing or invalid p= is
 * "p=none" when a rua= is present (RFC 7489 6.6.3).  Returns 0; -1 on
 * a syntax error; -2 when there is no valid p= and no rua= (RFC 7489
 * 6.6.3: then DMARC does not apply); the reason in err (errlen bytes,
 * may be 0).
 */
int	dmarc_record_parse(const char *txt, size_t len, struct dmarc_record *r,
	    char *err, size_t errlen);

/* What dmarc_check found and decided. */
struct dmarc_outcome {
	enum dmarc_result result;
	enum dmarc_policy policy;	/* the published p= (or sp=) */
	enum dmarc_policy action;	/* what to apply: NONE unless FAIL;
					   pct= sampling can lower it */
	int		 spf_aligned, dkim_aligned;
	char		 from_domain[DNS_NAME_MAX + 1];	/* lowercase */
	char		 org_domain[DNS_NAME_MAX + 1];
	char		 reason[DMARC_REASON_MAX];	/* in words, for logs */
};

/* The authentication results DMARC judges.  spf_domain: the domain SPF
 * checked (MAIL FROM's, or HELO's for the null sender), "" if none;
 * dkim[0..ndkim): every DKIM result (only AUTHRES_DKIM_PASS ones count). */
struct dmarc_input {
	const char	*from_domain;	/* the RFC5322.From domain */
	enum spf_result	 spf;
	const char	*spf_domain;
	const struct authres_dkim *dkim;
	size_t		 ndkim;
	unsigned	 sample;	/* uniform in 0..99, for pct= */
};

/*
 * dmarc_check: discover the From domain's policy (RFC 7489 6.6.3) and
 * judge: PASS when SPF or a DKIM signature passed with an aligned domain,
 * FAIL otherwise; NONE when no policy record was found (or several);
 * TEMPERROR when DNS failed: for the record, or for an SPF or DKIM
 * check of an aligned domain when nothing passed; PERMERROR on a
 * malformed record or From domain.  The action of a FAIL is the policy (sp= for a subdomain whose
 * record is the organizational domain's, np= when that subdomain does
 * not exist), lowered one step (reject to quarantine, quarantine to
 * none) when in->sample >= pct.  Fills *out and returns out->result.
 */
enum dmarc_result dmarc_check(dns_lookup_fn lookup, void *arg,
	    const struct psl *psl, const struct dmarc_input *in,
	    struct dmarc_outcome *out);

/*
 * dmarc_from_domain: the RFC5322.From domain of the header block
 * hdr[0..len) (up to its empty line), lowercase, into out: the domain of
 * the From field's address(es), comments, quoted strings, display names
 * and groups understood.  Returns 0, or -1 when there is no From field
 * or more than one, no address, addresses of different domains, or a
 * domain longer than a domain name (RFC 7489 6.6.1 lets the receiver
 * refuse such mail).
 */
int	dmarc_from_domain(const char *hdr, size_t len,
	    char out[DNS_NAME_MAX + 1]);

/* dmarc_aligned: 1 when domains a and b align (strict: equal without
 * case; relaxed: the same organizational domain), else 0. */
int	dmarc_aligned(const struct psl *psl, const char *a, const char *b,
	    int strict);

/* dmarc_result_name: "none", "pass", "fail", "temperror", "permerror";
 * dmarc_policy_name: "none", "quarantine", "reject". */
const char *dmarc_result_name(enum dmarc_result r);
const char *dmarc_policy_name(enum dmarc_policy p);

#endif
