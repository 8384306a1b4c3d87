/*
 * dnsrr.h: bounded readers of the record data a dns_rrset holds (dns.h).
 * Every rdata is hostile: lengths are checked against the record's own
 * length, names against DNS limits, and nothing is allocated.  libunbound
 * hands rdata with names uncompressed, so a name that points elsewhere
 * (a compression pointer) is refused.  Runs in any process.
 */
#ifndef POSTERN_DNSRR_H
#define POSTERN_DNSRR_H

#include <stddef.h>
#include <stdint.h>

#include "common/dns.h"

/* dnsrr_name: a wire-format name at rd[0..len) into text (lowercase
 * letters kept as given, no trailing dot; the root is ""); *used gets the
 * bytes it took.  Labels holding a dot, NUL or a byte outside printable
 * ASCII are refused.  0, or -1. */
int	dnsrr_name(const unsigned char *rd, size_t len, char out[DNS_NAME_MAX + 1],
	    size_t *used);

/* dnsrr_mx: preference and exchange ("" for RFC 7505's null MX "."). */
int	dnsrr_mx(const unsigned char *rd, size_t len, uint16_t *pref,
	    char host[DNS_NAME_MAX + 1]);

/* dnsrr_addr: an A (len 4) or AAAA (len 16) record as numeric text
 * (NETADDR_STRLEN bytes are enough).  0, or -1 on a wrong length. */
int	dnsrr_addr(uint16_t type, const unsigned char *rd, size_t len,
	    char *out, size_t outlen);

/* dnsrr_txt: the character-strings of one TXT record joined without a
 * separator (RFC 7208 §3.3, RFC 6376 §3.6.2.2) into out (cap bytes, NUL
 * terminated); *outlen the length.  A NUL inside is refused.  0, or -1
 * (malformed, or longer than cap - 1). */
int	dnsrr_txt(const unsigned char *rd, size_t len, char *out, size_t cap,
	    size_t *outlen);

/* dnsrr_tlsa: RFC 6698 fields; data points into rd. */
struct dnsrr_tlsa {
	uint8_t		 usage, selector, mtype;
	const unsigned char *data;
	size_t		 len;
};
int	dnsrr_tlsa(const unsigned char *rd, size_t len, struct dnsrr_tlsa *t);

#endif
