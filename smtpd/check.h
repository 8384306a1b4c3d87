/*
 * check.h: smtpd's check role (smtpd -R check, check.c): SPF, DKIM
 * verification and DMARC for mail arriving on port 25, asked by the
 * brokers over <spool>/check.sock (checkproto.h), and the judgement
 * itself (check_eval.c: DKIM's phase 2, SPF, DMARC, the verdict and the
 * Authentication-Results text), which the unit tests run with a table
 * for DNS.
 *
 * The role runs as the relay's uid (network, no mail, no spool), chrooted
 * to the empty directory, under its seccomp sandbox: what it needs after
 * its start is the resolver's sockets and its clients.  It trusts the
 * configuration and the files it reads as root before the chroot (the
 * DNS trust anchor, the Public Suffix List); the brokers' requests are
 * decoded as hostile, and every DNS answer is.
 */
#ifndef POSTERN_SMTPD_CHECK_H
#define POSTERN_SMTPD_CHECK_H

#include <sys/types.h>

#include "common/config.h"
#include "common/dns.h"
#include "common/psl.h"
#include "smtpd/checkproto.h"

#define CHECK_CLIENTS_MAX	1100	/* brokers served by one process
					 * (as queue.h's QUEUE_CLIENTS_MAX) */
#define CHECK_REQUEST_MS	5000	/* a request's frames, once begun */
#define CHECK_DNS_TIMEOUT_MS	4000	/* one lookup (dns.h's timeout_ms:
					 * no server answering ends it in
					 * about half of it) */
/*
 * The time one message's lookups may take, from the moment its broker
 * began to wait (checkproto.h's until): the broker's wait less one whole
 * lookup, so that a lookup begun just before the deadline (it cannot be
 * cut short) still ends before the broker gives up.  The questions not
 * asked by then are temperror (RFC 7208 4.6.4, RFC 7489 6.6.3), and the
 * answer goes back while the broker still waits for it.
 */
#define CHECK_TIME_MS		(CHECK_WAIT_MS - CHECK_DNS_TIMEOUT_MS)
/*
 * Of that time, the DKIM key and SPF lookups leave this much to DMARC's
 * own (its record, the organizational domain's, np='s A): a sender whose
 * SPF or DKIM keys are slow, in domains that cannot align, must not
 * spend the time the From domain's policy needs (an outside test turned
 * every p=reject spoof into a 451 that way).  Two lookups' worth.
 */
#define CHECK_DMARC_RESERVE_MS	(2 * CHECK_DNS_TIMEOUT_MS)

/*
 * check_listen: in the parent, as root: bind <spool>/check.sock (a stale
 * one unlinked first) owned by root with no access for group or others
 * (umask 077 at bind), so that only root
 * (each broker, before its privilege drop) can connect; non-blocking,
 * listening.  The descriptor, or -1 (logged).
 */
int	check_listen(const struct config *cfg);

/*
 * check_main: the check role, one of "smtp check processes" that share
 * the listening socket lfd (check_listen's).  As root: opens the
 * resolver ("dns server", "dns trust anchor") and loads the Public
 * Suffix List, looks up the relay user (development mode: none), then
 * chroots to the empty directory, drops to that user and enters its
 * sandbox.  Serves one request at a time, from any of its clients.
 * Without its resolver or its list (a file missing, logged at start) it
 * still serves, answering temperror for every check: the role is
 * restarted with the queue and the deliver processes, so failing to
 * start would stop all mail.  Never returns: exits 1 on a fatal error
 * (the parent restarts the group).
 */
void	check_main(const struct config *cfg, int lfd) __attribute__((noreturn));

/* What check_eval needs besides the request. */
struct check_env {
	dns_lookup_fn	 lookup;	/* every DNS question */
	void		*arg;
	int64_t		 until;		/* no question from this time on
					 * (clock's milliseconds): what is
					 * not known by then is temperror */
	int64_t		(*clock)(void);	/* NULL: mono_ms; a test's own */
	const struct psl *psl;
	const char	*hostname;	/* our authserv-id, SPF's %{r} */
	int		 dmarc_reject;	/* "smtp dmarc reject yes" */
	int		 dmarc_junk;	/* "smtp dmarc quarantine junk" */
	unsigned	 sample;	/* uniform in 0..99, for DMARC pct= */
};

/* One DKIM result as the judgement takes it (check_dkim_finish). */
struct check_dkim {
	char		 result[16];	/* RFC 8601's word: "pass", "fail",
					 * "neutral", "policy", "temperror",
					 * "permerror" */
	char		 domain[DNS_NAME_MAX + 1];	/* d=, "" unknown */
	char		 selector[DNS_NAME_MAX + 1];	/* s= */
	char		 b[9];		/* the first 8 characters of b= */
	char		 reason[128];	/* "" on pass */
};

/*
 * check_dkim_finish: phase 2 of the n (at most dkim.h's DKIM_SIGS_MAX) signatures
 * sigs of one message, as a broker sent them (decoded, still hostile):
 * each pending one's key looked up through env->lookup (none from
 * env->until on: temperror, "no time left to look the key up") and its
 * signature verified (dkim_verify_finish); the results into out[0..n).
 * Returns the number of key lookups not made for lack of time.
 */
unsigned check_dkim_finish(const struct check_env *env,
	    struct dkim_sig *sigs, size_t n, struct check_dkim *out);

/*
 * check_eval: judge the message m, whose DKIM results are dk[0..ndk)
 * (check_dkim_finish's): SPF for the client address, DMARC for the From
 * domain, as far as m->checks asks (DMARC judges the SPF and DKIM
 * results even when they are not reported: SPF is evaluated for it).
 * Fills *r: CHECK_REJECT when DMARC fails under p=reject and reject is
 * configured; CHECK_QUARANTINE when it fails under p=quarantine (or
 * p=reject without reject) and junk is configured; else CHECK_ACCEPT;
 * the reason in words; the Authentication-Results value (with fewer
 * DKIM results when all of them do not fit CHECK_AUTHRES_MAX).  From
 * env->until on no question is asked: SPF or DMARC, when a question of
 * theirs was not asked, is temperror whatever the rest of its
 * evaluation found (RFC 7208 4.6.4: a ptr lookup that fails is no match,
 * but running out of time is temperror), so that DMARC defers.  Returns
 * the number of lookups not made for lack of time (0: all were).
 */
unsigned check_eval(const struct check_env *env, const struct check_msg *m,
	    const struct check_dkim *dk, size_t ndk, struct check_result *r);

#endif
