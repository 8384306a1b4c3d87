/*
 * preauth.h: the IMAP not-authenticated state (RFC 3501 / RFC 9051
 * section 6.1 and 6.2): CAPABILITY, NOOP, LOGOUT, ID, LOGIN and
 * AUTHENTICATE PLAIN with SASL-IR (RFC 4959), as an engine without I/O.
 *
 * imapd's pre-auth engine on the daemon skeleton (common/skel.h): it runs
 * in the net process (unprivileged, chrooted, sandboxed), behind TLS, and
 * trusts nothing the client sends.  It owns the framing (the command
 * reader of reader.h: literals, continuations), takes credentials apart
 * and hands them to the monitor, and learns only "ok", "try later" or
 * "no" back, which is all it tells the client.  There is no plaintext
 * port, so STARTTLS and LOGINDISABLED never appear.
 *
 * On a successful login the engine says nothing: the tag of the login
 * command goes to the mail role as the handover, and the mail role
 * answers "<tag> OK [CAPABILITY ...]" once the mailbox is open (or NO
 * when it cannot be).  Bytes after the login command stay unused, for
 * the mail role (pipelining).
 */
#ifndef IMAPD_PREAUTH_H
#define IMAPD_PREAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "common/rolemsg.h"
#include "common/skel.h"
#include "imapd/parse.h"
#include "imapd/reader.h"

#define IMAP_PRE_FAILURES	3	/* failed logins, then BYE */
#define IMAP_PRE_ERRORS		10	/* BAD in a row, then BYE */
#define IMAP_PRE_LINE_MAX	8192	/* a command before the login */
#define IMAP_PRE_LITERAL_MAX	4096	/* a literal before the login */
#define IMAP_PRE_OUT_MAX	1024	/* the longest reply */

enum imap_pre_wait {
	IMAP_PRE_W_COMMAND,	/* a command */
	IMAP_PRE_W_SASL,	/* an AUTHENTICATE continuation line */
	IMAP_PRE_W_RESULT,	/* imap_pre_login_result, no input */
	IMAP_PRE_W_DONE,	/* logged in or closing */
};

struct imap_pre {
	int			 wait;
	int			 failures;
	int			 errors;
	struct imap_reader	 rd;
	char			 buf[IMAP_PRE_LINE_MAX +
				     2 * IMAP_PRE_LITERAL_MAX + 1];
	struct imap_cmd		 cmd;
	char			 tag[IMAP_TAG_MAX + 1];	/* being answered */
	struct role_login	 cred;	/* from SKEL_LOGIN to the result */
	char			 out[IMAP_PRE_OUT_MAX];
	size_t			 outlen;
};

/* imap_pre_init: a fresh engine; its output holds the greeting. */
void	imap_pre_init(struct imap_pre *p);

/* imap_pre_feed: client bytes (skel_preauth.feed): how many were used,
 * and the action (enum skel_action) in *action. */
size_t	imap_pre_feed(struct imap_pre *p, const unsigned char *in,
	    size_t len, int *action);

/* imap_pre_login_result: the monitor's verdict on the last SKEL_LOGIN
 * (AUTH_*): SKEL_AUTHED (nothing to send), SKEL_REPLY (a tagged NO) or
 * SKEL_QUIT (NO, then BYE after IMAP_PRE_FAILURES).  Wipes the
 * credentials.  Without a login outstanding: fatalx. */
int	imap_pre_login_result(struct imap_pre *p, uint32_t status);

/* imap_pre_output: the reply to send (*len octets), taken. */
const char *imap_pre_output(struct imap_pre *p, size_t *len);

/* imap_pre_wipe: explicit_bzero the engine (it may hold a password). */
void	imap_pre_wipe(struct imap_pre *p);

/* The skeleton's view of it. */
extern const struct skel_preauth imap_preauth;

#endif
