/*
 * fuzz_pop3.c: libFuzzer target for the code in pop3d that reads a
 * client's bytes before and after login: the command parser in both
 * states, the SASL PLAIN decoder, the line splitter, and the
 * AUTHORIZATION engine fed the whole input as a byte stream through
 * preauth_feed, as the net role feeds it.  Login
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
	if (p->outlen != 0 && p->outlen != strlen(p->out))
		abort();
	if ((a == PREAUTH_REPLY || a == PREAUTH_QUIT) && (p->outlen < 3 ||
	    memcmp(p->out + p->outlen - 2, "\r\n", 2) != 0))
		abort();
	if (a == PREAUTH_LOGIN && (p->cred.user[0] == '\0' ||
	    p->cred.secretlen == 0 || (strcmp(p->cred.mech, "user") != 0 &&
	    strcmp(p->cred.mech, "plain") != 0)))
		abort();
}

/* fuzz_engine: the input to the engine as the net role feeds it, a
 * verdict from the next input byte when it asks for one; restart after
 * it is done. */
static void
fuzz_engine(struct preauth *p, const uint8_t *in, size_t left)
{
	size_t used;
	int a;

	preauth_init(p);
	while (left > 0) {
		used = preauth_feed(p, in, left, &a);
		if (used > left || (used == 0 && a == PREAUTH_MORE))
			abort();
		in += used;
		left -= used;
		fuzz_check(p, a);
		if (a == PREAUTH_LOGIN) {
			a = preauth_login_result(p, left > 0 ? in[0] % 4 : 0);
			fuzz_check(p, a);
			if (p->cred.secretlen != 0)
				abort();
		}
		(void)preauth_output(p, &used);
		if (a == PREAUTH_QUIT || a == PREAUTH_AUTHED)
			preauth_init(p);
	}
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
	pop3_line_init(&lb, POP3_AUTH_LINE_MAX);
	while (left > 0) {
		st = pop3_line_feed(&lb, in, left, &used);
		if (used == 0 || used > left)
			abort();
		in += used;
		left -= used;
		if (st == POP3_LINE_OK)
			fuzz_parse((const uint8_t *)lb.buf, lb.len);
		pop3_line_wipe(&lb);
	}
	fuzz_engine(&p, data, size);
	preauth_wipe(&p);
	return 0;
}
