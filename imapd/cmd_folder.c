/*
 * cmd_folder.c: placeholder until its commands are written: each answers
 * NO [CANNOT].  Runs in imapd's mail process.
 */
#include "imapd/session.h"

void
cmd_create(struct imap_sess *s, const struct imap_cmd *c)
{
	imap_no(s, "CANNOT", "%s is not available yet",
	    imap_verb_name(c->verb));
}

void
cmd_delete(struct imap_sess *s, const struct imap_cmd *c)
{
	imap_no(s, "CANNOT", "%s is not available yet",
	    imap_verb_name(c->verb));
}

void
cmd_rename(struct imap_sess *s, const struct imap_cmd *c)
{
	imap_no(s, "CANNOT", "%s is not available yet",
	    imap_verb_name(c->verb));
}

void
cmd_subscribe(struct imap_sess *s, const struct imap_cmd *c)
{
	imap_no(s, "CANNOT", "%s is not available yet",
	    imap_verb_name(c->verb));
}

void
cmd_list(struct imap_sess *s, const struct imap_cmd *c)
{
	imap_no(s, "CANNOT", "%s is not available yet",
	    imap_verb_name(c->verb));
}

void
cmd_status(struct imap_sess *s, const struct imap_cmd *c)
{
	imap_no(s, "CANNOT", "%s is not available yet",
	    imap_verb_name(c->verb));
}

void
cmd_getquota(struct imap_sess *s, const struct imap_cmd *c)
{
	imap_no(s, "CANNOT", "%s is not available yet",
	    imap_verb_name(c->verb));
}

void
cmd_getquotaroot(struct imap_sess *s, const struct imap_cmd *c)
{
	imap_no(s, "CANNOT", "%s is not available yet",
	    imap_verb_name(c->verb));
}

void
cmd_setquota(struct imap_sess *s, const struct imap_cmd *c)
{
	imap_no(s, "CANNOT", "%s is not available yet",
	    imap_verb_name(c->verb));
}

