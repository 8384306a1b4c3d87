/*
 * audit.h: the tamper-evident audit log in authd's LMDB environment.
 *
 * Runs in authd and authctl.  Each record is one line of tab-separated
 * fields, keyed by its time in microseconds (8 bytes, big-endian; kept
 * strictly increasing by the writer, so keys are unique):
 *
 *   prev  time_us  service  mech  user  address  result  reason  session
 *
 * prev is the hex SHA-256 of the previous record (its key bytes followed by
 * its value bytes); the first record of a fresh log has 64 zeros.  Pruning
 * removes old records and writes one anchor record (service "-", result
 * "anchor") whose prev is the hash of the last pruned record, so the chain
 * still verifies.  Each record's syslog copy carries the first 16 hex
 * digits of its own hash, so a chain rebuilt from scratch by an intruder
 * disagrees with the syslog copy.  Fields come from the network: control
 * characters, tabs and non-ASCII bytes are replaced with '?', and each
 * field is cut at AUDIT_FIELD_MAX bytes.  The syslog copy quotes every
 * field and replaces '"' and '\\' too, so a user name cannot forge the
 * fields that follow it.
 *
 * Records of service "authctl" (result "admin") use mech for who ran
 * authctl: the login name behind sudo, the name of the uid, or "uid:N".
 * No field was added, so the line still has nine fields and every record
 * written before keeps its hash; older admin records hold "-" there.
 * Their user field names the user or alias acted on, their address field
 * the client address acted on (ban, unban), "-" when there is none.
 */
#ifndef POSTERN_AUDIT_H
#define POSTERN_AUDIT_H

#include <stdint.h>
#include <stdio.h>

#include "authd/db.h"

#define AUDIT_FIELD_MAX		256
#define AUDIT_HASH_HEX		65	/* 64 hex digits + NUL */

struct audit_event {
	const char	*service;	/* "imap", "pop3", "smtp", "authctl" */
	const char	*mech;		/* "plain", "login", "user", "-";
					 * for "authctl": who ran it */
	const char	*user;
	const char	*address;
	const char	*result;	/* "ok", "fail", "tempfail", "admin" */
	const char	*reason;	/* why: never a secret */
	const char	*session;
};

/* A parsed record, as audit_each hands it out. */
struct audit_rec {
	int64_t	time_us;
	char	prev[AUDIT_HASH_HEX];
	char	hash[AUDIT_HASH_HEX];	/* of this record */
	char	service[AUDIT_FIELD_MAX];
	char	mech[AUDIT_FIELD_MAX];
	char	user[AUDIT_FIELD_MAX];
	char	address[AUDIT_FIELD_MAX];
	char	result[AUDIT_FIELD_MAX];
	char	reason[AUDIT_FIELD_MAX];
	char	session[AUDIT_FIELD_MAX];
};

/*
 * audit_append: add ev at time now_us (moved forward by 1 us if a record
 * at or after it exists) in the write transaction txn, and write its
 * syslog line (facility auth) with the hash prefix once the caller has
 * committed: the line is formatted into line (of linelen bytes) for the
 * caller to log after db_commit.  Returns 0 or -1.
 */
int	audit_append(struct db *db, MDB_txn *txn, int64_t now_us,
	    const struct audit_event *ev, char *line, size_t linelen);

/*
 * audit_prune: delete records older than before_us and leave an anchor.
 * Returns the number of records removed, or -1.
 */
long	audit_prune(struct db *db, MDB_txn *txn, int64_t before_us);

/*
 * audit_each: call fn for each record with time >= since_us, oldest
 * first.  fn returns 0 to go on, 1 to stop, -1 for an error.  Returns 0,
 * or -1 on an LMDB error, a malformed record (logged) or fn's -1.
 */
typedef int (*audit_each_fn)(void *arg, const struct audit_rec *rec);
int	audit_each(struct db *db, MDB_txn *txn, int64_t since_us,
	    audit_each_fn fn, void *arg);

/*
 * audit_verify: walk the whole chain.  Returns the number of records
 * checked (>= 0) when it holds, and copies the newest record into *head
 * (head may be NULL; left untouched when there are no records); -1 when
 * it breaks, after writing to out a line naming the first bad record (its
 * time key and what is wrong: changed, inserted or removed before it).
 *
 * Caveat: the newest record has no successor to vouch for it, so records
 * deleted from the head of the log leave a chain that holds.  Only
 * something outside the database can show that: the head's hash, noted
 * elsewhere, or the syslog copies (authctl audit --verify --syslog).
 */
long	audit_verify(struct db *db, MDB_txn *txn, FILE *out,
	    struct audit_rec *head);

#endif
