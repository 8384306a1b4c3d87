/*
 * relay.h: smtpd's relay role (smtpd -R relay): delivers the queue's
 * remote recipients to other mail servers, one job (one message, one
 * destination domain, its recipients) at a time per process.  Several
 * relay processes run side by side, each with its own socket pair to the
 * queue (relayproto.h).  Runs as the relay user, chrooted to the empty
 * directory, under its sandbox; it never sees the spool: the queue
 * passes the open message file.  It trusts the queue (its only peer,
 * over a socket pair the parent made) but decodes every frame with the
 * checked codec; everything from DNS and the remote servers is hostile.
 */
#ifndef POSTERN_RELAY_H
#define POSTERN_RELAY_H

#include <stdint.h>
#include <sys/types.h>

#include "common/config.h"
#include "common/dns.h"
#include "smtpd/relay_sts_cache.h"
#include "smtpd/relayproto.h"

#define RELAY_CRED_MAX	256	/* a smarthost's user or password */
/* A smarthost on this port gets implicit TLS (RFC 8314 submissions);
 * on any other, STARTTLS, unless "relay via ... tls" says otherwise. */
#define RELAY_SUBMISSIONS_PORT	465

/*
 * How long one remote may hold a relay process (relay_ctx's defaults;
 * RELAY_SESSION_MS and the job's bound are in relayproto.h, the queue
 * waits by them).  RELAY_STS_FETCH_MS: the whole MTA-STS policy fetch
 * (every address of the policy host: connect, TLS, the answer): RFC 8461
 * §3.3 suggests a one-minute timeout and asks policy hosts to answer
 * within it, so an RFC-abiding host is never cut off; no domain's policy
 * is fetched again within RELAY_STS_RETRY_S (relay_sts_cache.h) of the
 * last fetch, failed or not (a new id waits as well), so a host that
 * drips costs a relay process at most a minute in five.
 */
#define RELAY_STS_FETCH_MS	(60 * 1000)

/* A smarthost's credentials ("relay via ... credentials FILE"). */
struct relay_cred {
	char	user[RELAY_CRED_MAX];
	char	pass[RELAY_CRED_MAX];
	int	ok;		/* read and well-formed */
};

/* What the relay holds for its jobs, set up before the chroot. */
struct relay_ctx {
	const struct config *cfg;
	dns_lookup_fn	 lookup;
	void		*lookup_arg;
	const void	*anchors;	/* relay_tls_anchors_load; NULL none */
	int		 port;		/* the MX hosts' port */
	int64_t		 connect_ms;	/* per address */
	int64_t		 session_ms;	/* RELAY_SESSION_MS (tests: less) */
	int64_t		 sts_fetch_ms;	/* RELAY_STS_FETCH_MS (tests: less) */
	struct relay_cred cred[CONFIG_MAX_RELAY_VIA];	/* as cfg->relay_via */
	/* The MTA-STS policies this process fetched; NULL: none kept. */
	struct relay_sts_cache *sts;
	int		 dkim_fd;	/* the keyholder's DKIM channel, -1 */
	unsigned	 dkim_owed;	/* answers it still owes (relay_dkim.h) */
	/* The job in hand (relay_serve sets them): the queue's socket, and
	 * whether its answer went out (0 not yet, 1 written, -1 the write
	 * failed). */
	int		 qfd;
	int		 answered;
};

/*
 * relay_main: the relay role.  cfg is the loaded configuration, queuefd
 * the relay's end of its socket pair with the queue, dkimfd its DKIM
 * channel to the keyholder (keyholder.h; -1: mail goes out unsigned),
 * uid/gid the relay user ((uid_t)-1: development mode, no chroot or
 * privilege drop).
 * Reads the credentials files, the CA bundle and the DNS trust anchor,
 * then locks itself in (relay_sandbox) and serves jobs.  Never returns:
 * exits 0 when the queue hangs up, 1 on a fatal error (a malformed frame
 * from the queue).
 */
void	relay_main(const struct config *cfg, int queuefd, int dkimfd,
	    uid_t uid, gid_t gid) __attribute__((noreturn));

/* relay_run: what relay_main does once x is set up: the sandbox, then
 * jobs until the queue hangs up (_exit(0)).  For a test that sets x up
 * itself (its own lookup function; x->dkim_fd -1 or a DKIM channel). */
void	relay_run(struct relay_ctx *x, int queuefd, uid_t uid, gid_t gid)
	    __attribute__((noreturn));

/* relay_creds_load: each smarthost's credentials file (one line "user
 * password"), before the chroot.  A file that cannot be read or parsed,
 * that is not a regular file, or that others may read or write (mode
 * o+r or o+w: a password for everyone on the machine) is refused: it is
 * logged (its path, never its content) and its smarthost then fails
 * every delivery temporarily (4.7.8).  The file's bytes are wiped once
 * parsed; the credentials stay in x->cred for the process's life. */
void	relay_creds_load(struct relay_ctx *x);

/*
 * relay_serve: one job from the queue on qfd: JOB (with the message
 * file), the RCPTs, GO; then the delivery and the answers (a RESULT per
 * recipient, DONE).  0 when the job was answered, -1 when the queue hung
 * up (errno ECONNRESET) or a frame could not be written.  A malformed
 * frame is fatal.
 */
int	relay_serve(struct relay_ctx *x, int qfd);

/*
 * relay_hold: the message is with the remote host (its end of data is
 * out): a stop (SIGTERM) from here waits until relay_answer has written
 * the answer, at most 30 seconds, so that a restart of the roles does
 * not make the queue send a message twice.  Only in relay_main's
 * process (which catches SIGTERM).
 */
void	relay_hold(void);

/*
 * relay_answer: the job's answer to the queue (x->qfd): a RESULT per
 * recipient (res[i] for rcpt[i]) and DONE, written before anything else
 * is done (the queue records a remote's acceptance only once it has
 * them: every moment between the remote's answer and this write is a
 * moment in which a crash makes the queue send the message again); then
 * a log line per recipient.  Once per job: a second call does nothing.
 * Sets x->answered: 1, or -1 when the queue's socket could not be
 * written (logged: the results are lost, the queue retries them).
 */
void	relay_answer(struct relay_ctx *x, const struct relay_job *job,
	    const struct relay_rcpt *rcpt, const struct relay_rcpt_result *res,
	    const struct relay_done *done);

/*
 * relay_deliver: the delivery of one job: the destination's hosts
 * (relay_mx.h) or its smarthost, the TLS policy per host, the SMTP
 * sessions until one host answered the transaction; res[i] for rcpt[i],
 * done filled.  The moment a host has answered the transaction (before
 * QUIT) the answer goes to the queue (relay_answer); otherwise the
 * caller answers once this returns.  The message is the first
 * job->size bytes of msgfd; the fields relay_dkim.h adds go before it
 * (made once per job).
 */
void	relay_deliver(struct relay_ctx *x, const struct relay_job *job,
	    const struct relay_rcpt *rcpt, int msgfd,
	    struct relay_rcpt_result *res, struct relay_done *done);

#endif
