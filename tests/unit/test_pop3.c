/*
 * test_pop3.c: unit tests of pop3d's protocol engines: the command
 * parser and line splitter (pop3d/parse.c), SASL PLAIN (common/sasl.c),
 * the AUTHORIZATION engine (pop3d/preauth.c) and the TRANSACTION/UPDATE
 * session (pop3d/session.c), the last one over a socketpair against a real
 * store in a temporary Maildir, run in a child process as pop3d runs it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/base64.h"
#include "common/log.h"
#include "common/sasl.h"
#include "common/store.h"
#include "pop3d/parse.h"
#include "pop3d/preauth.h"
#include "pop3d/session.h"
#include "tests/unit/check.h"

/* ---- parser ----------------------------------------------------------- */

struct ptest {
	const char	*line;
	int		 state;
	int		 verb;		/* -1: expect an error */
	const char	*err;
	int		 nargs;
	uint32_t	 n0, n1;
};

#define AU	POP3_AUTHORIZATION
#define TR	POP3_TRANSACTION

static const struct ptest ptests[] = {
	{ "CAPA", AU, POP3_CAPA, NULL, 0, 0, 0 },
	{ "capa", TR, POP3_CAPA, NULL, 0, 0, 0 },
	{ "CaPa  ", TR, POP3_CAPA, NULL, 0, 0, 0 },
	{ "CAPA x", AU, -1, "CAPA takes no arguments", 0, 0, 0 },
	{ "QUIT", AU, POP3_QUIT, NULL, 0, 0, 0 },
	{ "quit", TR, POP3_QUIT, NULL, 0, 0, 0 },
	{ "QUIT now", TR, -1, "QUIT takes no arguments", 0, 0, 0 },
	{ "USER alice@example.test", AU, POP3_USER, NULL, 1, 0, 0 },
	{ "USER", AU, -1, "USER needs a user name", 0, 0, 0 },
	{ "USER a b", AU, -1, "USER takes exactly one argument", 0, 0, 0 },
	{ "USER a\tb", AU, -1, "control character in argument", 0, 0, 0 },
	{ "USER a", TR, -1, "command not valid in this state", 0, 0, 0 },
	{ "PASS x y ", AU, POP3_PASS, NULL, 1, 0, 0 },
	{ "PASS", AU, -1, "PASS needs a password", 0, 0, 0 },
	{ "PASS ", AU, -1, "PASS needs a password", 0, 0, 0 },
	{ "PASS x", TR, -1, "command not valid in this state", 0, 0, 0 },
	{ "AUTH", AU, POP3_AUTH, NULL, 0, 0, 0 },
	{ "AUTH PLAIN", AU, POP3_AUTH, NULL, 1, 0, 0 },
	{ "AUTH PLAIN AGFAYgBj", AU, POP3_AUTH, NULL, 2, 0, 0 },
	{ "AUTH PLAIN a b", AU, -1, "AUTH takes at most two arguments", 0, 0,
	    0 },
	{ "AUTH PLAIN", TR, -1, "command not valid in this state", 0, 0, 0 },
	{ "STAT", TR, POP3_STAT, NULL, 0, 0, 0 },
	{ "STAT", AU, -1, "command not valid in this state", 0, 0, 0 },
	{ "STAT 1", TR, -1, "STAT takes no arguments", 0, 0, 0 },
	{ "LIST", TR, POP3_LIST, NULL, 0, 0, 0 },
	{ "LIST 1", TR, POP3_LIST, NULL, 1, 1, 0 },
	{ "list   7  ", TR, POP3_LIST, NULL, 1, 7, 0 },
	{ "LIST 2147483647", TR, POP3_LIST, NULL, 1, 2147483647U, 0 },
	{ "LIST 0002", TR, POP3_LIST, NULL, 1, 2, 0 },
	{ "LIST 1 2", TR, -1, "LIST takes at most one argument", 0, 0, 0 },
	{ "LIST 0", TR, -1, "message number must be a positive decimal number",
	    0, 0, 0 },
	{ "LIST -1", TR, -1,
	    "message number must be a positive decimal number", 0, 0, 0 },
	{ "LIST +1", TR, -1,
	    "message number must be a positive decimal number", 0, 0, 0 },
	{ "LIST 1x", TR, -1,
	    "message number must be a positive decimal number", 0, 0, 0 },
	{ "LIST 0x10", TR, -1,
	    "message number must be a positive decimal number", 0, 0, 0 },
	{ "LIST 2147483648", TR, -1, "message number too large", 0, 0, 0 },
	{ "LIST 99999999999999999999999", TR, -1, "message number too large",
	    0, 0, 0 },
	{ "LIST", AU, -1, "command not valid in this state", 0, 0, 0 },
	{ "UIDL", TR, POP3_UIDL, NULL, 0, 0, 0 },
	{ "UIDL 3", TR, POP3_UIDL, NULL, 1, 3, 0 },
	{ "UIDL 3 4", TR, -1, "UIDL takes at most one argument", 0, 0, 0 },
	{ "RETR 5", TR, POP3_RETR, NULL, 1, 5, 0 },
	{ "RETR", TR, -1, "RETR needs a message number", 0, 0, 0 },
	{ "RETR 1 2", TR, -1, "RETR takes exactly one argument", 0, 0, 0 },
	{ "RETR 0", TR, -1,
	    "message number must be a positive decimal number", 0, 0, 0 },
	{ "DELE 9", TR, POP3_DELE, NULL, 1, 9, 0 },
	{ "DELE", TR, -1, "DELE needs a message number", 0, 0, 0 },
	{ "DELE 1 1", TR, -1, "DELE takes exactly one argument", 0, 0, 0 },
	{ "NOOP", TR, POP3_NOOP, NULL, 0, 0, 0 },
	{ "NOOP 1", TR, -1, "NOOP takes no arguments", 0, 0, 0 },
	{ "NOOP", AU, -1, "command not valid in this state", 0, 0, 0 },
	{ "RSET", TR, POP3_RSET, NULL, 0, 0, 0 },
	{ "RSET x", TR, -1, "RSET takes no arguments", 0, 0, 0 },
	{ "TOP 1 0", TR, POP3_TOP, NULL, 2, 1, 0 },
	{ "top 3 2147483647", TR, POP3_TOP, NULL, 2, 3, 2147483647U },
	{ "TOP 1", TR, -1, "TOP needs a message number and a line count", 0,
	    0, 0 },
	{ "TOP 1 2 3", TR, -1, "TOP takes exactly two arguments", 0, 0, 0 },
	{ "TOP 0 1", TR, -1,
	    "message number must be a positive decimal number", 0, 0, 0 },
	{ "TOP 1 -1", TR, -1,
	    "line count must be a non-negative decimal number", 0, 0, 0 },
	{ "TOP 1 2147483648", TR, -1, "line count too large", 0, 0, 0 },
	{ "", TR, -1, "empty command", 0, 0, 0 },
	{ " STAT", TR, -1, "empty command", 0, 0, 0 },
	{ "STATUS", TR, -1, "unknown command", 0, 0, 0 },
	{ "ST", TR, -1, "unknown command", 0, 0, 0 },
	{ "STLS", AU, -1, "unknown command", 0, 0, 0 },
	{ "APOP a b", AU, -1, "unknown command", 0, 0, 0 },
	{ "STAT\t", TR, -1, "unknown command", 0, 0, 0 },
	{ "LIST\r", TR, -1, "unknown command", 0, 0, 0 },
};

static void
test_parse_table(void)
{
	struct pop3_cmd c;
	const char *err;
	char desc[160];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(ptests) / sizeof(ptests[0]); i++) {
		const struct ptest *t = &ptests[i];

		err = NULL;
		rc = pop3_parse(t->line, strlen(t->line), t->state, &c, &err);
		snprintf(desc, sizeof(desc), "parse \"%s\" in %s", t->line,
		    t->state == AU ? "AUTHORIZATION" : "TRANSACTION");
		if (t->verb == -1) {
			CHECK_INT_EQ(rc, -1, desc);
			CHECK_STR_EQ(err, t->err, desc);
			continue;
		}
		CHECK_INT_EQ(rc, 0, desc);
		CHECK_INT_EQ(c.verb, t->verb, desc);
		CHECK_INT_EQ(c.nargs, t->nargs, desc);
		if (t->verb != POP3_USER && t->verb != POP3_PASS &&
		    t->verb != POP3_AUTH && t->nargs > 0) {
			CHECK_INT_EQ(c.num[0], t->n0, desc);
			CHECK_INT_EQ(c.num[1], t->n1, desc);
		}
	}
}

static void
test_parse_args(void)
{
	struct pop3_cmd c;
	const char *err;
	const char *l;

	l = "PASS  two  spaces ";
	CHECK_INT_EQ(pop3_parse(l, strlen(l), AU, &c, &err), 0, "PASS parses");
	CHECK_TRUE(c.arglen == 13 && memcmp(c.arg, " two  spaces ", 13) == 0,
	    "PASS keeps leading, inner and trailing spaces");
	l = "USER bob@x.test";
	CHECK_INT_EQ(pop3_parse(l, strlen(l), AU, &c, &err), 0, "USER parses");
	CHECK_TRUE(c.arglen == 10 && memcmp(c.arg, "bob@x.test", 10) == 0,
	    "USER argument");
	l = "auth plain dGVzdA==";
	CHECK_INT_EQ(pop3_parse(l, strlen(l), AU, &c, &err), 0, "AUTH parses");
	CHECK_TRUE(c.arglen == 5 && memcmp(c.arg, "plain", 5) == 0,
	    "AUTH mechanism");
	CHECK_TRUE(c.arg2len == 8 && memcmp(c.arg2, "dGVzdA==", 8) == 0,
	    "AUTH initial response");
	CHECK_INT_EQ(pop3_parse("LIST\0 1", 7, TR, &c, &err), -1,
	    "NUL refused");
	CHECK_STR_EQ(err, "NUL byte in command", "NUL reason");
	CHECK_INT_EQ(pop3_parse("PASS a\0b", 8, AU, &c, &err), -1,
	    "NUL in password refused");
	CHECK_STR_EQ(pop3_verb_name(POP3_TOP), "TOP", "verb name");
}

static void
test_parse_lengths(void)
{
	char line[POP3_AUTH_LINE_MAX + 10];
	struct pop3_cmd c;
	const char *err;

	memset(line, 'a', sizeof(line));
	memcpy(line, "PASS ", 5);
	CHECK_INT_EQ(pop3_parse(line, 255, AU, &c, &err), 0,
	    "255-octet command accepted");
	CHECK_INT_EQ(pop3_parse(line, 256, AU, &c, &err), -1,
	    "256-octet command refused");
	CHECK_STR_EQ(err, "line too long", "256 reason");
	memcpy(line, "AUTH PLAIN ", 11);
	CHECK_INT_EQ(pop3_parse(line, 1024, AU, &c, &err), 0,
	    "1024-octet AUTH line accepted");
	CHECK_INT_EQ(pop3_parse(line, 1025, AU, &c, &err), -1,
	    "1025-octet AUTH line refused");
	CHECK_STR_EQ(err, "line too long", "1025 reason");
	memcpy(line, "XXXX ", 5);
	CHECK_INT_EQ(pop3_parse(line, 300, AU, &c, &err), -1,
	    "long unknown line refused");
}

static void
test_capa(void)
{
	const char *a = pop3_capa(AU), *t = pop3_capa(TR);

	CHECK_TRUE(strncmp(a, "+OK", 3) == 0, "CAPA starts +OK");
	CHECK_TRUE(strstr(a, "\r\nSASL PLAIN\r\n") != NULL, "CAPA has SASL");
	CHECK_TRUE(strstr(a, "\r\nUSER\r\n") != NULL, "CAPA has USER");
	CHECK_TRUE(strstr(a, "STLS") == NULL, "no STLS");
	CHECK_TRUE(strstr(a, "\r\nIMPLEMENTATION postern\r\n") != NULL,
	    "CAPA IMPLEMENTATION");
	CHECK_TRUE(strstr(a, "\r\nEXPIRE NEVER\r\n") != NULL &&
	    strstr(a, "\r\nLOGIN-DELAY 0\r\n") != NULL &&
	    strstr(a, "\r\nTOP\r\n") != NULL && strstr(a, "\r\nUIDL\r\n") &&
	    strstr(a, "\r\nRESP-CODES\r\n") && strstr(a, "AUTH-RESP-CODE") &&
	    strstr(a, "\r\nPIPELINING\r\n"), "CAPA lists the rest");
	CHECK_TRUE(strlen(a) > 5 && strcmp(a + strlen(a) - 5, "\r\n.\r\n") == 0,
	    "CAPA ends with a dot");
	CHECK_TRUE(strstr(t, "SASL") == NULL && strstr(t, "USER") == NULL,
	    "TRANSACTION CAPA drops USER and SASL");
}

/* ---- line splitter ------------------------------------------------- */

static int
feed_all(struct pop3_line *lb, const char *in, size_t len, size_t *used)
{
	return pop3_line_feed(lb, in, len, used);
}

static void
test_lines(void)
{
	struct pop3_line lb;
	char big[600];
	size_t used;
	const char *in = "STAT\r\nNO";

	pop3_line_init(&lb, POP3_LINE_MAX);
	CHECK_INT_EQ(feed_all(&lb, in, strlen(in), &used), POP3_LINE_OK,
	    "first line");
	CHECK_INT_EQ(used, 6, "consumed through LF");
	CHECK_STR_EQ(lb.buf, "STAT", "CR stripped");
	CHECK_INT_EQ(feed_all(&lb, in + 6, 2, &used), POP3_LINE_MORE,
	    "partial line");
	CHECK_INT_EQ(feed_all(&lb, "OP\n", 3, &used), POP3_LINE_OK,
	    "rest of line, lone LF");
	CHECK_STR_EQ(lb.buf, "NOOP", "joined line");

	memset(big, 'x', sizeof(big));
	big[255] = '\r';
	big[256] = '\n';
	CHECK_INT_EQ(feed_all(&lb, big, 257, &used), POP3_LINE_OK,
	    "255 octets + CRLF fit");
	CHECK_INT_EQ(lb.len, 255, "255 length");
	big[255] = 'x';
	big[256] = '\r';
	big[257] = '\n';
	CHECK_INT_EQ(feed_all(&lb, big, 258, &used), POP3_LINE_LONG,
	    "256 octets + CRLF too long");
	CHECK_INT_EQ(used, 258, "long line consumed");
	CHECK_INT_EQ(feed_all(&lb, big, 200, &used), POP3_LINE_MORE,
	    "long line, part 1");
	CHECK_INT_EQ(feed_all(&lb, big, 200, &used), POP3_LINE_MORE,
	    "long line, part 2");
	CHECK_INT_EQ(feed_all(&lb, "yy\r\n", 4, &used), POP3_LINE_LONG,
	    "long line reported at its LF");
	CHECK_INT_EQ(feed_all(&lb, "QUIT\r\n", 6, &used), POP3_LINE_OK,
	    "framing resumes");
	CHECK_STR_EQ(lb.buf, "QUIT", "line after long line");
	pop3_line_wipe(&lb);
	CHECK_INT_EQ(lb.len, 0, "wiped");
}

/* ---- SASL PLAIN ----------------------------------------------------- */

static int
plain(const char *msg, size_t n, char *azid, char *acid, uint8_t *pw,
    size_t *pwlen)
{
	char b64[4096];

	base64_encode((const uint8_t *)msg, n, b64, sizeof(b64));
	return sasl_plain_decode(b64, strlen(b64), azid, AUTH_USER_MAX, acid,
	    AUTH_USER_MAX, pw, AUTH_SECRET_MAX, pwlen);
}

static void
test_sasl(void)
{
	char azid[AUTH_USER_MAX], acid[AUTH_USER_MAX], big[1200];
	uint8_t pw[AUTH_SECRET_MAX];
	size_t pwlen = 0;

	CHECK_INT_EQ(plain("\0alice\0pw 1", 11, azid, acid, pw, &pwlen), 0,
	    "PLAIN without authzid");
	CHECK_STR_EQ(acid, "alice", "authcid");
	CHECK_STR_EQ(azid, "", "empty authzid");
	CHECK_TRUE(pwlen == 4 && memcmp(pw, "pw 1", 4) == 0, "password");
	CHECK_INT_EQ(plain("alice\0alice\0pw", 14, azid, acid, pw, &pwlen), 0,
	    "authzid equal to authcid");
	CHECK_STR_EQ(azid, "alice", "authzid");
	CHECK_INT_EQ(plain("bob\0alice\0pw", 12, azid, acid, pw, &pwlen),
	    SASL_OTHER_USER, "authzid mismatch refused");
	CHECK_TRUE(pw[0] == 0 && acid[0] == '\0', "outputs wiped on failure");
	CHECK_INT_EQ(plain("alicx\0alice\0pw", 14, azid, acid, pw, &pwlen),
	    SASL_OTHER_USER, "same-length authzid mismatch refused");
	CHECK_INT_EQ(plain("alice\0pw", 8, azid, acid, pw, &pwlen), -1,
	    "one NUL refused");
	CHECK_INT_EQ(plain("alicepw", 7, azid, acid, pw, &pwlen), -1,
	    "no NUL refused");
	CHECK_INT_EQ(plain("\0\0pw", 4, azid, acid, pw, &pwlen), -1,
	    "empty authcid refused");
	CHECK_INT_EQ(plain("\0alice\0", 7, azid, acid, pw, &pwlen), -1,
	    "empty password refused");
	CHECK_INT_EQ(plain("\0al\0ice\0pw", 10, azid, acid, pw, &pwlen), -1,
	    "NUL in user refused");
	CHECK_INT_EQ(plain("\0alice\0p\0w", 10, azid, acid, pw, &pwlen), -1,
	    "NUL in password refused");
	CHECK_INT_EQ(sasl_plain_decode("AGFsaWNlAHB3=", 13, azid, sizeof(azid),
	    acid, sizeof(acid), pw, sizeof(pw), &pwlen), -1,
	    "bad base64 length refused");
	CHECK_INT_EQ(sasl_plain_decode("AGFs aWNlAHB3", 13, azid,
	    sizeof(azid), acid, sizeof(acid), pw, sizeof(pw), &pwlen), -1,
	    "base64 with a blank refused");
	CHECK_INT_EQ(sasl_plain_decode("", 0, azid, sizeof(azid), acid,
	    sizeof(acid), pw, sizeof(pw), &pwlen), -1, "empty refused");
	CHECK_INT_EQ(sasl_plain_decode("AGFsaWNlAHB3", 12, azid, sizeof(azid),
	    acid, 5, pw, sizeof(pw), &pwlen), -1,
	    "authcid too long for its buffer");
	CHECK_INT_EQ(sasl_plain_decode("AGFsaWNlAHB3", 12, azid, sizeof(azid),
	    acid, 6, pw, 1, &pwlen), -1, "password too long for its buffer");
	CHECK_INT_EQ(sasl_plain_decode("AGFsaWNlAHB3", 12, azid, sizeof(azid),
	    acid, 6, pw, 2, &pwlen), 0, "exact fit");
	memset(big, 'u', sizeof(big));
	big[0] = '\0';
	big[600] = '\0';
	CHECK_INT_EQ(plain(big, sizeof(big), azid, acid, pw, &pwlen), -1,
	    "oversized authcid refused");
}

/* ---- preauth --------------------------------------------------------- */

static int
pa(struct preauth *p, const char *line)
{
	return preauth_line(p, line, strlen(line));
}

static void
test_preauth_user(void)
{
	struct preauth p;

	preauth_init(&p);
	CHECK_STR_EQ(p.out, "+OK postern POP3 server ready\r\n", "greeting");
	CHECK_INT_EQ(p.outlen, strlen(p.out), "outlen");
	CHECK_INT_EQ(pa(&p, "CAPA"), PREAUTH_REPLY, "CAPA");
	CHECK_STR_EQ(p.out, pop3_capa(POP3_AUTHORIZATION), "CAPA text");
	CHECK_INT_EQ(pa(&p, "PASS secret"), PREAUTH_REPLY, "PASS alone");
	CHECK_STR_EQ(p.out, "-ERR PASS must follow USER\r\n", "PASS reason");
	CHECK_INT_EQ(pa(&p, "USER alice@example.test"), PREAUTH_REPLY, "USER");
	CHECK_STR_EQ(p.out, "+OK send PASS\r\n", "USER reply");
	CHECK_INT_EQ(pa(&p, "PASS  my secret"), PREAUTH_LOGIN, "PASS");
	CHECK_STR_EQ(p.cred.mech, "user", "mech user");
	CHECK_STR_EQ(p.cred.user, "alice@example.test", "user");
	CHECK_TRUE(p.cred.secretlen == 10 && memcmp(p.cred.secret, " my secret", 10) == 0,
	    "secret verbatim");
	CHECK_INT_EQ(preauth_login_result(&p, AUTH_FAIL_PERM), PREAUTH_REPLY,
	    "failure reply");
	CHECK_STR_EQ(p.out, "-ERR [AUTH] Authentication failed\r\n",
	    "perm failure text");
	CHECK_TRUE(p.cred.secretlen == 0 && p.cred.secret[0] == 0 && p.cred.user[0] == '\0',
	    "secret wiped");
	CHECK_INT_EQ(pa(&p, "USER bob@example.test"), PREAUTH_REPLY, "USER 2");
	CHECK_INT_EQ(pa(&p, "CAPA"), PREAUTH_REPLY, "CAPA in between");
	CHECK_INT_EQ(pa(&p, "PASS x"), PREAUTH_REPLY,
	    "PASS not right after USER");
	CHECK_STR_EQ(p.out, "-ERR PASS must follow USER\r\n", "reason");
	CHECK_INT_EQ(pa(&p, "STAT"), PREAUTH_REPLY, "STAT");
	CHECK_STR_EQ(p.out, "-ERR command not valid in this state\r\n",
	    "STAT refused");
	CHECK_INT_EQ(pa(&p, "USER bob@example.test"), PREAUTH_REPLY, "USER 3");
	CHECK_INT_EQ(pa(&p, "PASS pw"), PREAUTH_LOGIN, "PASS 3");
	CHECK_INT_EQ(preauth_login_result(&p, AUTH_FAIL_TEMP), PREAUTH_REPLY,
	    "temp failure");
	CHECK_STR_EQ(p.out, "-ERR [SYS/TEMP] Try again later\r\n",
	    "temp failure text");
	CHECK_INT_EQ(pa(&p, "USER bob@example.test"), PREAUTH_REPLY, "USER 4");
	CHECK_INT_EQ(pa(&p, "PASS pw"), PREAUTH_LOGIN, "PASS 4");
	CHECK_INT_EQ(preauth_login_result(&p, AUTH_OK), PREAUTH_AUTHED,
	    "success");
	CHECK_INT_EQ(p.outlen, 0, "no reply on success");
	CHECK_INT_EQ(p.cred.secretlen, 0, "secret wiped after success");
	preauth_wipe(&p);
}

static void
test_preauth_plain(void)
{
	struct preauth p;
	char b64[2048], msg[700];

	preauth_init(&p);
	CHECK_INT_EQ(pa(&p, "AUTH"), PREAUTH_REPLY, "AUTH lists");
	CHECK_STR_EQ(p.out, "+OK\r\nPLAIN\r\n.\r\n", "mechanism list");
	CHECK_INT_EQ(pa(&p, "AUTH CRAM-MD5"), PREAUTH_REPLY, "unknown mech");
	CHECK_STR_EQ(p.out, "-ERR unsupported authentication mechanism\r\n",
	    "unknown mech text");
	CHECK_INT_EQ(pa(&p, "AUTH PLAIN AGFsaWNlAHB3"), PREAUTH_LOGIN,
	    "initial response");
	CHECK_STR_EQ(p.cred.mech, "plain", "mech plain");
	CHECK_STR_EQ(p.cred.user, "alice", "PLAIN user");
	CHECK_TRUE(p.cred.secretlen == 2 && memcmp(p.cred.secret, "pw", 2) == 0,
	    "PLAIN secret");
	CHECK_INT_EQ(preauth_login_result(&p, AUTH_FAIL_PERM), PREAUTH_REPLY,
	    "failure 1");
	CHECK_INT_EQ(pa(&p, "auth plain"), PREAUTH_REPLY, "continuation asked");
	CHECK_STR_EQ(p.out, "+ \r\n", "empty challenge");
	CHECK_INT_EQ(pa(&p, "*"), PREAUTH_REPLY, "cancel");
	CHECK_STR_EQ(p.out, "-ERR authentication cancelled\r\n", "cancel text");
	CHECK_INT_EQ(pa(&p, "AUTH PLAIN"), PREAUTH_REPLY, "continuation 2");
	memset(msg, 'a', sizeof(msg));
	msg[0] = '\0';
	msg[200] = '\0';
	base64_encode((uint8_t *)msg, sizeof(msg), b64, sizeof(b64));
	CHECK_TRUE(strlen(b64) > 255, "long continuation line");
	CHECK_INT_EQ(pa(&p, b64), PREAUTH_LOGIN, "continuation response");
	CHECK_INT_EQ(strlen(p.cred.user), 199, "long user");
	CHECK_INT_EQ(p.cred.secretlen, 499, "long secret");
	CHECK_INT_EQ(preauth_login_result(&p, AUTH_OK), PREAUTH_AUTHED,
	    "success via continuation");
	preauth_wipe(&p);
}

static void
test_preauth_limits(void)
{
	struct preauth p;
	int i, a = 0;

	preauth_init(&p);
	CHECK_INT_EQ(pa(&p, "AUTH PLAIN !!!!"), PREAUTH_REPLY, "bad base64");
	CHECK_STR_EQ(p.out, "-ERR malformed SASL PLAIN response\r\n",
	    "bad base64 text");
	CHECK_INT_EQ(pa(&p, "AUTH PLAIN ="), PREAUTH_REPLY, "empty response");
	CHECK_INT_EQ(pa(&p, "USER a@b.c"), PREAUTH_REPLY, "USER");
	CHECK_INT_EQ(pa(&p, "PASS x"), PREAUTH_LOGIN, "PASS");
	CHECK_INT_EQ(preauth_login_result(&p, AUTH_FAIL_PERM), PREAUTH_QUIT,
	    "third failure closes");
	CHECK_STR_EQ(p.out, "-ERR [AUTH] Too many failures\r\n",
	    "too many failures text");
	CHECK_INT_EQ(p.close, 1, "close flag set");

	preauth_init(&p);
	CHECK_INT_EQ(preauth_toolong(&p), PREAUTH_REPLY, "too long");
	CHECK_STR_EQ(p.out, "-ERR line too long\r\n", "too long text");
	CHECK_INT_EQ(pa(&p, "QUIT"), PREAUTH_QUIT, "QUIT");
	CHECK_STR_EQ(p.out, "+OK postern POP3 server signing off\r\n",
	    "QUIT text");

	preauth_init(&p);
	for (i = 0; i < POP3_MAX_ERRORS; i++)
		if ((a = pa(&p, "BOGUS")) != PREAUTH_REPLY)
			break;
	CHECK_INT_EQ(i, POP3_MAX_ERRORS - 1, "errors counted");
	CHECK_INT_EQ(a, PREAUTH_QUIT, "too many errors closes");
	CHECK_STR_EQ(p.out, "-ERR too many errors\r\n", "errors text");

	preauth_init(&p);
	for (i = 0; i < POP3_MAX_ERRORS - 1; i++)
		pa(&p, "BOGUS");
	CHECK_INT_EQ(pa(&p, "CAPA"), PREAUTH_REPLY, "success resets errors");
	CHECK_INT_EQ(pa(&p, "BOGUS"), PREAUTH_REPLY, "errors restart");
}

/* ---- session over a socketpair with a real store --------------------- */

static char maildir[256];

struct client {
	int	 fd;
	pid_t	 pid;
	char	*buf;
	size_t	 len, cap;
};

static void
client_fill(struct client *c)
{
	ssize_t n;

	if (c->cap - c->len < 65536) {
		c->cap = c->cap * 2 + 65536;
		if ((c->buf = realloc(c->buf, c->cap)) == NULL)
			abort();
	}
	n = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
	if (n <= 0) {
		printf("# client_fill: EOF or error\n");
		return;
	}
	c->len += (size_t)n;
}

/* client_find: wait until end is in the buffer; its offset, or -1 at
 * EOF. */
static long
client_find(struct client *c, const char *end)
{
	char *p;
	size_t before;

	for (;;) {
		p = memmem(c->buf, c->len, end, strlen(end));
		if (p != NULL)
			return p - c->buf;
		before = c->len;
		client_fill(c);
		if (c->len == before)
			return -1;
	}
}

/* client_take: everything through the first end; caller frees. */
static char *
client_take(struct client *c, const char *end)
{
	long off;
	size_t n;
	char *r;

	if ((off = client_find(c, end)) == -1)
		return strdup("");
	n = (size_t)off + strlen(end);
	if ((r = malloc(n + 1)) == NULL)
		abort();
	memcpy(r, c->buf, n);
	r[n] = '\0';
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	return r;
}

static char *
client_line(struct client *c)
{
	return client_take(c, "\r\n");
}

/* client_multi: one reply; through the terminating dot when +OK. */
static char *
client_multi(struct client *c)
{
	if (client_find(c, "\r\n") == -1 || c->len < 3 ||
	    memcmp(c->buf, "+OK", 3) != 0)
		return client_line(c);
	return client_take(c, "\r\n.\r\n");
}

static void
client_send(struct client *c, const char *s)
{
	size_t n = strlen(s);

	if (write(c->fd, s, n) != (ssize_t)n)
		printf("# client_send: short write\n");
}

/* cmd: send one command, return its (possibly multi-line) reply. */
static char *
cmd(struct client *c, const char *line, int multi)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s\r\n", line);
	client_send(c, buf);
	return multi ? client_multi(c) : client_line(c);
}

static void
check_cmd(struct client *c, const char *line, int multi, const char *want,
    const char *desc)
{
	char *r = cmd(c, line, multi);

	CHECK_STR_EQ(r, want, desc);
	free(r);
}

static void
session_child(int fd)
{
	struct session_ctl ctl = { -1, -1, NULL, NULL };
	struct store *s;
	char err[256];
	int rc;

	if (store_open(&s, maildir, err, sizeof(err)) == -1) {
		printf("# store_open: %s\n", err);
		_exit(3);
	}
	rc = session_run(fd, s, NULL, &ctl);
	store_close(s);
	_exit(rc == -1 ? 2 : rc);
}

static void
client_start(struct client *c)
{
	int sp[2];

	memset(c, 0, sizeof(*c));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
		abort();
	fflush(stdout);
	if ((c->pid = fork()) == -1)
		abort();
	if (c->pid == 0) {
		close(sp[0]);
		session_child(sp[1]);
	}
	close(sp[1]);
	c->fd = sp[0];
	c->cap = 65536;
	if ((c->buf = malloc(c->cap)) == NULL)
		abort();
}

/* client_end: close our side; the child's exit status. */
static int
client_end(struct client *c)
{
	int status;

	close(c->fd);
	free(c->buf);
	if (waitpid(c->pid, &status, 0) == -1 || !WIFEXITED(status))
		return -100;
	return WEXITSTATUS(status);
}

/* The messages we deliver, as sent. */
static const char msg1[] = "Subject: one\r\nFrom: a@b.test\r\n\r\n"
    "Hello\r\n.dot line\r\n..two dots\r\n.\r\nlast\r\n";
static const char msg2[] = "Subject: two\n\nbody1\nbody2\nbody3\n";
static const char msg4[] = "Subject: four\n\nno final newline";
static char *msg3;
static size_t msg3len;

/* wire: what RETR sends for a message: CRLF line ends, dot-stuffed, a
 * CRLF added when the last line lacks one, then ".\r\n". */
static char *
wire(const char *m, size_t n, size_t *outn)
{
	char *o = malloc(2 * n + 8);
	size_t i, k = 0;
	int bol = 1;

	if (o == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (m[i] == '\r' && i + 1 < n && m[i + 1] == '\n')
			continue;
		if (bol && m[i] == '.')
			o[k++] = '.';
		if (m[i] == '\n')
			o[k++] = '\r';
		o[k++] = m[i];
		bol = m[i] == '\n';
	}
	if (!bol) {
		o[k++] = '\r';
		o[k++] = '\n';
	}
	memcpy(o + k, ".\r\n", 4);
	*outn = k + 3;
	return o;
}

static void
make_msg3(void)
{
	size_t cap = 1100000, i = 0;
	int line = 0;

	if ((msg3 = malloc(cap)) == NULL)
		abort();
	i += (size_t)snprintf(msg3, cap, "Subject: big\nX-Big: yes\n\n");
	while (i < 1024 * 1024) {
		i += (size_t)snprintf(msg3 + i, cap - i, "%s line %d of the "
		    "big message, padded to be sure\n",
		    line % 7 == 0 ? "." : "x", line);
		line++;
	}
	msg3len = i;
}

static struct store_folder finfo;
static struct store_msg *fmsgs;
static size_t fn;

/* store_look: the index as it is now, from this (parent) process. */
static int
store_look(void)
{
	struct store *s;
	char err[256];
	int rc;

	free(fmsgs);
	fmsgs = NULL;
	if (store_open(&s, maildir, err, sizeof(err)) == -1) {
		printf("# store_open: %s\n", err);
		return -1;
	}
	rc = store_sync(s, "INBOX", &finfo) == -1 ||
	    store_list(s, "INBOX", &fmsgs, &fn) == -1 ? -1 : 0;
	store_close(s);
	return rc;
}

static int
deliver_all(void)
{
	char err[256];

	if (store_deliver(maildir, msg1, sizeof(msg1) - 1, err,
	    sizeof(err)) == -1 ||
	    store_deliver(maildir, msg2, sizeof(msg2) - 1, err,
	    sizeof(err)) == -1 ||
	    store_deliver(maildir, msg3, msg3len, err, sizeof(err)) == -1 ||
	    store_deliver(maildir, msg4, sizeof(msg4) - 1, err,
	    sizeof(err)) == -1) {
		printf("# store_deliver: %s\n", err);
		return -1;
	}
	return 0;
}

static unsigned long long
wsize(const char *m, size_t n)
{
	size_t w, i;
	char *o = wire(m, n, &w);
	unsigned long long dots = 0;
	int bol = 1;

	for (i = 0; i < n; i++) {
		if (bol && m[i] == '.')
			dots++;
		bol = m[i] == '\n';
	}
	free(o);
	return w - 3 - dots;
}

static void
test_session_read(void)
{
	struct client c;
	char want[1024], *r, *w;
	unsigned long long total = 0;
	size_t i, wn;

	for (i = 0; i < fn; i++)
		total += fmsgs[i].size;
	client_start(&c);
	r = client_line(&c);
	snprintf(want, sizeof(want), "+OK maildrop has 4 messages (%llu "
	    "octets)\r\n", total);
	CHECK_STR_EQ(r, want, "session greeting");
	free(r);
	snprintf(want, sizeof(want), "+OK 4 %llu\r\n", total);
	check_cmd(&c, "STAT", 0, want, "STAT");
	snprintf(want, sizeof(want), "+OK 4 messages (%llu octets)\r\n"
	    "1 %llu\r\n2 %llu\r\n3 %llu\r\n4 %llu\r\n.\r\n", total,
	    (unsigned long long)fmsgs[0].size,
	    (unsigned long long)fmsgs[1].size,
	    (unsigned long long)fmsgs[2].size,
	    (unsigned long long)fmsgs[3].size);
	check_cmd(&c, "LIST", 1, want, "LIST");
	snprintf(want, sizeof(want), "+OK 2 %llu\r\n",
	    (unsigned long long)fmsgs[1].size);
	check_cmd(&c, "LIST 2", 0, want, "LIST 2");
	check_cmd(&c, "LIST 5", 0,
	    "-ERR no such message, only 4 messages in maildrop\r\n", "LIST 5");
	check_cmd(&c, "LIST 0", 0, "-ERR message number must be a positive "
	    "decimal number\r\n", "LIST 0");
	snprintf(want, sizeof(want), "+OK unique-id listing follows\r\n"
	    "1 %u.%u\r\n2 %u.%u\r\n3 %u.%u\r\n4 %u.%u\r\n.\r\n",
	    finfo.uidvalidity, fmsgs[0].uid, finfo.uidvalidity, fmsgs[1].uid,
	    finfo.uidvalidity, fmsgs[2].uid, finfo.uidvalidity, fmsgs[3].uid);
	check_cmd(&c, "UIDL", 1, want, "UIDL");
	snprintf(want, sizeof(want), "+OK 3 %u.%u\r\n", finfo.uidvalidity,
	    fmsgs[2].uid);
	check_cmd(&c, "uidl 3", 0, want, "UIDL 3");

	w = wire(msg1, sizeof(msg1) - 1, &wn);
	snprintf(want, sizeof(want), "+OK %llu octets\r\n%s",
	    (unsigned long long)fmsgs[0].size, w);
	check_cmd(&c, "RETR 1", 1, want, "RETR 1: CRLF and dot-stuffing");
	free(w);
	w = wire(msg2, sizeof(msg2) - 1, &wn);
	snprintf(want, sizeof(want), "+OK %llu octets\r\n%s",
	    (unsigned long long)fmsgs[1].size, w);
	check_cmd(&c, "RETR 2", 1, want, "RETR 2: LF message");
	free(w);
	w = wire(msg4, sizeof(msg4) - 1, &wn);
	snprintf(want, sizeof(want), "+OK %llu octets\r\n%s",
	    (unsigned long long)fmsgs[3].size, w);
	check_cmd(&c, "RETR 4", 1, want, "RETR 4: no final newline");
	free(w);

	w = wire(msg3, msg3len, &wn);
	r = cmd(&c, "RETR 3", 1);
	snprintf(want, sizeof(want), "+OK %llu octets\r\n",
	    (unsigned long long)fmsgs[2].size);
	CHECK_TRUE(strncmp(r, want, strlen(want)) == 0, "RETR 3 status");
	CHECK_INT_EQ(strlen(r), strlen(want) + wn, "RETR 3 length");
	CHECK_TRUE(strcmp(r + strlen(want), w) == 0, "RETR 3 bytes exact");
	CHECK_INT_EQ(fmsgs[2].size, wsize(msg3, msg3len), "W= of 1 MB msg");
	free(r);
	free(w);

	check_cmd(&c, "TOP 1 0", 1, "+OK top of message 1 follows\r\n"
	    "Subject: one\r\nFrom: a@b.test\r\n\r\n.\r\n", "TOP 1 0");
	check_cmd(&c, "TOP 1 2", 1, "+OK top of message 1 follows\r\n"
	    "Subject: one\r\nFrom: a@b.test\r\n\r\nHello\r\n..dot line\r\n"
	    ".\r\n", "TOP 1 2 dot-stuffed");
	check_cmd(&c, "TOP 2 2", 1, "+OK top of message 2 follows\r\n"
	    "Subject: two\r\n\r\nbody1\r\nbody2\r\n.\r\n", "TOP 2 2");
	check_cmd(&c, "TOP 2 100", 1, "+OK top of message 2 follows\r\n"
	    "Subject: two\r\n\r\nbody1\r\nbody2\r\nbody3\r\n.\r\n",
	    "TOP past the end");
	check_cmd(&c, "TOP 4 5", 1, "+OK top of message 4 follows\r\n"
	    "Subject: four\r\n\r\nno final newline\r\n.\r\n", "TOP 4");
	check_cmd(&c, "CAPA", 1, pop3_capa(POP3_TRANSACTION), "CAPA");
	check_cmd(&c, "NOOP", 0, "+OK\r\n", "NOOP");
	client_send(&c, "STAT\r\nNOOP\r\n");
	r = client_line(&c);
	snprintf(want, sizeof(want), "+OK 4 %llu\r\n", total);
	CHECK_STR_EQ(r, want, "pipelined STAT");
	free(r);
	r = client_line(&c);
	CHECK_STR_EQ(r, "+OK\r\n", "pipelined NOOP");
	free(r);
	check_cmd(&c, "QUIT", 0,
	    "+OK postern POP3 server signing off (0 messages deleted)\r\n",
	    "QUIT with nothing deleted");
	CHECK_INT_EQ(client_end(&c), 0, "session ended by QUIT");
}

static void
test_session_dele(void)
{
	struct client c;
	char want[256], *r;
	uint32_t keep3 = fmsgs[2].uid, keep4 = fmsgs[3].uid;

	client_start(&c);
	free(client_line(&c));
	check_cmd(&c, "DELE 2", 0, "+OK message 2 deleted\r\n", "DELE 2");
	check_cmd(&c, "DELE 2", 0, "-ERR message 2 already deleted\r\n",
	    "DELE 2 again");
	check_cmd(&c, "LIST 2", 0, "-ERR message 2 already deleted\r\n",
	    "LIST deleted");
	check_cmd(&c, "UIDL 2", 0, "-ERR message 2 already deleted\r\n",
	    "UIDL deleted");
	check_cmd(&c, "RETR 2", 0, "-ERR message 2 already deleted\r\n",
	    "RETR deleted");
	check_cmd(&c, "TOP 2 1", 0, "-ERR message 2 already deleted\r\n",
	    "TOP deleted");
	r = cmd(&c, "LIST", 1);
	CHECK_TRUE(strstr(r, "\r\n2 ") == NULL && strstr(r, "\r\n3 ") != NULL,
	    "LIST skips deleted");
	CHECK_TRUE(strncmp(r, "+OK 3 messages", 14) == 0, "LIST count");
	free(r);
	r = cmd(&c, "RSET", 0);
	CHECK_TRUE(strncmp(r, "+OK maildrop has 4 messages", 27) == 0,
	    "RSET unmarks");
	free(r);
	snprintf(want, sizeof(want), "+OK 2 %llu\r\n",
	    (unsigned long long)fmsgs[1].size);
	check_cmd(&c, "LIST 2", 0, want, "LIST 2 after RSET");
	check_cmd(&c, "DELE 1", 0, "+OK message 1 deleted\r\n", "DELE 1");
	check_cmd(&c, "DELE 2", 0, "+OK message 2 deleted\r\n", "DELE 2");
	r = cmd(&c, "STAT", 0);
	CHECK_TRUE(strncmp(r, "+OK 2 ", 6) == 0, "STAT after DELE");
	free(r);
	check_cmd(&c, "QUIT", 0,
	    "+OK postern POP3 server signing off (2 messages deleted)\r\n",
	    "QUIT deletes");
	CHECK_INT_EQ(client_end(&c), 0, "QUIT exit");
	CHECK_INT_EQ(store_look(), 0, "store reopened");
	CHECK_INT_EQ(fn, 2, "two messages left");
	CHECK_TRUE(fn == 2 && fmsgs[0].uid == keep3 && fmsgs[1].uid == keep4,
	    "the right two are left");

	client_start(&c);
	free(client_line(&c));
	check_cmd(&c, "DELE 1", 0, "+OK message 1 deleted\r\n", "DELE, then EOF");
	CHECK_INT_EQ(client_end(&c), 1, "EOF without QUIT");
	CHECK_INT_EQ(store_look(), 0, "store reopened");
	CHECK_INT_EQ(fn, 2, "EOF deleted nothing");
}

static void
test_session_errors(void)
{
	struct client c;
	char line[400], path[600], *r;
	int i;

	client_start(&c);
	free(client_line(&c));
	check_cmd(&c, "XYZZY", 0, "-ERR unknown command\r\n", "unknown");
	check_cmd(&c, "USER a", 0, "-ERR command not valid in this state\r\n",
	    "USER in TRANSACTION");
	check_cmd(&c, "AUTH PLAIN", 0,
	    "-ERR command not valid in this state\r\n", "AUTH in TRANSACTION");
	memset(line, 'x', 300);
	memcpy(line, "LIST ", 5);
	line[300] = '\0';
	check_cmd(&c, line, 0, "-ERR line too long\r\n", "long line");
	check_cmd(&c, "NOOP", 0, "+OK\r\n", "framing after long line");
	/* A message file removed behind the session's back. */
	snprintf(path, sizeof(path), "%s/cur/%s", maildir, fmsgs[0].name);
	CHECK_INT_EQ(unlink(path), 0, "message file removed");
	check_cmd(&c, "RETR 1", 0,
	    "-ERR message 1 was removed by another session\r\n",
	    "vanished message");
	check_cmd(&c, "TOP 1 0", 0,
	    "-ERR message 1 was removed by another session\r\n",
	    "vanished message, TOP");
	for (i = 0; i < POP3_MAX_ERRORS - 3; i++) {
		r = cmd(&c, "BOGUS", 0);
		if (strcmp(r, "-ERR unknown command\r\n") != 0) {
			free(r);
			break;
		}
		free(r);
	}
	CHECK_INT_EQ(i, POP3_MAX_ERRORS - 3, "errors up to the limit");
	check_cmd(&c, "BOGUS", 0, "-ERR too many errors\r\n",
	    "30th error closes");
	CHECK_INT_EQ(client_end(&c), 1, "dropped for errors");
}

static void
test_session(void)
{
	char tmpl[] = "/tmp/test_pop3.XXXXXX";
	char rm[300];

	if (mkdtemp(tmpl) == NULL)
		abort();
	snprintf(maildir, sizeof(maildir), "%s/Maildir", tmpl);
	make_msg3();
	CHECK_INT_EQ(deliver_all(), 0, "messages delivered");
	CHECK_INT_EQ(store_look(), 0, "store lists");
	CHECK_INT_EQ(fn, 4, "four messages");
	if (fn == 4) {
		CHECK_INT_EQ(fmsgs[0].size, wsize(msg1, sizeof(msg1) - 1),
		    "W= of the CRLF message");
		CHECK_INT_EQ(fmsgs[1].size, wsize(msg2, sizeof(msg2) - 1),
		    "W= of the LF message");
		test_session_read();
		test_session_dele();
		test_session_errors();
	}
	free(fmsgs);
	free(msg3);
	snprintf(rm, sizeof(rm), "rm -rf '%s'", tmpl);
	if (system(rm) != 0)
		printf("# could not remove %s\n", tmpl);
}

int
main(void)
{
	log_init("test_pop3", 1, 0);
	signal(SIGPIPE, SIG_IGN);
	test_parse_table();
	test_parse_args();
	test_parse_lengths();
	test_capa();
	test_lines();
	test_sasl();
	test_preauth_user();
	test_preauth_plain();
	test_preauth_limits();
	test_session();
	return check_done();
}
