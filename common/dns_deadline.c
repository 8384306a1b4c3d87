/*
 * dns_deadline.c: a deadline over a series of lookups (dns.h's struct
 * dns_deadline): every question is asked through another lookup
 * function until a time, and none after it.  Runs in the check role,
 * where it bounds the work on one message by the time its broker waits.
 * Trusts its caller; the answers pass through untouched.
 */
#include <stdio.h>

#include "common/dns.h"
#include "common/util.h"

enum dns_rc
dns_deadline_query(void *arg, const char *name, uint16_t type,
    struct dns_rrset *out)
{
	struct dns_deadline *d = arg;
	int64_t now = d->clock != NULL ? d->clock() : mono_ms();

	if (now < d->until)
		return d->lookup(d->arg, name, type, out);
	d->skipped++;
	out->rc = DNS_TEMP;
	out->secure = 0;
	out->truncated = 0;
	out->type = type;
	out->n = 0;
	(void)snprintf(out->why, sizeof(out->why), "the time allowed for "
	    "the checks ran out");
	return out->rc;
}
