/*
 * test_dnsrr.c: unit test of the DNS record readers (common/dnsrr.c) on
 * wire-format rdata as libunbound hands it: MX, the null MX, A, AAAA,
 * TXT of several strings, TLSA, and the malformed cases every reader must
 * refuse (truncated, over-long, compression pointers, bad bytes in a
 * label, NUL in a TXT string).  Runs as a plain program; it is the test.
 */
#include <stdio.h>
#include <string.h>

#include "common/dnsrr.h"
#include "tests/unit/check.h"

#define RD(...)		((const unsigned char[]){ __VA_ARGS__ })

static void
test_name(void)
{
	char out[DNS_NAME_MAX + 1];
	unsigned char wire[300];
	size_t used = 0, pos, i;

	CHECK_INT_EQ(dnsrr_name(RD(2, 'm', 'x', 7, 'E', 'x', 'a', 'm', 'p',
	    'l', 'e', 3, 'o', 'r', 'g', 0), 16, out, &used), 0,
	    "name: mx.Example.org reads");
	CHECK_STR_EQ(out, "mx.Example.org", "name: text form, case kept");
	CHECK_INT_EQ(used, 16, "name: all bytes used");
	CHECK_INT_EQ(dnsrr_name(RD(0), 1, out, &used), 0, "name: root reads");
	CHECK_STR_EQ(out, "", "name: root is the empty string");
	CHECK_INT_EQ(dnsrr_name(RD(3, '_', '2', '5', 0, 9, 9), 7, out, &used),
	    0, "name: stops at the root label");
	CHECK_INT_EQ(used, 5, "name: used counts up to the root label");
	CHECK_STR_EQ(out, "_25", "name: underscore label kept");
	CHECK_INT_EQ(dnsrr_name(RD(2, 'm', 'x'), 3, out, &used), -1,
	    "name: missing root label refused");
	CHECK_INT_EQ(dnsrr_name(RD(5, 'm', 'x', 0), 4, out, &used), -1,
	    "name: label longer than the data refused");
	CHECK_INT_EQ(dnsrr_name(RD(0xc0, 0x0c), 2, out, &used), -1,
	    "name: compression pointer refused");
	CHECK_INT_EQ(dnsrr_name(RD(2, 'm', 'x', 0xc0, 0x0c), 5, out, &used),
	    -1, "name: compression pointer after a label refused");
	CHECK_INT_EQ(dnsrr_name(RD(0x41, 0), 2, out, &used), -1,
	    "name: extended label type refused");
	CHECK_INT_EQ(dnsrr_name(RD(3, 'a', '.', 'b', 0), 5, out, &used), -1,
	    "name: dot inside a label refused");
	CHECK_INT_EQ(dnsrr_name(RD(3, 'a', 0, 'b', 0), 5, out, &used), -1,
	    "name: NUL inside a label refused");
	CHECK_INT_EQ(dnsrr_name(RD(3, 'a', ' ', 'b', 0), 5, out, &used), -1,
	    "name: blank inside a label refused");
	CHECK_INT_EQ(dnsrr_name(RD(2, 'a', 0xc3, 0), 4, out, &used), -1,
	    "name: non-ASCII byte refused");
	CHECK_INT_EQ(dnsrr_name(RD(0), 0, out, &used), -1,
	    "name: empty rdata refused");

	/* 4 labels of 63 and the root: 4 * 64 + 1 = 257 bytes, too long;
	 * 3 of 63 and one of 61: 255 bytes and 253 characters, the limit. */
	for (pos = 0, i = 0; i < 4; i++) {
		wire[pos++] = 63;
		memset(wire + pos, 'a', 63);
		pos += 63;
	}
	wire[pos++] = 0;
	CHECK_INT_EQ(dnsrr_name(wire, pos, out, &used), -1,
	    "name: longer than 255 bytes on the wire refused");
	wire[3 * 64] = 61;
	wire[3 * 64 + 62] = 0;
	CHECK_INT_EQ(dnsrr_name(wire, 255, out, &used), 0,
	    "name: 255 bytes on the wire read");
	CHECK_INT_EQ(strlen(out), DNS_NAME_MAX, "name: 253 characters");
	wire[0] = 64;
	CHECK_INT_EQ(dnsrr_name(wire, 255, out, &used), -1,
	    "name: label of 64 bytes refused");
}

static void
test_mx(void)
{
	char host[DNS_NAME_MAX + 1];
	uint16_t pref = 0;

	CHECK_INT_EQ(dnsrr_mx(RD(0, 10, 2, 'm', 'x', 4, 't', 'e', 's', 't',
	    0), 11, &pref, host), 0, "mx: reads");
	CHECK_INT_EQ(pref, 10, "mx: preference");
	CHECK_STR_EQ(host, "mx.test", "mx: exchange");
	CHECK_INT_EQ(dnsrr_mx(RD(0x01, 0x02, 1, 'a', 0), 5, &pref, host), 0,
	    "mx: two-byte preference");
	CHECK_INT_EQ(pref, 258, "mx: preference is big-endian");
	CHECK_INT_EQ(dnsrr_mx(RD(0, 0, 0), 3, &pref, host), 0,
	    "mx: null MX reads");
	CHECK_STR_EQ(host, "", "mx: null MX is the empty host");
	CHECK_INT_EQ(pref, 0, "mx: null MX preference 0");
	CHECK_INT_EQ(dnsrr_mx(RD(0, 10), 2, &pref, host), -1,
	    "mx: no exchange refused");
	CHECK_INT_EQ(dnsrr_mx(RD(0, 10, 1, 'a', 0, 7), 6, &pref, host), -1,
	    "mx: trailing bytes refused");
	CHECK_INT_EQ(dnsrr_mx(RD(0, 10, 0xc0, 0x0c), 4, &pref, host), -1,
	    "mx: compressed exchange refused");
	CHECK_INT_EQ(dnsrr_mx(RD(0, 10, 9, 'a', 0), 5, &pref, host), -1,
	    "mx: truncated exchange refused");
}

static void
test_addr(void)
{
	char out[64];

	CHECK_INT_EQ(dnsrr_addr(DNS_T_A, RD(192, 0, 2, 7), 4, out,
	    sizeof(out)), 0, "a: reads");
	CHECK_STR_EQ(out, "192.0.2.7", "a: text form");
	CHECK_INT_EQ(dnsrr_addr(DNS_T_AAAA, RD(0x20, 0x01, 0x0d, 0xb8, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 1), 16, out, sizeof(out)), 0,
	    "aaaa: reads");
	CHECK_STR_EQ(out, "2001:db8::1", "aaaa: text form");
	CHECK_INT_EQ(dnsrr_addr(DNS_T_A, RD(1, 2, 3), 3, out, sizeof(out)),
	    -1, "a: three bytes refused");
	CHECK_INT_EQ(dnsrr_addr(DNS_T_A, RD(1, 2, 3, 4, 5), 5, out,
	    sizeof(out)), -1, "a: five bytes refused");
	CHECK_INT_EQ(dnsrr_addr(DNS_T_AAAA, RD(1, 2, 3, 4), 4, out,
	    sizeof(out)), -1, "aaaa: four bytes refused");
	CHECK_INT_EQ(dnsrr_addr(DNS_T_MX, RD(1, 2, 3, 4), 4, out,
	    sizeof(out)), -1, "addr: other type refused");
	CHECK_INT_EQ(dnsrr_addr(DNS_T_A, RD(192, 0, 2, 7), 4, out, 8), -1,
	    "a: output too small refused");
}

static void
test_txt(void)
{
	char out[64];
	size_t len = 0;

	CHECK_INT_EQ(dnsrr_txt(RD(7, 'v', '=', 's', 'p', 'f', '1', ' ', 4,
	    '-', 'a', 'l', 'l'), 13, out, sizeof(out), &len), 0,
	    "txt: two strings read");
	CHECK_STR_EQ(out, "v=spf1 -all", "txt: strings joined without blank");
	CHECK_INT_EQ(len, 11, "txt: length");
	CHECK_INT_EQ(dnsrr_txt(RD(0), 1, out, sizeof(out), &len), 0,
	    "txt: one empty string reads");
	CHECK_INT_EQ(len, 0, "txt: empty");
	CHECK_INT_EQ(dnsrr_txt(RD(0), 0, out, sizeof(out), &len), -1,
	    "txt: no string refused");
	CHECK_INT_EQ(dnsrr_txt(RD(5, 'a', 'b'), 3, out, sizeof(out), &len),
	    -1, "txt: truncated string refused");
	CHECK_INT_EQ(dnsrr_txt(RD(2, 'a', 'b', 3, 'c'), 5, out, sizeof(out),
	    &len), -1, "txt: truncated second string refused");
	CHECK_INT_EQ(dnsrr_txt(RD(3, 'a', 0, 'b'), 4, out, sizeof(out), &len),
	    -1, "txt: NUL refused");
	CHECK_INT_EQ(dnsrr_txt(RD(4, 'a', 'b', 'c', 'd'), 5, out, 4, &len),
	    -1, "txt: longer than cap - 1 refused");
	CHECK_INT_EQ(dnsrr_txt(RD(3, 'a', 'b', 'c'), 4, out, 4, &len), 0,
	    "txt: exactly cap - 1 reads");
	CHECK_STR_EQ(out, "abc", "txt: NUL-terminated at cap - 1");
}

static void
test_tlsa(void)
{
	struct dnsrr_tlsa t;

	CHECK_INT_EQ(dnsrr_tlsa(RD(3, 1, 1, 0xab, 0xcd), 5, &t), 0,
	    "tlsa: reads");
	CHECK_INT_EQ(t.usage, 3, "tlsa: usage");
	CHECK_INT_EQ(t.selector, 1, "tlsa: selector");
	CHECK_INT_EQ(t.mtype, 1, "tlsa: matching type");
	CHECK_INT_EQ(t.len, 2, "tlsa: data length");
	CHECK_INT_EQ(t.data[0], 0xab, "tlsa: data");
	CHECK_INT_EQ(dnsrr_tlsa(RD(3, 1, 1), 3, &t), -1,
	    "tlsa: no association data refused");
	CHECK_INT_EQ(dnsrr_tlsa(RD(3), 1, &t), -1, "tlsa: truncated refused");
}

int
main(void)
{
	test_name();
	test_mx();
	test_addr();
	test_txt();
	test_tlsa();
	return check_done();
}
