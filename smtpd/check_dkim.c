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

unsigned
check_dkim_finish(const struct check_env *env, struct dkim_sig *sigs,
    size_t n, struct check_dkim *out)
{
	struct dns_deadline dl;
	char b64[16];
	unsigned skipped;
	size_t i;

	memset(&dl, 0, sizeof(dl));
	dl.lookup = env->lookup;
	dl.arg = env->arg;
	dl.until = env->until;
	dl.clock = env->clock;
	for (i = 0; i < n && i < DKIM_SIGS_MAX; i++) {
		struct dkim_sig *s = &sigs[i];
		struct check_dkim *d = &out[i];

		memset(d, 0, sizeof(*d));
		skipped = dl.skipped;
		(void)dkim_verify_finish(s, dns_deadline_query, &dl);
		(void)str_copy(d->result, dkim_result_name(s->result),
		    sizeof(d->result));
		(void)str_copy(d->domain, s->domain, sizeof(d->domain));
		(void)str_copy(d->selector, s->selector, sizeof(d->selector));
		(void)str_copy(d->reason, dl.skipped != skipped ?
		    "no time left to look the key up" : s->reason,
		    sizeof(d->reason));
		/* header.b: the first 8 characters of b= (RFC 6008), which
		 * tell two signatures of one domain apart: 6 bytes. */
		if (s->blen >= 6 &&
		    base64_encode(s->b, 6, b64, sizeof(b64)) == 8)
			(void)str_copy(d->b, b64, sizeof(d->b));
	}
	return dl.skipped;
}
