/*
 * fuzz_mtasts.c: libFuzzer target for the MTA-STS parsers
 * (common/mtasts.c): the first input byte picks the policy file parser
 * (even) or the TXT record parser (odd); the rest is the remote domain's
 * text.  Invariants checked: on success the policy's fields are in range
 * and each mx pattern is a NUL-terminated name that matches itself (or
 * its one-label expansion) and nothing with a NUL; on failure the reason
 * is set; the TXT id is 1..32 alphanumerics.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/mtasts.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_policy(const struct mtasts_policy *p)
{
	char host[DNS_NAME_MAX + 8];
	size_t i, n;

	if (p->mode > MTASTS_MODE_ENFORCE || p->max_age > MTASTS_MAX_AGE ||
	    p->nmx > MTASTS_MX_MAX ||
	    (p->mode != MTASTS_MODE_NONE && p->nmx == 0))
		abort();
	for (i = 0; i < p->nmx; i++) {
		n = strnlen(p->mx[i], sizeof(p->mx[i]));
		if (n == 0 || n > DNS_NAME_MAX)
			abort();
		if (p->mx[i][0] == '*') {
			host[0] = 'x';
			memcpy(host + 1, p->mx[i] + 1, n);
		} else
			memcpy(host, p->mx[i], n + 1);
		if (!mtasts_mx_match(p, host))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	static struct mtasts_policy p;
	char err[128], id[MTASTS_ID_MAX + 1];
	size_t i, n;

	if (len == 0)
		return 0;
	if ((buf[0] & 1) == 0) {
		err[0] = '\0';
		if (mtasts_policy_parse((const char *)buf + 1, len - 1, &p, err,
		    sizeof(err)) == 0)
			check_policy(&p);
		else if (err[0] == '\0' || p.nmx != 0)
			abort();
		return 0;
	}
	if (mtasts_txt_parse((const char *)buf + 1, len - 1, id) == 0) {
		n = strnlen(id, sizeof(id));
		if (n == 0 || n > MTASTS_ID_MAX)
			abort();
		for (i = 0; i < n; i++)
			if (!((id[i] >= '0' && id[i] <= '9') ||
			    (id[i] >= 'a' && id[i] <= 'z') ||
			    (id[i] >= 'A' && id[i] <= 'Z')))
				abort();
	}
	return 0;
}
