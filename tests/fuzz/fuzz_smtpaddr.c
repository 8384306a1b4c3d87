/*
 * fuzz_smtpaddr.c: libFuzzer target for smtpd's path parser
 * (smtpd/addr.c) and the monitor's decoders of the net role's frames
 * (smtpd/smtpmsg.c).  The input is parsed as a path with every flag
 * combination; a path that parses must give an address within the
 * limits, without control characters, with octets above 0x7f only under
 * SMTPUTF8, split into its local part and domain, and in its one
 * spelling (parsing "<addr>" again gives addr back).  The input is also
 * offered as a frame payload to every decoder, which must not crash,
 * and what a decoder accepts must encode back to the same frame.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd/addr.h"
#include "smtpd/smtpmsg.h"

static void
fuzz_path(const uint8_t *data, size_t size, int flags)
{
	struct smtp_addr a, b;
	char again[SMTP_PATH_MAX + 8];
	size_t i, n;
	int rc;

	rc = smtp_addr_parse((const char *)data, size, flags, &a);
	if (rc < 0) {
		if (rc != SMTP_ADDR_ESYNTAX && rc != SMTP_ADDR_ELONG &&
		    rc != SMTP_ADDR_EUTF8)
			abort();
		if (rc == SMTP_ADDR_EUTF8 && (flags & SMTP_ADDR_UTF8))
			abort();
		return;
	}
	if ((size_t)rc > size || rc > SMTP_PATH_MAX || data[rc - 1] != '>')
		abort();
	n = strlen(a.addr);
	if (n > SMTP_PATH_MAX - 2 || strlen(a.local) > SMTP_LOCAL_MAX ||
	    strlen(a.domain) > SMTP_DOMAIN_MAX)
		abort();
	for (i = 0; i < n; i++) {
		if ((unsigned char)a.addr[i] < 0x20 || a.addr[i] == 0x7f)
			abort();
		if ((unsigned char)a.addr[i] > 0x7f &&
		    !(flags & SMTP_ADDR_UTF8))
			abort();
		if (a.addr[i] >= 'A' && a.addr[i] <= 'Z' &&
		    i > strlen(a.local))
			abort();
	}
	if (n == 0) {
		if (!(flags & SMTP_ADDR_MAIL))
			abort();
		return;
	}
	if (a.domain[0] == '\0') {
		if (strcmp(a.addr, "postmaster") != 0 ||
		    !(flags & SMTP_ADDR_RCPT))
			abort();
		return;
	}
	if (strncmp(a.addr, a.local, strlen(a.local)) != 0 ||
	    a.addr[strlen(a.local)] != '@' ||
	    strcmp(a.addr + strlen(a.local) + 1, a.domain) != 0)
		abort();
	again[0] = '<';
	memcpy(again + 1, a.addr, n);
	again[n + 1] = '>';
	if (smtp_addr_parse(again, n + 2, flags, &b) != (int)n + 2 ||
	    strcmp(a.addr, b.addr) != 0)
		abort();
}

static void
fuzz_decoders(const uint8_t *data, size_t size)
{
	static const int types[] = { MSG_SMTP_MAIL, MSG_SMTP_RCPT,
	    MSG_SMTP_DATA, MSG_SMTP_END, MSG_SMTP_RSET };
	struct smtpmsg_mail m;
	struct smtpmsg_rcpt r;
	struct smtpmsg_end e;
	struct smtpmsg_answer an;
	struct frame f, g;
	const uint8_t *p;
	size_t i, n;
	int rc;

	if (size + FRAME_HDR + 1 > FRAME_MAX)
		return;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		frame_init(&f, (uint8_t)types[i]);
		memcpy(f.buf + f.len, data, size);
		f.len += size;
		if (frame_finish(&f) == -1 ||
		    frame_parse(&g, f.buf, f.len) == -1)
			abort();
		switch (types[i]) {
		case MSG_SMTP_MAIL:
			rc = smtpmsg_mail_decode(&g, &m) == 0 ?
			    smtpmsg_mail_encode(&g, &m) : 1;
			break;
		case MSG_SMTP_RCPT:
			rc = smtpmsg_rcpt_decode(&g, &r) == 0 ?
			    smtpmsg_rcpt_encode(&g, &r) : 1;
			break;
		case MSG_SMTP_DATA:
			rc = smtpmsg_data_decode(&g, &p, &n) == 0 ?
			    smtpmsg_data_encode(&g, p, n) : 1;
			break;
		case MSG_SMTP_END:
			rc = smtpmsg_end_decode(&g, &e) == 0 ?
			    smtpmsg_end_encode(&g, &e) : 1;
			break;
		default:
			rc = smtpmsg_rset_decode(&g) == 0 ?
			    smtpmsg_rset_encode(&g) : 1;
			break;
		}
		if (rc == -1 || (rc == 0 && (g.len != f.len ||
		    memcmp(g.buf, f.buf, f.len) != 0)))
			abort();
		if (types[i] != MSG_SMTP_DATA && types[i] != MSG_SMTP_RSET) {
			frame_parse(&g, f.buf, f.len);
			if (smtpmsg_answer_decode(&g, types[i], &an) == 0 &&
			    (smtpmsg_answer_encode(&g, types[i], &an) == -1 ||
			    g.len != f.len || memcmp(g.buf, f.buf, f.len) != 0))
				abort();
		}
	}
	(void)smtpmsg_xtext_ok((const char *)data, size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int flags;

	for (flags = SMTP_ADDR_MAIL; flags <= (SMTP_ADDR_RCPT |
	    SMTP_ADDR_UTF8); flags++)
		if ((flags & 3) == SMTP_ADDR_MAIL || (flags & 3) == SMTP_ADDR_RCPT)
			fuzz_path(data, size, flags);
	fuzz_decoders(data, size);
	return 0;
}
