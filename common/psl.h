/*
 * psl.h: the Public Suffix List (https://publicsuffix.org/list/), for
 * DMARC's organizational domain (RFC 7489 3.2).  The check role loads
 * Debian's list (package publicsuffix,
 * /usr/share/publicsuffix/public_suffix_list.dat) before the chroot into
 * one compact sorted table; lookups then touch no file.  The file is
 * trusted as the administrator's, but read with bounds all the same: its
 * size, line length, label lengths and rule count are limited, and a
 * malformed rule is an error naming its line.  Domains looked up come
 * from mail headers and are hostile: bounded, any case, checked.
 *
 * Rules of both sections (ICANN and private) are used, wildcards ("*.ck")
 * and exceptions ("!www.ck") as the list's format says; rules written in
 * UTF-8 are also stored in their A-label form ("xn--..."), so a domain
 * matches in either spelling.
 */
#ifndef POSTERN_PSL_H
#define POSTERN_PSL_H

#include <stddef.h>

#include "common/dns.h"

#define PSL_DEFAULT_FILE	"/usr/share/publicsuffix/public_suffix_list.dat"
#define PSL_FILE_MAX		(8u << 20)	/* bytes */
#define PSL_RULES_MAX		100000

struct psl;

/*
 * psl_load: read and index the list at path.  NULL with the reason in
 * err (errlen bytes): the file cannot be read, is larger than
 * PSL_FILE_MAX, holds a malformed rule ("path:line: ...") or more than
 * PSL_RULES_MAX rules, or memory ran out.  psl_free frees it (NULL is
 * fine).
 */
struct psl *psl_load(const char *path, char *err, size_t errlen);

/* psl_parse: the same from a buffer (buf[0..len), need not be NUL
 * terminated); name is used in error messages. */
struct psl *psl_parse(const char *buf, size_t len, const char *name,
	    char *err, size_t errlen);

void	psl_free(struct psl *p);

/* psl_count: the rules indexed (A-label copies included). */
size_t	psl_count(const struct psl *p);

/*
 * psl_public_suffix: the public suffix of domain (any case, a final dot
 * allowed) into out, lowercase: the labels the prevailing rule matches,
 * or the last label when none does (the implicit rule "*").  Returns 0,
 * or -1 when domain is not a domain name (empty, an empty label, a label
 * over 63 bytes, longer than 253).
 */
int	psl_public_suffix(const struct psl *p, const char *domain,
	    char out[DNS_NAME_MAX + 1]);

/*
 * psl_org_domain: the organizational domain of domain (RFC 7489 3.2: the
 * public suffix and one more label), lowercase, into out.  A domain that
 * is itself a public suffix is its own organizational domain.  0, or -1
 * as psl_public_suffix.
 */
int	psl_org_domain(const struct psl *p, const char *domain,
	    char out[DNS_NAME_MAX + 1]);

#endif
