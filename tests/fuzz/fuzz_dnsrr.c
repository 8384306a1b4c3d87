/*
 * fuzz_dnsrr.c: libFuzzer target for the DNS record readers
 * (common/dnsrr.c): the DNS answers as the relay and the check role see
 * them.  The input is one record's rdata and goes to every reader, as a
 * hostile server may send any bytes under any type.  Checks memory safety
 * and the contract of dnsrr.h: outputs NUL-terminated within their
 * buffers, names at most DNS_NAME_MAX characters and re-encoding to the
 * very bytes read (no dot, blank or control byte slipped into a label),
 * TXT never longer than cap - 1 and without NUL, TLSA data inside rd.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/dnsrr.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* fuzz_dnsrr_name_check: name (text) encodes back to wire[0..used). */
static void
fuzz_dnsrr_name_check(const char *name, const uint8_t *wire, size_t used)
{
	unsigned char enc[DNS_NAME_MAX + 2];
	size_t n = strlen(name), pos = 0, start;
	const char *p = name, *dot;

	if (n > DNS_NAME_MAX)
		abort();
	while (*p != '\0') {
		dot = strchr(p, '.');
		start = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (start == 0 || start > 63 || pos + 1 + start > sizeof(enc))
			abort();
		enc[pos++] = (unsigned char)start;
		memcpy(enc + pos, p, start);
		pos += start;
		p += start + (dot != NULL);
		if (dot != NULL && *p == '\0')
			abort();
	}
	if (pos >= sizeof(enc))
		abort();
	enc[pos++] = 0;
	if (pos != used || memcmp(enc, wire, used) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	char name[DNS_NAME_MAX + 1], txt[512], addr[64];
	struct dnsrr_tlsa t;
	uint16_t pref;
	size_t used, tlen, cap;

	if (len > 65535)
		return 0;
	if (dnsrr_name(buf, len, name, &used) == 0) {
		if (used == 0 || used > len)
			abort();
		fuzz_dnsrr_name_check(name, buf, used);
	}
	if (dnsrr_mx(buf, len, &pref, name) == 0) {
		if (pref != (uint16_t)(buf[0] << 8 | buf[1]))
			abort();
		fuzz_dnsrr_name_check(name, buf + 2, len - 2);
	}
	if (dnsrr_addr(DNS_T_A, buf, len, addr, sizeof(addr)) == 0 &&
	    (len != 4 || strlen(addr) >= sizeof(addr)))
		abort();
	if (dnsrr_addr(DNS_T_AAAA, buf, len, addr, sizeof(addr)) == 0 &&
	    (len != 16 || strlen(addr) >= sizeof(addr)))
		abort();
	cap = len > 0 ? buf[0] % sizeof(txt) + 1 : sizeof(txt);
	if (dnsrr_txt(buf, len, txt, cap, &tlen) == 0) {
		if (tlen >= cap || tlen >= len || txt[tlen] != '\0' ||
		    strlen(txt) != tlen)
			abort();
	}
	if (dnsrr_tlsa(buf, len, &t) == 0) {
		if (t.data != buf + 3 || t.len + 3 != len || t.len == 0)
			abort();
	}
	return 0;
}
