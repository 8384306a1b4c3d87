/*
 * dsn.h: delivery status notifications (RFC 3464): the bounce and the
 * delay notice the queue sends back to the envelope sender of a message
 * it could not deliver (yet).  Pure text building: the caller (the
 * queue) gives what it knows about the message and its recipients and
 * the first bytes of the original message; dsn_build writes the whole
 * notice (header and multipart/report body, CRLF line ends) into a
 * strbuf.
 *
 * The original message is hostile (anyone on the Internet wrote it): its
 * header section is copied bounded (DSN_HDRS_MAX bytes, lines cut at 998
 * octets, every line end made CRLF, NUL and lone CR made '?'), and the
 * whole message only when RET=FULL asked for it, it is complete in what
 * the caller gave, at most DSN_FULL_MAX bytes and without NUL; otherwise
 * the headers alone.  Every string of the caller that goes into a header
 * field (addresses, host, remote text) has its control bytes made '?'.
 * Runs in the queue; allocates only through the strbuf.
 *
 * The notice (RFC 3464, RFC 3462 multipart/report):
 *   From: Mail Delivery System <MAILER-DAEMON@hostname>
 *   To: <sender>
 *   Subject: Undelivered Mail Returned to Sender | Delayed Mail (still
 *            being retried)
 *   Auto-Submitted: auto-replied (RFC 3834: no auto-reply to it)
 *   Content-Type: multipart/report; report-type=delivery-status
 *   1. text/plain: which recipients, and what the remote host said
 *   2. message/delivery-status: Reporting-MTA, Original-Envelope-Id
 *      (ENVID, xtext-decoded), Arrival-Date; per recipient
 *      Original-Recipient (ORCPT, decoded), Final-Recipient, Action,
 *      Status, Remote-MTA, Diagnostic-Code, Last-Attempt-Date,
 *      Will-Retry-Until (delays)
 *   3. text/rfc822-headers, or message/rfc822 (RET=FULL)
 * The envelope (null sender, one recipient: the original sender) is the
 * caller's.
 */
#ifndef POSTERN_DSN_H
#define POSTERN_DSN_H

#include <stddef.h>
#include <stdint.h>

#include "common/strbuf.h"

#define DSN_HDRS_MAX	(64U * 1024)	/* original header bytes copied */
#define DSN_FULL_MAX	(256U * 1024)	/* a whole original (RET=FULL) */
#define DSN_MAX		(DSN_FULL_MAX + DSN_HDRS_MAX + 512U * 1024)
					/* the notice, at most (its cap) */
#define DSN_RCPT_MAX	1000		/* recipients in one notice */

enum dsn_action { DSN_FAILED, DSN_DELAYED };

struct dsn_rcpt {
	const char	*final;		/* the address delivery was tried to */
	const char	*orcpt;		/* "" or ORCPT as given: "type;xtext" */
	uint32_t	 code;		/* the remote reply code, 0: none */
	const char	*status;	/* "5.1.1"; "" or invalid: 5.0.0 for
					 * failed, 4.0.0 for delayed */
	const char	*host;		/* the remote host, "" none */
	const char	*text;		/* the remote's text or our reason */
	int64_t		 last_attempt;	/* unix seconds, 0: none */
};

struct dsn_msg {
	const char	*hostname;	/* ours: Reporting-MTA, From */
	const char	*id;		/* the original's queue id */
	const char	*sender;	/* the original envelope sender */
	const char	*envid;		/* "" or ENVID as given (xtext) */
	int64_t		 arrival;	/* the original's, unix seconds */
	int64_t		 now;		/* Date, unix seconds */
	enum dsn_action	 action;	/* every recipient's */
	int64_t		 retry_until;	/* DSN_DELAYED: unix seconds */
	int		 ret_full;	/* RET=FULL was given */
	const struct dsn_rcpt *rcpts;	/* 1..DSN_RCPT_MAX */
	size_t		 nrcpt;
	const char	*orig;		/* the original's first bytes */
	size_t		 origlen;
	int		 orig_complete;	/* orig is the whole message */
};

/*
 * dsn_build: the notice for d into out (which should be empty; its cap
 * should be at least DSN_MAX).  Returns 0, or -1 when d is unusable (no
 * recipient or too many, an empty hostname or sender) or out ran into
 * its cap or out of memory.  *eightbit is set to 1 when the notice holds
 * a byte >= 0x80 (the original's header or body: it then needs
 * 8BITMIME), else 0.
 */
int	dsn_build(const struct dsn_msg *d, struct strbuf *out, int *eightbit);

/*
 * dsn_xtext_decode: RFC 3461 xtext ("+" and two uppercase hex digits
 * stand for a byte) into out (len bytes, NUL-terminated; truncated when
 * short); a malformed "+" is kept as it is; decoded bytes outside
 * printable ASCII become '?'.
 */
void	dsn_xtext_decode(const char *in, char *out, size_t len);

/* dsn_date: an RFC 5322 date of t, in UTC, into buf. */
void	dsn_date(int64_t t, char *buf, size_t len);

#endif
