/*
 * client_int.h: the SMTP client engine's state, shared by its files
 * (client.c: the session's steps; client_reply.c: reading replies;
 * client_data.c: the message body).  Runs in the relay role.
 */
#ifndef POSTERN_CLIENT_INT_H
#define POSTERN_CLIENT_INT_H

#include "smtpd/client.h"

/* The commands whose answers the engine waits for, in order. */
enum client_cmd {
	CX_GREETING, CX_EHLO, CX_HELO, CX_STARTTLS, CX_AUTH, CX_MAIL,
	CX_RCPT, CX_DATA, CX_DOT, CX_QUIT
};

enum client_phase {
	CP_REPLY,	/* sending commands, reading answers */
	CP_TLS,		/* the caller's handshake */
	CP_BODY,	/* the caller feeds the message */
	CP_OVER
};

/* Every command of a pipelined transaction at once: MAIL, the RCPTs,
 * DATA, QUIT. */
#define CLIENT_EXPECT_MAX	(RELAY_RCPT_MAX + 4)
/* The largest burst of output: a pipelined transaction (a RCPT with
 * NOTIFY and ORCPT is below 820 bytes), or two dot-stuffed body chunks
 * (at most three bytes out per byte in: one not yet sent, one new) and
 * the end of the data. */
#define CLIENT_OUT_MAX		(128 * 1024)
#define CLIENT_CRED_MAX		256

/* One reply as it is read. */
struct client_reply {
	int		 code;		/* 0 before its first line */
	size_t		 nlines;
	char		 text[QUEUE_TEXT_MAX];
	size_t		 textlen;
	unsigned	 caps;		/* EHLO keywords seen */
	uint64_t	 size_max;
};

struct client {
	const char	*helo;
	const struct relay_job *job;
	const struct relay_rcpt *rcpt;
	size_t		 nrcpt;
	enum client_tls	 tls;
	int		 has_auth;
	char		 auth_user[CLIENT_CRED_MAX];
	char		 auth_pass[CLIENT_CRED_MAX];

	enum client_phase phase;
	enum client_outcome outcome;
	uint8_t		 expect[CLIENT_EXPECT_MAX];
	uint8_t		 expect_rcpt[CLIENT_EXPECT_MAX]; /* CX_RCPT's index */
	size_t		 expect_head, expect_n;

	uint8_t		 out[CLIENT_OUT_MAX];
	size_t		 outlen, outoff;
	size_t		 outmax;	/* the most bytes out ever held */

	char		 line[CLIENT_LINE_MAX];
	size_t		 linelen;
	struct client_reply reply;

	unsigned	 caps;
	uint64_t	 size_max;
	int		 tls_active, tls_failed, starttls_skip;
	int		 mail_failed, dot_sent, greeted;
	size_t		 next_rcpt, naccepted;
	uint8_t		 accepted[RELAY_RCPT_MAX];

	int		 bol, pending_cr;	/* dot-stuffing state */

	struct relay_rcpt_result res[RELAY_RCPT_MAX];
};

/* client.c: a reply is complete (its head command is popped). */
void	client_reply_done(struct client *c, enum client_cmd cmd, size_t idx,
	    const struct client_reply *r);
/* client.c: the session cannot go on (malformed reply, broken
 * connection); dsn and text are ours, code 0. */
void	client_abort(struct client *c, const char *dsn, const char *text);

/* client_reply.c: one line of a reply (CRLF stripped); 0, 1 when the
 * reply is complete, -1 when malformed (reason in why). */
int	client_reply_line(struct client_reply *r, const char *line,
	    size_t len, int ehlo, const char **why);
/* client_reply.c: the enhanced status code at the start of r's text
 * when its class agrees with the reply code, else "c.0.0". */
void	client_reply_dsn(const struct client_reply *r, char *dsn,
	    size_t dsnlen);

/* client_data.c: append p dot-stuffed to c->out. */
void	client_data_stuff(struct client *c, const uint8_t *p, size_t len);
void	client_data_end(struct client *c);

/* client.c: append formatted bytes to c->out; aborts the session when
 * they do not fit (cannot happen within the bounds above). */
void	client_out(struct client *c, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
