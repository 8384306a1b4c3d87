/*
 * skel.h: the skeleton every network daemon (pop3d, imapd, smtpd) is
 * built on: one file and one sandbox function per process role.
 *
 *   parent     common/skel_parent.c   root: config, listeners, the
 *                                     keyholder, accepts and forks one
 *                                     monitor per client, keeps the
 *                                     connection budgets (admission.h),
 *                                     SIGHUP reload, detach, reaping
 *   keyholder  common/keyholder.c     the TLS private key (fork + exec -K)
 *   monitor    common/skel_monitor.c  root, per connection: ban check,
 *                                     forks the net child, asks authd with
 *                                     the kernel's address, keeps the
 *                                     login grace time and the failure
 *                                     limit, reports the login to the
 *                                     parent, becomes the mail role
 *   net        common/skel_net.c      TLS and the daemon's pre-auth
 *                                     engine; after the login, relays
 *                                     bytes to the mail role
 *   mail       common/skel_mail.c     chrooted to the user's Maildir as
 *                                     the mail uid, store open: runs the
 *                                     daemon's session engine; keeps the
 *                                     login's connection to authd, which
 *                                     ends the session when it says so
 *
 * A daemon brings a struct skel_daemon: its names, its listener kind, its
 * timeouts, its pre-auth engine (struct skel_preauth) and its session
 * engine (skel_daemon.session), and what its roles need beyond the
 * skeleton's sandbox lists; its main() is skel_main().  The messages the
 * roles exchange are in rolemsg.h, the graph in msg.h.
 */
#ifndef POSTERN_SKEL_H
#define POSTERN_SKEL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/config.h"
#include "common/privsep.h"
#include "common/rolemsg.h"
#include "common/store.h"
#include "common/tls.h"

struct skel_broker;
struct skel_client;
struct skel_ids;
struct skel_roles;

/* What the pre-auth engine asks of the net role after each step. */
enum skel_action {
	SKEL_MORE = 1,		/* all input used: feed more when it comes */
	SKEL_REPLY,		/* send the output, then feed the rest */
	SKEL_LOGIN,		/* verify the credentials (cred), then call
				 * login_result; feed nothing before */
	SKEL_QUIT,		/* send the output, then close */
	SKEL_AUTHED,		/* logged in: relay to the mail role; input
				 * not used yet belongs to it */
	SKEL_ASK,		/* send the frame of ask() to the monitor,
				 * hand its answer to answer() */
	SKEL_TELL,		/* send the frame of ask() to the monitor;
				 * no answer comes */
	SKEL_STARTTLS,		/* send the output in plaintext, drop any
				 * plaintext input not used yet, begin TLS,
				 * then call tls_started */
};

/*
 * A pre-auth engine: the protocol before the login, without I/O, in the
 * net process (unprivileged, chrooted, sandboxed).  It owns the framing:
 * the net role pumps decrypted bytes into feed, which says how many it
 * used; so IMAP literals and SASL continuations are the engine's
 * business.  The net role feeds only when the TLS send buffer has room
 * for out_max bytes, so a pipelining client's input waits in the receive
 * buffer until its answers fit.  Bytes the engine has used may have held
 * a credential: the net role wipes them from its buffer.  state is
 * state_size bytes, zeroed before init and wiped (explicit_bzero) after
 * wipe, owned by the net role.
 */
struct skel_preauth {
	size_t	state_size;
	size_t	out_max;	/* the engine's longest reply */
	int	max_failures;	/* failed logins before the monitor ends the
				 * connection (the engine's own count MUST
				 * not be higher) */

	/* init: output holds the greeting. */
	void	(*init)(void *state);
	/* feed: take up to len bytes of client input; returns how many it
	 * used and sets *action (enum skel_action).  After SKEL_REPLY or
	 * SKEL_QUIT the output is taken with output; on SKEL_MORE it may
	 * be empty. */
	size_t	(*feed)(void *state, const unsigned char *in, size_t len,
		    int *action);
	/* login: the credentials of the last SKEL_LOGIN, and the handover
	 * for the session; the engine wipes them in login_result. */
	const struct role_login *(*login)(void *state);
	/* login_result: the monitor's verdict (AUTH_* of authproto.h);
	 * returns SKEL_AUTHED, SKEL_REPLY or SKEL_QUIT. */
	int	(*login_result)(void *state, uint32_t status);
	/* output: the reply to send, *len bytes (0: none); taken, so the
	 * next call returns what came since. */
	const char *(*output)(void *state, size_t *len);
	void	(*wipe)(void *state);

	/* Optional hooks, for an engine that serves the whole connection
	 * in the net role (smtpd): NULL where a daemon has no use. */
	/* configure: before init, once: the configuration, and whether
	 * the connection began with TLS (implicit TLS: 1; a STARTTLS
	 * listener: 0). */
	void	(*configure)(void *state, const struct config *cfg,
		    int implicit_tls);
	/* ask: the frame for the last SKEL_ASK or SKEL_TELL (msg.h type
	 * and payload), owned by the engine. */
	const struct frame *(*ask)(void *state);
	/* answer: the monitor's answer to the last SKEL_ASK (any frame;
	 * the engine checks its type); returns SKEL_REPLY, SKEL_QUIT or
	 * SKEL_MORE. */
	int	(*answer)(void *state, const struct frame *f);
	/* tls_started: TLS is up (after the handshake of a STARTTLS, and
	 * before init on implicit TLS), with desc "TLSv1.2
	 * ECDHE_RSA_WITH_AES_128_GCM_SHA256"; after a STARTTLS the engine
	 * forgets what the client said before (RFC 3207 section 4.2) and
	 * sends no greeting. */
	void	(*tls_started)(void *state, const char *desc);
};

/*
 * What the mail role hands the session engine.  The store is open on the
 * user's Maildir (the process is chrooted into it); fd is the plaintext
 * stream to the net role, whose bytes are client input, as is handover.
 * endfd becomes readable (or hangs up) when authd ends the session: the
 * engine watches it whenever it waits and returns SKEL_END_AUTHD.
 * ready MUST be called once the engine can serve the client and before
 * it tells the client so: authd records the session then; a non-zero
 * return means the session must not open (answer "try again later").
 */
struct skel_mail {
	const struct config	*cfg;
	int			 fd;
	int			 endfd;
	const char		*user;
	const char		*maildir;	/* as authd gave it, for logs */
	struct store		*store;
	const uint8_t		*handover;
	size_t			 handoverlen;
	int			(*ready)(struct skel_mail *m);
	int			 readied;	/* set by ready */
	/* refuse: instead of ready, when the session cannot open after
	 * all (a POP3 maildrop in use): logs why, tells authd, sends line
	 * to the client and ends the process. */
	void			(*refuse)(struct skel_mail *m,
				    const char *why, const char *line)
				    __attribute__((noreturn));
};

/* How a session ended (session's return value). */
enum skel_end {
	SKEL_END_LOGOUT = 0,	/* the client logged out */
	SKEL_END_GONE = 1,	/* the client went away or was dropped */
	SKEL_END_AUTHD = 2,	/* authd ended it (endfd) */
	SKEL_END_ERROR = -1,	/* a store or I/O failure, logged */
};

struct skel_daemon {
	const char		*name;		/* "pop3d": logs, pid file */
	const char		*service;	/* authd's service: "pop3" */
	enum listen_service	 listen;	/* LISTEN_POP3S */
	const char		*listen_word;	/* "pop3s" */
	uint16_t		 port;		/* its default port */
	/* timeouts in seconds from the configuration: before and after
	 * the login (the net role's idle timeout) */
	int64_t			(*idle_preauth)(const struct config *cfg);
	int64_t			(*idle_session)(const struct config *cfg);
	const struct skel_preauth *preauth;
	/* session: the protocol after the login (enum skel_end). */
	int			(*session)(struct skel_mail *m);
	/* refuse: the line the client gets when the session cannot open
	 * (mailbox unusable, limits), into buf: its length. */
	size_t			(*refuse)(const uint8_t *handover,
				    size_t handoverlen, char *buf,
				    size_t len);
	/* summary: the session's last log line, given how it ended and,
	 * for SKEL_END_AUTHD, authd's words. */
	void			(*summary)(const char *user, int end,
				    const char *why);
	/* system calls the mail role needs beyond the skeleton's list (at
	 * most SKEL_MAIL_EXTRA_MAX) */
	const struct sandbox_rule *mail_extra;
	size_t			 mail_nextra;

	/* A second kind of listener that begins in plaintext and offers
	 * STARTTLS (smtpd's port 25); listen_plain_word NULL: none. */
	enum listen_service	 listen_plain;
	const char		*listen_plain_word;
	uint16_t		 port_plain;
	/* On that kind: the greeting waits greet_delay(cfg) milliseconds
	 * (NULL: none); a client that talks before it hears early_talker
	 * (a whole reply line) and is dropped. */
	int64_t			(*greet_delay)(const struct config *cfg);
	const char		*early_talker;
	/* A daemon whose net role serves the whole connection (session
	 * NULL): its monitor is a broker (below), not a mail role. */
	const struct skel_broker *broker;
	/* Messages a minute one address may send (the broker asks with
	 * skel_message_admit); NULL: no limit. */
	int			(*message_rate)(const struct config *cfg);
	/* Long-lived roles besides the keyholder (below); NULL: none. */
	const struct skel_roles	*roles;
	/* 1: the keyholder also holds the DKIM keys of the "dkim key
	 * directory" (smtpd: its relays sign outbound mail). */
	int			 dkim;
};

/*
 * A broker: the monitor of a daemon whose net role runs the whole
 * protocol (smtpd).  The monitor opens the broker's channels as root,
 * forks the net child, then enters the broker's sandbox (the empty
 * directory, the queue uid, not dumpable, seccomp) before it reads a
 * byte from the child.  It keeps the login rules itself (logins go to
 * authd over the broker's authd connection, with the grace time and
 * max_failures of the pre-auth engine, the grace time only until the
 * first login on a listener of the first kind) and hands every other
 * frame from the child to handle.  state is state_size bytes, zeroed.
 */
struct skel_broker {
	size_t	state_size;
	/* open: as root: afd is the connection to authd (the broker may
	 * use it between logins); cl the connection.  0, or -1 (logged):
	 * the connection ends before the net child starts. */
	int	(*open)(void *state, const struct config *cfg,
		    const struct skel_client *cl, int afd);
	/* logged_in: a login as user succeeded. */
	void	(*logged_in)(void *state, const char *user);
	/* handle: a frame from the net child that is not a login; the
	 * answer, if one is due, goes into ans: returns 1 (answer), 0 (no
	 * answer), -1 (a malformed or unexpected frame: the connection
	 * ends). */
	int	(*handle)(void *state, struct frame *f, struct frame *ans);
	/* close: the net child is gone. */
	void	(*close)(void *state);
	/* system calls the broker needs beyond the skeleton's list */
	const struct sandbox_rule *extra;
	size_t	nextra;
};

/*
 * Long-lived roles (smtpd's queue and deliver).  The parent calls start
 * once it is ready, and again, after a pause, whenever one of the pids it
 * returned has ended (the others are stopped first: the roles are one
 * group).  start spawns each role with skel_spawn; main runs in the
 * spawned process (as root, the descriptors start handed it from 3 on),
 * selected by the role name.
 */
struct skel_roles {
	int	(*start)(const struct config *cfg, pid_t *pids, size_t max,
		    size_t *n);
	void	(*main)(const char *role, const struct config *cfg,
		    const struct skel_ids *ids, int debug)
		    __attribute__((noreturn));
};

/* skel_message_admit: in a broker: may the client of cl send one more
 * message?  The parent counts (skel_daemon.message_rate): ADMIT_OK, or
 * the verdict of admission.h (ADMIT_RATE: over; ADMIT_INVALID: the
 * parent could not be asked, as after a login, when it no longer
 * listens). */
int	skel_message_admit(const struct skel_client *cl);

/* skel_role_tie: in a role started by skel_spawn, after its privilege
 * drop (which clears a parent-death signal) and before its seccomp
 * filter: it dies with the parent (SIGKILL), or ends at once when the
 * parent is gone already, so no role outlives the daemon that ran it.
 * Outside a spawned role (a test that runs a role's main) it does
 * nothing. */
void	skel_role_tie(void);

/* skel_dkim_channel: in the parent, from a roles start function: a new
 * DKIM channel to the keyholder (keyholder_dkim_channel) for a process
 * that signs outbound mail; the caller passes it on and closes its copy.
 * -1 (logged) when it cannot be made. */
int	skel_dkim_channel(void);

/* skel_spawn: in the parent: fork + exec this program as role (its
 * main, above) with fds[0..nfds-1] as descriptors 3, 4, ...; the pid, or
 * -1 (logged). */
pid_t	skel_spawn(const char *role, const int *fds, int nfds);

#define SKEL_MAIL_EXTRA_MAX	16

/* Privsep identities, looked up by the parent before anything forks;
 * uid -1 in development mode. */
struct skel_ids {
	uid_t	net_uid, mail_uid, key_uid, queue_uid, relay_uid;
	gid_t	net_gid, mail_gid, key_gid, queue_gid, relay_gid;
};

/* What a monitor knows about its connection. */
struct skel_client {
	int		 fd;		/* the client's TCP socket */
	int		 keyfd;		/* sign channel to the keyholder */
	int		 parentfd;	/* admission channel to the parent */
	char		 address[64];	/* as the kernel reported it */
	unsigned	 port;		/* our local port */
	int		 starttls;	/* a listener of the plain kind */
	char		 session[24];	/* audit session id */
};

/* skel_main: the daemon's main(): options (-d -f -K -n -v --help
 * --version), then the parent role, or the keyholder role with -K. */
int	skel_main(const struct skel_daemon *d, int argc, char *argv[]);

/* The roles' entry points, each in its file. */
void	skel_monitor_main(const struct skel_daemon *d,
	    const struct config *cfg, const struct skel_ids *ids,
	    const struct tls_chain *chain, struct skel_client *cl)
	    __attribute__((noreturn));
void	skel_net_main(const struct skel_daemon *d, const struct config *cfg,
	    const struct skel_ids *ids, const struct tls_chain *chain,
	    struct skel_client *cl, int monfd) __attribute__((noreturn));
/* skel_mail_main: ans is authd's answer to the session login that
 * succeeded (the canonical user, the mail directory, the quota) and afd
 * its connection (authc.h); l holds the handover. */
void	skel_mail_main(const struct skel_daemon *d, const struct config *cfg,
	    const struct skel_ids *ids, int fd,
	    const struct auth_login_ans *ans, pid_t net, int afd,
	    const struct role_login *l) __attribute__((noreturn));

#endif
