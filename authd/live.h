/*
 * live.h: the mail sessions authd admitted and that are still alive,
 * one per client connection that logged in with MSG_AUTH_SESSION.
 *
 * Runs in authd's main thread.  A plain table: no I/O, no auditing, no
 * answers (dispatch.c does those); it trusts its caller, and copies what
 * it keeps, so an entry never points into a request.  Connections are
 * only compared and handed back, never dereferenced here.  An entry lives from the arrival of
 * its login (LIVE_CLAIMED) through the verdict (LIVE_PENDING: answered
 * AUTH_OK, its audit record held back) to MSG_AUTH_OPEN (LIVE_OPEN), and
 * is dropped when the login fails, the session does not open, it is
 * ended, or its connection closes.
 */
#ifndef POSTERN_LIVE_H
#define POSTERN_LIVE_H

#include <stdint.h>

#include "common/authproto.h"

struct conn;

#define LIVE_MAX	1024	/* one per authd client at most */

enum live_state { LIVE_CLAIMED = 1, LIVE_PENDING, LIVE_OPEN };

struct live {
	struct conn	*conn;
	enum live_state	 state;
	int		 ended;		/* PENDING: ended before it opened */
	int64_t		 since;		/* seconds: when it opened */
	char		 session[AUTH_SESSION_MAX];
	char		 user[AUTH_USER_MAX];
	char		 service[AUTH_SERVICE_MAX];
	char		 mech[AUTH_MECH_MAX];
	char		 address[AUTH_ADDR_MAX];
	char		 login_reason[160];	/* the verdict's reason */
	char		 end_reason[AUTH_REASON_MAX + AUTH_BY_MAX + 8];
					/* when ended: why, by whom */
};

/* live_claim: a CLAIMED entry for conn, whose session login just
 * arrived.  Returns it, or NULL when conn has an entry already (a second
 * session on one connection: the caller drops the client). */
struct live	*live_claim(struct conn *conn);

/* live_find: conn's entry, or NULL. */
struct live	*live_find(const struct conn *conn);

/* live_drop: forget e (its fields are wiped). */
void		 live_drop(struct live *e);

/* live_next: the open entries (LIVE_OPEN), or also the pending ones
 * when pending is non-zero, in no fixed order: pass NULL first, then the
 * entry returned; NULL at the end.  live_drop of the entry returned is
 * allowed before the next call. */
struct live	*live_next(struct live *prev, int pending);

#endif
