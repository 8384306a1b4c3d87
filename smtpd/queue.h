/*
 * queue.h: smtpd's queue role and deliver role (entry points the
 * skeleton calls), and the queue's spool (for the queue's own files and
 * the unit test).
 *
 * The queue runs as the queue uid, chrooted to the spool ("spool" in
 * postern.conf), under its seccomp sandbox; it trusts root's monitors and
 * authctl only as far as queueproto.h's decoders check them, authd's
 * answers as authd's, and nothing in intake files.  The deliver role runs
 * as the mail uid chrooted to the mail root and trusts the queue.
 *
 * Spool layout (below the chroot, all made by the queue at start-up):
 *
 *   queue.lock        held locked by the running queue (flock)
 *   queue.sock        the queue's socket, mode 0600 (root's monitors and
 *                     authctl; a stale one is unlinked first)
 *   intake/           1733: sendmail(8) and authd drop files (intake.h)
 *   queue/            0700: the queued messages
 *     <id>.msg        the message: the queue's Received header, then the
 *                     message as received (CRLF line ends) ("size"
 *                     bytes); then its first envelope (text, below); then
 *                     the line "postern-envelope-at <size, 20 digits>"
 *     <id>.env        a later envelope (after a deferral), which wins over
 *                     the one in <id>.msg; written as .<id>.env.tmp,
 *                     fsynced, renamed, directory fsynced
 *     .<id>.msg.tmp   a message being received
 *   bad/              0700: intake files that could not be used, moved
 *                     here as "intake-<seconds>-<random>" and logged with
 *                     their name, owner and the reason; envelopes that
 *                     cannot be parsed, as <id>.env with their <id>.msg
 *
 * The message file is the commit mark: a message is queued once <id>.msg
 * exists.  COMMIT appends the envelope and the footer to the tmp file,
 * fsyncs it, renames it to <id>.msg, fsyncs queue/, and only then
 * answers: two fsyncs, as the message and its envelope are one file, and
 * the rename is atomic, so <id>.msg is complete or absent (a separate
 * envelope file would cost a third fsync).  Removal unlinks <id>.msg
 * first.  The deliver role is told the size and copies only that much.
 * What happens after
 * the commit need not be durable to keep the guarantees, and is not, for
 * speed: the last delivery's result is not written into the envelope
 * (the message is removed instead), and that removal is not fsynced.  A
 * crash that undoes either leaves the message with an older envelope,
 * which spool_load delivers again "recovering": the key finds the copy
 * already in the Maildir and nothing is written twice.  Envelopes of
 * messages that keep pending recipients (a deferral, one recipient of
 * several done) are rewritten durably.  So a crash leaves a
 * complete message or garbage: at start-up a .env without .msg and every
 * dot file are removed (and logged); a .msg whose envelope cannot be
 * read (nor its .env) goes to bad/.
 *
 * Queue id: 16 lowercase hex digits, the seconds of the arrival (8 digits)
 * then 32 random bits, checked unused on disk.
 *
 * Envelope (each line "key value"; addresses have no blank):
 *
 *   postern-envelope 2                ("1": a spool of an older postern,
 *                                     read as well: no "answer" lines)
 *   id <id>
 *   arrival <unix seconds>
 *   size <bytes of <id>.msg>
 *   from <sender>                     "<>" for the null sender
 *   origin <words>                    "smtp <address> <session>" or
 *                                     "local uid <n>"
 *   body <n> flags <n> envid <xtext or ->
 *   authres <text, to the end of the line>   (optional) the value of the
 *                                     Authentication-Results field the
 *                                     check role made (port 25), which
 *                                     the deliver role writes first
 *   junk 1                            (optional) DMARC quarantine: the
 *                                     deliver role writes into Junk
 *   rcpt <state> <attempts> <next> <kind> <notify> <dest> <address>
 *        <orcpt or -> <last error, to the end of the line>
 *     state: pending | delivered | failed; next: unix seconds of the
 *     next attempt; kind: local | remote
 *   answer <code> <dsn or -> <host or -> <noticed> <last>
 *     (version 2, optional, right after the rcpt line it belongs to: a
 *     remote recipient's last answer: the SMTP reply code (0: none), its
 *     enhanced status, the MX host that gave it; noticed: bits 1 the
 *     delay notice, 2 the bounce went out, or needed not; last: unix
 *     seconds of the last attempt)
 *
 * The Authentication-Results field is known only at the end of DATA,
 * after the Received header and the message went into the file; so it
 * lives in the envelope, which COMMIT writes with the message in one
 * atomic rename (it is there exactly when the message is), and each
 * delivery writes it above the message, as it writes Return-Path.
 *
 * Scheduling: local recipients go to the deliver processes, one request
 * in flight on each and one recipient of a message at a time; a
 * temporary failure is retried after 1, 5, 15, 30 and 60 minutes, then
 * every "queue retry", until "queue lifetime" after the arrival, when it
 * fails for good.  Remote recipients go to the relay processes
 * (queue_relay.c), one job in flight on each: the due recipients of one
 * message for one domain, up to RELAY_RCPT_MAX.  Their answer per
 * recipient: sent (done), permanent (failed), temporary: retried 5, 15,
 * 30 minutes, 1 and 2 hours after the failures before it, then every 4
 * hours, until "relay lifetime" after the arrival (the last retry falls
 * on it), then failed.  Attempts, the next one, the last answer and the
 * time of the last attempt are written durably into the envelope after
 * each job.  A job whose relay reports the domain down (no host
 * answered) holds the domain's other messages until that job's next
 * retry (in memory only: a restart forgets it).  A relay process that
 * hangs up or breaks the protocol mid-job: what it answered counts, the
 * rest is a temporary failure (one attempt).  A failed remote recipient
 * makes a bounce, and one waiting past "relay delay notice" a delay
 * notice (queue_dsn.c, common/dsn.h), each once (the "noticed" bits; a
 * crash between the notice's commit and the envelope's rewrite sends it
 * twice, never not at all); a message keeps its failed recipients until
 * their bounce is queued.  A message whose recipients are all delivered
 * or failed is removed.  Messages loaded at start-up, and one whose
 * delivery was in flight when the deliver process died, are delivered
 * "recovering" (store_deliver_once): a copy already in the Maildir is
 * not written twice.  A relay job is not recoverable that way: a remote
 * host that took a message whose result did not reach the envelope (the
 * relay or the queue killed between the two) gets it again on the retry.
 */
#ifndef POSTERN_QUEUE_H
#define POSTERN_QUEUE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "smtpd/queueproto.h"

#define QUEUE_SOCKET		"queue.sock"
#define QUEUE_LOCK		"queue.lock"	/* one queue per spool */
#define QUEUE_LOCK_WAIT_MS	5000
/* Connections served at once: one per smtpd connection (its broker)
 * plus authctl, so as many as the default connection budgets let in
 * (2 x "login startups ... full" + "session limit"): idle connections
 * run into those per-address and per-network limits, not into this. */
#define QUEUE_CLIENTS_MAX	1100
#define QUEUE_DELIVER_MAX	3	/* deliver processes, at most */
#define QUEUE_RELAY_MAX		4	/* relay processes, at most */
#define QUEUE_RCPTS_MAX		4096	/* destinations of one message */
#define QUEUE_ERROR_MAX		320	/* a recipient's last error */
#define QUEUE_HOST_MAX		254	/* a host name (DNS_NAME_MAX) and NUL */
#define QUEUE_DSN_MAX		16	/* an enhanced status code "5.1.1" */

/*
 * queue_main: the queue role.  cfg is the loaded configuration; authfd a
 * connected authd socket (MSG_AUTH_RCPT for intake recipients: when it
 * closes, the queue exits and the parent restarts it); deliverfds[0..n-1]
 * (1 <= n <= QUEUE_DELIVER_MAX) the queue's ends of SOCK_STREAM socket
 * pairs, one per deliver process (deliver_main's other ends);
 * relayfds[0..nrelay-1] (0 <= nrelay <= QUEUE_RELAY_MAX) the same for
 * the relay processes (none: remote recipients wait, and bounce at the
 * end of "relay lifetime"; one that hangs up loses its link, the queue
 * goes on without it until the parent restarts the roles); uid/gid the
 * queue user (uid (uid_t)-1: development mode, no chroot or privilege
 * drop, only a chdir to the spool).  The caller has set up logging
 * (log_init).  Must be called as root (or the development user) with the
 * spool directory existing.  Never returns: exits 1 on a fatal error, 0
 * when authd or a deliver process hangs up.
 */
void	queue_main(const struct config *cfg, int authfd,
	    const int *deliverfds, size_t n, const int *relayfds,
	    size_t nrelay, uid_t uid, gid_t gid) __attribute__((noreturn));

/*
 * deliver_main: the deliver role, one of several processes (the queue
 * keeps one request in flight on each; two of them may write into the
 * same Maildir at once: store_deliver_once's names are unique by pid,
 * time and key, created O_EXCL and renamed without replacing).  queuefd
 * is its end of its socket pair;
 * uid/gid the mail user (uid (uid_t)-1: development mode, chdir only).
 * It chroots to cfg->mail_dir and serves MSG_DELIVER_MSG and
 * MSG_DELIVER_ROOM until the queue hangs up (exit 0).  Never returns.
 */
void	deliver_main(const struct config *cfg, int queuefd, uid_t uid,
	    gid_t gid) __attribute__((noreturn));

/* ---- the spool (queue_spool.c), paths relative to the spool's root */

enum qrcpt_state { QRCPT_PENDING, QRCPT_DELIVERED, QRCPT_FAILED };

struct qrcpt {
	enum qrcpt_state state;
	uint32_t	attempts;
	int64_t		next;		/* unix seconds */
	uint32_t	local;
	uint32_t	notify;
	char		dest[QUEUE_ADDR_MAX];
	char		address[QUEUE_ADDR_MAX];
	char		orcpt[QUEUE_ORCPT_MAX];
	char		error[QUEUE_ERROR_MAX];
	/* Remote recipients: the last answer (code 0: none came; dsn and
	 * host "" when unknown), and whether a delay notice went out. */
	uint32_t	code;
	char		dsn[QUEUE_DSN_MAX];
	char		host[QUEUE_HOST_MAX];
	uint32_t	noticed;	/* QRCPT_NOTICED_* bits */
	int64_t		last;		/* the last attempt, unix seconds */
	int		inflight;	/* in memory only: with a relay */
	/* In memory only: the TLS policy and session of the last attempt
	 * ("dane, TLSv1.2 ... DANE-EE verified"), "" before one; room for
	 * relay_done's policy (32), ", " and its tls (QUEUE_TLS_MAX). */
	char		tls[32 + 2 + QUEUE_TLS_MAX];
};

/* qrcpt.noticed: what the sender was told about a remote recipient (or
 * needs not be: NOTIFY, a null sender); durable, so once each. */
#define QRCPT_NOTICED_DELAY	0x01	/* the delay notice */
#define QRCPT_NOTICED_FAILURE	0x02	/* the bounce (state failed) */
#define QRCPT_NOTICED_ALL	0x03

/* queue_rcpt.notify bits (smtpmsg.h's SMTPMSG_NOTIFY_*) */
#define QUEUE_NOTIFY_NEVER	0x01
#define QUEUE_NOTIFY_FAILURE	0x04
#define QUEUE_NOTIFY_DELAY	0x08

struct qmsg {
	char		id[QUEUE_ID_LEN + 1];
	int64_t		arrival;
	uint64_t	size;
	char		sender[QUEUE_ADDR_MAX];
	char		origin[640];	/* "smtp <addr> <session> user <u>", "local uid <n>" */
	uint32_t	body, flags;
	char		envid[QUEUE_ENVID_MAX];
	char		*authres;	/* malloc'd, NULL: none; the checks
					 * of port 25 (queueproto.h) */
	uint32_t	junk;		/* 1: to the Junk folders */
	struct qrcpt	*rcpts;		/* malloc'd, nrcpt entries */
	size_t		nrcpt;
	int		recovering;	/* see store_deliver_once */
	int		busy;		/* a local delivery is in flight */
	int		relaying;	/* relay jobs in flight */
	int64_t		notice_next;	/* no notice tried before (unix s) */
	struct qmsg	*next;		/* the queue's list */
};

/*
 * spool_setup: create intake/ (1733), queue/ and bad/ (0700) in the
 * current directory (the spool) where missing, and fix intake/'s mode.
 * Returns 0, or -1 (logged).
 */
int	spool_setup(void);

/*
 * spool_new_id: a fresh queue id into id (QUEUE_ID_LEN + 1 bytes) and the
 * message's tmp file queue/.<id>.msg.tmp, created 0600, open for writing
 * (returned), or -1 (logged).
 */
int	spool_new_id(char *id);

/* spool_tmp_discard: remove the tmp file of id (after an abort). */
void	spool_tmp_discard(const char *id);

/*
 * spool_commit: make m durable: append m's envelope and the footer to the
 * tmp message file fd (which must hold exactly m->size bytes), fsync it,
 * rename it to queue/<id>.msg, fsync queue/.  fd is closed either way.
 * Returns 0, or -1 with the reason in err, after removing what was
 * written.
 */
int	spool_commit(const struct qmsg *m, int fd, char *err, size_t errlen);

/* spool_env_write: rewrite m's envelope durably (tmp, fsync, rename,
 * fsync queue/).  0 or -1 (logged). */
int	spool_env_write(const struct qmsg *m);

/* spool_env_read: parse queue/<id>.env, or when there is none the
 * envelope in queue/<id>.msg (whose size must match), into *m (rcpts
 * allocated; free with spool_msg_free).  0, or -1 with the reason in err
 * (malformed, unreadable). */
int	spool_env_read(const char *id, struct qmsg *m, char *err,
	    size_t errlen);

/*
 * spool_remove: unlink the message, then the envelope; fsync queue/ when
 * durable (the administrator's REMOVE, and a message a remote host
 * took: nothing would find that copy again).  The scheduler's removal of
 * a message whose recipients are all done locally is not durable: a
 * crash that undoes it leaves the message queued with its last durable
 * envelope, which spool_load delivers again "recovering", so the key
 * finds the copies already in the Maildirs (a kill -9 undoes nothing:
 * only a lost page cache can).  0 or -1 (logged).
 */
int	spool_remove(const char *id, int durable);

/* spool_msg_open: the message file of id, O_RDONLY, or -1 (errno). */
int	spool_msg_open(const char *id);

/*
 * spool_load: remove crash leftovers from queue/ (dot files, an envelope
 * without message: each logged) and load every message's envelope into a
 * list (*head; entries malloc'd, recovering set).  A message whose
 * envelope cannot be parsed is moved to bad/ with it, and logged.
 * Returns how many were loaded, or -1 when queue/ cannot be read.
 */
long	spool_load(struct qmsg **head);

void	spool_msg_free(struct qmsg *m);

#endif
