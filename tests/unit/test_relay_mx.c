/*
 * test_relay_mx.c: unit test of smtpd/relay_mx.c on a table of DNS
 * answers: MX by preference (equal preferences in both orders over many
 * runs), the implicit MX, null MX, NXDOMAIN, DNS failures, hosts without
 * addresses, IPv6 before IPv4, refused addresses (0.0.0.0/8, ::,
 * ::ffff:0.x), the host limit, DNSSEC status per host, malformed
 * records.  Runs as a plain program.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "smtpd/relay_mx.h"
#include "tests/unit/check.h"

struct answer {
	const char	*name;
	uint16_t	 type;
	enum dns_rc	 rc;
	int		 secure;
	const char	*rdata[12];	/* MX: "pref host"; A/AAAA: bytes */
	size_t		 len[12];
};

static const struct answer *table;
static size_t ntable;
static int nlookups;

/* wire_name: host name in wire form into p; bytes used. */
static size_t
wire_name(const char *s, unsigned char *p)
{
	size_t n = 0;
	const char *dot;

	while (*s != '\0') {
		dot = strchr(s, '.');
		size_t l = dot != NULL ? (size_t)(dot - s) : strlen(s);

		p[n++] = (unsigned char)l;
		memcpy(p + n, s, l);
		n += l;
		s += l;
		if (*s == '.')
			s++;
	}
	p[n++] = 0;
	return n;
}

static enum dns_rc
lookup(void *arg, const char *name, uint16_t type, struct dns_rrset *out)
{
	size_t i, k, off = 0;
	unsigned pref;
	char host[300];

	(void)arg;
	nlookups++;
	memset(out, 0, offsetof(struct dns_rrset, buf));
	out->type = type;
	for (i = 0; i < ntable; i++) {
		const struct answer *a = &table[i];

		if (strcmp(a->name, name) != 0 || a->type != type)
			continue;
		out->rc = a->rc;
		out->secure = a->secure;
		for (k = 0; k < 12 && a->rdata[k] != NULL; k++) {
			unsigned char *p = out->buf + off;

			if (type == DNS_T_MX) {
				sscanf(a->rdata[k], "%u %299s", &pref, host);
				p[0] = (unsigned char)(pref >> 8);
				p[1] = (unsigned char)pref;
				out->len[k] = (uint16_t)(2 + (strcmp(host,
				    ".") == 0 ? (p[2] = 0, 1) :
				    wire_name(host, p + 2)));
			} else {
				memcpy(p, a->rdata[k], a->len[k]);
				out->len[k] = (uint16_t)a->len[k];
			}
			out->rdata[k] = p;
			off += out->len[k];
		}
		out->n = k;
		return out->rc;
	}
	out->rc = DNS_NXDOMAIN;
	return out->rc;
}

static void
use(const struct answer *t, size_t n)
{
	table = t;
	ntable = n;
	nlookups = 0;
}

#define V4(a, b, c, d)	"\x" #a "\x" #b "\x" #c "\x" #d

static void
test_order(void)
{
	static const struct answer t[] = {
		{ "example.net", DNS_T_MX, DNS_OK, 1,
		  { "20 mx2.example.net", "10 MX1.example.net",
		    "30 mx3.example.net" }, { 0 } },
		{ "mx1.example.net", DNS_T_AAAA, DNS_OK, 1,
		  { "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01" }, { 16 } },
		{ "mx1.example.net", DNS_T_A, DNS_OK, 1,
		  { "\xc0\x00\x02\x01" }, { 4 } },
		{ "mx2.example.net", DNS_T_AAAA, DNS_NODATA, 1, { 0 }, { 0 } },
		{ "mx2.example.net", DNS_T_A, DNS_OK, 0,
		  { "\xc0\x00\x02\x02", "\xc0\x00\x02\x03",
		    "\xc0\x00\x02\x04" }, { 4, 4, 4 } },
		{ "mx3.example.net", DNS_T_AAAA, DNS_TEMP, 0, { 0 }, { 0 } },
		{ "mx3.example.net", DNS_T_A, DNS_TEMP, 0, { 0 }, { 0 } },
	};
	struct relay_dest d;

	use(t, sizeof(t) / sizeof(t[0]));
	CHECK_INT_EQ(relay_mx_resolve(lookup, NULL, "example.net", &d, NULL),
	    RELAY_DEST_OK, "resolves");
	CHECK_INT_EQ(d.nhost, 2, "two usable hosts (mx3 failed)");
	CHECK_STR_EQ(d.host[0].name, "mx1.example.net", "lowest first, "
	    "lowercased");
	CHECK_INT_EQ(d.host[0].naddr, 2, "mx1: two addresses");
	CHECK_INT_EQ(d.host[0].addr[0].family, AF_INET6, "IPv6 first");
	CHECK_STR_EQ(d.host[0].addr[0].text, "2001:db8::1", "v6 text");
	CHECK_STR_EQ(d.host[0].addr[1].text, "192.0.2.1", "then v4");
	CHECK_INT_EQ(d.host[0].secure, 1, "mx1 secure");
	CHECK_STR_EQ(d.host[1].name, "mx2.example.net", "then mx2");
	CHECK_INT_EQ(d.host[1].naddr, 2, "two addresses of a family");
	CHECK_INT_EQ(d.host[1].secure, 0, "insecure A: not secure");
	CHECK_INT_EQ(d.implicit, 0, "not implicit");
}

static void
test_shuffle(void)
{
	static const struct answer t[] = {
		{ "example.org", DNS_T_MX, DNS_OK, 0,
		  { "10 a.example.org", "10 b.example.org", "5 c.example.org" },
		  { 0 } },
		{ "a.example.org", DNS_T_A, DNS_OK, 0, { "\x01\x02\x03\x04" },
		  { 4 } },
		{ "b.example.org", DNS_T_A, DNS_OK, 0, { "\x01\x02\x03\x05" },
		  { 4 } },
		{ "c.example.org", DNS_T_A, DNS_OK, 0, { "\x01\x02\x03\x06" },
		  { 4 } },
		{ "a.example.org", DNS_T_AAAA, DNS_NODATA, 0, { 0 }, { 0 } },
		{ "b.example.org", DNS_T_AAAA, DNS_NODATA, 0, { 0 }, { 0 } },
		{ "c.example.org", DNS_T_AAAA, DNS_NODATA, 0, { 0 }, { 0 } },
	};
	struct relay_dest d;
	int i, afirst = 0, cfirst = 0;

	use(t, sizeof(t) / sizeof(t[0]));
	for (i = 0; i < 200; i++) {
		relay_mx_resolve(lookup, NULL, "example.org", &d, NULL);
		cfirst += strcmp(d.host[0].name, "c.example.org") == 0;
		afirst += strcmp(d.host[1].name, "a.example.org") == 0;
	}
	CHECK_INT_EQ(cfirst, 200, "preference 5 always first");
	CHECK_TRUE(afirst > 40 && afirst < 160,
	    "equal preferences in random order");
}

static void
test_special(void)
{
	static const struct answer t[] = {
		{ "nullmx.test", DNS_T_MX, DNS_OK, 1, { "0 ." }, { 0 } },
		{ "mixed.test", DNS_T_MX, DNS_OK, 1,
		  { "0 .", "10 mx.mixed.test" }, { 0 } },
		{ "mx.mixed.test", DNS_T_A, DNS_OK, 1, { "\x0a\x00\x00\x01" },
		  { 4 } },
		{ "mx.mixed.test", DNS_T_AAAA, DNS_NODATA, 1, { 0 }, { 0 } },
		{ "implicit.test", DNS_T_MX, DNS_NODATA, 1, { 0 }, { 0 } },
		{ "implicit.test", DNS_T_A, DNS_OK, 1, { "\x0a\x00\x00\x02" },
		  { 4 } },
		{ "implicit.test", DNS_T_AAAA, DNS_NODATA, 1, { 0 }, { 0 } },
		{ "nothing.test", DNS_T_MX, DNS_NODATA, 0, { 0 }, { 0 } },
		{ "nothing.test", DNS_T_A, DNS_NODATA, 0, { 0 }, { 0 } },
		{ "nothing.test", DNS_T_AAAA, DNS_NODATA, 0, { 0 }, { 0 } },
		{ "servfail.test", DNS_T_MX, DNS_TEMP, 0, { 0 }, { 0 } },
		{ "bogus.test", DNS_T_MX, DNS_BOGUS, 0, { 0 }, { 0 } },
		{ "self.test", DNS_T_MX, DNS_OK, 0, { "10 zero.self.test" },
		  { 0 } },
		{ "zero.self.test", DNS_T_A, DNS_OK, 0,
		  { "\x00\x00\x00\x00", "\x00\x01\x02\x03" }, { 4, 4 } },
		{ "zero.self.test", DNS_T_AAAA, DNS_OK, 0,
		  { "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
		    "\0\0\0\0\0\0\0\0\0\0\xff\xff\0\0\0\0" }, { 16, 16 } },
		{ "bad.test", DNS_T_MX, DNS_OK, 0, { "10 mx.bad.test" },
		  { 0 } },
		{ "mx.bad.test", DNS_T_A, DNS_OK, 0,
		  { "\x01\x02\x03", "\x01\x02\x03\x04\x05" }, { 3, 5 } },
		{ "mx.bad.test", DNS_T_AAAA, DNS_NODATA, 0, { 0 }, { 0 } },
	};
	struct relay_dest d;
	size_t refused = 0;

	use(t, sizeof(t) / sizeof(t[0]));
	CHECK_INT_EQ(relay_mx_resolve(lookup, NULL, "nullmx.test", &d, NULL),
	    RELAY_DEST_NULLMX, "null MX");
	CHECK_TRUE(strstr(d.why, "null MX") != NULL, "why says null MX");
	CHECK_INT_EQ(nlookups, 1, "no address lookup for a null MX");
	CHECK_INT_EQ(relay_mx_resolve(lookup, NULL, "mixed.test", &d, NULL),
	    RELAY_DEST_OK, "null MX among others: the others");
	CHECK_STR_EQ(d.host[0].name, "mx.mixed.test", "the real MX");
	CHECK_INT_EQ(relay_mx_resolve(lookup, NULL, "implicit.test", &d,
	    NULL), RELAY_DEST_OK, "implicit MX");
	CHECK_INT_EQ(d.implicit, 1, "implicit flag");
	CHECK_STR_EQ(d.host[0].name, "implicit.test", "the domain itself");
	CHECK_INT_EQ(d.host[0].secure, 1, "secure implicit");
	CHECK_INT_EQ(relay_mx_resolve(lookup, NULL, "nothing.test", &d, NULL),
	    RELAY_DEST_NOHOST, "no MX and no address");
	CHECK_INT_EQ(relay_mx_resolve(lookup, NULL, "nx.test", &d, NULL),
	    RELAY_DEST_NXDOMAIN, "NXDOMAIN");
	CHECK_INT_EQ(relay_mx_resolve(lookup, NULL, "servfail.test", &d,
	    NULL), RELAY_DEST_TEMP, "SERVFAIL: temporary");
	CHECK_INT_EQ(relay_mx_resolve(lookup, NULL, "bogus.test", &d, NULL),
	    RELAY_DEST_TEMP, "bogus: temporary, never no-MX");
	CHECK_TRUE(strstr(d.why, "DNSSEC") != NULL, "why says DNSSEC");
	CHECK_INT_EQ(relay_mx_resolve(lookup, NULL, "self.test", &d,
	    &refused), RELAY_DEST_NOHOST, "an MX of refused addresses only");
	CHECK_INT_EQ(refused, 4,
	    "0.0.0.0, 0.1.2.3, :: and ::ffff:0.0.0.0 refused");
	CHECK_INT_EQ(relay_mx_resolve(lookup, NULL, "mx.bad.test", &d, NULL),
	    RELAY_DEST_NXDOMAIN, "no MX table entry");
	CHECK_INT_EQ(relay_mx_resolve(lookup, NULL, "bad.test", &d, NULL),
	    RELAY_DEST_NOHOST, "malformed addresses skipped");
}

static void
test_limit(void)
{
	static const struct answer t[] = {
		{ "many.test", DNS_T_MX, DNS_OK, 0,
		  { "1 h1.test", "2 h2.test", "3 h3.test", "4 h4.test",
		    "5 h5.test", "6 h6.test" }, { 0 } },
		{ "h1.test", DNS_T_A, DNS_OK, 0, { "\x01\x01\x01\x01" },
		  { 4 } },
		{ "h2.test", DNS_T_A, DNS_OK, 0, { "\x01\x01\x01\x02" },
		  { 4 } },
		{ "h3.test", DNS_T_A, DNS_OK, 0, { "\x01\x01\x01\x03" },
		  { 4 } },
		{ "h4.test", DNS_T_A, DNS_OK, 0, { "\x01\x01\x01\x04" },
		  { 4 } },
		{ "h5.test", DNS_T_A, DNS_OK, 0, { "\x01\x01\x01\x05" },
		  { 4 } },
		{ "h6.test", DNS_T_A, DNS_OK, 0, { "\x01\x01\x01\x06" },
		  { 4 } },
	};
	struct relay_dest d;
	unsigned char z4[4] = { 0, 9, 9, 9 }, ok4[4] = { 127, 0, 0, 1 };

	use(t, sizeof(t) / sizeof(t[0]));
	CHECK_INT_EQ(relay_mx_resolve(lookup, NULL, "many.test", &d, NULL),
	    RELAY_DEST_OK, "many");
	CHECK_INT_EQ(d.nhost, RELAY_HOSTS_MAX, "at most RELAY_HOSTS_MAX");
	CHECK_STR_EQ(d.host[RELAY_HOSTS_MAX - 1].name, "h5.test",
	    "the lowest preferences kept");
	CHECK_INT_EQ(relay_mx_direct(lookup, NULL, "h3.test", &d, NULL),
	    RELAY_DEST_OK, "direct host");
	CHECK_STR_EQ(d.host[0].addr[0].text, "1.1.1.3", "its address");
	CHECK_INT_EQ(relay_mx_direct(lookup, NULL, "192.0.2.9", &d, NULL),
	    RELAY_DEST_OK, "numeric host, no lookup");
	CHECK_STR_EQ(d.host[0].addr[0].text, "192.0.2.9", "as given");
	CHECK_INT_EQ(relay_mx_direct(lookup, NULL, "2001:db8::9", &d, NULL),
	    RELAY_DEST_OK, "numeric IPv6 host");
	CHECK_INT_EQ(d.host[0].addr[0].family, AF_INET6, "v6 family");
	CHECK_INT_EQ(relay_mx_direct(lookup, NULL, "0.0.0.0", &d, NULL),
	    RELAY_DEST_NOHOST, "0.0.0.0 refused as a smarthost too");
	CHECK_INT_EQ(relay_mx_direct(lookup, NULL, "gone.test", &d, NULL),
	    RELAY_DEST_NOHOST, "a host without addresses");
	CHECK_INT_EQ(relay_mx_refused(AF_INET, z4), 1, "0/8 refused");
	CHECK_INT_EQ(relay_mx_refused(AF_INET, ok4), 0, "loopback usable "
	    "(tests, a smarthost on this machine)");
}

/* Twelve MX names, the first eleven of which never answer: at most
 * RELAY_HOSTS_LOOKED_MAX of them cost lookups (each would be two
 * timeouts), so the twelfth is not reached. */
static void
test_lookup_cap(void)
{
	static const char *const dead[] = { "d1.test", "d2.test", "d3.test",
		"d4.test", "d5.test", "d6.test", "d7.test", "d8.test",
		"d9.test", "d10.test", "d11.test" };
	static struct answer t[1 + 2 * 11 + 1] = {
		{ "slow.test", DNS_T_MX, DNS_OK, 0, { "1 d1.test", "2 d2.test",
		    "3 d3.test", "4 d4.test", "5 d5.test", "6 d6.test",
		    "7 d7.test", "8 d8.test", "9 d9.test", "10 d10.test",
		    "11 d11.test", "12 d12.test" }, { 0 } },
	};
	struct relay_dest d;
	size_t i, n = 1;

	for (i = 0; i < 11; i++) {
		t[n++] = (struct answer){ dead[i], DNS_T_A, DNS_TEMP, 0,
		    { NULL }, { 0 } };
		t[n++] = (struct answer){ dead[i], DNS_T_AAAA, DNS_TEMP, 0,
		    { NULL }, { 0 } };
	}
	t[n++] = (struct answer){ "d12.test", DNS_T_A, DNS_OK, 0,
	    { "\x01\x01\x01\x0c" }, { 4 } };
	use(t, n);
	CHECK_INT_EQ(relay_mx_resolve(lookup, NULL, "slow.test", &d, NULL),
	    RELAY_DEST_TEMP, "hosts that never answer: temporary");
	CHECK_TRUE(nlookups <= 1 + 2 * RELAY_HOSTS_LOOKED_MAX,
	    "at most RELAY_HOSTS_LOOKED_MAX hosts looked up");
	CHECK_INT_EQ(d.nhost, 0, "the twelfth not reached");
}

int
main(void)
{
	test_order();
	test_shuffle();
	test_special();
	test_limit();
	test_lookup_cap();
	return check_done();
}
