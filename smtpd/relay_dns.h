/*
 * relay_dns.h: the relay's resolver, as the relay uses it: opened from
 * the configuration before the chroot, then a dns_lookup_fn (dns.h) for
 * relay_mx.c and the TLSA lookups, and the system calls it makes, for
 * the relay's seccomp list.  Runs in the relay role.
 *
 * The implementation is relay_dns.c over common/dns.h's resolver
 * (libunbound).
 */
#ifndef POSTERN_RELAY_DNS_H
#define POSTERN_RELAY_DNS_H

#include <stddef.h>

#include "common/config.h"
#include "common/dns.h"

/* relay_dns_open: the resolver of cfg ("dns server", "dns trust
 * anchor"); reads the trust anchor now.  A handle for relay_dns_lookup,
 * or NULL with the reason in err. */
void	*relay_dns_open(const struct config *cfg, char *err, size_t errlen);

/* relay_dns_lookup: the dns_lookup_fn of that handle; with a NULL
 * handle (no resolver could be opened) every lookup is DNS_TEMP. */
enum dns_rc relay_dns_lookup(void *arg, const char *name, uint16_t type,
	    struct dns_rrset *out);

/* relay_dns_syscalls: the system calls lookups make after the open
 * (__NR_* numbers), *n of them. */
const int *relay_dns_syscalls(size_t *n);

#endif
