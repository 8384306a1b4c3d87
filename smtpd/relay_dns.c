/*
 * relay_dns.c: relay_dns.h on common/dns.h's resolver (libunbound,
 * blocking, DNSSEC-validating).  Runs in the relay role; the answers are
 * read by relay_mx.c and dnsrr.h's parsers.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "smtpd/relay_dns.h"

void *
relay_dns_open(const struct config *cfg, char *err, size_t errlen)
{
	return dns_open_config(cfg, 0, err, errlen);
}

enum dns_rc
relay_dns_lookup(void *arg, const char *name, uint16_t type,
    struct dns_rrset *out)
{
	/* relay_dns_open failed: every lookup fails for now (the mail
	 * waits in the queue) instead of crashing the relay. */
	if (arg == NULL) {
		memset(out, 0, offsetof(struct dns_rrset, buf));
		out->type = type;
		out->rc = DNS_TEMP;
		(void)snprintf(out->why, sizeof(out->why), "the relay has no "
		    "resolver");
		return out->rc;
	}
	return dns_query(arg, name, type, out);
}

const int *
relay_dns_syscalls(size_t *n)
{
	*n = dns_nsyscalls;
	return dns_syscalls;
}
