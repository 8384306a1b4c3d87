/*
 * client.h: the SMTP client engine of the relay role: an explicit state
 * machine for one SMTP session with one remote host, independent of
 * sockets and TLS.  The caller feeds the server's reply bytes in, takes
 * the command bytes out, does the TLS handshake when the engine asks for
 * it, feeds the message bytes, and waits no longer than the engine says.
 *
 * Runs in the relay role.  Trusts its caller (the relay) for the job; the
 * server's bytes are hostile: replies are parsed line by line under a
 * bound (CLIENT_LINE_MAX bytes per line, CLIENT_LINES_MAX lines per
 * reply), every line of a reply must carry the same code, and the text
 * kept per recipient is bounded and made printable ASCII.
 *
 * The session: (with implicit TLS, the TLS handshake first: RFC 8314's
 * submissions on port 465) greeting; EHLO (HELO when EHLO gets a 5xx);
 * STARTTLS when offered and the TLS mode allows (then EHLO again); AUTH
 * PLAIN when credentials are given (only over TLS); MAIL FROM with SIZE=,
 * BODY=, SMTPUTF8, REQUIRETLS, and RET/ENVID only when the server offers
 * DSN; RCPT per recipient (NOTIFY/ORCPT only with DSN); DATA when at least
 * one recipient was accepted; MAIL, the RCPTs and DATA in one write when
 * the server offers PIPELINING (RFC 2920); the body dot-stuffed (bare LF or
 * CR become CRLF); QUIT.  No downgrade: a message that needs 8BITMIME or
 * SMTPUTF8 from a server that lacks it fails with 5.6.3 or 5.6.7;
 * REQUIRETLS with a server that does not offer it, 5.7.30.  BINARYMIME
 * bodies are refused with 5.6.3 (the engine does not speak CHUNKING).
 *
 * Two ends of a session (client_outcome):
 *   CLIENT_DONE:  the server answered the transaction; each recipient's
 *                 result is that server's final word for this attempt.
 *   CLIENT_NEXT:  the host failed us before the transaction (connection
 *                 closed, timeout, greeting or EHLO refused, 421, TLS or
 *                 AUTH failure (always temporary: 4.x.x, the server's
 *                 code and text kept), a capability the message needs
 *                 missing, a malformed reply): every recipient holds the
 *                 reason and the caller should try the destination's next
 *                 host.
 *                 Once the end of the data was sent the session never
 *                 ends in CLIENT_NEXT (the message may have been taken:
 *                 the recipients get a temporary result instead).
 */
#ifndef POSTERN_CLIENT_H
#define POSTERN_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "smtpd/relayproto.h"

#define CLIENT_LINE_MAX		2048	/* a reply line, CRLF included */
#define CLIENT_LINES_MAX	128	/* lines of one reply */
#define CLIENT_BODY_CHUNK	16384	/* most bytes per client_body */

/* STARTTLS: never; when offered; or required (the session fails with
 * 4.7.5 when the server does not offer it or it fails). */
enum client_tls { CLIENT_TLS_NO, CLIENT_TLS_TRY, CLIENT_TLS_MUST };

struct client_params {
	const char	*helo;		/* our host name for EHLO/HELO */
	const struct relay_job *job;	/* sender, envid, body, flags, size */
	const struct relay_rcpt *rcpt;	/* job->nrcpt recipients */
	enum client_tls	 tls;
	/* Implicit TLS (RFC 8314 §3.3, a smarthost's port 465): the engine
	 * asks for the handshake (CLIENT_WANT_TLS) before anything else,
	 * the greeting comes through TLS, and STARTTLS is never sent.  A
	 * failed handshake ends the session as after STARTTLS. */
	int		 implicit_tls;
	/* Smarthost credentials for AUTH PLAIN, or NULL.  Sent only over
	 * TLS.  The engine copies them and wipes its copy when freed. */
	const char	*auth_user;
	const char	*auth_pass;
};

/* What the engine wants next (client_next). */
enum client_want {
	CLIENT_WANT_WRITE,	/* send client_output's bytes */
	CLIENT_WANT_READ,	/* feed the server's bytes (client_input) */
	CLIENT_WANT_TLS,	/* do the TLS handshake, then client_tls_done */
	CLIENT_WANT_BODY,	/* feed message bytes (client_body/_end) */
	CLIENT_WANT_NOTHING	/* the session is over: client_outcome */
};

enum client_outcome { CLIENT_DONE, CLIENT_NEXT };

/* Capabilities the server announced (valid after its EHLO answer). */
#define CLIENT_CAP_STARTTLS	0x0001
#define CLIENT_CAP_PIPELINING	0x0002
#define CLIENT_CAP_SIZE		0x0004
#define CLIENT_CAP_8BITMIME	0x0008
#define CLIENT_CAP_SMTPUTF8	0x0010
#define CLIENT_CAP_REQUIRETLS	0x0020
#define CLIENT_CAP_AUTH_PLAIN	0x0040
#define CLIENT_CAP_ENHANCED	0x0080
#define CLIENT_CAP_DSN		0x0100
#define CLIENT_CAP_EHLO		0x0200	/* EHLO (not HELO) was answered */

struct client;

/* client_new: an engine for one session, waiting for the greeting.  The
 * params' strings, job and rcpt must stay valid while the engine lives
 * (credentials excepted: copied).  NULL on allocation failure or a
 * job->nrcpt outside 1..RELAY_RCPT_MAX. */
struct client	*client_new(const struct client_params *p);
void		 client_free(struct client *c);

enum client_want client_next(const struct client *c);

/* client_output: the bytes to send (*p points into the engine, valid
 * until the next call that changes it); client_output_done: n of them
 * were sent (n <= *len). */
void	client_output(const struct client *c, const uint8_t **p, size_t *len);
void	client_output_done(struct client *c, size_t n);

/* client_input: bytes the server sent, any split.  Consumes all of them;
 * the session may end inside (a malformed reply ends it in CLIENT_NEXT). */
void	client_input(struct client *c, const uint8_t *p, size_t len);

/* client_tls_done: the caller's handshake after STARTTLS's 220 succeeded
 * (ok 1: the engine says EHLO again) or failed (ok 0: CLIENT_NEXT, 4.7.5
 * "TLS handshake failed: why" for every recipient, so that the queue's
 * last answer says what was refused; and client_tls_failed says so).
 * why (read during the call, may be NULL) matters only when ok is 0. */
void	client_tls_done(struct client *c, int ok, const char *why);
int	client_tls_failed(const struct client *c);

/* client_body: len (1..CLIENT_BODY_CHUNK) more message bytes, in order,
 * once client_next said CLIENT_WANT_BODY; they are appended dot-stuffed
 * to the output (bytes not yet sent are kept, but the caller should send
 * the output between two calls: the buffer holds two chunks).
 * client_body_end: the message is complete (the engine ends the last
 * line and sends ".").  Both do nothing outside the body. */
void	client_body(struct client *c, const uint8_t *p, size_t len);
void	client_body_end(struct client *c);

/* client_fail: the connection broke (end of file, an I/O error, the
 * timeout client_timeout_ms gave passed); why ("timeout", "connection
 * closed") goes into the recipients' text.  During QUIT the session just
 * ends. */
void	client_fail(struct client *c, const char *why);

/* client_timeout_ms: how long the caller waits for the bytes the engine
 * wants now, as RFC 5321 §4.5.3.2 gives them: greeting 5 min, MAIL 5 min,
 * RCPT 5 min, DATA 2 min, each data block 3 min, the end of data 10 min;
 * EHLO, STARTTLS, AUTH 5 min; QUIT 2 min. */
int64_t	client_timeout_ms(const struct client *c);

enum client_outcome client_outcome(const struct client *c);

/* client_result: recipient i's result (i < job->nrcpt); meaningful once
 * the session is over.  The text is the server's (all lines joined by a
 * space, the enhanced code kept) or ours in words, printable ASCII. */
const struct relay_rcpt_result *client_result(const struct client *c,
	    size_t i);

/* client_caps: CLIENT_CAP_* bits of the server's last EHLO answer;
 * client_size_max: its SIZE (0: none given). */
unsigned	client_caps(const struct client *c);
uint64_t	client_size_max(const struct client *c);

/* client_data_sent: 1 once every byte of the message and its end of
 * data were handed to the caller's connection: from here the server
 * may take the message at any moment, and the sender must not lose its
 * answer.  client_answered: 1 once the server answered the transaction
 * (the session ends in CLIENT_DONE; only QUIT may be left): each
 * recipient's result is final and can be reported before QUIT. */
int		client_data_sent(const struct client *c);
int		client_answered(const struct client *c);

/* client_greeted: 1 once the server greeted with 2xx (it answered, even
 * if the session failed later): the destination is not down. */
int		client_greeted(const struct client *c);

/* client_state_name: "greeting", "EHLO", "RCPT"... what the engine is
 * waiting for, for the caller's log lines. */
const char	*client_state_name(const struct client *c);

#endif
