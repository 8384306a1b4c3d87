/*
 * server.h: authd's transport: the socket and its clients, the write
 * transaction each loop round shares (group commit), and the answers,
 * which leave only after the commit that records them and not before
 * their due time.
 *
 * Runs in authd's main thread.  Clients are processes that passed the
 * SO_PEERCRED check (their role is known from their uid); their frames
 * are still parsed as untrusted input, and a malformed frame closes that
 * client's connection.  What a request means is dispatch.c's business;
 * this file never looks inside a frame.
 *
 * The durability rule lives here: every answer given during a round is
 * held until that round's transaction is committed.  If the commit
 * fails, nothing of the round is on disk, so each answer is replaced by
 * the alternative its handler supplied (for logins: the same temporary
 * failure, whatever the verdict was), and the fault is logged once per
 * burst of failed rounds, not once per answer.  Login notices staged in
 * the round (notice.h) go out after a successful commit, or never.
 */
#ifndef POSTERN_SERVER_H
#define POSTERN_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "authd/db.h"
#include "common/config.h"
#include "common/frame.h"

struct conn;

/* The peers authd accepts, by the uid SO_PEERCRED reports. */
enum server_peer {
	PEER_MONITOR = 0x01,	/* root: the daemons' monitors, tests */
	PEER_SELF = 0x02,	/* authd's own user: authctl */
	PEER_QUEUE = 0x04,	/* smtpd's queue: recipient lookups */
};

/* server_peers: set the uids of PEER_SELF and PEER_QUEUE ((uid_t)-1: no
 * such peer).  Root is always PEER_MONITOR.  Every other uid, the net
 * processes' among them, is refused at accept. */
void	server_peers(uid_t self, uid_t queue);

/* server_run: serve listen_fd until SIGTERM or SIGINT, which the caller
 * blocked before binding and server_run unblocks once it handles them,
 * or until the parent's channel ctl closes.  A policy the parent sends on
 * ctl (reload.h) is applied to cfg between rounds. */
void	server_run(int listen_fd, int worker_fd, int ctl, struct db *db,
	    struct config *cfg);

/* server_txn: the round's write transaction, begun on first use; NULL
 * (logged by db_begin) if LMDB refuses. */
MDB_txn	*server_txn(void);

/* server_audit: append an audit record in the round's transaction; its
 * syslog line is written once the commit succeeded.  Returns 0, or -1
 * when the record could not be written (nothing may then be answered
 * but a temporary failure). */
int	server_audit(const char *service, const char *mech, const char *user,
	    const char *address, const char *result, const char *reason,
	    const char *session);

/*
 * server_answer: answer one request of c with the finished frame f, sent
 * once the round's transaction is committed and no earlier than due_ms
 * (mono_ms clock; 0: at once).  alt, if not NULL, is sent instead when
 * the commit fails.  Both frames are copied.  c may already be closed;
 * the answer is then dropped.
 */
void	server_answer(struct conn *c, const struct frame *f,
	    const struct frame *alt, int64_t due_ms);

/* server_send: an unsolicited message to c (a session's end), sent like
 * an answer: after the round's commit, at once. */
void	server_send(struct conn *c, const struct frame *f);

/* server_conn_closed: non-zero when c has hung up or was dropped. */
int	server_conn_closed(const struct conn *c);

/* server_conn_peer: c's role, one enum server_peer bit. */
unsigned server_conn_peer(const struct conn *c);

#endif
