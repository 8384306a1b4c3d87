/*
 * check_dkim.c: DKIM's phase 2 in the check role (check.h): the key of
 * each signature a broker hashed, the RSA verification, and the results
 * in the words the judgement and Authentication-Results take.  Runs in
 * the check role; the signatures came from a broker and are decoded but
 * still hostile (dkim_verify_finish checks them again), the key records
 * come from DNS.
 */
#include <stdio.h>
#include <string.h>

#include "common/base64.h"
#include "common/dkim.h"
#include "common/util.h"
#include "smtpd/check.h"

_Static_assert(CHECK_DKIM_MAX == DKIM_SIGS_MAX,
    "check.h's CHECK_DKIM_MAX is dkim.h's DKIM_SIGS_MAX");

void
check_dkim_finish(struct dkim_sig *sigs, size_t n, dns_lookup_fn lookup,
    void *arg, struct check_dkim *out)
{
	char b64[16];
	size_t i;

	for (i = 0; i < n && i < DKIM_SIGS_MAX; i++) {
		struct dkim_sig *s = &sigs[i];
		struct check_dkim *d = &out[i];

		memset(d, 0, sizeof(*d));
		(void)dkim_verify_finish(s, lookup, arg);
		(void)str_copy(d->result, dkim_result_name(s->result),
		    sizeof(d->result));
		(void)str_copy(d->domain, s->domain, sizeof(d->domain));
		(void)str_copy(d->selector, s->selector, sizeof(d->selector));
		(void)str_copy(d->reason, s->reason, sizeof(d->reason));
		/* header.b: the first 8 characters of b= (RFC 6008), which
		 * tell two signatures of one domain apart: 6 bytes. */
		if (s->blen >= 6 &&
		    base64_encode(s->b, 6, b64, sizeof(b64)) == 8)
			(void)str_copy(d->b, b64, sizeof(d->b));
	}
}
