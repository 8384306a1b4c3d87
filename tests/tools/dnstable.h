/*
 * dnstable.h: a DNS made of a table, for tests only: a dns_lookup_fn
 * (common/dns.h) that answers from records added in text form, so the
 * SPF, DMARC and authentication code can be tested without a resolver.
 * Trusts its callers (the tests); bounded all the same.
 *
 * Records are "NAME TYPE VALUE": TYPE one of A, AAAA, MX ("PREF HOST"),
 * PTR (a name), TXT (the rest of the line, one string, cut into
 * character-strings of 255 bytes; "\"a\" \"b\"" form is not read), or
 * TEMP (VALUE ignored: every question about NAME fails with DNS_TEMP).
 * A name with records of other types only answers DNS_NODATA, an unknown
 * name DNS_NXDOMAIN.  Names compare without case and a final dot.
 */
#ifndef POSTERN_TESTS_DNSTABLE_H
#define POSTERN_TESTS_DNSTABLE_H

#include <stdint.h>

#include "common/dns.h"

struct dnstable;

/* dnstable_new: an empty table (NULL when out of memory). */
struct dnstable *dnstable_new(void);
void	dnstable_free(struct dnstable *t);

/* dnstable_add: one record; 0, or -1 on an unknown type, a bad value or
 * a full table. */
int	dnstable_add(struct dnstable *t, const char *name, const char *type,
	    const char *value);

/* dnstable_load: the records of a file, one "NAME TYPE VALUE" a line
 * ('#' comments and blank lines skipped); 0, or -1 naming the line. */
int	dnstable_load(struct dnstable *t, const char *path, char *err,
	    size_t errlen);

/* dnstable_lookup: the dns_lookup_fn (arg is the struct dnstable *). */
enum dns_rc dnstable_lookup(void *arg, const char *name, uint16_t type,
	    struct dns_rrset *out);

/* dnstable_queries: how many lookups were made so far. */
unsigned dnstable_queries(const struct dnstable *t);

#endif
