/*
 * netaddr.c: numeric address normalization and CIDR masks (see netaddr.h).
 * Runs in any process; all input strings are untrusted.  inet_pton(3) does
 * the parsing: it accepts only numeric forms and never resolves names.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/netaddr.h"

static const uint8_t netaddr_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/*
 * Parse a numeric address into family and 16 bytes (v4 in the first four).
 * inet_pton for AF_INET accepts only dotted quads, so "1.2.3" fails here.
 */
static int
netaddr_parse(const char *s, uint8_t *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = 6;
		return 0;
	}
	return -1;
}

static int
netaddr_is_mapped(const uint8_t addr[16])
{
	return memcmp(addr, netaddr_mapped_prefix, 12) == 0;
}

int
netaddr_normalize(const char *in, char *out, size_t outlen)
{
	uint8_t addr[16], family;

	if (outlen > 0)
		out[0] = '\0';
	if (outlen == 0 || netaddr_parse(in, &family, addr) == -1)
		return -1;
	if (family == 6 && netaddr_is_mapped(addr)) {
		memmove(addr, addr + 12, 4);
		family = 4;
	}
	if (inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, out,
	    outlen > INET6_ADDRSTRLEN ? INET6_ADDRSTRLEN : (socklen_t)outlen)
	    == NULL) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* Parse a prefix: 1 to 3 decimal digits, no leading zero, at most max. */
static int
netmask_prefix_parse(const char *s, unsigned max, uint8_t *prefix)
{
	unsigned v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*prefix = (uint8_t)v;
	return 0;
}

static void
netmask_apply(uint8_t addr[16], unsigned prefix)
{
	unsigned i;

	for (i = 0; i < 16; i++) {
		if (prefix >= 8)
			prefix -= 8;
		else if (prefix > 0) {
			addr[i] &= (uint8_t)(0xff << (8 - prefix));
			prefix = 0;
		} else
			addr[i] = 0;
	}
}

int
netmask_parse(const char *cidr, struct netmask *m)
{
	char buf[NETADDR_STRLEN];
	uint8_t addr[16], family, prefix;
	char *slash;

	if (strlen(cidr) >= sizeof(buf))
		return -1;
	memcpy(buf, cidr, strlen(cidr) + 1);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (netaddr_parse(buf, &family, addr) == -1)
		return -1;
	if (slash == NULL)
		prefix = family == 4 ? 32 : 128;
	else if (netmask_prefix_parse(slash, family == 4 ? 32 : 128,
	    &prefix) == -1)
		return -1;
	/* Clients are normalised to IPv4 (netaddr_normalize), so an
	 * IPv4-mapped network is stored as the IPv4 network it means. */
	if (family == 6 && prefix >= 96 && netaddr_is_mapped(addr)) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		family = 4;
		prefix -= 96;
	}
	netmask_apply(addr, prefix);
	m->family = family;
	m->prefix = prefix;
	memcpy(m->addr, addr, sizeof(m->addr));
	return 0;
}

int
netaddr_client_key(const char *in, char *out, size_t outlen)
{
	char addr[NETADDR_STRLEN], cidr[NETADDR_STRLEN + 8];
	const char *slash = strchr(in, '/');
	struct netmask m;

	if (outlen > 0)
		out[0] = '\0';
	if (slash == NULL) {
		if (netaddr_normalize(in, addr, sizeof(addr)) == -1)
			return -1;
		if (strchr(addr, ':') == NULL)
			goto done;
		if (snprintf(cidr, sizeof(cidr), "%s/64", addr) >=
		    (int)sizeof(cidr))
			return -1;
		in = cidr;
	} else if (strcmp(slash, "/64") != 0)
		return -1;
	if (netmask_parse(in, &m) == -1 || m.family != 6 || m.prefix != 64)
		return -1;
	netmask_format(&m, addr, sizeof(addr));
done:
	if (addr[0] == '\0' || (size_t)snprintf(out, outlen, "%s", addr) >=
	    outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	return 0;
}

int
netmask_contains(const struct netmask *m, const char *addr)
{
	uint8_t a[16], family;

	if (netaddr_parse(addr, &family, a) == -1)
		return -1;
	if (m->family == 4 && family == 6 && netaddr_is_mapped(a)) {
		memmove(a, a + 12, 4);
		memset(a + 4, 0, 12);
		family = 4;
	}
	if (family != m->family)
		return 0;
	netmask_apply(a, m->prefix);
	return memcmp(a, m->addr, sizeof(a)) == 0;
}

void
netmask_format(const struct netmask *m, char *buf, size_t len)
{
	char text[INET6_ADDRSTRLEN];

	if (len == 0)
		return;
	if (inet_ntop(m->family == 4 ? AF_INET : AF_INET6, m->addr, text,
	    sizeof(text)) == NULL) {
		buf[0] = '\0';
		return;
	}
	/* Truncation is documented; the caller sized buf. */
	if (snprintf(buf, len, "%s/%u", text, (unsigned)m->prefix) < 0)
		buf[0] = '\0';
}
