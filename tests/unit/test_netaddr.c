/*
 * test_netaddr.c: unit test of common/netaddr.c: normalization, CIDR
 * parsing and formatting, membership for IPv4, IPv6 and IPv4-mapped IPv6,
 * and rejection of malformed input.  Runs as a plain program; trusts
 * nothing: it is the test.
 */
#include <stdio.h>
#include <string.h>

#include "common/netaddr.h"
#include "tests/unit/check.h"

static void
test_normalize(void)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "1.2.3.4", "1.2.3.4" },
		{ "::ffff:1.2.3.4", "1.2.3.4" },
		{ "::FFFF:102:304", "1.2.3.4" },
		{ "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
		{ "::1", "::1" },
		{ "::", "::" },
		{ "fe80::1:0:0:1", "fe80::1:0:0:1" },
	};
	static const char *bad[] = {
		"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "[::1]", "fe80::1%eth0",
		" 1.2.3.4", "1.2.3.4 ", "localhost", "1.2.3.4/8", ":::1",
	};
	char buf[64], desc[80];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(desc, sizeof(desc), "normalize %s", ok[i].in);
		CHECK_INT_EQ(netaddr_normalize(ok[i].in, buf, sizeof(buf)), 0,
		    desc);
		CHECK_STR_EQ(buf, ok[i].out, desc);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(desc, sizeof(desc), "normalize rejects \"%s\"",
		    bad[i]);
		CHECK_INT_EQ(netaddr_normalize(bad[i], buf, sizeof(buf)), -1,
		    desc);
	}
	CHECK_INT_EQ(netaddr_normalize("10.0.0.1", buf, 8), -1,
	    "normalize output too small");
	CHECK_INT_EQ(netaddr_normalize("10.0.0.1", buf, 9), 0,
	    "normalize output exact fit");
}

static void
test_parse(void)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "10.0.0.0/8", "10.0.0.0/8" },
		{ "10.1.2.3/8", "10.0.0.0/8" },
		{ "192.168.1.77/26", "192.168.1.64/26" },
		{ "1.2.3.4", "1.2.3.4/32" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "2001:db8::/32", "2001:db8::/32" },
		{ "2001:db8:ffff::1/33", "2001:db8:8000::/33" },
		{ "::1", "::1/128" },
		{ "::/0", "::/0" },
		{ "::ffff:10.0.0.0/104", "10.0.0.0/8" },
		{ "::ffff:10.1.2.3", "10.1.2.3/32" },
	};
	static const char *bad[] = {
		"1.2.3.4/33", "1.2.3", "::1/129", "10.0.0.0/8x", "",
		"10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/08",
		"10.0.0.0/ 8", "10.0.0.0/8/8", "/8", "10.0.0.0/1000",
		"host.example/8", "[::1]/128", "fe80::1%lo/64",
	};
	struct netmask m, keep;
	char buf[NETADDR_STRLEN], desc[80];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(desc, sizeof(desc), "parse %s", ok[i].in);
		CHECK_INT_EQ(netmask_parse(ok[i].in, &m), 0, desc);
		netmask_format(&m, buf, sizeof(buf));
		CHECK_STR_EQ(buf, ok[i].out, desc);
	}
	memset(&keep, 0xa5, sizeof(keep));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(desc, sizeof(desc), "parse rejects \"%s\"", bad[i]);
		m = keep;
		CHECK_INT_EQ(netmask_parse(bad[i], &m), -1, desc);
		CHECK_TRUE(memcmp(&m, &keep, sizeof(m)) == 0, desc);
	}
	CHECK_INT_EQ(netmask_parse("10.0.0.0/8", &m), 0, "parse family");
	CHECK_INT_EQ(m.family, 4, "v4 family");
	CHECK_INT_EQ(m.prefix, 8, "v4 prefix");
	CHECK_INT_EQ(netmask_parse("2001:db8::/32", &m), 0, "parse v6");
	CHECK_INT_EQ(m.family, 6, "v6 family");
	netmask_format(&m, buf, 6);
	CHECK_STR_EQ(buf, "2001:", "format truncates");
}

static void
test_contains(void)
{
	static const struct {
		const char *mask, *addr;
		int want;
	} vec[] = {
		{ "10.0.0.0/8", "10.255.1.2", 1 },
		{ "10.0.0.0/8", "11.0.0.1", 0 },
		{ "10.0.0.0/8", "::ffff:10.1.2.3", 1 },
		{ "10.0.0.0/8", "::ffff:11.1.2.3", 0 },
		{ "10.0.0.0/8", "::10.1.2.3", 0 },
		{ "10.0.0.0/8", "2001:db8::1", 0 },
		{ "0.0.0.0/0", "255.255.255.255", 1 },
		{ "0.0.0.0/0", "::1", 0 },
		{ "192.168.1.64/26", "192.168.1.127", 1 },
		{ "192.168.1.64/26", "192.168.1.128", 0 },
		{ "1.2.3.4", "1.2.3.4", 1 },
		{ "1.2.3.4", "1.2.3.5", 0 },
		{ "2001:db8::/32", "2001:db8:1::5", 1 },
		{ "2001:db8::/32", "2001:db9::5", 0 },
		{ "2001:db8::/32", "10.0.0.1", 0 },
		{ "2001:db8::/33", "2001:db8:7fff::1", 1 },
		{ "2001:db8::/33", "2001:db8:8000::1", 0 },
		{ "::/0", "::ffff:1.2.3.4", 1 },
		{ "::/0", "1.2.3.4", 0 },
		{ "::1", "::1", 1 },
		{ "::ffff:10.0.0.0/104", "::ffff:10.9.9.9", 1 },
		{ "::ffff:10.0.0.0/104", "10.9.9.9", 1 },
		{ "::ffff:10.0.0.0/104", "11.9.9.9", 0 },
		{ "10.0.0.0/8", "", -1 },
		{ "10.0.0.0/8", "10.0.0", -1 },
		{ "10.0.0.0/8", "10.0.0.1/8", -1 },
		{ "2001:db8::/32", "2001:db8::1%eth0", -1 },
	};
	struct netmask m;
	char desc[80];
	size_t i;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		snprintf(desc, sizeof(desc), "%s contains \"%s\"",
		    vec[i].mask, vec[i].addr);
		CHECK_INT_EQ(netmask_parse(vec[i].mask, &m), 0, desc);
		CHECK_INT_EQ(netmask_contains(&m, vec[i].addr), vec[i].want,
		    desc);
	}
}

/* The key a client is counted under, and that a key maps to itself. */
static void
test_client_key(void)
{
	static const struct {
		const char *in, *key;
	} ok[] = {
		{ "192.0.2.7", "192.0.2.7" },
		{ "::ffff:192.0.2.7", "192.0.2.7" },
		{ "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64" },
		{ "2001:DB8:1:2::beef", "2001:db8:1:2::/64" },
		{ "2001:db8:1:2::/64", "2001:db8:1:2::/64" },
		{ "2001:db8:1:2::9/64", "2001:db8:1:2::/64" },
		{ "::1", "::/64" },
	};
	static const char *bad[] = { "", "example.org", "192.0.2.7/24",
	    "192.0.2.0/64", "2001:db8::/48", "2001:db8::/64x", "1.2.3" };
	char key[NETADDR_STRLEN];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CHECK_INT_EQ(netaddr_client_key(ok[i].in, key, sizeof(key)), 0,
		    ok[i].in);
		CHECK_STR_EQ(key, ok[i].key, ok[i].in);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT_EQ(netaddr_client_key(bad[i], key, sizeof(key)), -1,
		    bad[i]);
		CHECK_STR_EQ(key, "", "nothing written");
	}
	CHECK_INT_EQ(netaddr_client_key("2001:db8::1", key, 8), -1,
	    "a key that does not fit");
}

int
main(void)
{
	test_normalize();
	test_parse();
	test_contains();
	test_client_key();
	return check_done();
}
