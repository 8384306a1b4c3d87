/*
 * fuzz_imappre.c: libFuzzer target for imapd's pre-auth engine
 * (imapd/preauth.c) fed the whole input as a byte stream, as the net
 * role feeds it: the command reader, the parser in the not-authenticated
 * state, LOGIN and AUTHENTICATE PLAIN with continuations.  Login
 * verdicts come from the input too.  Checks the engine's invariants
 * (every reply a whole CRLF-terminated line, credentials present when a
 * login is asked for and wiped after its result) and aborts on a
 * violation.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imapd/preauth.h"

static void
fuzz_check(struct imap_pre *p, int a)
{
	const char *out;
	size_t len;

	if (a == SKEL_LOGIN && (p->cred.user[0] == '\0' ||
	    (strcmp(p->cred.mech, "login") != 0 &&
	    strcmp(p->cred.mech, "plain") != 0) ||
	    p->cred.handoverlen == 0 || p->cred.handoverlen > IMAP_TAG_MAX))
		abort();
	out = imap_pre_output(p, &len);
	if (len > IMAP_PRE_OUT_MAX || (len > 0 &&
	    (len < 3 || memcmp(out + len - 2, "\r\n", 2) != 0)))
		abort();
	if ((a == SKEL_REPLY || a == SKEL_QUIT) && len == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct imap_pre p;
	size_t used;
	int a;

	imap_pre_init(&p);
	fuzz_check(&p, SKEL_REPLY);
	while (size > 0) {
		used = imap_pre_feed(&p, data, size, &a);
		if (used > size)
			abort();
		data += used;
		size -= used;
		fuzz_check(&p, a);
		if (a == SKEL_LOGIN) {
			a = imap_pre_login_result(&p, size > 0 ? data[0] % 4 :
			    0);
			if (p.cred.secretlen != 0 || p.cred.user[0] != '\0')
				abort();
			fuzz_check(&p, a);
		}
		if (a == SKEL_QUIT || a == SKEL_AUTHED)
			imap_pre_init(&p);
		else if (a == SKEL_MORE && used == 0)
			break;
	}
	imap_pre_wipe(&p);
	return 0;
}
