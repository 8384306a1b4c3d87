/*
 * pop3d.h: the roles of pop3d and what they hand each other.
 *
 *   parent     pop3d/parent.c   root: config, listeners, the keyholder,
 *                               accepts and forks one monitor per client,
 *                               keeps the connection budgets (admission.h)
 *   keyholder  common/keyholder.c  the TLS private key (fork + exec -K)
 *   monitor    pop3d/monitor.c  root, per connection: ban check, forks the
 *                               net child, asks authd, keeps the login grace
 *                               time and the failure limit, reports the
 *                               login to the parent, becomes the mail role
 *   net        pop3d/net.c      TLS and the AUTHORIZATION state; after the
 *                               login, relays bytes to the mail role
 *   mail       pop3d/mail.c     chrooted to the user's Maildir as the mail
 *                               uid: the TRANSACTION and UPDATE states;
 *                               keeps the login's connection to authd,
 *                               which ends the session when it says so
 *
 * Each role has one entry function and one sandbox function, in its file.
 */
#ifndef POSTERN_POP3D_H
#define POSTERN_POP3D_H

#include <sys/types.h>

#include "common/config.h"
#include "common/tls.h"

/* What a monitor knows about its connection. */
struct pop3_client {
	int		 fd;		/* the client's TCP socket */
	int		 keyfd;		/* sign channel to the keyholder */
	int		 parentfd;	/* admission channel to the parent:
					 * MSG_MONITOR_SESSION */
	char		 address[64];	/* as the kernel reported it */
	unsigned	 port;		/* our local port */
	char		 session[24];	/* audit session id */
};

/* Privsep identities, looked up by the parent before anything forks;
 * uid -1 in development mode. */
struct pop3_ids {
	uid_t	net_uid, mail_uid, key_uid;
	gid_t	net_gid, mail_gid, key_gid;
};

void	monitor_main(const struct config *cfg, const struct pop3_ids *ids,
	    const struct tls_chain *chain, struct pop3_client *cl)
	    __attribute__((noreturn));
void	net_main(const struct config *cfg, const struct pop3_ids *ids,
	    const struct tls_chain *chain, struct pop3_client *cl, int monfd)
	    __attribute__((noreturn));
/* mail_main: afd is the connection to authd of the session login that
 * succeeded (authc.h): the session opens only once authd has recorded
 * it, and ends when authd says so or goes away. */
void	mail_main(const struct config *cfg, const struct pop3_ids *ids,
	    int fd, const char *user, const char *maildir, pid_t net, int afd)
	    __attribute__((noreturn));

#endif
