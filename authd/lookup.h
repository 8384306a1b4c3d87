/*
 * lookup.h: authd's answers that are not logins: is an address banned,
 * and whom does a recipient address reach.
 *
 * Runs in authd's main thread inside the caller's transaction, and in
 * authctl (lookup_alias, to check a new alias); reads only.  The address or recipient comes from a checked peer but is still
 * hostile: it is normalised or validated before any lookup.
 */
#ifndef POSTERN_LOOKUP_H
#define POSTERN_LOOKUP_H

#include "authd/db.h"
#include "common/authproto.h"
#include "common/config.h"

/* lookup_banned: AUTH_FAIL_TEMP when address (any form netaddr accepts)
 * is banned now, AUTH_FAIL_PERM when it is no address, else AUTH_OK
 * (also on a database error: the login that follows checks again). */
uint32_t lookup_banned(struct db *db, MDB_txn *txn, const char *address);

/* The subaddress separator: "user+tag@domain" reaches "user@domain". */
#define LOOKUP_SUBADDRESS_SEP	'+'

/*
 * lookup_rcpt: fill a (whose id the caller sets) with the users and
 * external addresses that recipient reaches through aliases (at most 8
 * deep and 64 lookups in all; disabled users are left out), each user
 * with its effective quota (cfg's default quota unless it has its own)
 * and each external address with 0.  Each local name resolves to the
 * user or alias of that name; failing that, when its local part holds
 * LOOKUP_SUBADDRESS_SEP after at least one character, to the user or
 * alias of the part before it; failing that, and only for recipient
 * itself (not for alias targets), to the catch-all alias "@domain" of
 * its domain.  A recipient outside the local domains reaches no one.
 * status is AUTH_OK when it reaches anyone, else AUTH_FAIL_PERM;
 * AUTH_FAIL_TEMP, with no one, when txn is NULL, a record could not be
 * read (a quota of 0 would mean no limit), or the destinations do not
 * fit one answer (authproto_rcpt_fits; logged, naming the recipient).
 * recipient is lowercased in place.
 */
void	lookup_rcpt(struct db *db, MDB_txn *txn, const struct config *cfg,
	    char *recipient, struct auth_rcpt_ans *a);

/*
 * lookup_alias: as lookup_rcpt for the user or alias named alias (which
 * may be a catch-all "@domain"), without subaddress or catch-all rules
 * and without a log line; for authctl, which refuses an alias whose
 * answer would be AUTH_FAIL_TEMP.  alias is used as given (lowercase).
 */
void	lookup_alias(struct db *db, MDB_txn *txn, const struct config *cfg,
	    const char *alias, struct auth_rcpt_ans *a);

/*
 * lookup_known: one page (from offset) of the addresses some user logged
 * in from within lockout known, most recent first, with the age of the
 * last login from each, into a (whose id the caller sets); at most
 * LOOKUP_KNOWN_HOSTS addresses in all.  Returns 0, or -1 on a database
 * error (a is then empty).
 */
#define LOOKUP_KNOWN_HOSTS	4096
int	lookup_known(struct db *db, MDB_txn *txn, const struct config *cfg,
	    uint32_t offset, struct auth_known_ans *a);

#endif
