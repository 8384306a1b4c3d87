/*
 * fuzz_spfdns.c: libFuzzer target for the SPF evaluator (common/spf.c)
 * against hostile DNS answers: every lookup is answered from the input,
 * so records, MX and PTR names, addresses and answer codes are whatever
 * the fuzzer makes them.  Input: a client address choice byte, then per
 * lookup an answer code byte, a record count byte and that many records
 * (a length byte and the rdata).  Checks that the result is in range
 * and that the lookups stay within the RFC 7208 bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_feed {
	const uint8_t	*p;
	size_t		 left;
	unsigned	 queries;
};

static int
fuzz_byte(struct fuzz_feed *f, uint8_t *b)
{
	if (f->left == 0)
		return -1;
	*b = *f->p++;
	f->left--;
	return 0;
}

static enum dns_rc
fuzz_lookup(void *arg, const char *name, uint16_t type, struct dns_rrset *out)
{
	struct fuzz_feed *f = arg;
	size_t used = 0;
	uint8_t rc, n, len, i;

	f->queries++;
	if (strlen(name) > DNS_NAME_MAX)
		abort();
	out->type = type;
	out->n = 0;
	out->truncated = 0;
	if (fuzz_byte(f, &rc) == -1 || fuzz_byte(f, &n) == -1)
		return out->rc = DNS_NXDOMAIN;
	out->rc = (enum dns_rc)(rc % 5);
	if (out->rc != DNS_OK)
		return out->rc;
	for (i = 0; i < n % (DNS_RR_MAX + 1); i++) {
		if (fuzz_byte(f, &len) == -1 || len > f->left)
			break;
		memcpy(out->buf + used, f->p, len);
		out->rdata[out->n] = out->buf + used;
		out->len[out->n++] = len;
		used += len;
		f->p += len;
		f->left -= len;
	}
	out->truncated = n > DNS_RR_MAX;
	return out->rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *ips[] = { "192.0.2.1", "2001:db8::1",
	    "::ffff:192.0.2.1", "10.0.0.1" };
	struct fuzz_feed f = { data, size, 0 };
	struct spf_outcome o;
	uint8_t pick = 0;

	fuzz_byte(&f, &pick);
	spf_check(fuzz_lookup, &f, ips[pick % 4], pick & 4 ? "" :
	    "joe-x@example.com", "mx.example.org", "mx.example.net", &o);
	if (o.result > SPF_PERMERROR || strlen(o.reason) >= SPF_REASON_MAX)
		abort();
	/* 1 record, then 10 terms each of 1 lookup and up to 10 names of 1
	 * more lookup, and the record lookups of includes and redirects */
	if (f.queries > 1 + SPF_LOOKUP_MAX * (2 + SPF_NAMES_MAX))
		abort();
	return 0;
}
