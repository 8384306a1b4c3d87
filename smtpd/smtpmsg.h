/*
 * smtpmsg.h: the messages between smtpd's net role (the SMTP engine,
 * engine.h) and its monitor (the broker), built and decoded by typed
 * codecs in the style of rolemsg.h.  Encoders run in the net role and,
 * for the answers, in the monitor; decoders run on both sides.  The net
 * role is hostile to the monitor: every decoder checks every field
 * (length, character set, known bits) and rejects trailing bytes.
 *
 *   MSG_SMTP_MAIL  ask   proto (str), helo (str), tls (str), sender (str),
 *                        size (u64), body (u32), flags (u32), envid (str)
 *   MSG_SMTP_RCPT  ask   address (str), notify (u32), orcpt (str)
 *   MSG_SMTP_DATA  tell  bytes: up to SMTPMSG_DATA_MAX octets of the
 *                        message as it will be stored (DATA unstuffed, or
 *                        BDAT chunk octets; CRLF as the client sent it)
 *   MSG_SMTP_END   ask   how (u32), bytes (u64)
 *   MSG_SMTP_RSET  tell  (no fields): the transaction is abandoned
 *   answers to MAIL, RCPT, END: a frame of the same type with verdict
 *                        (u32, enum smtp_verdict) and text (str: "" or,
 *                        on END, the queue id)
 */
#ifndef SMTPD_SMTPMSG_H
#define SMTPD_SMTPMSG_H

#include <stddef.h>
#include <stdint.h>

#include "common/frame.h"
#include "common/msg.h"

/* Field limits in octets, without the NUL of the C strings. */
#define SMTPMSG_DATA_MAX	(FRAME_MAX - 16)
#define SMTPMSG_PROTO_MAX	15	/* "UTF8SMTPSA" */
#define SMTPMSG_HELO_MAX	255	/* printable ASCII */
#define SMTPMSG_TLS_MAX		127	/* printable ASCII and blanks */
#define SMTPMSG_ADDR_MAX	256	/* RFC 5321 4.5.3.1.3 */
#define SMTPMSG_ENVID_MAX	100	/* RFC 3461 4.4 */
#define SMTPMSG_ORCPT_MAX	500	/* RFC 3461 4.2 */
#define SMTPMSG_TEXT_MAX	255	/* printable ASCII */

/* MAIL body (BODY=, RFC 6152 and RFC 3030) */
#define SMTPMSG_BODY_7BIT	0	/* also: not given */
#define SMTPMSG_BODY_8BITMIME	1
#define SMTPMSG_BODY_BINARYMIME	2

/* MAIL flags */
#define SMTPMSG_SMTPUTF8	0x01	/* RFC 6531 */
#define SMTPMSG_REQUIRETLS	0x02	/* RFC 8689 */
#define SMTPMSG_RET_FULL	0x04	/* RFC 3461 RET=FULL */
#define SMTPMSG_RET_HDRS	0x08	/* RFC 3461 RET=HDRS */
#define SMTPMSG_MAIL_FLAGS	0x0f

/* RCPT notify (RFC 3461 NOTIFY=); 0: not given */
#define SMTPMSG_NOTIFY_NEVER	0x01
#define SMTPMSG_NOTIFY_SUCCESS	0x02
#define SMTPMSG_NOTIFY_FAILURE	0x04
#define SMTPMSG_NOTIFY_DELAY	0x08

/* END how */
#define SMTPMSG_END_COMPLETE	0	/* end of DATA or BDAT LAST */
#define SMTPMSG_END_ABORT	1	/* discard: refused by the engine */

/* The broker's verdicts; the engine owns the reply wording (engine.h). */
enum smtp_verdict {
	SMTPV_OK = 0,
	SMTPV_NO_SUCH_USER,	/* RCPT */
	SMTPV_RELAY_DENIED,	/* RCPT */
	SMTPV_OVER_QUOTA,	/* RCPT, END */
	SMTPV_TOO_MANY_RCPT,	/* RCPT */
	SMTPV_NOT_OWNER,	/* MAIL, END */
	SMTPV_SEND_LIMIT,	/* MAIL, RCPT, END */
	SMTPV_RATE_LIMIT,	/* any; the engine closes */
	SMTPV_TOO_BIG,		/* MAIL, END */
	SMTPV_TEMP,		/* any */
	SMTPV_REQUIRETLS,	/* MAIL */
	SMTPV_BAD_SENDER,	/* MAIL */
	SMTPV_POLICY,		/* END: the sender domain's DMARC policy
				 * refuses it; text: why, in words */
};

struct smtpmsg_mail {
	char		proto[SMTPMSG_PROTO_MAX + 1];
	char		helo[SMTPMSG_HELO_MAX + 1];
	char		tls[SMTPMSG_TLS_MAX + 1];	/* "" without TLS */
	char		sender[SMTPMSG_ADDR_MAX + 1];	/* "" for <> */
	uint64_t	size;				/* SIZE=, or 0 */
	uint32_t	body;				/* SMTPMSG_BODY_* */
	uint32_t	flags;				/* SMTPMSG_* bits */
	char		envid[SMTPMSG_ENVID_MAX + 1];	/* xtext, "" */
};

struct smtpmsg_rcpt {
	char		addr[SMTPMSG_ADDR_MAX + 1];	/* no source route */
	uint32_t	notify;				/* SMTPMSG_NOTIFY_* */
	char		orcpt[SMTPMSG_ORCPT_MAX + 1];	/* "type;xtext", "" */
};

struct smtpmsg_end {
	uint32_t	how;		/* SMTPMSG_END_* */
	uint64_t	bytes;		/* message octets the engine counted */
};

struct smtpmsg_answer {
	uint32_t	verdict;	/* enum smtp_verdict, or anything */
	char		text[SMTPMSG_TEXT_MAX + 1];
};

/*
 * Each encoder builds a finished frame in f (caller-owned) from the
 * NUL-terminated fields of its struct (the array sizes are the limits):
 * 0, or -1 when the frame would overflow (f is then unusable).  Each
 * decoder reads a parsed frame (frame_parse) of the matching type into
 * its struct (caller-owned): 0, or -1 when the type, a field, a limit or
 * the length is wrong; the struct is then partly filled and unusable.
 * What the decoders check beyond the lengths:
 *   mail: proto one of the RFC 3848 / RFC 6531 names the engine sends;
 *         helo printable ASCII; tls printable ASCII or space; sender ""
 *         or free of control characters, with octets above 0x7f only
 *         when flags has SMTPMSG_SMTPUTF8; body <= 2; flags within
 *         SMTPMSG_MAIL_FLAGS and not both RET bits; envid xtext.
 *   rcpt: address non-empty and free of control characters (above 0x7f
 *         allowed: the MAIL decides); notify NEVER alone or any of the
 *         other three; orcpt "" or "addr-type;xtext".
 *   end:  how 0 or 1.
 *   answer: type is the one asked (MSG_SMTP_MAIL, _RCPT or _END); any
 *         verdict (the engine answers an unknown one with 451); text
 *         printable ASCII, blanks allowed (SMTPV_POLICY's reason).
 */
int	smtpmsg_mail_encode(struct frame *f, const struct smtpmsg_mail *m);
int	smtpmsg_mail_decode(struct frame *f, struct smtpmsg_mail *m);
int	smtpmsg_rcpt_encode(struct frame *f, const struct smtpmsg_rcpt *r);
int	smtpmsg_rcpt_decode(struct frame *f, struct smtpmsg_rcpt *r);
/* data: p (n octets, 1..SMTPMSG_DATA_MAX) is copied into f; the decoder
 * points *p into f (valid while f is). */
int	smtpmsg_data_encode(struct frame *f, const void *p, size_t n);
int	smtpmsg_data_decode(struct frame *f, const uint8_t **p, size_t *n);
int	smtpmsg_end_encode(struct frame *f, const struct smtpmsg_end *e);
int	smtpmsg_end_decode(struct frame *f, struct smtpmsg_end *e);
int	smtpmsg_rset_encode(struct frame *f);
int	smtpmsg_rset_decode(struct frame *f);
int	smtpmsg_answer_encode(struct frame *f, int type,
	    const struct smtpmsg_answer *a);
int	smtpmsg_answer_decode(struct frame *f, int type,
	    struct smtpmsg_answer *a);

/* smtpmsg_xtext_ok: 1 when the n octets at s are xtext (RFC 3461 section
 * 4: "!".."~" except '+' and '=', or '+' and two uppercase hex digits),
 * else 0.  An empty string is xtext. */
int	smtpmsg_xtext_ok(const char *s, size_t n);

/* smtpmsg_orcpt_ok: 1 when s is an ORCPT value (RFC 3461 section 4.2):
 * addr-type (letters, digits, '-'), ';', xtext; else 0. */
int	smtpmsg_orcpt_ok(const char *s);

#endif
