/*
 * imapd.c: imapd on the daemon skeleton (common/skel.h): its table.  The
 * pre-auth engine is preauth.c (net role), the session engine session.c
 * (mail role, chrooted to the user's Maildir as the mail uid).
 */
#include <stdio.h>
#include <string.h>

#include "common/privsep.h"
#include "common/skel.h"
#include "imapd/preauth.h"
#include "imapd/session.h"

/* The login could not become a session: the login command's tag gets
 * the NO (the tag came from the net process: only plain tag octets). */
static size_t
imap_refuse(const uint8_t *handover, size_t handoverlen, char *buf,
    size_t len)
{
	char tag[IMAP_TAG_MAX + 1];

	imap_handover_tag(handover, handoverlen, tag);
	return (size_t)snprintf(buf, len, "%s NO [UNAVAILABLE] Mailbox "
	    "unavailable\r\n", tag);
}

static int64_t
imap_idle_preauth(const struct config *cfg)
{
	return cfg->imap_login_timeout;
}

static int64_t
imap_idle_session(const struct config *cfg)
{
	return cfg->imap_idle_timeout;
}

/* The mail role's system calls beyond the skeleton's list. */
static const struct sandbox_rule imap_mail_extra[] = {
	/* APPEND's date-time becomes the message file's mtime, its
	 * internal date (futimens) */
	SANDBOX_ALLOW(utimensat),
};

static const struct skel_daemon imapd = {
	.name = "imapd",
	.service = "imap",
	.listen = LISTEN_IMAPS,
	.listen_word = "imaps",
	.port = 993,
	.idle_preauth = imap_idle_preauth,
	.idle_session = imap_idle_session,
	.preauth = &imap_preauth,
	.session = imap_session,
	.refuse = imap_refuse,
	.summary = imap_summary,
	.mail_extra = imap_mail_extra,
	.mail_nextra = sizeof(imap_mail_extra) / sizeof(imap_mail_extra[0]),
};

int
main(int argc, char *argv[])
{
	return skel_main(&imapd, argc, argv);
}
