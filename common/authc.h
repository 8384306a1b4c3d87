/*
 * authc.h: the client side of the authd protocol, for the daemons'
 * monitors (and parents, for the ban check), their mail roles (a live
 * session's connection) and authctl (who, kick).
 *
 * Runs in root-owned monitor processes, which talk to authd on behalf of
 * their net child: the client address sent is the one the kernel gave the
 * monitor, never one a child claims.  Calls block with a deadline (a
 * monitor serves one connection and has nothing else to do); an answer
 * that is late, malformed or for another request id is a failure, and a
 * failure is always "try again later", never a success.
 */
#ifndef POSTERN_AUTHC_H
#define POSTERN_AUTHC_H

#include "common/authproto.h"

#define AUTHC_TIMEOUT_MS	30000	/* authd's failure delay included */

/* authc_connect: a connection to authd's socket, or -1 (logged). */
int	authc_connect(const char *path);

/*
 * authc_login: send req (id set here) and wait for the answer into ans.
 * Returns 0 with ans filled, or -1 on a transport failure (ans->status is
 * then AUTH_FAIL_TEMP).  The request holds the secret: the caller wipes
 * req; authc wipes its own copy of the frame.  With req->opens set, an
 * AUTH_OK leaves a session waiting on fd: the caller MUST then keep fd
 * and call authc_open once, or close fd (the session never opened).
 */
int	authc_login(int fd, struct auth_login_req *req,
	    struct auth_login_ans *ans);

/* authc_banned: 1 when authd says address is banned, 0 when not or when
 * authd cannot be asked (the login itself checks again), -1 for an
 * address authd calls invalid. */
int	authc_banned(int fd, const char *address);

/*
 * authc_open: after an AUTH_OK to a login with opens set, tell authd
 * whether the session opened (reason NULL) or why it could not (reason
 * in words, for the audit record).  Returns 0 when authd recorded an
 * opened session and it may serve; -1 otherwise (not opened, refused,
 * no answer: logged), and the caller ends the session.  Waits at most
 * AUTHC_TIMEOUT_MS; uses only read, write, poll and clock_gettime, so a
 * sandboxed process may call it.
 */
int	authc_open(int fd, const char *reason);

/*
 * authc_end_read: fd became readable during an open session: read why
 * it must end into reason (len bytes).  Returns 0 for authd's
 * MSG_AUTH_END, -1 when authd closed the connection or sent anything
 * else (reason then says so).  Either way the session ends.
 */
int	authc_end_read(int fd, char *reason, size_t len);

/*
 * authc_who: one page of authd's live sessions (req->id set here) into
 * ans.  authc_kick: end sessions as req says; ans->count says how many.
 * Both return 0, or -1 when authd did not answer properly (logged).
 */
int	authc_who(int fd, struct auth_who_req *req, struct auth_who_ans *ans);
int	authc_kick(int fd, struct auth_kick_req *req,
	    struct auth_kick_ans *ans);

/*
 * authc_known: one page of the addresses users logged in from (req->id
 * set here) into ans.  Returns 0, or -1 when authd did not answer
 * properly (logged).
 */
int	authc_known(int fd, struct auth_known_req *req,
	    struct auth_known_ans *ans);

/*
 * authc_rcpt: whom the recipient address reaches (smtpd's broker and
 * queue): ans as authd answered it.  Returns 0, or -1 when authd did not
 * answer properly (logged): the caller treats that as AUTH_FAIL_TEMP.
 */
int	authc_rcpt(int fd, const char *address, struct auth_rcpt_ans *ans);

/*
 * authc_send: count n recipients of a message user sends (smtpd's
 * broker on port 465) against the user's sending limit; address and
 * session for the audit log.  Returns authd's status (AUTH_OK: counted;
 * AUTH_FAIL_TEMP: over the limit), or AUTH_FAIL_TEMP when authd did not
 * answer properly (logged) — never a success that was not counted.
 */
uint32_t authc_send(int fd, const char *user, uint32_t n,
	    const char *address, const char *session);

#endif
