/*
 * relayproto.h: the queue <-> relay protocol (issue 11), built and
 * decoded by typed codecs.  One frame per item (frame.h, FRAME_MAX 4096);
 * one job at a time on a relay process's socket pair:
 *
 *   MSG_RELAY_JOB     queue -> relay: struct relay_job; the open message
 *                     file rides along (queueproto_send_fd)
 *   MSG_RELAY_RCPT    queue -> relay: struct relay_rcpt, job.nrcpt times
 *   MSG_RELAY_GO      queue -> relay: (no field); the relay starts
 *   MSG_RELAY_RESULT  relay -> queue: struct relay_rcpt_result, one per
 *                     recipient, in the order of the RCPT frames
 *   MSG_RELAY_DONE    relay -> queue: struct relay_done; the job is over
 *
 * The RESULTs and DONE go out the moment the remote host answered the
 * transaction (before QUIT), and the queue writes a SENT result to the
 * spool as it reads it: a crash between the two sends the message again.
 *
 * Runs in the queue (decoding the relay's answers: a relay process talks
 * to the Internet, so its frames are never trusted) and in the relay
 * (decoding the queue's jobs, checked all the same).  Every decoder
 * bounds each field, refuses a NUL inside a string, a trailing byte, an
 * unknown bit, status or range; strings that end up in logs, DSNs and the
 * queue's records (text, host, addr, tls, policy, dsn) must be printable
 * ASCII.  Buffers are the caller's; nothing allocates.
 */
#ifndef POSTERN_RELAYPROTO_H
#define POSTERN_RELAYPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "common/dns.h"
#include "common/frame.h"
#include "common/netaddr.h"
#include "smtpd/queueproto.h"

#define RELAY_RCPT_MAX		100	/* recipients per job */
#define RELAY_DSN_MAX		16	/* "5.1.1" and the NUL, with room */
#define RELAY_POLICY_MAX	32

/* relay_rcpt_result.status */
#define RELAY_SENT		0
#define RELAY_TEMP		1
#define RELAY_PERM		2

struct relay_job {
	char		id[QUEUE_ID_LEN + 1];		/* the queue id */
	char		sender[QUEUE_ADDR_MAX];		/* "" for <> */
	char		envid[QUEUE_ENVID_MAX];		/* "" or xtext */
	uint32_t	body;				/* QUEUE_BODY_* */
	uint32_t	flags;				/* QUEUE_F_* */
	char		domain[DNS_NAME_MAX + 1];	/* lowercased */
	uint64_t	size;		/* the message: the file's start */
	uint32_t	nrcpt;		/* 1..RELAY_RCPT_MAX */
	uint32_t	attempt;	/* 0 on the first try */
	/* The checks of a message that came in on port 25 (an alias
	 * forwarding it out again): "" or the value of the
	 * Authentication-Results field the relay adds before the message
	 * (queueproto_authres_valid). */
	char		authres[QUEUE_AUTHRES_MAX];
	/* 1: the message may be DKIM-signed for its From domain (it was
	 * submitted by a user or made here); 0: it came from another
	 * server on port 25 and is never signed with our keys. */
	uint32_t	sign;
};

/* The largest JOB frame: the header, the type byte, six strings at
 * their longest (each after its 2-byte length), five u32 and one u64:
 * within FRAME_MAX, so a job with a whole Authentication-Results value
 * is still one frame. */
#define RELAY_JOB_FRAME_MAX	(FRAME_HDR + 1 + 6 * 2 + QUEUE_ID_LEN + \
	(QUEUE_ADDR_MAX - 1) + (QUEUE_ENVID_MAX - 1) + DNS_NAME_MAX + \
	(QUEUE_AUTHRES_MAX - 1) + 5 * 4 + 8)
_Static_assert(RELAY_JOB_FRAME_MAX <= FRAME_MAX,
    "a relay job must fit one frame");

struct relay_rcpt {
	char		address[QUEUE_ADDR_MAX];	/* queue_rcpt.dest */
	char		orcpt[QUEUE_ORCPT_MAX];		/* "" or "rfc822;..." */
	uint32_t	notify;			/* QUEUE_NOTIFY_ALL bits */
};

struct relay_rcpt_result {
	uint32_t	status;		/* RELAY_SENT, RELAY_TEMP, RELAY_PERM */
	uint32_t	code;		/* the remote's reply code, 0 if none */
	char		dsn[RELAY_DSN_MAX];	/* "" or "c.s.d" as RFC 3463 */
	char		text[QUEUE_TEXT_MAX];	/* remote text or our reason */
};

struct relay_done {
	char		host[DNS_NAME_MAX + 1];	/* the MX that answered, "" */
	char		addr[NETADDR_STRLEN];	/* its address, "" */
	char		tls[QUEUE_TLS_MAX];	/* "none" or the TLS words */
	char		policy[RELAY_POLICY_MAX]; /* "dane"... */
	uint32_t	dest_down;	/* 1: no host of the domain answered */
};

/*
 * Encoders build a finished frame in f and return 0, or -1 when a field
 * does not fit.  Decoders read a frame of the right type (the caller
 * checked f->type) and return 0, or -1 for a missing, oversized or
 * trailing field, an embedded NUL, a value out of range:
 *   JOB:    id not a queue id, body above QUEUE_BODY_BINARYMIME, unknown
 *           flag, domain empty or holding a byte below 0x21 or 0x7f,
 *           nrcpt outside 1..RELAY_RCPT_MAX, authres neither "" nor
 *           queueproto_authres_valid, sign above 1 (the domain's ASCII
 *           letters are lowercased on decoding)
 *   RCPT:   address empty or holding a control byte (a space may stand
 *           in a quoted local part), orcpt holding a control byte or
 *           space, unknown notify bit
 *   JOB and RCPT addresses: a byte below 0x20 or 0x7f refused
 *   RESULT: status above RELAY_PERM, code neither 0 nor 200..599, dsn
 *           neither "" nor class.subject.detail (class 2, 4 or 5, subject
 *           and detail 1..3 digits), a non-printable byte in text
 *   DONE:   dest_down above 1, a non-printable byte in any string
 * out is then undefined.
 */
int	relayproto_job_encode(struct frame *f, const struct relay_job *j);
int	relayproto_job_decode(struct frame *f, struct relay_job *j);
int	relayproto_rcpt_encode(struct frame *f, const struct relay_rcpt *r);
int	relayproto_rcpt_decode(struct frame *f, struct relay_rcpt *r);
int	relayproto_go_encode(struct frame *f);
int	relayproto_go_decode(struct frame *f);
int	relayproto_result_encode(struct frame *f,
	    const struct relay_rcpt_result *r);
int	relayproto_result_decode(struct frame *f, struct relay_rcpt_result *r);
int	relayproto_done_encode(struct frame *f, const struct relay_done *d);
int	relayproto_done_decode(struct frame *f, struct relay_done *d);

/* relayproto_dsn_valid: 1 when s is an RFC 3463 enhanced status code
 * ("4.4.1": class 2, 4 or 5, subject and detail of 1..3 digits), else 0. */
int	relayproto_dsn_valid(const char *s);

/*
 * The bounds of a job (relay_deliver), which the queue waits by.
 * RELAY_SESSION_MS: the sessions with one MX host (all its addresses,
 * from the first connect to the final answer), plus the time to send the
 * message at RELAY_SESSION_RATE bytes a second.  RFC 5321's timeouts
 * bound each reply, but their sum is about half an hour for a short
 * session (5 min greeting, EHLO, MAIL, each RCPT, 2 for DATA, 10 for the
 * end of data), so a few slow destinations could hold every relay
 * process that long; an honest server answers each command in seconds,
 * and ten minutes leaves room for one that is merely slow.  The rate is
 * a floor for an honest slow link (8 KiB/s: a 50 MB message gets 107
 * minutes more), so that size alone never makes a delivery impossible.
 * A whole job, from its start (its DNS lookups and MTA-STS fetch
 * included), may start no new host after twice that, and its last
 * session ends by then too.
 */
#define RELAY_SESSION_MS	(10 * 60 * 1000)
#define RELAY_SESSION_RATE	8192

/* relay_host_ms: one host's bound for a message of size bytes, with
 * session_ms for RELAY_SESSION_MS (tests shorten it); no overflow. */
int64_t	relay_host_ms(int64_t session_ms, uint64_t size);

/* relay_job_ms: how long the queue waits for a job's answers before it
 * takes the relay process for stuck: the job's bound (twice
 * relay_host_ms) and the DNS lookups one host may still be in when it
 * ends, with a margin. */
int64_t	relay_job_ms(uint64_t size);

#endif
