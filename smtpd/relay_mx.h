/*
 * relay_mx.h: where mail for a domain goes (RFC 5321 §5.1): its MX hosts
 * by preference, equal preferences in random order, the domain itself
 * when it has no MX record (the implicit MX), RFC 7505's null MX; and
 * each host's addresses, IPv6 first.  Runs in the relay role, on the
 * answers of a dns_lookup_fn (dns.h): every record is hostile and read
 * with dnsrr.h's bounded parsers.
 */
#ifndef POSTERN_RELAY_MX_H
#define POSTERN_RELAY_MX_H

#include <stddef.h>
#include <stdint.h>

#include "common/dns.h"
#include "common/netaddr.h"

#define RELAY_HOSTS_MAX		5	/* MX hosts tried per attempt */
#define RELAY_HOSTS_LOOKED_MAX	10	/* MX hosts whose addresses are
					   looked up, usable or not */
#define RELAY_ADDRS_MAX		4	/* per host: 2 of each family */

struct relay_addr {
	int		 family;		/* AF_INET6 or AF_INET */
	char		 text[NETADDR_STRLEN];	/* numeric */
};

struct relay_host {
	char		 name[DNS_NAME_MAX + 1];
	uint16_t	 pref;
	/* The MX answer and both address answers were DNSSEC-validated:
	 * DANE (RFC 7672) may apply to this host. */
	int		 secure;
	size_t		 naddr;
	struct relay_addr addr[RELAY_ADDRS_MAX];
};

enum relay_dest_rc {
	RELAY_DEST_OK,		/* nhost >= 1 */
	RELAY_DEST_NULLMX,	/* RFC 7505: the domain takes no mail */
	RELAY_DEST_NXDOMAIN,	/* the domain does not exist */
	RELAY_DEST_NOHOST,	/* no host of the domain has an address */
	RELAY_DEST_TEMP		/* DNS failed (or DNSSEC said bogus) */
};

struct relay_dest {
	enum relay_dest_rc rc;
	int		 implicit;	/* no MX record: the domain itself */
	size_t		 nhost;
	struct relay_host host[RELAY_HOSTS_MAX];
	char		 why[160];	/* for the log and the recipients */
};

/*
 * relay_mx_resolve: the hosts of domain (lowercase, no trailing dot) as
 * lookup (with arg) answers.  Up to RELAY_HOSTS_MAX hosts with at least
 * one usable address, lowest preference first; a host whose address
 * lookups fail is skipped (and the result is RELAY_DEST_TEMP when that
 * leaves none), and no more than RELAY_HOSTS_LOOKED_MAX hosts are looked
 * up (a domain of many MX names that never answer would cost two lookup
 * timeouts each).  Addresses in 0.0.0.0/8 or the unspecified :: (and
 * their IPv4-mapped forms) are never used: a hostile zone must not send
 * us to ourselves; they are counted in *refused when refused is not
 * NULL.  Always fills d (d->why says what happened in words when rc is
 * not RELAY_DEST_OK) and returns d->rc.
 */
enum relay_dest_rc relay_mx_resolve(dns_lookup_fn lookup, void *arg,
	    const char *domain, struct relay_dest *d, size_t *refused);

/* relay_mx_direct: as relay_mx_resolve for one named host without MX
 * lookup (a smarthost): its addresses, or a numeric address as it is.
 * RELAY_DEST_NXDOMAIN, RELAY_DEST_NOHOST or RELAY_DEST_TEMP as above. */
enum relay_dest_rc relay_mx_direct(dns_lookup_fn lookup, void *arg,
	    const char *host, struct relay_dest *d, size_t *refused);

/* relay_mx_refused: 1 when the raw address (4 bytes for AF_INET, 16 for
 * AF_INET6) is one relay_mx_resolve never uses. */
int	relay_mx_refused(int family, const unsigned char *raw);

#endif
