/*
 * queueproto.h: the queue's protocols, built and decoded by typed codecs:
 * the broker's and authctl's requests on <spool>/queue.sock, and the
 * queue's requests to the deliver role.  One frame each (frame.h);
 * answers have the request's type.
 *
 *   MSG_QUEUE_ENV     broker -> queue: struct queue_env (below)
 *   MSG_QUEUE_RCPT    broker -> queue: struct queue_rcpt, one per
 *                     destination
 *   MSG_QUEUE_DATA    broker -> queue: bytes (1..QUEUE_DATA_MAX), the
 *                     message as received (CRLF), in order
 *   MSG_QUEUE_COMMIT  broker -> queue: (no field)
 *                     answer: status (u32: QUEUE_OK, QUEUE_TEMP), text
 *                     (the queue id on QUEUE_OK, else the reason)
 *   MSG_QUEUE_CHECKS  broker -> queue: struct queue_checks (below), at
 *                     most once, after the DATA and before COMMIT, no
 *                     answer: what the check role found (port 25)
 *   MSG_QUEUE_ABORT   broker -> queue: (no field), no answer
 *   MSG_QUEUE_ROOM    broker -> queue: user, quota (u64), size (u64)
 *                     answer: status (u32: QUEUE_ROOM_*), text ("")
 *   MSG_QUEUE_LIST    authctl -> queue: id (""), offset (u32)
 *   MSG_QUEUE_SHOW    authctl -> queue: id, offset (u32)
 *                     answer to both: status (u32: QUEUE_OK,
 *                     QUEUE_NOTFOUND), total (u32: bytes of the text),
 *                     bytes (the text from offset on, at most
 *                     QUEUE_DATA_MAX): the listing or the one message
 *                     in words, as authctl prints it.  The text is made
 *                     when offset is 0 and kept for the connection, so
 *                     the pages of one listing agree.
 *   MSG_QUEUE_REMOVE  authctl -> queue: id
 *   MSG_QUEUE_FLUSH   authctl -> queue: id ("" for every message)
 *                     answer to both: status (u32: QUEUE_OK,
 *                     QUEUE_NOTFOUND, QUEUE_TEMP), text (what was done
 *                     or why not, in words)
 *
 *   MSG_DELIVER_MSG   queue -> deliver: struct deliver_req; the message
 *                     file's descriptor rides along (SCM_RIGHTS)
 *                     answer: status (u32: DELIVER_OK, DELIVER_TEMP,
 *                     DELIVER_PERM, DELIVER_QUOTA), text (the reason)
 *   MSG_DELIVER_ROOM  queue -> deliver: user, quota (u64), size (u64)
 *                     answer: status (u32: QUEUE_ROOM_*), text
 *                     (ROOM's quota is authd's word: it applies to a
 *                     Maildir that has no limit of its own yet, see
 *                     store_deliver_room)
 *
 * Runs in the queue (decoding requests from root's monitors and authctl,
 * checked with SO_PEERCRED, still never trusted: every field is bounded,
 * every string NUL-free), in the broker and authctl (decoding answers),
 * and in the deliver role (decoding the queue's requests).  Buffers are
 * the caller's; nothing allocates.
 */
#ifndef POSTERN_QUEUEPROTO_H
#define POSTERN_QUEUEPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "common/authproto.h"
#include "common/frame.h"

#define QUEUE_ID_LEN	16		/* lowercase hex */
#define QUEUE_ADDR_MAX	257		/* 256 bytes and the NUL */
#define QUEUE_ORCPT_MAX	501
#define QUEUE_ENVID_MAX	101
#define QUEUE_HELO_MAX	256
#define QUEUE_TLS_MAX	256
#define QUEUE_PROTO_MAX	16
#define QUEUE_TEXT_MAX	512		/* an answer's text */
#define QUEUE_DATA_MAX	(FRAME_MAX - 16)
#define QUEUE_AUTHRES_MAX 2048		/* an Authentication-Results value
					 * and its NUL */

/* queue_env.body */
#define QUEUE_BODY_7BIT		0
#define QUEUE_BODY_8BITMIME	1
#define QUEUE_BODY_BINARYMIME	2
/* queue_env.flags: as smtpmsg.h's SMTPMSG_* */
#define QUEUE_F_SMTPUTF8	0x01
#define QUEUE_F_REQUIRETLS	0x02
#define QUEUE_F_RET_FULL	0x04
#define QUEUE_F_RET_HDRS	0x08
#define QUEUE_F_ALL		0x0f

/* Statuses. */
#define QUEUE_OK		0
#define QUEUE_TEMP		1
#define QUEUE_NOTFOUND		2

#define QUEUE_ROOM_YES		0
#define QUEUE_ROOM_OVER		1
#define QUEUE_ROOM_UNKNOWN	2

#define DELIVER_OK		0
#define DELIVER_TEMP		1
#define DELIVER_PERM		2
#define DELIVER_QUOTA		3	/* temporary, 4.2.2 */

struct queue_env {
	char		sender[QUEUE_ADDR_MAX];		/* "" for <> */
	uint32_t	body;				/* QUEUE_BODY_* */
	uint32_t	flags;				/* QUEUE_F_* */
	char		envid[QUEUE_ENVID_MAX];
	char		helo[QUEUE_HELO_MAX];
	char		address[AUTH_ADDR_MAX];		/* the client's */
	char		auth_user[AUTH_USER_MAX];	/* "" on 25 */
	char		tls[QUEUE_TLS_MAX];		/* "" without TLS */
	char		proto[QUEUE_PROTO_MAX];		/* "ESMTPS"... */
	char		session[AUTH_SESSION_MAX];
	uint32_t	port;				/* our local port */
	uint32_t	received_addr;	/* 1: the address goes into Received */
};

/* queue_rcpt.notify: as smtpmsg.h's NOTIFY bits */
#define QUEUE_NOTIFY_ALL	0x0f

struct queue_rcpt {
	char		address[QUEUE_ADDR_MAX];	/* as the client gave it */
	char		orcpt[QUEUE_ORCPT_MAX];		/* "" or "rfc822;..." */
	uint32_t	notify;
	uint32_t	local;		/* 1: dest is a local user */
	char		dest[QUEUE_ADDR_MAX];	/* user@domain or remote */
};

/* The checks of a message that came in on port 25: the envelope keeps
 * them, and the deliver role writes them (queue.h). */
struct queue_checks {
	char		authres[QUEUE_AUTHRES_MAX];	/* the value of the
					 * Authentication-Results field:
					 * queueproto_authres_valid */
	uint32_t	junk;		/* 1: into the Junk folders (DMARC
					 * quarantine) */
};

struct queue_room {
	char		user[AUTH_USER_MAX];
	uint64_t	quota;
	uint64_t	size;
};

struct deliver_req {
	char		key[40];		/* "<queue id>-<index>" */
	char		user[AUTH_USER_MAX];	/* canonical user@domain */
	char		sender[QUEUE_ADDR_MAX];	/* Return-Path, "" for <> */
	char		rcpt[QUEUE_ADDR_MAX];	/* Delivered-To */
	uint32_t	recovering;		/* see store_deliver_once */
	uint64_t	size;			/* the message's bytes: the
						 * file's first (queue.h) */
	char		authres[QUEUE_AUTHRES_MAX];	/* "" or the value of
						 * the Authentication-Results
						 * field to write first */
	uint32_t	junk;			/* 1: into Junk, not INBOX */
};

/*
 * Encoders build a finished frame in f and return 0, or -1 when a field
 * does not fit.  Decoders read a frame of the right type (the caller
 * checked f->type) and return 0, or -1 for a missing, oversized or
 * trailing field, an embedded NUL, a value out of range (body above 2,
 * flags or notify with unknown bits, a status unknown for the type);
 * out is then undefined.
 */
int	queueproto_env_encode(struct frame *f, const struct queue_env *e);
int	queueproto_env_decode(struct frame *f, struct queue_env *e);
int	queueproto_rcpt_encode(struct frame *f, const struct queue_rcpt *r);
int	queueproto_rcpt_decode(struct frame *f, struct queue_rcpt *r);

/* DATA: len is 1..QUEUE_DATA_MAX; *p points into f. */
int	queueproto_data_encode(struct frame *f, const void *p, size_t len);
int	queueproto_data_decode(struct frame *f, const uint8_t **p,
	    size_t *len);

/* A request without fields (COMMIT, ABORT). */
int	queueproto_empty_encode(struct frame *f, uint8_t type);
int	queueproto_empty_decode(struct frame *f);

/* An answer of status and text (COMMIT, ROOM, REMOVE, FLUSH, and the
 * deliver role's answers); max is the highest status allowed. */
int	queueproto_result_encode(struct frame *f, uint8_t type,
	    uint32_t status, const char *text);
int	queueproto_result_decode(struct frame *f, uint32_t max,
	    uint32_t *status, char *text, size_t textlen);

/* CHECKS; the decoder also refuses junk above 1 and an authres that
 * fails queueproto_authres_valid. */
int	queueproto_checks_encode(struct frame *f,
	    const struct queue_checks *c);
int	queueproto_checks_decode(struct frame *f, struct queue_checks *c);

/*
 * queueproto_authres_valid: 1 when s can be the value of an
 * Authentication-Results field as postern stores it: 1 to
 * QUEUE_AUTHRES_MAX - 1 bytes, unfolded (the deliver role folds it),
 * each printable ASCII or a byte of 0x80 and above (an SMTPUTF8
 * address), not starting with a blank; so it is one line of the
 * envelope and one field of the delivered message.  Else 0.
 */
int	queueproto_authres_valid(const char *s);

/*
 * queueproto_authres_field: the whole field as a delivery writes it
 * into out (outlen bytes): "Authentication-Results: " and value (which
 * MUST pass queueproto_authres_valid), folded after each ';' that is
 * outside quotes and comments (each result on a line of its own, RFC
 * 8601's layout) and at a blank when a line grew past 900 bytes, with
 * LF line ends (the store's), or CRLF when crlf is set (the relay's
 * wire).  0, or -1 when out is too small; 2 x QUEUE_AUTHRES_MAX + 32
 * bytes always suffice.
 */
int	queueproto_authres_field(char *out, size_t outlen, const char *value,
	    int crlf);

int	queueproto_room_encode(struct frame *f, const struct queue_room *r);
int	queueproto_room_decode(struct frame *f, struct queue_room *r);

/* LIST and SHOW requests: id ("" or QUEUE_ID_LEN hex), offset. */
int	queueproto_page_req_encode(struct frame *f, uint8_t type,
	    const char *id, uint32_t offset);
int	queueproto_page_req_decode(struct frame *f, char *id, size_t idlen,
	    uint32_t *offset);
/* Their answer; *p points into f. */
int	queueproto_page_ans_encode(struct frame *f, uint8_t type,
	    uint32_t status, uint32_t total, const void *p, size_t len);
int	queueproto_page_ans_decode(struct frame *f, uint32_t *status,
	    uint32_t *total, const uint8_t **p, size_t *len);

/* REMOVE and FLUSH requests: id ("" or QUEUE_ID_LEN hex). */
int	queueproto_id_encode(struct frame *f, uint8_t type, const char *id);
int	queueproto_id_decode(struct frame *f, char *id, size_t idlen);

/* DELIVER_MSG; the decoder also refuses junk above 1 and an authres
 * neither "" nor valid. */
int	queueproto_deliver_encode(struct frame *f,
	    const struct deliver_req *r);
int	queueproto_deliver_decode(struct frame *f, struct deliver_req *r);
int	queueproto_droom_encode(struct frame *f, const char *user,
	    uint64_t quota, uint64_t size);
int	queueproto_droom_decode(struct frame *f, char *user, size_t userlen,
	    uint64_t *quota, uint64_t *size);

/* queueproto_id_valid: 1 when id is exactly QUEUE_ID_LEN lowercase hex
 * digits (what a queue id is), else 0. */
int	queueproto_id_valid(const char *id);

/*
 * Descriptor passing for MSG_DELIVER_MSG over a SOCK_STREAM socket pair:
 * queueproto_send_fd writes the finished frame f with fd attached to its
 * first byte; queueproto_recv_fd reads exactly one frame (blocking, by
 * deadline as frame_read) into f and the descriptor that came with it
 * into *fdp (-1 when none came).  Both return 0, or -1 with errno
 * (EPROTO for a bad frame or more than one descriptor, ECONNRESET at end
 * of file).
 */
int	queueproto_send_fd(int sock, const struct frame *f, int fd);
int	queueproto_recv_fd(int sock, struct frame *f, int *fdp,
	    int64_t deadline);

#endif
