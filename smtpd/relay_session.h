/*
 * relay_session.h: one SMTP session of the relay with one remote host:
 * the client engine (client.h) driven over a connection (relay_net.h),
 * STARTTLS's handshake done when the engine asks, the message read from
 * the queue's file descriptor in bounded chunks, every wait bounded by
 * the engine's timeout for it and by the deadline of the whole session.
 * Runs in the relay role.
 */
#ifndef POSTERN_RELAY_SESSION_H
#define POSTERN_RELAY_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "smtpd/client.h"
#include "smtpd/relay_net.h"
#include "smtpd/relay_tls.h"

struct relay_session {
	struct relay_net	*net;		/* connected */
	struct client		*client;	/* fresh, for this session */
	const struct relay_tls_req *tls;	/* for the handshake */
	int			 msgfd;		/* the message file */
	uint64_t		 size;		/* its first size bytes */
	/* Bytes sent before the message (header fields the relay adds,
	 * such as a DKIM-Signature), CRLF line ends; NULL when none. */
	const void		*prefix;
	size_t			 prefixlen;
	/* The end of the whole session (mono_ms), 0 for none: each wait
	 * (a reply, a write, the TLS handshake) lasts until the engine's
	 * own timeout for it or this deadline, whichever comes first; once
	 * the deadline passes the session ends through client_fail, in
	 * words that say it took longer than allowed_s seconds. */
	int64_t			 deadline;
	int64_t			 allowed_s;

	/* Called once each, NULL for none, with hook_arg: data_sent when
	 * the end of data has gone out (client_data_sent), answered the
	 * moment the server has answered the transaction (client_answered),
	 * before QUIT, so that the results reach the queue before anything
	 * else happens. */
	void			(*data_sent)(void *arg,
				    const struct relay_session *s);
	void			(*answered)(void *arg,
				    const struct relay_session *s);
	void			*hook_arg;

	/* Out: */
	char			 tls_desc[QUEUE_TLS_MAX]; /* "none" or ... */
	int			 tls_verified;
	int			 file_error;	/* the message file failed */
	int			 late;		/* the deadline ended it */
};

/* relay_session_run: run s->client to its end (calling the hooks on the
 * way); the recipients' results and the outcome are then the client's.
 * Never fails by itself: a broken connection, a timeout, the session's
 * deadline or an unreadable message file end the session through
 * client_fail (4.4.2; once the end of data was sent, a temporary result
 * for the accepted recipients: never "sent" without the server's 250). */
void	relay_session_run(struct relay_session *s);

#endif
