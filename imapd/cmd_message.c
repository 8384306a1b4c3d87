/*
 * cmd_message.c: placeholder until its commands are written: each answers
 * NO [CANNOT].  Runs in imapd's mail process.
 */
#include "imapd/session.h"

void
cmd_append(struct imap_sess *s, const struct imap_cmd *c)
{
	imap_no(s, "CANNOT", "%s is not available yet",
	    imap_verb_name(c->verb));
}

void
cmd_store(struct imap_sess *s, const struct imap_cmd *c)
{
	imap_no(s, "CANNOT", "%s is not available yet",
	    imap_verb_name(c->verb));
}

void
cmd_copy(struct imap_sess *s, const struct imap_cmd *c)
{
	imap_no(s, "CANNOT", "%s is not available yet",
	    imap_verb_name(c->verb));
}

void
imap_literal_begin(struct imap_sess *s)
{
	imap_reader_refuse(&s->rd, "APPEND is not available yet");
}

void
imap_literal_data(struct imap_sess *s, const char *p, size_t n)
{
}

void
imap_literal_drop(struct imap_sess *s)
{
}
