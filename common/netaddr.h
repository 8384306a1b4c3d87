/*
 * netaddr.h: numeric IPv4/IPv6 addresses and CIDR masks, for listen
 * addresses, ban lists and audit records.  Runs in any process; every string
 * it is given is treated as untrusted text (a peer address, a config word,
 * an operator's command line).  Only numeric forms are accepted: no names,
 * no brackets, no zone ids, so nothing here ever touches the resolver.
 * No allocation, no state.
 */
#ifndef POSTERN_NETADDR_H
#define POSTERN_NETADDR_H

#include <stddef.h>
#include <stdint.h>

/* Enough for any canonical address plus "/128" and the NUL. */
#define NETADDR_STRLEN	64

struct netmask {
	uint8_t	family;		/* 4 or 6 */
	uint8_t	prefix;		/* 0..32 or 0..128 */
	uint8_t	addr[16];	/* v4 in the first 4 bytes, host bits zeroed */
};

/*
 * netaddr_normalize: write the canonical inet_ntop(3) text of the numeric
 * address in into out (outlen bytes, caller owned), so that one address has
 * one spelling in logs and keys.  An IPv4-mapped IPv6 address
 * ("::ffff:1.2.3.4") becomes its IPv4 form, as a dual-stack socket reports
 * v4 peers that way.  Returns 0, or -1 when in is not a numeric address or
 * the text does not fit (out then holds "" if outlen > 0).
 */
int	netaddr_normalize(const char *in, char *out, size_t outlen);

/*
 * netaddr_client_key: the key one client is counted under everywhere
 * (authd's counters, locks, known addresses, trust windows and bans; the
 * daemons' connection budgets): an IPv4 address itself, an IPv6 address
 * its /64 as "prefix/64", because one IPv6 client holds a whole /64.  A
 * key maps to itself.  Writes into out (outlen bytes); returns 0, or -1
 * when in is neither a numeric address nor such a key (out then "").
 */
int	netaddr_client_key(const char *in, char *out, size_t outlen);

/*
 * netmask_parse: parse "10.0.0.0/8", "2001:db8::/32", or a bare address
 * (meaning /32 or /128) into *m.  The prefix is decimal digits only, without
 * sign, blanks or leading zeros, and at most 32 (IPv4) or 128 (IPv6).  Host
 * bits set in the address are cleared rather than refused.  An IPv4-mapped
 * network of prefix 96 or more becomes the IPv4 network it means
 * ("::ffff:10.0.0.0/104" is "10.0.0.0/8"), since client addresses are
 * normalised to IPv4.  Returns 0, or -1 on any error, in which case
 * *m is untouched.
 */
int	netmask_parse(const char *cidr, struct netmask *m);

/*
 * netmask_contains: 1 when the numeric address addr lies in m, 0 when not,
 * -1 when addr is not a numeric address.  An IPv4-mapped IPv6 address is
 * compared as IPv4 against an IPv4 mask (and also as IPv6 against an IPv6
 * mask).
 */
int	netmask_contains(const struct netmask *m, const char *addr);

/*
 * netmask_format: write m as "ADDR/PREFIX" into buf (len bytes, caller
 * owned), always NUL-terminated when len > 0; NETADDR_STRLEN is enough.
 * A shorter buf gets a truncated string.
 */
void	netmask_format(const struct netmask *m, char *buf, size_t len);

#endif
