/*
 * server.h: authd's event loop: the socket, its clients, the batched
 * write transaction, delayed answers.
 *
 * Runs in authd's main thread.  Clients are processes that passed the
 * SO_PEERCRED check; their frames are still parsed as untrusted input, and
 * a malformed frame closes that client's connection.  All database work of
 * one loop iteration shares one write transaction (group commit), and no
 * answer leaves before that transaction is committed.
 */
#ifndef POSTERN_SERVER_H
#define POSTERN_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "authd/db.h"
#include "common/config.h"
#include "common/frame.h"

struct conn;

struct server_env {
	struct db		*db;
	const struct config	*cfg;
	int			 workers;
	char			 dummy_hash[DB_HASH_MAX];
};

extern struct server_env server;

/* server_run: serve listen_fd until SIGTERM or SIGINT, which the caller
 * blocked before binding and server_run unblocks once it handles them. */
void	server_run(int listen_fd, int worker_fd);

/* server_txn: the iteration's write transaction, begun on first use;
 * NULL (logged) if LMDB refuses. */
MDB_txn	*server_txn(void);

/* server_audit: append an audit record in the iteration's transaction;
 * its syslog line is written after the commit. */
void	server_audit(const char *service, const char *mech, const char *user,
	    const char *address, const char *result, const char *reason,
	    const char *session);

/*
 * server_answer: queue a finished frame for c, sent after this
 * iteration's commit, or after delay_ms milliseconds (> 0).  Each answer
 * ends one request of c.  c may already be closed; the answer is then
 * dropped.
 */
void	server_answer(struct conn *c, const struct frame *f, int64_t delay_ms);

/* server_conn_closed: non-zero when c has hung up or was dropped. */
int	server_conn_closed(const struct conn *c);

#endif
