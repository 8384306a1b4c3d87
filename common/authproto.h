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
 *                      ans: id, status, canonical user, mail dir
 *   MSG_AUTH_BANCHECK  req: id, address          ans: id, status
 *   MSG_AUTH_RCPT      req: id, address          ans: id, status, count,
 *                                                     count user names
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

enum auth_msg {
	MSG_AUTH_LOGIN = 1,
	MSG_AUTH_BANCHECK = 2,
	MSG_AUTH_RCPT = 3,
};

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

struct auth_login_req {
	uint32_t id;
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
};

struct auth_status_ans {		/* BANCHECK */
	uint32_t id;
	uint32_t status;
};

/*
 * Encoders build a finished frame in f.  They return 0, or -1 when a field
 * is too long for the frame.  The login request holds the secret: callers
 * MUST frame_wipe(f) after sending it.
 */
int	authproto_login_req_encode(struct frame *f, const struct auth_login_req *r);
int	authproto_login_ans_encode(struct frame *f, const struct auth_login_ans *a);
int	authproto_addr_req_encode(struct frame *f, uint8_t type,
	    const struct auth_addr_req *r);
int	authproto_status_ans_encode(struct frame *f, uint8_t type,
	    const struct auth_status_ans *a);
int	authproto_rcpt_ans_encode(struct frame *f, const struct auth_rcpt_ans *a);

/*
 * Decoders read a parsed frame (frame_parse / frame_read) whose type the
 * caller has checked.  They return 0, or -1 for any missing, oversized or
 * trailing field and for an unknown status; out is then undefined.  The
 * login request decoder copies the secret into r: callers MUST
 * explicit_bzero(r, sizeof(*r)) when done.
 */
int	authproto_login_req_decode(struct frame *f, struct auth_login_req *r);
int	authproto_login_ans_decode(struct frame *f, struct auth_login_ans *a);
int	authproto_addr_req_decode(struct frame *f, struct auth_addr_req *r);
int	authproto_status_ans_decode(struct frame *f, struct auth_status_ans *a);
int	authproto_rcpt_ans_decode(struct frame *f, struct auth_rcpt_ans *a);

#endif
