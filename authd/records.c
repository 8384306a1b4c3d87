/*
 * records.c: constructors for database records (see records.h).  Runs in
 * authd and authctl; touches only the memory it is given.
 */
#include <string.h>

#include "authd/records.h"

void
user_rec_init(struct user_rec *r, unsigned services, int64_t now)
{
	memset(r, 0, sizeof(*r));
	r->version = USER_REC_VERSION;
	r->services = services;
	r->created = now;
	r->pw_set = now;
	r->pw_strength = -1;
}
