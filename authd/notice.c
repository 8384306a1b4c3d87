/*
 * notice.c: login notices (see notice.h).  notice_compose, notice_stage
 * and notice_release run in authd's server process; notice_decode in its
 * parent, which trusts the server only as far as the frame parses.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "authd/notice.h"
#include "common/frame.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/util.h"

static int			 notice_fd = -1;
static const struct config	*notice_cfg;
static struct notice		 notice_staged[NOTICE_STAGED];
static int			 notice_nstaged;

/* notice_duration: "15 minutes", "2 hours", "1 day"... */
static void
notice_duration(int64_t s, char *buf, size_t len)
{
	static const struct { int64_t unit; const char *name; } u[] = {
		{ 86400, "day" }, { 3600, "hour" }, { 60, "minute" },
		{ 1, "second" } };
	size_t i;

	for (i = 0; i < 3 && (s < u[i].unit || s % u[i].unit != 0); i++)
		;
	snprintf(buf, len, "%lld %s%s", (long long)(s / u[i].unit),
	    u[i].name, s / u[i].unit == 1 ? "" : "s");
}

static const char *
notice_protocol(const char *service)
{
	if (strcmp(service, "imap") == 0)
		return "IMAP (reading mail)";
	if (strcmp(service, "pop3") == 0)
		return "POP3 (downloading mail)";
	if (strcmp(service, "smtp") == 0)
		return "SMTP (sending mail)";
	return service;
}

int
notice_compose(const struct notice *n, const char *domain, const char *host,
    const char *token, char *buf, size_t len)
{
	char date[64], when[64], lock[32], what[256];
	struct tm tm;
	time_t t = (time_t)n->when;
	int login = n->kind == NOTICE_LOGIN, w;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
	    &tm) == 0 ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		return -1;
	notice_duration(n->locked_for, lock, sizeof(lock));
	if (login)
		snprintf(what, sizeof(what), "If this was you, for instance "
		    "from a new device, a new network or\na trip, there is "
		    "nothing to do.\n");
	else
		snprintf(what, sizeof(what), "Sign-ins from the addresses "
		    "you used lately still work; others\nare refused for %s "
		    "after the last failed attempt.\n", lock);
	w = snprintf(buf, len,
	    "From: postern <postmaster@%s>\n"
	    "To: <%s>\n"
	    "Subject: %s\n"
	    "Date: %s\n"
	    "Message-ID: <notice.%s@%s>\n"
	    "Auto-Submitted: auto-generated\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=us-ascii\n"
	    "Content-Transfer-Encoding: 7bit\n"
	    "\n"
	    "%s\n"
	    "%s.\n"
	    "\n"
	    "    When:      %s\n"
	    "    From:      %s\n"
	    "    Protocol:  %s\n"
	    "\n"
	    "%s"
	    "\n"
	    "If this was not you, someone else may know your password: ask\n"
	    "your mail administrator to change it at once, and to check your\n"
	    "app passwords and two-factor settings.  Nobody reads replies to\n"
	    "this mail.\n",
	    domain, n->user,
	    login ? "New sign-in to your mail account" :
	    "Your mail account was locked",
	    date, token, host,
	    login ? "Someone signed in to your mail account" :
	    "Your mail account was locked after too many failed sign-ins:",
	    n->user, when, n->address, notice_protocol(n->service), what);
	if (w < 0 || (size_t)w >= len)
		return -1;
	return w;
}

void
notice_init(int fd, const struct config *cfg)
{
	notice_fd = fd;
	notice_cfg = cfg;
}

void
notice_stage(const struct notice *n)
{
	if (notice_fd == -1)
		return;
	if (notice_nstaged == NOTICE_STAGED) {
		log_warnx("login notice to %s dropped: more than %d in one "
		    "round", n->user, NOTICE_STAGED);
		return;
	}
	notice_staged[notice_nstaged++] = *n;
}

/* notice_token: 16 hex digits of randomness, for the Message-ID. */
static void
notice_token(char out[17])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t r[8];
	int i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		memset(r, 0, sizeof(r));
	for (i = 0; i < 8; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[16] = '\0';
}

/* notice_send: compose n and hand it to the parent without waiting. */
static void
notice_send(const struct notice *n)
{
	static char msg[NOTICE_MSG_MAX];
	static struct frame f;
	char token[48], rnd[17];
	const char *domain = notice_cfg->ndomains > 0 ?
	    notice_cfg->domains[0] : notice_cfg->hostname;
	int len;

	notice_token(rnd);
	snprintf(token, sizeof(token), "%lld.%s", (long long)n->when, rnd);
	if ((len = notice_compose(n, domain, notice_cfg->hostname, token, msg,
	    sizeof(msg))) == -1)
		fatalx("internal error: a login notice does not fit");
	frame_init(&f, MSG_AUTHD_NOTICE);
	frame_add_str(&f, n->user);
	frame_add_bytes(&f, msg, (size_t)len);
	if (frame_finish(&f) == -1)
		fatalx("internal error: a login notice does not fit a frame");
	/* A datagram goes whole or not at all: never half a frame. */
	if (send(notice_fd, f.buf, f.len, MSG_DONTWAIT | MSG_NOSIGNAL) ==
	    (ssize_t)f.len)
		return;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		log_warnx("login notice to %s dropped: the parent process "
		    "is not keeping up", n->user);
	else
		log_warn("login notice to %s dropped", n->user);
}

void
notice_release(int ok)
{
	int i;

	for (i = 0; ok && i < notice_nstaged; i++)
		notice_send(&notice_staged[i]);
	explicit_bzero(notice_staged, sizeof(notice_staged[0]) *
	    (size_t)notice_nstaged);
	notice_nstaged = 0;
}

int
notice_decode(struct frame *f, const uint8_t *buf, size_t len, char *rcpt,
    const uint8_t **msg, size_t *msglen)
{
	if (len < FRAME_HDR || frame_complete(buf, len) != (long)len ||
	    frame_parse(f, buf, len) == -1 || f->type != MSG_AUTHD_NOTICE ||
	    frame_get_str(f, rcpt, AUTH_USER_MAX) == -1 ||
	    !user_name_valid(rcpt) ||
	    frame_get_bytes(f, msg, msglen) == -1 || *msglen == 0 ||
	    frame_end(f) == -1)
		return -1;
	return 0;
}
