/*
 * mtasts.h: MTA-STS (RFC 8461): the parsers of the policy file a domain
 * publishes at https://mta-sts.<domain>/.well-known/mta-sts.txt and of
 * its "_mta-sts" TXT record, and the match of an MX host against the
 * policy's "mx" patterns.  Runs in the relay processes; both inputs come
 * from the network and are hostile: everything is bounded, nothing is
 * allocated, and nothing here logs (errors come back as text).
 */
#ifndef POSTERN_MTASTS_H
#define POSTERN_MTASTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/dns.h"

#define MTASTS_MX_MAX		32		/* mx lines kept */
#define MTASTS_MAX_AGE		31557600	/* a year, RFC 8461 3.2 */
#define MTASTS_ID_MAX		32		/* TXT id: 1*32 ALPHA/DIGIT */

enum mtasts_mode {
	MTASTS_MODE_NONE,
	MTASTS_MODE_TESTING,
	MTASTS_MODE_ENFORCE,
};

struct mtasts_policy {
	enum mtasts_mode	mode;
	uint32_t		max_age;	/* seconds, <= MTASTS_MAX_AGE */
	size_t			nmx;
	char			mx[MTASTS_MX_MAX][DNS_NAME_MAX + 1];
						/* lowercase, "*." allowed */
};

/*
 * mtasts_policy_parse: the len bytes of text (the HTTPS body; lines end
 * in CRLF or LF, blank lines are skipped) into p.  Fields (names and
 * keyword values without regard to case): "version: STSv1", "mode:
 * enforce|testing|none", "max_age: 1*10DIGIT" (larger than
 * MTASTS_MAX_AGE is cut to it), "mx: [*.]host" (repeatable); other
 * fields are ignored (RFC 8461 3.2), and of a repeated version, mode or
 * max_age the first counts.  Returns 0, or -1 with the reason in err
 * (errlen bytes, NUL-terminated): a line without "name:", a NUL or
 * control byte, an unknown version or mode, a missing version, mode or
 * max_age, no mx with mode enforce or testing, a malformed mx pattern,
 * more than MTASTS_MX_MAX of them.  p is all zero on failure.
 */
int	mtasts_policy_parse(const char *text, size_t len,
	    struct mtasts_policy *p, char *err, size_t errlen);

/*
 * mtasts_txt_parse: one TXT record (len bytes, the strings joined) of
 * "_mta-sts.<domain>": "v=STSv1; id=<1*32 ALPHA/DIGIT>" with optional
 * whitespace around the ";", other "name=value" fields allowed and
 * ignored.  Stores the id (NUL-terminated) and returns 0; -1 if the
 * record does not begin with "v=STSv1" (RFC 8461 3.1: such records are
 * discarded), or is malformed, or has no id.
 */
int	mtasts_txt_parse(const char *txt, size_t len,
	    char id[MTASTS_ID_MAX + 1]);

/*
 * mtasts_pattern_match: 1 if the MX host name host matches one policy
 * pattern: the same name, or "*.rest" where host is one more label,
 * then ".rest" ("*.example.com" matches "mx.example.com", not
 * "example.com" nor "a.b.example.com").  Case and a trailing dot of
 * host are ignored.  0 otherwise.
 */
int	mtasts_pattern_match(const char *pattern, const char *host);

/* mtasts_mx_match: 1 if host matches one of p's mx patterns, else 0. */
int	mtasts_mx_match(const struct mtasts_policy *p, const char *host);

#endif
