/*
 * authc.h: the client side of the authd protocol, for the daemons'
 * monitors (and parents, for the ban check).
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
 * req; authc wipes its own copy of the frame.
 */
int	authc_login(int fd, struct auth_login_req *req,
	    struct auth_login_ans *ans);

/* authc_banned: 1 when authd says address is banned, 0 when not or when
 * authd cannot be asked (the login itself checks again), -1 for an
 * address authd calls invalid. */
int	authc_banned(int fd, const char *address);

#endif
