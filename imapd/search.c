/*
 * search.c: placeholder until its commands are written: each answers
 * NO [CANNOT].  Runs in imapd's mail process.
 */
#include "imapd/session.h"

void
cmd_search(struct imap_sess *s, const struct imap_cmd *c)
{
	imap_no(s, "CANNOT", "%s is not available yet",
	    imap_verb_name(c->verb));
}

