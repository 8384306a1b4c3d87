/*
 * relay_dns_none.c: relay_dns.h for a build without the resolver
 * (common/dns.c): there is none, and every lookup fails temporarily.
 * Runs in the relay role; the build with the resolver links relay_dns.c
 * instead.
 */
#include <stdio.h>
#include <string.h>

#include "smtpd/relay_dns.h"

void *
relay_dns_open(const struct config *cfg, char *err, size_t errlen)
{
	(void)cfg;
	(void)snprintf(err, errlen, "this build of postern has no resolver");
	return NULL;
}

enum dns_rc
relay_dns_lookup(void *arg, const char *name, uint16_t type,
    struct dns_rrset *out)
{
	(void)arg;
	(void)name;
	out->rc = DNS_TEMP;
	out->secure = 0;
	out->truncated = 0;
	out->type = type;
	out->n = 0;
	return DNS_TEMP;
}

const int *
relay_dns_syscalls(size_t *n)
{
	*n = 0;
	return NULL;
}
