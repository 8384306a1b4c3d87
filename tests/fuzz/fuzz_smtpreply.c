/*
 * fuzz_smtpreply.c: libFuzzer target for the relay's SMTP client engine
 * (smtpd/client*.c): arbitrary server bytes, in arbitrary pieces, in
 * every state of a session.  The first byte picks the job (TLS mode,
 * credentials, body, flags, recipients), then each piece is a length
 * byte and that many server bytes; a TLS handshake's outcome takes a
 * byte.  The session must end, the output stay within its buffer, and
 * every recipient's result be one the queue's decoder accepts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char body[] = ".dot\nbare LF\rbare CR\r\n..\r\nend";

/* check: the result must travel to the queue as it is. */
static void
check(const struct relay_rcpt_result *r)
{
	struct relay_rcpt_result d;
	struct frame f, g;

	if (relayproto_result_encode(&f, r) == -1 ||
	    frame_parse(&g, f.buf, f.len) == -1 ||
	    relayproto_result_decode(&g, &d) == -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	static struct relay_job job;
	static struct relay_rcpt rcpt[4];
	struct client_params p;
	struct client *c;
	const uint8_t *out;
	size_t outlen, i, pos = 1, steps = 0, n;
	int body_sent = 0;

	if (len < 1)
		return 0;
	memset(&job, 0, sizeof(job));
	memset(rcpt, 0, sizeof(rcpt));
	memcpy(job.id, "0123456789abcdef", 17);
	memcpy(job.sender, "a@b.test", 9);
	memcpy(job.envid, "E1", 3);
	job.nrcpt = (uint32_t)(buf[0] & 3) + 1;
	job.body = (buf[0] >> 2) % 3;
	job.flags = (uint32_t)(buf[0] >> 4) & QUEUE_F_ALL;
	job.size = 100;
	for (i = 0; i < 4; i++) {
		memcpy(rcpt[i].address, "r@x.test", 9);
		rcpt[i].notify = (uint32_t)i;
	}
	memset(&p, 0, sizeof(p));
	p.helo = "mx.test";
	p.job = &job;
	p.rcpt = rcpt;
	p.tls = (enum client_tls)((buf[0] >> 6) % 3);
	if (buf[0] & 0x80) {
		p.auth_user = "u";
		p.auth_pass = "p";
	}
	if ((c = client_new(&p)) == NULL)
		abort();
	while (steps++ < 100000) {
		switch (client_next(c)) {
		case CLIENT_WANT_WRITE:
			client_output(c, &out, &outlen);
			if (outlen == 0)
				abort();
			client_output_done(c, outlen);
			continue;
		case CLIENT_WANT_READ:
			if (pos >= len) {
				client_fail(c, "connection closed");
				continue;
			}
			n = buf[pos++];
			if (n > len - pos)
				n = len - pos;
			client_input(c, buf + pos, n);
			pos += n;
			continue;
		case CLIENT_WANT_TLS:
			client_tls_done(c, pos < len ? buf[pos++] & 1 : 0,
			    "refused");
			continue;
		case CLIENT_WANT_BODY:
			if (body_sent++)
				client_body_end(c);
			else
				client_body(c, (const uint8_t *)body,
				    sizeof(body) - 1);
			continue;
		case CLIENT_WANT_NOTHING:
			break;
		}
		break;
	}
	if (client_next(c) != CLIENT_WANT_NOTHING)
		abort();
	for (i = 0; i < job.nrcpt; i++)
		check(client_result(c, i));
	(void)client_timeout_ms(c);
	(void)client_state_name(c);
	client_free(c);
	return 0;
}
