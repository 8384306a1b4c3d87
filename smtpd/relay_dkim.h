/*
 * relay_dkim.h: the header fields the relay adds before a job's message:
 * the DKIM-Signature (RFC 6376) of a message from one of our domains,
 * and the Authentication-Results field (RFC 8601) of a message that came
 * in on port 25 and goes out again (an alias forwarding it).  Runs in
 * the relay role.  The message is the sender's and hostile (it is only
 * parsed for its From domain and hashed); the signature comes from the
 * keyholder over the relay's DKIM channel, so no private key is here.
 *
 * What is signed, and with what:
 *  - only a job the queue marks signable (relay_job.sign: submitted by a
 *    logged-in user, handed over locally, or made by the queue; never
 *    mail another server sent us on port 25, which would let a stranger
 *    borrow our domain's name);
 *  - for the domain of its From field (exactly one From field, all its
 *    addresses in one domain: dmarc_from_domain), when the keyholder
 *    holds a key for that domain (keyholder_dkim_selector picks the
 *    newest); otherwise the message goes out unsigned;
 *  - rsa-sha256, relaxed/relaxed, no expiry (dkim_signer_*), over the
 *    message as it is sent: the first job->size bytes of its file (a bare
 *    LF is hashed as the CRLF the wire gets).
 *
 * The keyholder never holds mail: it answers within TLS_SIGN_TIMEOUT_MS
 * or the message goes out unsigned (logged).  A late answer would put
 * the channel out of step, so the relay counts the requests still owed
 * an answer and, before the next request, reads and drops the answers
 * that have come since; while one is still owed it asks nothing and
 * sends unsigned.  A channel that breaks is closed: this relay process
 * signs nothing more (each job logs it).
 *
 * Order on the wire: the DKIM-Signature first (the last field added goes
 * on top, RFC 6376 §5.6), then the Authentication-Results, then the
 * message.  Neither field is in the other's reach: the signature's h=
 * never names Authentication-Results or DKIM-Signature, so its
 * validity does not depend on that order.  (A job that carries an
 * Authentication-Results value came in on port 25 and is not signed.)
 */
#ifndef POSTERN_RELAY_DKIM_H
#define POSTERN_RELAY_DKIM_H

#include <stddef.h>

#include "smtpd/relay.h"

#define RELAY_DKIM_FIELD_MAX	4096	/* dkim.h's DKIM_SIGNATURE_MAX */

/* Room for both fields: the signature, the folded Authentication-Results
 * (queueproto_authres_field's bound). */
#define RELAY_PREFIX_MAX	(RELAY_DKIM_FIELD_MAX + 2 * QUEUE_AUTHRES_MAX + \
	32)

/*
 * relay_prefix: the fields to send before job's message (the first
 * job->size bytes of msgfd, read with pread) into out (RELAY_PREFIX_MAX
 * bytes, CRLF line ends, not NUL-terminated); returns their length (0:
 * none).  Never fails the job: a signature that cannot be made is left
 * out (logged: "not DKIM-signed: why"); one that is made is logged as
 * "DKIM signed d=... s=...".  Uses x->dkim_fd (closed and set to -1 when
 * the channel breaks) and x->dkim_owed.
 */
size_t	relay_prefix(struct relay_ctx *x, const struct relay_job *job,
	    int msgfd, char *out);

#endif
