/*
 * authproto.h: the authd protocol, spoken on <runtime>/authd.sock.
 *
 * Encoders run in the daemons' monitors, in authctl-free test clients and
 * in authd; decoders run in authd (requests, from processes it checked
 * with SO_PEERCRED but still does not trust) and in the monitors (answers).
 * Every message is one frame (frame.h).  Requests carry a request id that
 * the answer repeats, so a client may have several requests in flight;
 * answers may come in any order.  An answer never says why a login failed.
 *
 *   MSG_AUTH_LOGIN     req: id, service, mechanism, user, secret (bytes),
 *                           address, local port, session
 *                      ans: id, status, canonical user, mail dir,
 *                           quota (u64)
 *   MSG_AUTH_BANCHECK  req: id, address          ans: id, status
 *   MSG_AUTH_RCPT      req: id, address          ans: id, status, count,
 *                                                     count times: user
 *                                                     name, quota (u64)
 *   MSG_AUTH_SESSION   as MSG_AUTH_LOGIN, for a login that opens a mail
 *                      session on this connection (see below)
 *   MSG_AUTH_OPEN      req: id, status, reason   ans: id, status
 *   MSG_AUTH_END       authd -> client, unsolicited: id (0), reason
 *   MSG_AUTH_WHO       req: id, user ("" all), offset, by, flags
 *                      ans: id, total, count, count times: session, user,
 *                           service, address, since (u64, seconds)
 *   MSG_AUTH_KICK      req: id, user, session (either may be ""), reason,
 *                           by, flags
 *                      ans: id, count (sessions ended)
 *   MSG_AUTH_KNOWN     req: id, offset
 *                      ans: id, total, count, count times: host, age
 *                           (u64, seconds since the last login from it)
 *   MSG_AUTH_SEND      req: id, user, count, address, session
 *                      ans: id, status
 *
 * Live sessions.  A monitor that will serve mail logs in with
 * MSG_AUTH_SESSION and keeps the connection for the life of the session.
 * On AUTH_OK the login's audit record is held back: the monitor then
 * says with MSG_AUTH_OPEN whether the session opened (status AUTH_OK) or
 * could not be (AUTH_FAIL_TEMP, reason in words: "mailbox unusable:
 * ..."), and the record says so (result "ok", or "tempfail" with the
 * reason).  A connection that closes first is recorded as a session that
 * never opened.  The session may serve only after authd answered AUTH_OK
 * to its MSG_AUTH_OPEN: that answer leaves after the record's commit.
 * From then on authd may send MSG_AUTH_END at any time: the session MUST
 * end at once; so MUST it when the connection closes, since a session
 * authd does not know of could not be ended by the administrator.  One
 * session per connection; any other order closes the connection.
 * MSG_AUTH_WHO and MSG_AUTH_KICK come from authctl (authd's own user):
 * WHO lists the open sessions (of one user), at most AUTH_WHO_MAX from
 * offset on; KICK ends those of a user or the one with a session id.
 * Flags: AUTH_FLAG_AUDIT asks for an audit record even when the request
 * found no session (an explicit "authctl who" or "kick").
 *
 * Quotas.  A quota is the user's mailbox quota in bytes, 0 for no limit:
 * the user's own (authctl user quota), else postern.conf's "default
 * quota", as authd knew it when it answered.  A failed login answers 0;
 * so does a recipient that is an address outside the local domains (an
 * alias may forward there), to which no quota of ours applies.
 *
 * Recipients.  RCPT answers with the local users (canonical
 * "user@domain") and outside addresses one address reaches, resolved as
 * authd.8 says: a user or alias of that name, else its subaddress base
 * ("user+tag" reaches "user"), else the domain's catch-all alias
 * "@domain".  An address outside the local domains is AUTH_FAIL_PERM.
 * The answer always fits one frame: an address that reaches more than
 * AUTH_RCPT_MAX destinations, or more names than fit (authproto_rcpt_fits),
 * is answered AUTH_FAIL_TEMP with no one (authd logs which), never cut
 * short.
 *
 * Sending limit.  SEND comes from smtpd's monitor once for each recipient
 * an authenticated user's message gets (count 1 per accepted RCPT on port
 * 465; count may be up to AUTH_SEND_COUNT_MAX for a caller that asks once
 * per message): user is the canonical name the login answered, address
 * the client's, session the smtpd session id (both for the audit log).
 * AUTH_OK: the recipients are counted against the user's limit for the
 * sliding hour, durably, before the answer leaves; AUTH_FAIL_TEMP: they
 * would pass the limit (nothing is counted), or authd cannot count now;
 * AUTH_FAIL_PERM: no such user (deleted since the login) or a disabled
 * one.
 *
 * status: AUTH_OK; AUTH_FAIL_TEMP (try again later: locked, banned, busy);
 * AUTH_FAIL_PERM (wrong credentials, no such user, not allowed).  For
 * BANCHECK, AUTH_FAIL_TEMP means banned.  For RCPT, AUTH_FAIL_PERM means
 * no such recipient.
 */
#ifndef POSTERN_AUTHPROTO_H
#define POSTERN_AUTHPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "common/frame.h"
#include "common/msg.h"


#define AUTH_FLAG_AUDIT		0x01	/* WHO, KICK */

enum auth_status {
	AUTH_OK = 0,
	AUTH_FAIL_TEMP = 1,
	AUTH_FAIL_PERM = 2,
};

#define AUTH_USER_MAX		256	/* local@domain, NUL included */
#define AUTH_SECRET_MAX		1024
#define AUTH_ADDR_MAX		64	/* numeric IPv4 or IPv6 */
#define AUTH_SERVICE_MAX	16
#define AUTH_MECH_MAX		16
#define AUTH_SESSION_MAX	64
#define AUTH_PATH_MAX		1024
#define AUTH_RCPT_MAX		32	/* users one recipient may expand to */
#define AUTH_REASON_MAX		256	/* OPEN, END, KICK: words for the log */
#define AUTH_BY_MAX		64	/* KICK: who asked */
#define AUTH_WHO_MAX		8	/* sessions in one WHO answer (frame) */
#define AUTH_KNOWN_MAX		48	/* hosts in one KNOWN answer (frame) */
#define AUTH_SEND_COUNT_MAX	10000	/* recipients in one SEND request */

/* The encoded size of a RCPT answer: the frame's length and type, id,
 * status and count, then per name its length, its bytes and the quota. */
#define AUTH_RCPT_ANS_HDR	(FRAME_HDR + 1 + 4 + 4 + 4)
#define AUTH_RCPT_ENTRY(len)	(2 + (size_t)(len) + 8)

struct auth_login_req {
	uint32_t id;
	uint32_t opens;		/* sent as MSG_AUTH_SESSION: opens a session */
	char	service[AUTH_SERVICE_MAX];
	char	mech[AUTH_MECH_MAX];
	char	user[AUTH_USER_MAX];
	uint8_t	secret[AUTH_SECRET_MAX];
	size_t	secretlen;
	char	address[AUTH_ADDR_MAX];
	uint32_t port;
	char	session[AUTH_SESSION_MAX];
};

struct auth_login_ans {
	uint32_t id;
	uint32_t status;
	char	user[AUTH_USER_MAX];
	char	maildir[AUTH_PATH_MAX];
	uint64_t quota;		/* bytes, 0: no limit (and on failure) */
};

struct auth_addr_req {			/* BANCHECK and RCPT */
	uint32_t id;
	char	address[AUTH_USER_MAX];
};

struct auth_rcpt_ans {
	uint32_t id;
	uint32_t status;
	uint32_t count;
	char	users[AUTH_RCPT_MAX][AUTH_USER_MAX];
	uint64_t quotas[AUTH_RCPT_MAX];	/* of users[i]; bytes, 0: no limit */
};

struct auth_send_req {
	uint32_t id;
	uint32_t count;		/* 1 .. AUTH_SEND_COUNT_MAX recipients */
	char	user[AUTH_USER_MAX];
	char	address[AUTH_ADDR_MAX];
	char	session[AUTH_SESSION_MAX];
};

struct auth_status_ans {		/* BANCHECK, OPEN, SEND */
	uint32_t id;
	uint32_t status;
};

struct auth_open_req {
	uint32_t id;
	uint32_t status;	/* AUTH_OK: opened; AUTH_FAIL_TEMP: not */
	char	reason[AUTH_REASON_MAX];	/* "" when opened */
};

struct auth_end {
	uint32_t id;		/* 0: nobody asked */
	char	reason[AUTH_REASON_MAX];
};

struct auth_who_req {
	uint32_t id;
	uint32_t offset;
	uint32_t flags;
	char	user[AUTH_USER_MAX];
	char	by[AUTH_BY_MAX];
};

struct auth_who_entry {
	char	session[AUTH_SESSION_MAX];
	char	user[AUTH_USER_MAX];
	char	service[AUTH_SERVICE_MAX];
	char	address[AUTH_ADDR_MAX];
	uint64_t since;		/* seconds since the epoch */
};

struct auth_who_ans {
	uint32_t id;
	uint32_t total;		/* sessions that match, all pages */
	uint32_t count;		/* in this answer, at most AUTH_WHO_MAX */
	struct auth_who_entry s[AUTH_WHO_MAX];
};

/* KNOWN: the addresses (IPv4, or an IPv6 /64 as "prefix/64") some user
 * logged in from within lockout known, and how long ago the last login
 * from each was, one page of AUTH_KNOWN_MAX from offset; for the
 * daemons' connection budgets (common/admission.h). */
struct auth_known_req {
	uint32_t id;
	uint32_t offset;
};

struct auth_known_entry {
	char	 host[AUTH_ADDR_MAX];
	uint64_t age;			/* seconds since the last login */
};

struct auth_known_ans {
	uint32_t id;
	uint32_t total;
	uint32_t count;		/* in this answer, at most AUTH_KNOWN_MAX */
	struct auth_known_entry h[AUTH_KNOWN_MAX];
};

struct auth_kick_req {
	uint32_t id;
	uint32_t flags;
	char	user[AUTH_USER_MAX];
	char	session[AUTH_SESSION_MAX];
	char	reason[AUTH_REASON_MAX];
	char	by[AUTH_BY_MAX];
};

struct auth_kick_ans {
	uint32_t id;
	uint32_t count;
};

/*
 * Encoders build a finished frame in f.  They return 0, or -1 when a field
 * is too long for the frame.  The login request holds the secret: callers
 * MUST frame_wipe(f) after sending it.  A login request or answer is of
 * type MSG_AUTH_SESSION when opens (r->opens, or the argument) is
 * non-zero, else MSG_AUTH_LOGIN.
 */
int	authproto_login_req_encode(struct frame *f, const struct auth_login_req *r);
int	authproto_login_ans_encode(struct frame *f, const struct auth_login_ans *a,
	    int opens);
int	authproto_addr_req_encode(struct frame *f, uint8_t type,
	    const struct auth_addr_req *r);
int	authproto_status_ans_encode(struct frame *f, uint8_t type,
	    const struct auth_status_ans *a);
int	authproto_rcpt_ans_encode(struct frame *f, const struct auth_rcpt_ans *a);
int	authproto_open_req_encode(struct frame *f, const struct auth_open_req *r);
int	authproto_end_encode(struct frame *f, const struct auth_end *e);
int	authproto_who_req_encode(struct frame *f, const struct auth_who_req *r);
int	authproto_who_ans_encode(struct frame *f, const struct auth_who_ans *a);
int	authproto_kick_req_encode(struct frame *f, const struct auth_kick_req *r);
int	authproto_kick_ans_encode(struct frame *f, const struct auth_kick_ans *a);
int	authproto_send_req_encode(struct frame *f, const struct auth_send_req *r);

/*
 * authproto_rcpt_ans_size: the bytes a's frame takes (AUTH_RCPT_ANS_HDR
 * plus AUTH_RCPT_ENTRY of each of its count names), whether or not it
 * fits.  authproto_rcpt_fits: non-zero when a may take one more name of
 * namelen bytes: fewer than AUTH_RCPT_MAX names and the frame stays
 * within FRAME_MAX.  authproto_rcpt_ans_encode fails (-1) exactly when
 * a was not built that way.
 */
size_t	authproto_rcpt_ans_size(const struct auth_rcpt_ans *a);
int	authproto_rcpt_fits(const struct auth_rcpt_ans *a, size_t namelen);

/*
 * Decoders read a parsed frame (frame_parse / frame_read) whose type the
 * caller has checked.  They return 0, or -1 for any missing, oversized or
 * trailing field and for an unknown status; out is then undefined.  The
 * login request decoder copies the secret into r: callers MUST
 * explicit_bzero(r, sizeof(*r)) when done; it sets r->opens from the
 * frame's type.  The status of an OPEN request must be AUTH_OK or
 * AUTH_FAIL_TEMP; a WHO answer must not hold more than its total or
 * AUTH_WHO_MAX entries.
 */
int	authproto_login_req_decode(struct frame *f, struct auth_login_req *r);
int	authproto_login_ans_decode(struct frame *f, struct auth_login_ans *a);
int	authproto_addr_req_decode(struct frame *f, struct auth_addr_req *r);
int	authproto_status_ans_decode(struct frame *f, struct auth_status_ans *a);
int	authproto_rcpt_ans_decode(struct frame *f, struct auth_rcpt_ans *a);
int	authproto_open_req_decode(struct frame *f, struct auth_open_req *r);
int	authproto_end_decode(struct frame *f, struct auth_end *e);
int	authproto_known_req_encode(struct frame *f,
	    const struct auth_known_req *r);
int	authproto_known_ans_encode(struct frame *f,
	    const struct auth_known_ans *a);
int	authproto_known_req_decode(struct frame *f, struct auth_known_req *r);
int	authproto_known_ans_decode(struct frame *f, struct auth_known_ans *a);
int	authproto_who_req_decode(struct frame *f, struct auth_who_req *r);
int	authproto_who_ans_decode(struct frame *f, struct auth_who_ans *a);
int	authproto_kick_req_decode(struct frame *f, struct auth_kick_req *r);
int	authproto_kick_ans_decode(struct frame *f, struct auth_kick_ans *a);
/* authproto_send_req_decode: also -1 for a count of 0 or above
 * AUTH_SEND_COUNT_MAX.  The answer is a status answer of type
 * MSG_AUTH_SEND (authproto_status_ans_encode). */
int	authproto_send_req_decode(struct frame *f, struct auth_send_req *r);

#endif
