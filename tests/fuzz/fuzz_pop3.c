/*
 * fuzz_pop3.c: libFuzzer target for the code in pop3d that reads a
 * client's bytes before and after login: the command parser in both
 * states, the SASL PLAIN decoder, the line splitter and the
 * AUTHORIZATION engine fed the whole input as a byte stream.  Login
 * verdicts are taken from the input too, so every path of the engine is
 * reachable.  Checks the engine's output invariants and aborts on a
 * violation.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/sasl.h"
#include "pop3d/parse.h"
#include "pop3d/preauth.h"

static void
fuzz_parse(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data, *err;
	char azid[AUTH_USER_MAX], acid[AUTH_USER_MAX];
	uint8_t pw[AUTH_SECRET_MAX];
	struct pop3_cmd c;
	size_t pwlen;
	int st;

	for (st = POP3_AUTHORIZATION; st <= POP3_TRANSACTION; st <<= 1) {
		if (pop3_parse(line, size, st, &c, &err) == -1) {
			if (err == NULL || strlen(err) > 200)
				abort();
			continue;
		}
		if (c.verb < 0 || c.verb >= POP3_NVERBS || c.nargs < 0 ||
		    c.nargs > 2 || size > POP3_AUTH_LINE_MAX)
			abort();
		if (c.arg != NULL && (c.arg < line ||
		    c.arg + c.arglen > line + size))
			abort();
		if (c.arg2 != NULL && (c.arg2 < line ||
		    c.arg2 + c.arg2len > line + size))
			abort();
	}
	if (sasl_plain_decode(line, size, azid, sizeof(azid), acid,
	    sizeof(acid), pw, sizeof(pw), &pwlen) == 0) {
		if (pwlen == 0 || pwlen > sizeof(pw) || acid[0] == '\0' ||
		    (azid[0] != '\0' && strcmp(azid, acid) != 0))
			abort();
	}
}

static void
fuzz_check(const struct preauth *p, int a)
{
	if (p->outlen != strlen(p->out))
		abort();
	if ((a == PREAUTH_REPLY || a == PREAUTH_QUIT) && (p->outlen < 3 ||
	    memcmp(p->out + p->outlen - 2, "\r\n", 2) != 0))
		abort();
	if (a == PREAUTH_LOGIN && (p->user[0] == '\0' ||
	    p->secretlen == 0 || (strcmp(p->mech, "user") != 0 &&
	    strcmp(p->mech, "plain") != 0)))
		abort();
}

/* fuzz_engine: one line to the engine, a verdict from the input when it
 * asks for one; restart after it is done. */
static void
fuzz_engine(struct preauth *p, const char *line, size_t len, int toolong,
    uint8_t verdict)
{
	int a;

	a = toolong ? preauth_toolong(p) : preauth_line(p, line, len);
	fuzz_check(p, a);
	if (a == PREAUTH_LOGIN) {
		a = preauth_login_result(p, verdict % 4);
		fuzz_check(p, a);
		if (p->secretlen != 0)
			abort();
	}
	if (a == PREAUTH_QUIT || a == PREAUTH_AUTHED)
		preauth_init(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct preauth p;
	static struct pop3_line lb;
	const char *in = (const char *)data;
	size_t used, left = size;
	int st;

	fuzz_parse(data, size);
	preauth_init(&p);
	pop3_line_init(&lb, POP3_AUTH_LINE_MAX);
	while (left > 0) {
		st = pop3_line_feed(&lb, in, left, &used);
		if (used == 0 || used > left)
			abort();
		in += used;
		left -= used;
		if (st == POP3_LINE_MORE)
			continue;
		if (st == POP3_LINE_OK)
			fuzz_parse((const uint8_t *)lb.buf, lb.len);
		fuzz_engine(&p, lb.buf, lb.len, st == POP3_LINE_LONG,
		    left > 0 ? (uint8_t)in[0] : 0);
		pop3_line_wipe(&lb);
	}
	preauth_wipe(&p);
	return 0;
}
