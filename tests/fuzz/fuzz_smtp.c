/*
 * fuzz_smtp.c: libFuzzer target for smtpd's SMTP engine (smtpd/engine.c)
 * as the net role drives it, with the fuzz input as the client's bytes,
 * three times: port 25 in plaintext, port 25 after a STARTTLS, port 465
 * (implicit TLS, AUTH).  The first input octet picks the feeding (all at
 * once, or in pieces) and the limits; every ask is answered with a
 * verdict taken from the next unused input octet, every login likewise.
 * Aborts when the engine breaks its contract: a reply that is not whole
 * CRLF lines of "ddd " / "ddd-" or longer than out_max, output with a
 * tell, a frame the monitor's decoder refuses, a frame out of the
 * broker's order (MAIL inside a transaction, DATA before an accepted
 * RCPT, END without MAIL), credentials left after the login result, or
 * a feed that makes no progress.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/authproto.h"
#include "common/config.h"
#include "smtpd/engine.h"
#include "smtpd/smtpmsg.h"

struct fz {
	void		*st;
	const uint8_t	*in;		/* unused client bytes */
	size_t		 len;
	int		 closed;
	/* the broker's view */
	int		 tx;		/* MAIL accepted */
	int		 rcpts;		/* RCPT accepted */
	int		 asked;
};

static struct config cfg;

static void
fz_reply(const char *o, size_t n)
{
	size_t i = 0, j;

	if (n == 0 || n > smtp_engine.out_max)
		abort();
	while (i < n) {
		if (n - i < 6 || o[i] < '2' || o[i] > '5' || o[i + 1] < '0' ||
		    o[i + 1] > '9' || o[i + 2] < '0' || o[i + 2] > '9' ||
		    (o[i + 3] != ' ' && o[i + 3] != '-'))
			abort();
		for (j = i; j < n && o[j] != '\r' && o[j] != '\n'; j++)
			if ((unsigned char)o[j] < 0x20)
				abort();
		if (j + 1 >= n || o[j] != '\r' || o[j + 1] != '\n')
			abort();
		i = j + 2;
	}
}

static void
fz_output(struct fz *z, int must)
{
	const char *o;
	size_t n;

	o = smtp_engine.output(z->st, &n);
	if (must > 0)
		fz_reply(o, n);
	else if (must < 0 && n != 0)
		abort();
	else if (n > 0)
		fz_reply(o, n);
}

static uint8_t
fz_peek(const struct fz *z)
{
	return z->len > 0 ? z->in[0] : 0;
}

/* fz_frame: the frame of an ask or tell, as the broker decodes it. */
static int
fz_frame(struct fz *z)
{
	const struct frame *f0 = smtp_engine.ask(z->st);
	struct smtpmsg_mail m;
	struct smtpmsg_rcpt r;
	struct smtpmsg_end e;
	struct frame f;
	const uint8_t *p;
	size_t n;

	if (frame_parse(&f, f0->buf, f0->len) == -1)
		abort();
	switch (f.type) {
	case MSG_SMTP_MAIL:
		if (smtpmsg_mail_decode(&f, &m) == -1 || z->tx)
			abort();
		break;
	case MSG_SMTP_RCPT:
		if (smtpmsg_rcpt_decode(&f, &r) == -1 || !z->tx)
			abort();
		break;
	case MSG_SMTP_DATA:
		if (smtpmsg_data_decode(&f, &p, &n) == -1 || !z->tx ||
		    z->rcpts == 0)
			abort();
		break;
	case MSG_SMTP_END:
		if (smtpmsg_end_decode(&f, &e) == -1 || !z->tx)
			abort();
		break;
	case MSG_SMTP_RSET:
		if (smtpmsg_rset_decode(&f) == -1 || !z->tx)
			abort();
		z->tx = 0;
		z->rcpts = 0;
		break;
	default:
		abort();
	}
	return f.type;
}

static int
fz_answer(struct fz *z, int type)
{
	struct smtpmsg_answer a;
	struct frame f, g;

	memset(&a, 0, sizeof(a));
	a.verdict = fz_peek(z) % 13;
	if (a.verdict == 12)
		a.verdict = 0xffffffffU;
	if (type == MSG_SMTP_END)
		memcpy(a.text, "00112233445566ff", 17);
	if (smtpmsg_answer_encode(&f, type, &a) == -1 ||
	    frame_parse(&g, f.buf, f.len) == -1)
		abort();
	if (a.verdict == SMTPV_OK && type == MSG_SMTP_MAIL)
		z->tx = 1;
	if (a.verdict == SMTPV_OK && type == MSG_SMTP_RCPT)
		z->rcpts++;
	if (type == MSG_SMTP_END) {
		/* a refused BDAT that was not the last keeps the engine's
		 * transaction, but the broker's is over either way */
		z->tx = 0;
		z->rcpts = 0;
	}
	return smtp_engine.answer(z->st, &g);
}

static int
fz_login(struct fz *z)
{
	const struct role_login *l = smtp_engine.login(z->st);
	int a;

	if (!rolemsg_user_ok(l->user, strlen(l->user)) ||
	    l->secretlen == 0 || l->secretlen > sizeof(l->secret) ||
	    (strcmp(l->mech, "plain") != 0 && strcmp(l->mech, "login") != 0))
		abort();
	a = smtp_engine.login_result(z->st, fz_peek(z) % 3);
	if (smtp_engine.login(z->st)->secretlen != 0)
		abort();
	return a;
}

static void
fz_act(struct fz *z, int a)
{
	switch (a) {
	case SKEL_LOGIN:
		a = fz_login(z);
		break;
	case SKEL_ASK:
		a = fz_answer(z, fz_frame(z));
		break;
	case SKEL_TELL:
		fz_frame(z);
		fz_output(z, -1);
		return;
	case SKEL_STARTTLS:
		fz_output(z, 1);
		z->len = 0;
		smtp_engine.tls_started(z->st, "TLSv1.3 FUZZ");
		fz_output(z, -1);
		return;
	case SKEL_REPLY:
	case SKEL_QUIT:
		break;
	default:
		abort();
	}
	if (a != SKEL_REPLY && a != SKEL_QUIT)
		abort();
	fz_output(z, 1);
	if (a == SKEL_QUIT)
		z->closed = 1;
}

/* fz_run: the engine on in[0..len), fed step octets at a time. */
static void
fz_run(int submission, const uint8_t *in, size_t len, size_t step)
{
	static uint8_t buf[1 << 16];
	struct fz z;
	size_t have = 0, used, k;
	int a, idle = 0;

	memset(&z, 0, sizeof(z));
	if ((z.st = calloc(1, smtp_engine.state_size)) == NULL)
		abort();
	smtp_engine.configure(z.st, &cfg, submission);
	if (submission)
		smtp_engine.tls_started(z.st, "TLSv1.3 FUZZ");
	smtp_engine.init(z.st);
	fz_output(&z, 1);
	while (!z.closed && (len > 0 || have > 0)) {
		k = len < step ? len : step;
		if (k > sizeof(buf) - have)
			k = sizeof(buf) - have;
		memcpy(buf + have, in, k);
		have += k;
		in += k;
		len -= k;
		while (!z.closed && have > 0) {
			z.in = buf;
			z.len = have;
			used = smtp_engine.feed(z.st, buf, have, &a);
			if (used > have)
				abort();
			idle = used == 0 ? idle + 1 : 0;
			if (idle > 2)
				abort();
			memmove(buf, buf + used, have - used);
			have -= used;
			z.in = buf;
			z.len = have;
			if (a == SKEL_MORE) {
				fz_output(&z, -1);
				if (used == 0)
					abort();
				continue;
			}
			fz_act(&z, a);
			have = z.len;
		}
	}
	smtp_engine.wipe(z.st);
	free(z.st);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char tls[] = "EHLO f\r\nSTARTTLS\r\n";
	static uint8_t pre[1 << 16];
	size_t step;

	if (size < 1 || size > sizeof(pre) - sizeof(tls))
		return 0;
	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.hostname, "mx.example.org", 15);
	cfg.smtp_max_message_size = (data[0] & 1) ? 64 : 1000000;
	cfg.smtp_max_recipients = (data[0] & 2) ? 1 : 100;
	cfg.smtp_require_tls = (data[0] & 4) != 0;
	step = (data[0] & 0x18) == 0 ? size : (data[0] & 0x18) == 8 ? 1 :
	    (data[0] & 0x18) == 0x10 ? 5 : 64;
	data++;
	size--;
	fz_run(0, data, size, step);
	fz_run(1, data, size, step);
	memcpy(pre, tls, sizeof(tls) - 1);
	memcpy(pre + sizeof(tls) - 1, data, size);
	fz_run(0, pre, size + sizeof(tls) - 1, step);
	return 0;
}
