/*
 * spf.h: the Sender Policy Framework check (RFC 7208) of the check role:
 * is this client address allowed to send for the MAIL FROM domain (or,
 * for the null sender, the HELO name)?  Three parts: the record parser
 * (spf_record.c), the macro expander (spf_macro.c) and the evaluator
 * (spf.c).  Everything read from DNS and from the SMTP client is hostile:
 * records, names and expansions are bounded, and the evaluation is bounded
 * by the RFC's limits (10 terms that look names up, 2 void lookups, 10 MX
 * or PTR names per term).  DNS only through a dns_lookup_fn, so the tests
 * answer from a table.  No global state; nothing kept between calls.
 */
#ifndef POSTERN_SPF_H
#define POSTERN_SPF_H

#include <stddef.h>
#include <stdint.h>

#include "common/dns.h"

enum spf_result {
	SPF_NONE = 0,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR
};

#define SPF_LOOKUP_MAX	10	/* RFC 7208 4.6.4: terms that query DNS */
#define SPF_VOID_MAX	2	/* ... lookups answering NODATA/NXDOMAIN */
#define SPF_NAMES_MAX	10	/* MX or PTR names looked at per term */
#define SPF_RECORD_MAX	2048	/* longest record text kept (bytes) */
#define SPF_TERMS_MAX	64	/* most terms in one record */
#define SPF_EXPAND_MAX	1024	/* longest macro expansion (bytes) */
#define SPF_REASON_MAX	256

enum spf_kind {
	SPF_ALL, SPF_INCLUDE, SPF_A, SPF_MX, SPF_PTR, SPF_IP4, SPF_IP6,
	SPF_EXISTS
};

/* One mechanism of a parsed record.  spec points into the record's text
 * (a macro-string, NUL terminated in the record's copy), NULL when the
 * mechanism names no domain. */
struct spf_term {
	enum spf_kind	 kind;
	enum spf_result	 qual;		/* PASS, FAIL, SOFTFAIL, NEUTRAL */
	const char	*spec;
	uint8_t		 cidr4, cidr6;	/* a, mx, ip4, ip6; 32 and 128 if absent */
	uint8_t		 addr[16];	/* ip4 (first 4 bytes), ip6 */
};

struct spf_record {
	char		 text[SPF_RECORD_MAX];	/* the record, cut into fields */
	size_t		 n;
	struct spf_term	 term[SPF_TERMS_MAX];
	const char	*redirect;	/* domain-spec, or NULL */
	const char	*exp;		/* domain-spec (parsed, not used), or NULL */
};

/*
 * spf_record_parse: parse one record ("v=spf1 ..." exactly as found in
 * DNS, len bytes, need not be NUL terminated) into *r (caller owned,
 * pointers into r->text).  Every term is checked now, as RFC 7208 4.6
 * wants a syntax error anywhere to be a permerror before anything is
 * evaluated: mechanisms, qualifiers, CIDR lengths, addresses, the
 * macro-strings (spf_macro_check) and domain-end of every domain-spec,
 * redirect and exp at most once, unknown modifiers' syntax.
 * Returns 0, or -1 with the reason in err (errlen bytes, may be 0): not
 * an SPF record, a syntax error, longer than SPF_RECORD_MAX - 1 bytes or
 * more than SPF_TERMS_MAX terms.
 */
int	spf_record_parse(const char *txt, size_t len, struct spf_record *r,
	    char *err, size_t errlen);

/* spf_record_is_spf: 1 when the TXT string txt[0..len) is an SPF record
 * ("v=spf1" alone or followed by a space, any case), else 0. */
int	spf_record_is_spf(const char *txt, size_t len);

/* The values macros expand to (RFC 7208 7.2).  All strings are the
 * caller's and NUL terminated. */
struct spf_macro_vars {
	const char	*sender;	/* s: local-part@domain (never "") */
	const char	*local;		/* l: the local-part ("postmaster" if none) */
	const char	*sender_domain;	/* o */
	const char	*domain;	/* d: the domain being checked */
	const char	*ip;		/* i: dotted (v4) or dot-nibble (v6) form */
	const char	*ip_text;	/* c: the address as usually written */
	const char	*version;	/* v: "in-addr" or "ip6" */
	const char	*helo;		/* h */
	const char	*receiver;	/* r: our host name ("unknown" if none) */
	const char	*timestamp;	/* t: seconds since the epoch */
};

/*
 * spf_macro_check: 0 when spec is a valid macro-string (RFC 7208 7.1),
 * -1 otherwise.  exp: also allow the letters c, r and t (explanation
 * strings only).  tail (may be NULL) gets the offset where the trailing
 * run of literal characters starts (strlen(spec) when spec ends with a
 * macro-expand), for the domain-end rule.
 */
int	spf_macro_check(const char *spec, int exp, size_t *tail);

/*
 * spf_macro_expand: expand the macro-string spec with v into out (cap
 * bytes, NUL terminated).  The validated domain name macro p always
 * expands to "unknown" (RFC 7208 7.3 allows it; it would cost lookups
 * the RFC does not count).  domain: the result is used as a domain name:
 * a trailing dot is dropped and, past 253 bytes, labels are removed from
 * the left until it fits (RFC 7208 7.3).  Returns 0, or -1 on a syntax
 * error or when the expansion does not fit in cap bytes.
 */
int	spf_macro_expand(const char *spec, const struct spf_macro_vars *v,
	    int exp, int domain, char *out, size_t cap);

/* The outcome of a check: the result, the identity checked and why. */
struct spf_outcome {
	enum spf_result	 result;
	int		 helo;		/* 1: the HELO identity was checked */
	char		 domain[DNS_NAME_MAX + 1];	/* that identity's domain */
	char		 reason[SPF_REASON_MAX];	/* in words, for logs */
};

/*
 * spf_check_host: RFC 7208's check_host(ip, domain, sender) with the
 * HELO name for %{h}.  ip: numeric IPv4 or IPv6 text (an IPv4-mapped
 * IPv6 address counts as IPv4); domain: the domain to check; sender:
 * "local@domain" or "domain" (local-part postmaster); helo: may be "";
 * receiver: our host name for %{r}, may be NULL.  lookup(arg, ...)
 * answers every DNS question.  Fills *out and returns out->result: NONE
 * for a malformed or single-label domain, one that does not exist or has
 * no SPF record; TEMPERROR on a DNS failure (or no memory); PERMERROR on
 * a bad record, two records, or a limit exceeded.
 */
enum spf_result spf_check_host(dns_lookup_fn lookup, void *arg,
	    const char *ip, const char *domain, const char *sender,
	    const char *helo, const char *receiver, struct spf_outcome *out);

/*
 * spf_check: the check a receiver makes at MAIL FROM: the MAIL FROM
 * identity (mailfrom "local@domain"), or, when mailfrom is "" (the null
 * sender), the HELO identity "postmaster@helo" (RFC 7208 2.4).  A null
 * sender with an empty HELO gives NONE.  As spf_check_host otherwise.
 */
enum spf_result spf_check(dns_lookup_fn lookup, void *arg, const char *ip,
	    const char *mailfrom, const char *helo, const char *receiver,
	    struct spf_outcome *out);

/* spf_result_name: "none", "neutral", "pass", "fail", "softfail",
 * "temperror", "permerror" (RFC 8601's words); "permerror" for an
 * out-of-range value. */
const char *spf_result_name(enum spf_result r);

#endif
