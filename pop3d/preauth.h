/*
 * preauth.h: the POP3 AUTHORIZATION state (RFC 1939 section 4, RFC 2449
 * CAPA, RFC 5034 AUTH) as an engine without I/O.
 *
 * Runs in pop3d's net process (unprivileged, chrooted, sandboxed), behind
 * TLS.  It trusts nothing the client sends and decides nothing about
 * credentials: it takes them apart and hands them to its caller, which
 * asks the monitor (and so authd) and reports the verdict back.  The
 * engine never tells the client why a login failed.
 *
 * It is pop3d's pre-auth engine of the daemon skeleton (common/skel.h):
 * the net role pumps decrypted bytes into preauth_feed, which cuts them
 * into lines (at most POP3_AUTH_LINE_MAX octets; a longer one gets
 * "-ERR line too long") and answers each:
 *
 *	preauth_init(&p);		send the output (the greeting)
 *	used = preauth_feed(&p, in, len, &action);
 *		PREAUTH_MORE:	a partial line was taken: feed more
 *		PREAUTH_REPLY:	send preauth_output; go on
 *		PREAUTH_QUIT:	send preauth_output; close the connection
 *		PREAUTH_LOGIN:	ask the monitor with p.cred; then
 *				a = preauth_login_result(&p, status);
 *				PREAUTH_REPLY or PREAUTH_QUIT as above,
 *				PREAUTH_AUTHED: nothing to send; start
 *				relaying to the mail process, which
 *				greets the client
 *
 * Pipelining (RFC 2449 section 6.6): preauth_feed takes at most one line;
 * after PREAUTH_LOGIN the caller MUST NOT feed more until
 * preauth_login_result has been called; bytes the client sent after the
 * login line stay unused and go, on PREAUTH_AUTHED, to the mail process.
 * The caller MUST call preauth_wipe when it drops the engine; the engine
 * wipes each line after use (it may hold a password), and the caller
 * wipes the bytes it fed.
 */
#ifndef POP3D_PREAUTH_H
#define POP3D_PREAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "common/authproto.h"
#include "common/rolemsg.h"
#include "common/skel.h"
#include "pop3d/parse.h"

#define PREAUTH_MAX_FAILURES	3
#define PREAUTH_OUT_MAX		512	/* the longest reply is CAPA */

enum preauth_action {
	PREAUTH_MORE = SKEL_MORE,	/* no complete line yet */
	PREAUTH_REPLY = SKEL_REPLY,	/* send the output, go on */
	PREAUTH_LOGIN = SKEL_LOGIN,	/* verify the credentials in p */
	PREAUTH_QUIT = SKEL_QUIT,	/* send the output, then close */
	PREAUTH_AUTHED = SKEL_AUTHED,	/* logged in: hand over to the mail
					 * process */
};

enum preauth_wait {
	PREAUTH_W_COMMAND,	/* a command line */
	PREAUTH_W_PASS,		/* a command line; USER was just accepted */
	PREAUTH_W_SASL,		/* an AUTH PLAIN continuation line */
	PREAUTH_W_RESULT,	/* preauth_login_result, no line */
	PREAUTH_W_DONE,		/* logged in or closing: nothing more */
};

struct preauth {
	int	wait;		/* enum preauth_wait */
	int	failures;	/* failed logins, all kinds */
	int	errors;		/* consecutive -ERR replies */
	int	close;		/* set with PREAUTH_QUIT: send out, then close */

	/* Valid from PREAUTH_LOGIN until preauth_login_result: mech is
	 * "user" (USER/PASS) or "plain"; no handover. */
	struct role_login cred;

	struct pop3_line in;		/* the line being read */

	char	out[PREAUTH_OUT_MAX];	/* complete CRLF-terminated reply */
	size_t	outlen;
};

/* preauth_init: a fresh engine; p->out holds the greeting. */
void	preauth_init(struct preauth *p);

/*
 * preauth_line: one client line (len octets without the CRLF, as
 * pop3_line_feed returns it; need not be NUL-terminated).  Returns
 * PREAUTH_REPLY, PREAUTH_QUIT or PREAUTH_LOGIN as described above.
 * Malformed credentials (bad SASL PLAIN message) count as a failed login
 * without reaching the caller.  After POP3_MAX_ERRORS consecutive errors
 * or PREAUTH_MAX_FAILURES failed logins the answer is PREAUTH_QUIT.
 * Calling it while a login result is outstanding or after PREAUTH_QUIT or
 * PREAUTH_AUTHED is a caller bug: fatalx.
 */
int	preauth_line(struct preauth *p, const char *line, size_t len);

/* preauth_toolong: the caller dropped a line over the limit; replies
 * "-ERR line too long" (PREAUTH_REPLY or PREAUTH_QUIT) and cancels an
 * AUTH exchange in progress. */
int	preauth_toolong(struct preauth *p);

/*
 * preauth_login_result: the verdict on the credentials of the last
 * PREAUTH_LOGIN, status one of AUTH_OK, AUTH_FAIL_TEMP, AUTH_FAIL_PERM
 * (anything else counts as AUTH_FAIL_TEMP).  Wipes the secret and user
 * first.  Returns PREAUTH_AUTHED (p->out empty), PREAUTH_REPLY with
 * "-ERR [AUTH] Authentication failed" or "-ERR [SYS/TEMP] Try again
 * later", or PREAUTH_QUIT with "-ERR [AUTH] Too many failures".  Called
 * without an outstanding login: fatalx.
 */
int	preauth_login_result(struct preauth *p, uint32_t status);

/* preauth_feed: take bytes of client input (at most one line's);
 * returns how many were used and sets *action (PREAUTH_MORE when they
 * ended no line). */
size_t	preauth_feed(struct preauth *p, const unsigned char *in, size_t len,
	    int *action);

/* preauth_output: the reply to send (*len octets, 0 for none), taken. */
const char *preauth_output(struct preauth *p, size_t *len);

/* preauth_wipe: explicit_bzero the whole engine. */
void	preauth_wipe(struct preauth *p);

#endif
