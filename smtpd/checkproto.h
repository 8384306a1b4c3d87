/*
 * checkproto.h: the protocol between a port-25 broker and the check role
 * (smtpd -R check: SPF, DKIM verification, DMARC; check.c), and its
 * typed codec.  One request at a time on a connection:
 *
 *   MSG_CHECK_MSG  broker -> check: struct check_msg (who sent the
 *                  message and what its header says)
 *   MSG_CHECK_SIG  broker -> check: struct dkim_sig (common/dkim.h),
 *                  exactly nsig of them (0..DKIM_SIGS_MAX), in header
 *                  order: phase 1 of DKIM verification, as the broker
 *                  left it
 *   MSG_CHECK_RUN  broker -> check: (no field): evaluate
 *                  answer MSG_CHECK_RUN: struct check_result
 *
 * The broker waits CHECK_WAIT_MS for the answer, and tells the check
 * role until when (check_msg.until, on CLOCK_MONOTONIC, which the two
 * processes of one host share): the check role makes no lookup after
 * that time less one lookup's length, and answers a request that waited
 * too long in its queue at once, with temperror results.  An answer
 * carries the id of its request; a broker that gave up waiting closes
 * the connection (the answer, if it comes, is lost with it), and never
 * takes an answer whose id is not its request's.
 *
 * The broker (root's monitor, then the queue uid) hashes the message as
 * it streams to the queue (dkim_verifier_*): each DKIM-Signature field
 * parsed, its body hash compared with bh=, the hash of the header fields
 * it signs computed.  The check role holds no message: it finishes each
 * signature still pending (the key from DNS, the RSA signature over
 * that hash: dkim_verify_finish), and evaluates SPF and DMARC.
 *
 * Runs in the broker (encoding requests, decoding answers) and in the
 * check role (decoding requests).  Neither trusts the other's bytes: the
 * check role reads DNS answers from the Internet, and the broker's
 * fields came from the SMTP client.  Every decoder bounds every field,
 * refuses a NUL or a control character where text is expected, an
 * unknown bit or value, and trailing bytes.  Buffers are the caller's;
 * nothing allocates.
 */
#ifndef POSTERN_CHECKPROTO_H
#define POSTERN_CHECKPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "common/authproto.h"
#include "common/dns.h"
#include "common/frame.h"
#include "smtpd/queueproto.h"

/* common/dkim.h's: its callers include it (a declaration here keeps
 * dkim.h out of the code that does not need it). */
struct dkim_sig;

#define CHECK_SOCKET		"check.sock"	/* in the spool, root's */
#define CHECK_DOMAIN_MAX	(DNS_NAME_MAX + 1)
#define CHECK_REASON_MAX	200	/* printable ASCII */
#define CHECK_AUTHRES_MAX	QUEUE_AUTHRES_MAX
#define CHECK_WAIT_MS		20000	/* a broker's wait for the answer */

/* check_msg.checks: what the configuration turned on ("smtp spf check",
 * "smtp dkim check", "smtp dmarc check"). */
#define CHECK_SPF		0x01
#define CHECK_DKIM		0x02
#define CHECK_DMARC		0x04
#define CHECK_ALL		0x07

/* check_msg.from: the RFC5322.From DMARC needs (RFC 7489 6.6.1). */
#define CHECK_FROM_ONE		0	/* one field, one address: from_domain */
#define CHECK_FROM_NONE		1	/* no From field */
#define CHECK_FROM_MANY		2	/* several fields or addresses, or
					 * a field without an address */
#define CHECK_FROM_BAD		3	/* unreadable, or the header too long */

struct check_msg {
	char		address[AUTH_ADDR_MAX];	/* the client's, numeric */
	char		helo[QUEUE_HELO_MAX];	/* as the Received shows it */
	char		sender[QUEUE_ADDR_MAX];	/* MAIL FROM, "" for <> */
	uint32_t	from;			/* CHECK_FROM_* */
	char		from_domain[CHECK_DOMAIN_MAX];	/* "" unless ONE */
	uint32_t	checks;			/* CHECK_* bits, not 0 */
	uint32_t	nsig;			/* MSG_CHECK_SIG to follow */
	uint32_t	id;			/* the broker's request count */
	int64_t		until;			/* mono_ms() when the broker
						 * stops waiting, >= 0 */
};

/* check_result.disposition: what the broker does with the message. */
#define CHECK_ACCEPT		0
#define CHECK_QUARANTINE	1	/* to the recipients' Junk folders */
#define CHECK_REJECT		2	/* 550 5.7.1 at the end of DATA */
#define CHECK_DEFER		3	/* 451: DMARC could not decide now */

struct check_result {
	uint32_t	id;			/* its request's */
	uint32_t	disposition;		/* CHECK_ACCEPT etc. */
	char		reason[CHECK_REASON_MAX + 1];	/* for the reply and
					 * the log; "" on ACCEPT */
	char		authres[CHECK_AUTHRES_MAX];	/* the value of the
					 * Authentication-Results field
					 * (RFC 8601), unfolded: see
					 * queueproto_authres_valid */
};

/*
 * Encoders build a finished frame in f and return 0, or -1 when a field
 * is too long or a value out of range.  Decoders read a frame whose type
 * the caller checked and return 0, or -1 (out is then undefined) for a
 * missing, oversized or trailing field, a NUL, a value out of range:
 *   check_msg: address empty or not printable ASCII, helo or
 *     from_domain not printable ASCII without blanks, sender with a
 *     control character (UTF-8 bytes and blanks are allowed: SMTPUTF8,
 *     quoted local parts), from not CHECK_FROM_*, from_domain not empty
 *     exactly when from is ONE, checks 0 or with unknown bits, nsig
 *     above DKIM_SIGS_MAX, until negative;
 *   dkim_sig: result unknown, reason, domain, selector or auid with a
 *     control byte (domain and selector: or a blank), domain or selector
 *     not dkim_name_ok on a PENDING one, c= flags above 1, l=, t=, x=
 *     below -1, bh= or the header hash not 32 bytes, b= longer than
 *     DKIM_SIG_BYTES_MAX (or empty when PENDING).  What the signature
 *     says is still not trusted: dkim_verify_finish checks it again;
 *   check_result: disposition unknown, reason not printable ASCII,
 *     authres failing queueproto_authres_valid (empty included).
 */
int	checkproto_msg_encode(struct frame *f, const struct check_msg *m);
int	checkproto_msg_decode(struct frame *f, struct check_msg *m);
int	checkproto_sig_encode(struct frame *f, const struct dkim_sig *s);
int	checkproto_sig_decode(struct frame *f, struct dkim_sig *s);
/* RUN (the request has no field: queueproto_empty_*). */
int	checkproto_result_encode(struct frame *f,
	    const struct check_result *r);
int	checkproto_result_decode(struct frame *f, struct check_result *r);

/*
 * checkproto_temperror: the Authentication-Results value for a message
 * whose checks could not be made (no check role, no answer, a check role
 * without its resolver): "<hostname>; spf=temperror reason=..." for each
 * check in checks (CHECK_* bits), with reason why (printable ASCII
 * without '"' or '\\'), into out (outlen bytes; CHECK_AUTHRES_MAX
 * suffice).  Pure.
 */
void	checkproto_temperror(char *out, size_t outlen, const char *hostname,
	    unsigned checks, const char *why);

/*
 * checkproto_unchecked: the whole result for a message whose checks
 * could not be made: the temperror Authentication-Results above, and,
 * when DMARC is among checks, CHECK_DEFER (RFC 7208 8.6, RFC 7489 6.6.3:
 * a temporary failure, so that a slow or broken DNS never lets mail
 * past a domain's p=reject), else CHECK_ACCEPT.  Pure.
 */
void	checkproto_unchecked(struct check_result *r, const char *hostname,
	    unsigned checks, const char *why);

#endif
