/*
 * engine_int.h: the inside of smtpd's SMTP engine (engine.h), shared by
 * its files: engine.c (the session, the command reader, the skeleton's
 * hooks), engine_env.c (MAIL and RCPT with their parameters),
 * engine_data.c (DATA and BDAT: the message readers) and engine_auth.c
 * (AUTH).  Runs in smtpd's net process; nothing here is for any other
 * module.  Every function takes the engine's state, which the skeleton
 * owns (engine.h); the command functions take the argument after the
 * verb and its blank (n octets, not NUL-terminated, free of control
 * characters) and return an enum skel_action.
 */
#ifndef SMTPD_ENGINE_INT_H
#define SMTPD_ENGINE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/frame.h"
#include "common/rolemsg.h"
#include "smtpd/engine.h"
#include "smtpd/smtpmsg.h"

enum engine_wait {
	SMTP_W_INIT = 0,	/* zeroed, before init */
	SMTP_W_COMMAND,		/* a command line */
	SMTP_W_SASL,		/* an AUTH continuation line */
	SMTP_W_LOGIN,		/* login_result, no input */
	SMTP_W_ANSWER,		/* answer, no input */
	SMTP_W_DATA,		/* DATA content up to CRLF.CRLF */
	SMTP_W_BDAT,		/* the octets of a BDAT chunk */
	SMTP_W_TLS,		/* tls_started, no input */
	SMTP_W_DONE,		/* closing */
};

enum engine_sasl { SMTP_SASL_PLAIN = 1, SMTP_SASL_USER, SMTP_SASL_PASS };
enum engine_greet { SMTP_GREET_NONE, SMTP_GREET_HELO, SMTP_GREET_EHLO };
enum engine_mode { SMTP_MODE_NONE, SMTP_MODE_DATA, SMTP_MODE_BDAT };

/* Why the engine itself refuses the message being read. */
enum engine_refuse {
	SMTP_REFUSE_NONE, SMTP_REFUSE_SIZE, SMTP_REFUSE_BARE,
	SMTP_REFUSE_LINE
};

/* Where the DATA reader is in a line: at its beginning (after CRLF), in
 * it, after a CR, after a "." at the beginning, after ".\r". */
enum engine_dstate { SMTP_D_BOL = 0, SMTP_D_MID, SMTP_D_CR, SMTP_D_DOT,
	SMTP_D_DOTCR };

struct engine_state {
	/* from configure */
	char		 hostname[CONFIG_NAME_MAX];
	uint64_t	 max_size;
	uint32_t	 max_rcpts;
	int		 require_tls;
	int		 submission;	/* port 465: AUTH before MAIL */
	int		 configured;

	/* the connection */
	int		 wait;
	int		 tls;
	char		 tlsdesc[SMTPMSG_TLS_MAX + 1];
	int		 authed;
	int		 greet;
	char		 helo[SMTPMSG_HELO_MAX + 1];
	int		 errors;
	int		 failures;

	/* the transaction */
	int		 mail;		/* MAIL accepted, until its end */
	int		 broker;	/* the broker holds it open */
	uint32_t	 body, flags;
	uint32_t	 nrcpt;		/* accepted recipients */
	int		 mode;
	int		 bdat_failed;
	int		 refuse;
	uint64_t	 bytes;
	int		 asked;		/* type of the ask being answered */

	/* the message readers */
	int		 dstate;
	size_t		 dline;		/* octets of the current line */
	int		 prev_cr;	/* BDAT: the last octet was CR */
	uint64_t	 chunk_left, chunk_size;
	int		 chunk_last;
	const char	*chunk_discard;	/* read and drop, then this */
	int		 tail_told;

	/* the command reader */
	char		 line[SMTP_AUTH_LINE_MAX];
	size_t		 linelen;
	int		 skipping;	/* a line too long: drop to its LF */
	int		 sasl;

	struct role_login cred;		/* from SKEL_LOGIN to the result */
	struct frame	 frame;		/* the ask or tell */
	uint8_t		 data[SMTPMSG_DATA_MAX];
	size_t		 datalen;
	char		 out[SMTP_OUT_MAX];
	size_t		 outlen;
};

/* engine.c: replies.  engine_say appends one line (CRLF added; not
 * fitting the output is fatalx); engine_reply says it and returns
 * SKEL_REPLY; engine_quit says it and closes (SKEL_QUIT); engine_error
 * counts one of the engine's own 5xx and says it, or "421 Too many
 * errors" and closes. */
void	engine_say(struct engine_state *e, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	engine_reply(struct engine_state *e, const char *text);
int	engine_quit(struct engine_state *e, const char *text);
int	engine_error(struct engine_state *e, const char *text);

/* engine.c: state.  engine_forget wipes the credentials; engine_tx_reset
 * forgets the transaction (not the broker's: see engine_rset_tell). */
void	engine_forget(struct engine_state *e);
void	engine_tx_reset(struct engine_state *e);

/* engine.c: frames for the broker, built in e->frame.  engine_rset_tell
 * (SKEL_TELL: the broker's transaction is over), engine_data_tell
 * (SKEL_TELL: e->data, which must not be empty, then emptied),
 * engine_end_ask (SKEL_ASK: MSG_SMTP_END, how from e->refuse). */
int	engine_rset_tell(struct engine_state *e);
int	engine_data_tell(struct engine_state *e);
int	engine_end_ask(struct engine_state *e);

/* engine.c: the reply for the broker's verdict v on the ask of type
 * (MSG_SMTP_MAIL, _RCPT, _END; the engine owns the words), or NULL when
 * the verdict has no meaning there (the caller says "451 4.3.0"). */
const char *engine_verdict_text(int type, uint32_t v);

/* engine_env.c */
int	engine_cmd_mail(struct engine_state *e, const char *arg, size_t n);
int	engine_cmd_rcpt(struct engine_state *e, const char *arg, size_t n);
/* engine_u64: 1..20 digits without overflow into *v: 0, else -1. */
int	engine_u64(const char *s, size_t n, uint64_t *v);

/* engine_data.c: the commands, the readers (skel_preauth.feed in
 * SMTP_W_DATA and SMTP_W_BDAT), and the END answer's reply. */
int	engine_cmd_data(struct engine_state *e, const char *arg, size_t n);
int	engine_cmd_bdat(struct engine_state *e, const char *arg, size_t n);
size_t	engine_feed_data(struct engine_state *e, const unsigned char *in,
	    size_t len, int *action);
size_t	engine_feed_bdat(struct engine_state *e, const unsigned char *in,
	    size_t len, int *action);
void	engine_end_answer(struct engine_state *e,
	    const struct smtpmsg_answer *a);

/* engine_auth.c: AUTH, the response to a 334 (SMTP_W_SASL), and a
 * failed login with its reply (421 and close after the last). */
int	engine_cmd_auth(struct engine_state *e, const char *arg, size_t n);
int	engine_sasl_line(struct engine_state *e, const char *s, size_t n);
int	engine_failed(struct engine_state *e, const char *text);

#endif
