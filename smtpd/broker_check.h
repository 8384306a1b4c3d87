/*
 * broker_check.h: the broker's side of the checks on inbound mail (port
 * 25): it hashes each message for DKIM as it streams to the queue (phase
 * 1 of common/dkim.h), reads its From domain, and at the end of DATA asks
 * the check role (checkproto.h) for the SPF, DKIM and DMARC verdict and
 * the Authentication-Results text.
 *
 * Runs in smtpd's broker (the per-connection monitor): opened as root
 * before its privilege drop (the check role's socket is root's), used
 * afterwards as the queue uid in the empty directory.  The message is the
 * SMTP client's and hostile (bounded by dkim.h's limits); the check
 * role's answer is decoded as hostile too.
 */
#ifndef POSTERN_BROKER_CHECK_H
#define POSTERN_BROKER_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/dkim.h"
#include "smtpd/checkproto.h"

struct broker_check;

/*
 * broker_check_bits: the checks the configuration turns on for mail on
 * port 25 (CHECK_SPF, CHECK_DKIM, CHECK_DMARC); 0: none.
 */
unsigned broker_check_bits(const struct config *cfg);

/*
 * broker_check_open: the state for one connection's messages, with its
 * connection to <spool>/check.sock made now (call it as root, before the
 * privilege drop).  checks: broker_check_bits, not 0.  Returns NULL when
 * memory ran out (logged).  A check role that cannot be reached is not
 * an error here: every message then gets temperror results.  The state
 * is large (a message's header section): allocated once per connection.
 */
struct broker_check *broker_check_open(const struct config *cfg,
	    unsigned checks);

/* broker_check_begin: a new message (MAIL). */
void	broker_check_begin(struct broker_check *c);

/* broker_check_data: the message's next n bytes, as the client sent them
 * (before any Authentication-Results field is removed). */
void	broker_check_data(struct broker_check *c, const void *p, size_t n);

/*
 * broker_check_run: the message is complete: ask the check role about
 * it, sent by the client at address (numeric) with helo and the envelope
 * sender ("" for <>), and wait for the answer at most CHECK_WAIT_MS
 * (checkproto.h), which the request tells the check role.  Always fills
 * *r: when the check role cannot be reached, does not answer in time,
 * answers malformed or about another request (each logged), r holds
 * checkproto_unchecked's result (temperror for each check, deferred when
 * DMARC is on), and the connection to the check role is dropped for the
 * rest of the session (a late answer must not be taken for the next
 * message's).
 */
void	broker_check_run(struct broker_check *c, const char *address,
	    const char *helo, const char *sender, struct check_result *r);

/* broker_check_close: free c and close its connection (NULL is fine). */
void	broker_check_close(struct broker_check *c);

/*
 * broker_check_from: the RFC5322.From of the header section in m (which
 * dkim_msg_end or the body's start completed): CHECK_FROM_ONE with its
 * domain, lowercase, in domain (len bytes, at least CHECK_DOMAIN_MAX),
 * when there is exactly one From field holding exactly one address
 * whose domain is a DNS name (dkim_name_ok, a final dot dropped);
 * CHECK_FROM_NONE without a From field; CHECK_FROM_MANY for several
 * fields or addresses, or a field without one (RFC 7489 6.6.1);
 * CHECK_FROM_BAD for a header section that could not be kept whole or
 * a domain that is no name.
 * domain is "" unless ONE.  Pure.
 */
uint32_t broker_check_from(const struct dkim_msg *m, char *domain,
	    size_t len);

#endif
