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

/* dnsrr_name: a wire-format name at rd[0..len) into text (letters kept
 * in the case given, no trailing dot; the root is ""); *used gets the
 * bytes it took, up to and with the root label (bytes after it are the
 * caller's).  Refused: a label byte outside printable ASCII, a blank or
 * a dot in a label (so the text form reads back to the same name), a
 * compression pointer or extended label type, a label over 63 bytes, a
 * name over 255 bytes on the wire, a missing root label.  0, or -1
 * (out and *used then unspecified). */
int	dnsrr_name(const unsigned char *rd, size_t len,
	    char out[DNS_NAME_MAX + 1], size_t *used);

/* dnsrr_mx: preference and exchange ("" for RFC 7505's null MX "."; the
 * preference is the caller's to check).  The exchange must end exactly
 * at len.  0, or -1. */
int	dnsrr_mx(const unsigned char *rd, size_t len, uint16_t *pref,
	    char host[DNS_NAME_MAX + 1]);

/* dnsrr_addr: an A (len 4) or AAAA (len 16) record as numeric text
 * (NETADDR_STRLEN bytes are enough).  0, or -1 on another type, a wrong
 * length or an outlen too small. */
int	dnsrr_addr(uint16_t type, const unsigned char *rd, size_t len,
	    char *out, size_t outlen);

/* dnsrr_txt: the character-strings of one TXT record joined without a
 * separator (RFC 7208 §3.3, RFC 6376 §3.6.2.2) into out (cap bytes, NUL
 * terminated); *outlen the length.  A NUL inside is refused, and so is
 * rdata of no string at all (len 0).  0, or -1 (malformed, or longer
 * than cap - 1). */
int	dnsrr_txt(const unsigned char *rd, size_t len, char *out, size_t cap,
	    size_t *outlen);

/* dnsrr_tlsa: RFC 6698 fields; data points into rd (the caller keeps rd
 * alive).  Usage, selector and matching type are not checked against
 * the known values (RFC 7672: unknown ones make the record unusable,
 * which is the caller's decision); certificate association data of 0
 * bytes is refused.  0, or -1. */
struct dnsrr_tlsa {
	uint8_t		 usage, selector, mtype;
	const unsigned char *data;
	size_t		 len;
};
int	dnsrr_tlsa(const unsigned char *rd, size_t len, struct dnsrr_tlsa *t);

#endif
