/*
 * relay_dns.c: relay_dns.h on common/dns.h's resolver (libunbound,
 * blocking, DNSSEC-validating).  Runs in the relay role; the answers are
 * read by relay_mx.c and dnsrr.h's parsers.
 */
#include <stdio.h>
#include <string.h>

#include "smtpd/relay_dns.h"

void *
relay_dns_open(const struct config *cfg, char *err, size_t errlen)
{
	static char servers[CONFIG_MAX_DNS_SERVERS][96];
	struct dns_config dc;
	int i;

	memset(&dc, 0, sizeof(dc));
	for (i = 0; i < cfg->ndns_servers && i < CONFIG_MAX_DNS_SERVERS; i++) {
		(void)snprintf(servers[i], sizeof(servers[i]), "%s@%u",
		    cfg->dns_servers[i].address,
		    (unsigned)cfg->dns_servers[i].port);
		dc.servers[dc.nservers++] = servers[i];
	}
	dc.anchor_file = cfg->dns_trust_anchor[0] != '\0' ?
	    cfg->dns_trust_anchor : NULL;
	return dns_open(&dc, err, errlen);
}

enum dns_rc
relay_dns_lookup(void *arg, const char *name, uint16_t type,
    struct dns_rrset *out)
{
	/* No resolver (relay_main logged why): the mail waits, as for a
	 * resolver that cannot answer now. */
	if (arg == NULL) {
		out->rc = DNS_TEMP;
		out->secure = 0;
		out->truncated = 0;
		out->type = type;
		out->n = 0;
		(void)snprintf(out->why, sizeof(out->why), "the relay has no "
		    "resolver");
		return DNS_TEMP;
	}
	return dns_query(arg, name, type, out);
}

const int *
relay_dns_syscalls(size_t *n)
{
	*n = dns_nsyscalls;
	return dns_syscalls;
}
