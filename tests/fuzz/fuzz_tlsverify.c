/*
 * fuzz_tlsverify.c: libFuzzer target for the TLS client's certificate
 * check (common/tls_verify.c, common/tls_dane.c): a certificate chain as
 * a remote SMTP server would send it.  Input: one byte of mode (none,
 * CA without anchors, DANE), then certificates as 2-byte big-endian
 * length + DER, up to TLS_MAX_CHAIN; the last 32 bytes of the input,
 * when there are that many, also serve as a DANE-EE and a DANE-TA
 * SHA-256 record.  Invariants: CA mode never accepts (no anchors), an
 * acceptance in DANE mode says DANE-EE or DANE-TA, opportunistic mode
 * never refuses, and the reason is always a NUL-terminated string.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/tls_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	static struct tls_verify v;
	static const char *names[] = { "mx.example.com", "*.example.net" };
	br_x509_certificate certs[TLS_MAX_CHAIN];
	struct dnsrr_tlsa t[2];
	struct tls_client_policy p;
	size_t n = 0, off = 1, cl;
	unsigned rc;

	if (len < 1)
		return 0;
	memset(&p, 0, sizeof(p));
	p.mode = buf[0] % 3 == 0 ? TLS_VERIFY_NONE : buf[0] % 3 == 1 ?
	    TLS_VERIFY_CA : TLS_VERIFY_DANE;
	p.names = names;
	p.nnames = 2;
	if (len >= 33) {
		t[0].usage = 3;
		t[1].usage = 2;
		t[0].selector = buf[0] >> 7;
		t[1].selector = (buf[0] >> 6) & 1;
		t[0].mtype = t[1].mtype = 1;
		t[0].data = t[1].data = buf + len - 32;
		t[0].len = t[1].len = 32;
		p.tlsa = t;
		p.ntlsa = 2;
	}
	while (n < TLS_MAX_CHAIN && len - off >= 2) {
		cl = (size_t)buf[off] << 8 | buf[off + 1];
		off += 2;
		if (cl > len - off)
			break;
		certs[n].data = (unsigned char *)(uintptr_t)(buf + off);
		certs[n].data_len = cl;
		n++;
		off += cl;
	}
	tls_verify_init(&v, &p);
	rc = tls_verify_chain(&v, certs, n);
	if (strnlen(v.how, sizeof(v.how)) == sizeof(v.how))
		abort();
	if (p.mode == TLS_VERIFY_CA && (rc == 0 || v.verified))
		abort();
	if (p.mode == TLS_VERIFY_NONE && rc != 0)
		abort();
	if (p.mode == TLS_VERIFY_DANE && rc == 0 &&
	    strcmp(v.how, "DANE-EE") != 0 && strcmp(v.how, "DANE-TA") != 0)
		abort();
	return 0;
}
