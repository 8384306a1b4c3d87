/*
 * notice.h: login notices, the short mails authd sends a user when the
 * account is logged into from an address it was not used from lately,
 * and when the account locks after too many failed logins.
 *
 * The server process composes each notice and holds it until the round's
 * commit (server.c): a login whose record did not reach the disk sends
 * nothing.  Then it hands the notice to its parent over a datagram
 * socket, without waiting (a full socket drops the notice, logged): the
 * server is chrooted to <state>/auth and its sandbox opens no file, so
 * the parent, outside the chroot, forks a short-lived writer that drops
 * to the auth user and writes the mail into smtpd's offline intake
 * (intake.h) as the null sender.  The notice is best effort: it never
 * delays or changes an answer, and a failure is logged.
 *
 *   MSG_AUTHD_NOTICE   server -> parent: recipient (the canonical user),
 *                      the message (bytes: header and body, LF line ends)
 *
 * What the fields hold comes from authd's own records: a user name that
 * passed user_name_valid, a normalised numeric address, a service that is
 * imap, pop3 or smtp; no byte of it is a client's free text.
 */
#ifndef POSTERN_NOTICE_H
#define POSTERN_NOTICE_H

#include <stddef.h>
#include <stdint.h>

#include "common/authproto.h"
#include "common/config.h"

/* The mail, which must fit one frame with its recipient. */
#define NOTICE_MSG_MAX		3072

enum notice_kind {
	NOTICE_LOGIN,		/* a login from a new address */
	NOTICE_LOCKED,		/* the account just locked */
};

struct notice {
	enum notice_kind kind;
	char		 user[AUTH_USER_MAX];
	char		 address[AUTH_ADDR_MAX];
	char		 service[AUTH_SERVICE_MAX];
	int64_t		 when;		/* seconds since the epoch */
	int64_t		 locked_for;	/* NOTICE_LOCKED: seconds */
};

/*
 * notice_compose: the mail for n into buf (len bytes): From
 * "postern <postmaster@<domain>>", To the user, Subject, Date,
 * Message-ID "<notice.<token>@<host>>", Auto-Submitted (RFC 3834), a
 * plain text body saying when (UTC), from which address, over which
 * protocol, and what to do if it was not the user.  token is a unique
 * string of letters and digits.  Returns the length (no NUL counted,
 * though one is written), or -1 when it does not fit.
 */
int	notice_compose(const struct notice *n, const char *domain,
	    const char *host, const char *token, char *buf, size_t len);

/* notice_init: in the server, the socket to the parent and the config
 * (for the domain, the host name and the lock time). */
void	notice_init(int fd, const struct config *cfg);

/* notice_stage: hold n until the round commits; at most NOTICE_STAGED
 * a round (more are dropped, logged). */
#define NOTICE_STAGED		64
void	notice_stage(const struct notice *n);

/* notice_release: after the commit (ok non-zero: it succeeded), send the
 * staged notices to the parent; after a failed one, forget them. */
void	notice_release(int ok);

/*
 * notice_decode: in the parent, one datagram of len bytes from the
 * server into the recipient (rcpt, AUTH_USER_MAX bytes) and a pointer
 * into f to the message and its length.  Returns 0, or -1 when it is no
 * well-formed MSG_AUTHD_NOTICE.
 */
int	notice_decode(struct frame *f, const uint8_t *buf, size_t len,
	    char *rcpt, const uint8_t **msg, size_t *msglen);

#endif
