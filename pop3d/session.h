/*
 * session.h: the POP3 TRANSACTION and UPDATE states (RFC 1939 sections 5
 * and 6) over one plain stream descriptor.
 *
 * Runs in pop3d's mail process: chrooted into the user's Maildir as the
 * mail uid, sandboxed, after authd accepted the login.  The descriptor is
 * the socketpair to the net process, which relays the client's plaintext
 * (TLS, the idle timeout and the AUTHORIZATION state are the net
 * process's job).  It trusts the store for the mailbox contents and
 * nothing the client sends: every line is bounded and parsed by parse.c,
 * and errors in a row are counted.
 */
#ifndef POP3D_SESSION_H
#define POP3D_SESSION_H

#include "common/config.h"
#include "common/store.h"

/*
 * What ties a session to the world outside it; the caller fills it.
 *   lockfd  the descriptor holding the maildrop lock, or -1: QUIT closes
 *           it once the update is on disk, before replying, so the client
 *           may log in again at once.
 *   endfd   a descriptor that becomes readable (or hangs up) when the
 *           session must end at once (authd's connection), or -1.
 *           Watched whenever the session waits: for the client's next
 *           command and while a reply cannot be sent.  session_run does
 *           not read it.
 *   ready   called once the maildrop is loaded, before the greeting;
 *           returning -1 refuses the session with "-ERR [SYS/TEMP]".
 *           NULL: none.  arg is passed to it.
 */
struct session_ctl {
	int	  lockfd;
	int	  endfd;
	int	(*ready)(void *arg);
	void	 *arg;
};

/*
 * session_run: the whole post-login dialogue on fd (blocking stream
 * socket, owned by the caller, not closed here).  The caller has taken
 * the maildrop lock and sent nothing yet: session_run does store_sync and
 * store_list of "INBOX", asks ctl->ready, and then sends the greeting
 * itself, "+OK maildrop has N messages (M octets)", or "-ERR [SYS/TEMP]
 * unable to open maildrop" when the store fails or ready refuses.  Doing
 * it here means the count in the greeting is the one the session then
 * serves.  New mail arriving during the session is not seen until the
 * next one (RFC 1939 keeps message numbers fixed for a session).
 *
 * Deletions (DELE) are only marks until QUIT; then store_expunge removes
 * them and "+OK" is sent only after it returned success.  EOF, an I/O
 * error, or POP3_MAX_ERRORS errors in a row end the session with nothing
 * deleted.  cfg may be NULL; nothing in it is used yet.
 *
 * Returns 0 after QUIT with every marked message durably removed; 1 when
 * the client went away or was dropped for too many errors (nothing
 * deleted); 2 when ctl->endfd ended it (nothing deleted; between two
 * commands the client was told "-ERR session ended by the server", in
 * the middle of a reply it was only cut off); -1 when the maildrop could
 * not be opened or ready refused (ready was then not called or returned
 * -1), or on a store or I/O failure, logged (after a failed expunge some
 * marked messages may be gone; the client was told "-ERR").
 */
int	session_run(int fd, struct store *s, const struct config *cfg,
	    const struct session_ctl *ctl);

/* What a session did, for the line that ends it in the log. */
struct session_stats {
	unsigned long		retrieved;	/* RETR sent whole */
	unsigned long long	bytes;		/* their sizes (CRLF octets) */
	unsigned long		marked;		/* DELE not undone by RSET */
	unsigned long		deleted;	/* removed at QUIT */
};

/* session_stats_get: the counts of the session session_run ran last (all
 * zero before the first). */
void	session_stats_get(struct session_stats *st);

#endif
