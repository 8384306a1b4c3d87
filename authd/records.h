/*
 * records.h: constructors for authd's fixed-layout database records, so
 * that every writer (authctl today, authd's own migrations later) starts a
 * record from the same known state.  Runs in authd and authctl; pure
 * functions on caller-owned memory, trusting only the arguments' types.
 */
#ifndef POSTERN_RECORDS_H
#define POSTERN_RECORDS_H

#include <stdint.h>

#include "authd/db.h"

/*
 * user_rec_init: zero *r (not NULL, caller owned) and set version to
 * USER_REC_VERSION, services to the SERVICE_* bits given, created and
 * pw_set to now (seconds), and pw_strength to -1 (unknown).  The caller
 * fills in the hash.  Never fails.
 */
void	user_rec_init(struct user_rec *r, unsigned services, int64_t now);

#endif
