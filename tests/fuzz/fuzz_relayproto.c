/*
 * fuzz_relayproto.c: libFuzzer target for the queue <-> relay protocol
 * decoders (smtpd/relayproto.c): any frame a relay process (which talks
 * to the Internet) or the queue may send.  The input is the payload (type
 * byte first, which also picks the decoder); a frame that decodes must
 * encode again and decode to the same fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd/relayproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	static struct relay_job j, j2;
	static struct relay_rcpt r, r2;
	static struct relay_rcpt_result x, x2;
	static struct relay_done d, d2;
	static uint8_t raw[FRAME_MAX];
	struct frame f, g;

	if (len < 1 || len > FRAME_MAX - FRAME_HDR)
		return 0;
	raw[0] = (uint8_t)(len >> 24);
	raw[1] = (uint8_t)(len >> 16);
	raw[2] = (uint8_t)(len >> 8);
	raw[3] = (uint8_t)len;
	memcpy(raw + FRAME_HDR, buf, len);
	if (frame_parse(&g, raw, FRAME_HDR + len) == -1)
		return 0;
	memset(&j2, 0, sizeof(j2));
	memset(&r2, 0, sizeof(r2));
	memset(&x2, 0, sizeof(x2));
	memset(&d2, 0, sizeof(d2));
	switch (buf[0] % 5) {
	case 0:
		if (relayproto_job_decode(&g, &j) == 0) {
			if (relayproto_job_encode(&f, &j) == -1 ||
			    frame_parse(&g, f.buf, f.len) == -1 ||
			    relayproto_job_decode(&g, &j2) == -1 ||
			    strcmp(j.domain, j2.domain) != 0 ||
			    j.nrcpt != j2.nrcpt || j.size != j2.size ||
			    j.nrcpt < 1 || j.nrcpt > RELAY_RCPT_MAX ||
			    strcmp(j.authres, j2.authres) != 0 ||
			    j.sign != j2.sign || j.sign > 1)
				abort();
		}
		break;
	case 1:
		if (relayproto_rcpt_decode(&g, &r) == 0) {
			if (relayproto_rcpt_encode(&f, &r) == -1 ||
			    frame_parse(&g, f.buf, f.len) == -1 ||
			    relayproto_rcpt_decode(&g, &r2) == -1 ||
			    strcmp(r.address, r2.address) != 0)
				abort();
		}
		break;
	case 2:
		(void)relayproto_go_decode(&g);
		break;
	case 3:
		if (relayproto_result_decode(&g, &x) == 0) {
			if (x.status > RELAY_PERM ||
			    relayproto_result_encode(&f, &x) == -1 ||
			    frame_parse(&g, f.buf, f.len) == -1 ||
			    relayproto_result_decode(&g, &x2) == -1 ||
			    strcmp(x.text, x2.text) != 0)
				abort();
		}
		break;
	default:
		if (relayproto_done_decode(&g, &d) == 0) {
			if (d.dest_down > 1 ||
			    relayproto_done_encode(&f, &d) == -1 ||
			    frame_parse(&g, f.buf, f.len) == -1 ||
			    relayproto_done_decode(&g, &d2) == -1 ||
			    strcmp(d.tls, d2.tls) != 0)
				abort();
		}
		break;
	}
	return 0;
}
