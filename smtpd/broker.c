/*
 * broker.c: smtpd's monitor (struct skel_broker of common/skel.h): every
 * decision about a message that the net role's SMTP engine must not make
 * itself, and the path of the message into the queue.
 *
 * Runs per connection in the monitor, which opened its channels to authd
 * and to the queue as root and then dropped to the queue uid in the empty
 * directory (skel_monitor.c).  It trusts authd and the queue, the
 * configuration, and the address and port the kernel reported; nothing
 * the net role sends: every frame is decoded and checked, the message is
 * bounded here again, and a frame out of order ends the connection.
 *
 * What it decides:
 *   - recipients: local domains only on port 25 (never an open relay:
 *     the domain must be one of "domain" exactly, so a trailing dot, an
 *     address literal, a source route or a percent or bang path in the
 *     local part never reach another host), users and aliases as authd
 *     resolves them, the quota of each user (asked of the queue);
 *   - on port 465 (after AUTH): the envelope sender and every From
 *     address must be addresses the user owns (the user's own, or an
 *     alias that reaches them), and each recipient counts against the
 *     user's sending limit (authd);
 *   - the message size, counted again;
 *   - on port 25, the checks of the message (broker_check.h: SPF, DKIM,
 *     DMARC as the configuration turns them on): the check role's
 *     verdict at the end of DATA refuses it (550 5.7.1, a DMARC
 *     p=reject), sends it to the Junk folders (p=quarantine) or accepts
 *     it, and its Authentication-Results text goes to the queue with the
 *     message (MSG_QUEUE_CHECKS), which the deliver role writes above
 *     the message.  On both ports every Authentication-Results field
 *     that claims our host name is removed from the message as it
 *     streams (arstrip.h): only ours may, and a local user's forgery
 *     would fool another as much as a stranger's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/admission.h"
#include "common/authc.h"
#include "common/authproto.h"
#include "common/log.h"
#include "common/mime.h"
#include "common/mime_field.h"
#include "common/skel.h"
#include "common/util.h"
#include "smtpd/arstrip.h"
#include "smtpd/broker.h"
#include "smtpd/broker_check.h"
#include "smtpd/queue.h"
#include "smtpd/queueproto.h"
#include "smtpd/smtpmsg.h"

#define BROKER_HDR_MAX		(64 * 1024)	/* the header kept for From */
#define BROKER_QUEUE_TIMEOUT_MS	60000
#define BROKER_UNKNOWN_MAX	20	/* unknown recipients, then 421 */

struct broker {
	const struct config	*cfg;
	struct skel_client cl;			/* the parent's channel */
	char		 address[AUTH_ADDR_MAX];
	char		 session[AUTH_SESSION_MAX];
	unsigned	 port;
	int		 submission;		/* port 465: AUTH first */
	int		 afd;			/* authd */
	int		 qfd;			/* the queue; -1: not there */
	char		 user[AUTH_USER_MAX];	/* logged in; "" on 25 */
	unsigned	 unknown;		/* recipients refused as
						 * unknown: a harvest */

	/* the transaction */
	int		 mail;			/* MAIL accepted */
	int		 queued;		/* ENV sent to the queue */
	int		 broken;		/* the queue failed mid-way */
	int		 too_big;
	unsigned	 nrcpt;			/* RCPTs accepted */
	char		(*dests)[QUEUE_ADDR_MAX];	/* their destinations */
	size_t		 ndests, capdests;
	uint64_t	 bytes;
	uint64_t	 declared;		/* MAIL's SIZE=, or 0 */
	struct queue_env env;
	/* the header, for the From check on 465 */
	char		*hdr;
	size_t		 hdrlen;
	int		 hdrdone;		/* all of it is in hdr */
	int		 hdrfull;		/* longer than hdr */
	/* port 25: the checks (NULL: none configured) */
	struct broker_check *check;
	/* our Authentication-Results fields taken out, and the message as
	 * it goes on to the queue */
	struct arstrip	 strip;
	uint8_t		*stripped;
};

/* broker_queue_connect: the queue's socket in the spool, as root. */
static int
broker_queue_connect(const struct config *cfg)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s",
	    cfg->spool_dir, QUEUE_SOCKET) >= (int)sizeof(sun.sun_path)) {
		log_warnx("the spool path %s is too long for the queue's "
		    "socket", cfg->spool_dir);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("cannot make a socket to reach the queue");
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("cannot reach the queue at %s", sun.sun_path);
		close(fd);
		return -1;
	}
	return fd;
}

static int
broker_open(void *state, const struct config *cfg,
    const struct skel_client *cl, int afd)
{
	struct broker *b = state;

	b->cfg = cfg;
	b->cl = *cl;
	b->afd = afd;
	b->port = cl->port;
	b->submission = !cl->starttls;
	str_copy(b->address, cl->address, sizeof(b->address));
	str_copy(b->session, cl->session, sizeof(b->session));
	/* Without the queue the session still runs: every MAIL is told
	 * to try again later. */
	b->qfd = broker_queue_connect(cfg);
	if ((b->hdr = malloc(BROKER_HDR_MAX)) == NULL ||
	    (b->stripped = malloc(SMTPMSG_DATA_MAX + ARSTRIP_PENDING_MAX)) ==
	    NULL) {
		log_warn("out of memory for the broker");
		return -1;
	}
	/* The check role's socket is root's: reached now or never. */
	if (!b->submission && broker_check_bits(cfg) != 0 &&
	    (b->check = broker_check_open(cfg, broker_check_bits(cfg))) ==
	    NULL)
		return -1;
	return 0;
}

static void
broker_logged_in(void *state, const char *user)
{
	struct broker *b = state;

	str_copy(b->user, user, sizeof(b->user));
}

/* broker_reset: the transaction is over; the queue forgets a message it
 * was writing. */
static void
broker_reset(struct broker *b)
{
	struct frame f;

	if (b->queued && !b->broken && b->qfd != -1 &&
	    (queueproto_empty_encode(&f, MSG_QUEUE_ABORT) == -1 ||
	    frame_write(b->qfd, &f) == -1))
		b->broken = 1;
	if (b->broken && b->qfd != -1) {
		/* Out of step with the queue: later mail fails politely. */
		close(b->qfd);
		b->qfd = -1;
	}
	b->mail = b->queued = b->broken = b->too_big = 0;
	b->nrcpt = 0;
	b->ndests = 0;
	b->bytes = b->declared = 0;
	b->hdrlen = 0;
	b->hdrdone = b->hdrfull = 0;
	memset(&b->env, 0, sizeof(b->env));
}

/* broker_domain: the domain of address (after its last '@'), or NULL. */
static const char *
broker_domain(const char *address)
{
	const char *at = strrchr(address, '@');

	return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}

/* broker_is_local: address ("user@domain") is in one of our domains,
 * written exactly (no trailing dot, no address literal). */
static int
broker_is_local(const struct broker *b, const char *address)
{
	const char *domain = broker_domain(address);
	int i;

	for (i = 0; domain != NULL && i < b->cfg->ndomains; i++)
		if (strcasecmp(b->cfg->domains[i], domain) == 0)
			return 1;
	return 0;
}

/* broker_lookup: authd's expansion of a local address into a. */
static uint32_t
broker_lookup(struct broker *b, const char *address,
    struct auth_rcpt_ans *a)
{
	if (authc_rcpt(b->afd, address, a) == -1)
		return AUTH_FAIL_TEMP;
	return a->status;
}

/* broker_owns: the logged-in user owns address: it is a local address
 * that reaches the user (their own, or an alias that includes them).
 * 1 yes, 0 no, -1 authd could not say. */
static int
broker_owns(struct broker *b, const char *address)
{
	static struct auth_rcpt_ans a;
	uint32_t i, st;

	if (!broker_is_local(b, address))
		return 0;
	st = broker_lookup(b, address, &a);
	if (st == AUTH_FAIL_TEMP)
		return -1;
	if (st != AUTH_OK)
		return 0;
	for (i = 0; i < a.count; i++)
		if (strcasecmp(a.users[i], b->user) == 0)
			return 1;
	return 0;
}

/* broker_answer: the verdict for the engine in a frame of type. */
static int
broker_answer(struct frame *ans, int type, uint32_t verdict,
    const char *text)
{
	struct smtpmsg_answer a;

	memset(&a, 0, sizeof(a));
	a.verdict = verdict;
	str_copy(a.text, text, sizeof(a.text));
	if (smtpmsg_answer_encode(ans, type, &a) == -1)
		return -1;
	return 1;
}

/* broker_helo: the client's EHLO name as the Received header will show
 * it: a host name or address literal's characters, others as '?' (it
 * is the client's claim, and must not shape the header). */
static void
broker_helo(char *out, size_t len, const char *helo)
{
	size_t i;

	for (i = 0; helo[i] != '\0' && i + 1 < len; i++)
		out[i] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
		    "VWXYZ0123456789.-_:[]", helo[i]) != NULL ? helo[i] : '?';
	out[i] = '\0';
}

static int
broker_mail(struct broker *b, struct frame *f, struct frame *ans)
{
	struct smtpmsg_mail m;
	int own, adm;

	if (smtpmsg_mail_decode(f, &m) == -1 || b->mail ||
	    (b->submission && b->user[0] == '\0'))
		return -1;
	if (m.size > b->cfg->smtp_max_message_size)
		return broker_answer(ans, MSG_SMTP_MAIL, SMTPV_TOO_BIG, "");
	if ((m.flags & SMTPMSG_REQUIRETLS) && m.tls[0] == '\0')
		return broker_answer(ans, MSG_SMTP_MAIL, SMTPV_REQUIRETLS, "");
	if (b->submission) {
		own = m.sender[0] != '\0' ? broker_owns(b, m.sender) : 0;
		if (own == -1)
			return broker_answer(ans, MSG_SMTP_MAIL, SMTPV_TEMP,
			    "");
		if (own == 0) {
			log_info("%s: sender <%s> refused: not an address of "
			    "this user", b->user, m.sender);
			return broker_answer(ans, MSG_SMTP_MAIL,
			    SMTPV_NOT_OWNER, "");
		}
	}
	if (b->qfd == -1)
		return broker_answer(ans, MSG_SMTP_MAIL, SMTPV_TEMP, "");
	/* Port 25: the parent counts each address's messages. */
	if (!b->submission && (adm = skel_message_admit(&b->cl)) != ADMIT_OK)
		return broker_answer(ans, MSG_SMTP_MAIL, adm == ADMIT_RATE ?
		    SMTPV_RATE_LIMIT : SMTPV_TEMP, "");
	memset(&b->env, 0, sizeof(b->env));
	str_copy(b->env.sender, m.sender, sizeof(b->env.sender));
	b->env.body = m.body;
	b->env.flags = m.flags;
	str_copy(b->env.envid, m.envid, sizeof(b->env.envid));
	broker_helo(b->env.helo, sizeof(b->env.helo), m.helo);
	str_copy(b->env.address, b->address, sizeof(b->env.address));
	str_copy(b->env.auth_user, b->user, sizeof(b->env.auth_user));
	str_copy(b->env.tls, m.tls, sizeof(b->env.tls));
	str_copy(b->env.proto, m.proto, sizeof(b->env.proto));
	str_copy(b->env.session, b->session, sizeof(b->env.session));
	b->env.port = b->port;
	b->declared = m.size;
	b->env.received_addr = !b->submission ||
	    b->cfg->smtp_received_address;
	arstrip_init(&b->strip, b->cfg->hostname);
	if (b->check != NULL)
		broker_check_begin(b->check);
	b->mail = 1;
	return broker_answer(ans, MSG_SMTP_MAIL, SMTPV_OK, "");
}

/* broker_send: one frame to the queue; a failure breaks the
 * transaction. */
static int
broker_send(struct broker *b, const struct frame *f)
{
	if (b->broken || b->qfd == -1 || frame_write(b->qfd, f) == -1) {
		b->broken = 1;
		return -1;
	}
	return 0;
}

/* broker_dest: tell the queue of one destination of rcpt; the envelope
 * first, with the transaction's first. */
static int
broker_dest(struct broker *b, const struct smtpmsg_rcpt *r, int local,
    const char *dest)
{
	static struct queue_rcpt q;
	struct frame f;

	if (!b->queued) {
		if (queueproto_env_encode(&f, &b->env) == -1 ||
		    broker_send(b, &f) == -1)
			return -1;
		b->queued = 1;
	}
	memset(&q, 0, sizeof(q));
	str_copy(q.address, r->addr, sizeof(q.address));
	str_copy(q.orcpt, r->orcpt, sizeof(q.orcpt));
	q.notify = r->notify;
	q.local = (uint32_t)local;
	str_copy(q.dest, dest, sizeof(q.dest));
	if (queueproto_rcpt_encode(&f, &q) == -1)
		return -1;
	return broker_send(b, &f);
}

/* broker_room: the queue's word on whether user (quota) has room for
 * this message; QUEUE_ROOM_*. */
static uint32_t
broker_room(struct broker *b, const char *user, uint64_t quota)
{
	static struct queue_room r;
	char text[QUEUE_TEXT_MAX];
	struct frame f;
	uint32_t st;

	if (quota == 0)
		return QUEUE_ROOM_YES;	/* no limit: nothing to ask */
	memset(&r, 0, sizeof(r));
	str_copy(r.user, user, sizeof(r.user));
	r.quota = quota;
	r.size = b->declared;		/* what the client says is coming */
	if (b->qfd == -1 || queueproto_room_encode(&f, &r) == -1 ||
	    frame_write(b->qfd, &f) == -1 ||
	    frame_read(b->qfd, &f, mono_ms() + BROKER_QUEUE_TIMEOUT_MS) == -1 ||
	    f.type != MSG_QUEUE_ROOM ||
	    queueproto_result_decode(&f, QUEUE_ROOM_UNKNOWN, &st, text,
	    sizeof(text)) == -1)
		return QUEUE_ROOM_UNKNOWN;
	return st;
}

/* broker_seen: dest is already a destination of this transaction (a
 * recipient given twice, two aliases that reach one user): it gets one
 * copy, and counts once against the sending limit. */
static int
broker_seen(const struct broker *b, const char *dest)
{
	size_t i;

	for (i = 0; i < b->ndests; i++)
		if (strcasecmp(b->dests[i], dest) == 0)
			return 1;
	return 0;
}

/* broker_remember: dest joins the transaction's destinations; -1 when
 * out of memory. */
static int
broker_remember(struct broker *b, const char *dest)
{
	char (*p)[QUEUE_ADDR_MAX];
	size_t cap;

	if (b->ndests == b->capdests) {
		cap = b->capdests == 0 ? 16 : b->capdests * 2;
		if ((p = reallocarray(b->dests, cap, sizeof(*p))) == NULL)
			return -1;
		b->dests = p;
		b->capdests = cap;
	}
	str_copy(b->dests[b->ndests++], dest, sizeof(b->dests[0]));
	return 0;
}

/* broker_limit: on 465, n new destinations count against the user's
 * sending limit; the verdict. */
static uint32_t
broker_limit(struct broker *b, uint32_t n)
{
	uint32_t st;

	if (!b->submission || n == 0)
		return SMTPV_OK;
	st = authc_send(b->afd, b->user, n, b->address, b->session);
	if (st == AUTH_OK)
		return SMTPV_OK;
	if (st == AUTH_FAIL_TEMP)
		log_warnx("%s: recipient refused: the sending limit is "
		    "reached", b->user);
	return st == AUTH_FAIL_TEMP ? SMTPV_SEND_LIMIT : SMTPV_TEMP;
}

/*
 * broker_accept: the destinations a recipient reaches (authd's users
 * and outside addresses, or the one remote address of a submission):
 * the new ones are counted against the sending limit, each local user
 * must have room, then the queue hears of them.  The verdict.
 */
static uint32_t
broker_accept(struct broker *b, const struct smtpmsg_rcpt *r,
    const char *address, const struct auth_rcpt_ans *a)
{
	uint32_t i, fresh = 0, v;

	for (i = 0; i < a->count; i++)
		fresh += !broker_seen(b, a->users[i]);
	if ((v = broker_limit(b, fresh)) != SMTPV_OK)
		return v;
	for (i = 0; i < a->count; i++)
		if (broker_is_local(b, a->users[i]) &&
		    !broker_seen(b, a->users[i]) &&
		    broker_room(b, a->users[i], a->quotas[i]) ==
		    QUEUE_ROOM_OVER) {
			log_info("recipient <%s> refused: %s is over quota",
			    address, a->users[i]);
			return SMTPV_OVER_QUOTA;
		}
	for (i = 0; i < a->count; i++) {
		if (broker_seen(b, a->users[i]))
			continue;
		if (broker_remember(b, a->users[i]) == -1 ||
		    broker_dest(b, r, broker_is_local(b, a->users[i]),
		    a->users[i]) == -1)
			return SMTPV_TEMP;
	}
	return SMTPV_OK;
}

static int
broker_rcpt(struct broker *b, struct frame *f, struct frame *ans)
{
	static struct smtpmsg_rcpt r;
	static struct auth_rcpt_ans a;
	char address[SMTPMSG_ADDR_MAX + 1 + CONFIG_NAME_MAX];
	const char *domain;
	uint32_t v, st;

	if (smtpmsg_rcpt_decode(f, &r) == -1 || !b->mail)
		return -1;
	if (b->nrcpt >= (unsigned)b->cfg->smtp_max_recipients)
		return broker_answer(ans, MSG_SMTP_RCPT, SMTPV_TOO_MANY_RCPT,
		    "");
	/* RFC 5321 4.5.1: <postmaster> without a domain is ours. */
	if (strcasecmp(r.addr, "postmaster") == 0)
		snprintf(address, sizeof(address), "postmaster@%s",
		    b->cfg->domains[0]);
	else
		str_copy(address, r.addr, sizeof(address));
	domain = broker_domain(address);
	memset(&a, 0, sizeof(a));
	if (broker_is_local(b, address)) {
		st = broker_lookup(b, address, &a);
		if (st == AUTH_FAIL_PERM) {
			log_info("recipient <%s> refused: no such user",
			    address);
			v = SMTPV_NO_SUCH_USER;
		} else
			v = st == AUTH_OK ? broker_accept(b, &r, address, &a) :
			    SMTPV_TEMP;
	} else if (b->submission && domain != NULL) {
		a.count = 1;
		str_copy(a.users[0], address, sizeof(a.users[0]));
		v = broker_accept(b, &r, address, &a);
	} else {
		log_info("recipient <%s> refused: relaying denied", address);
		v = SMTPV_RELAY_DENIED;
	}
	if (v == SMTPV_OK)
		b->nrcpt++;
	/* A connection that guesses addresses is closed (421): the
	 * directory of the office is not for harvesting. */
	if (v == SMTPV_NO_SUCH_USER && ++b->unknown >= BROKER_UNKNOWN_MAX) {
		log_warnx("%u unknown recipients; closing", b->unknown);
		v = SMTPV_RATE_LIMIT;
	}
	return broker_answer(ans, MSG_SMTP_RCPT, v, "");
}

/* broker_header_ends: the len bytes at hdr hold the whole header: the
 * empty line that ends it is there. */
static int
broker_header_ends(const char *hdr, size_t len)
{
	size_t n = mime_header_size(hdr, len);

	if (n < len)
		return 1;
	return (n >= 2 && memcmp(hdr + n - 2, "\n\n", 2) == 0) ||
	    (n >= 3 && memcmp(hdr + n - 3, "\n\r\n", 3) == 0) ||
	    (n == 1 && hdr[0] == '\n') || (n == 2 && hdr[0] == '\r' &&
	    hdr[1] == '\n');
}

/* broker_header: keep the header of a submitted message for the From
 * check, up to its end or BROKER_HDR_MAX. */
static void
broker_header(struct broker *b, const uint8_t *p, size_t n)
{
	size_t room = BROKER_HDR_MAX - b->hdrlen;

	if (!b->submission || b->hdrdone || b->hdrfull)
		return;
	if (n > room)
		n = room;
	memcpy(b->hdr + b->hdrlen, p, n);
	b->hdrlen += n;
	b->hdrdone = broker_header_ends(b->hdr, b->hdrlen);
	if (b->hdrlen == BROKER_HDR_MAX && !b->hdrdone)
		b->hdrfull = 1;
}

/* broker_queue_data: n bytes of the message to the queue, in frames of
 * at most QUEUE_DATA_MAX. */
static void
broker_queue_data(struct broker *b, const uint8_t *p, size_t n)
{
	struct frame q;
	size_t k;

	for (; n > 0 && !b->broken; p += k, n -= k) {
		k = n < QUEUE_DATA_MAX ? n : QUEUE_DATA_MAX;
		if (queueproto_data_encode(&q, p, k) == 0)
			(void)broker_send(b, &q);
		else
			b->broken = 1;
	}
}

static int
broker_data(struct broker *b, struct frame *f)
{
	const uint8_t *p;
	size_t n;

	if (smtpmsg_data_decode(f, &p, &n) == -1 || !b->mail ||
	    b->nrcpt == 0)
		return -1;
	b->bytes += n;
	if (b->bytes > b->cfg->smtp_max_message_size)
		b->too_big = 1;
	if (b->too_big || b->broken)
		return 0;
	broker_header(b, p, n);
	if (b->check != NULL)
		broker_check_data(b->check, p, n);
	broker_queue_data(b, b->stripped, arstrip_feed(&b->strip, p, n,
	    b->stripped));
	return 0;
}

/* broker_from_each: mime_addr_each's callback: one From address must
 * be owned; ctx is the broker, *bad set on the first that is not. */
struct broker_from {
	struct broker	*b;
	int		 verdict;
	int		 n;
};

static int
broker_from_each(void *ctx, const char *local, size_t llen,
    const char *domain, size_t dlen)
{
	struct broker_from *bf = ctx;
	char address[AUTH_USER_MAX];
	int own;

	bf->n++;
	if (llen + dlen + 2 > sizeof(address)) {
		bf->verdict = SMTPV_NOT_OWNER;
		return -1;
	}
	snprintf(address, sizeof(address), "%.*s@%.*s", (int)llen, local,
	    (int)dlen, domain);
	if ((own = broker_owns(bf->b, address)) == 1)
		return 0;
	bf->verdict = own == -1 ? SMTPV_TEMP : SMTPV_NOT_OWNER;
	if (own == 0)
		log_info("%s: message refused: From <%s> is not an address "
		    "of this user", bf->b->user, address);
	return -1;
}

/* broker_header_clean: the header's lines end in CRLF and hold no NUL
 * or lone CR (what DATA ensures and BDAT with BINARYMIME does not):
 * else one reader's From is another's X-Something. */
static int
broker_header_clean(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] == '\0' ||
		    (p[i] == '\r' && (i + 1 == len || p[i + 1] != '\n')) ||
		    (p[i] == '\n' && (i == 0 || p[i - 1] != '\r')))
			return 0;
	return 1;
}

/* broker_from: on 465, every address of every From field must be the
 * user's; the verdict.  A message without one is the user's to send
 * (sendmail-style clients add none; the recipient sees no forgery). */
static uint32_t
broker_from(struct broker *b)
{
	struct broker_from bf = { b, SMTPV_OK, 0 };
	struct mime_field_iter it;
	struct mime_field f;

	if (!b->submission)
		return SMTPV_OK;
	if (b->hdrfull) {
		log_info("%s: message refused: its header is longer than "
		    "%d bytes", b->user, BROKER_HDR_MAX);
		return SMTPV_NOT_OWNER;
	}
	if (!broker_header_clean(b->hdr, mime_header_size(b->hdr,
	    b->hdrlen))) {
		log_info("%s: message refused: a NUL, bare CR or bare LF in "
		    "its header (BINARYMIME), which readers split apart "
		    "differently", b->user);
		return SMTPV_NOT_OWNER;
	}
	/* Every From field is checked: a reader might show the second. */
	mime_field_first(&it, b->hdr, b->hdrlen);
	while (bf.verdict == SMTPV_OK && mime_field_next(&it, &f))
		if (mime_field_is(&f, "From"))
			(void)mime_addr_each(f.value, f.value_len,
			    broker_from_each, &bf);
	return (uint32_t)bf.verdict;
}

/* broker_commit: the queue makes the message durable; its verdict and
 * the queue id into id. */
static uint32_t
broker_commit(struct broker *b, char *id, size_t idlen)
{
	struct frame f;
	uint32_t st;
	char text[QUEUE_TEXT_MAX];

	if (queueproto_empty_encode(&f, MSG_QUEUE_COMMIT) == -1 ||
	    broker_send(b, &f) == -1)
		return SMTPV_TEMP;
	/* The queue answers once file and directory are fsynced. */
	if (frame_read(b->qfd, &f, mono_ms() + BROKER_QUEUE_TIMEOUT_MS) ==
	    -1 || f.type != MSG_QUEUE_COMMIT ||
	    queueproto_result_decode(&f, QUEUE_TEMP, &st, text,
	    sizeof(text)) == -1) {
		b->broken = 1;
		log_warnx("the queue did not take the message");
		return SMTPV_TEMP;
	}
	b->queued = 0;
	if (st != QUEUE_OK) {
		log_warnx("the queue did not take the message: %s", text);
		return SMTPV_TEMP;
	}
	str_copy(id, text, idlen);
	return SMTPV_OK;
}

/*
 * broker_checked: the message is complete: the rest of it to the queue,
 * then, on port 25, the check role's verdict: SMTPV_POLICY (its reason
 * into text) when the sender domain's policy refuses it, else its
 * Authentication-Results and Junk flag go to the queue.  The verdict.
 */
static uint32_t
broker_checked(struct broker *b, char *text, size_t len)
{
	static struct check_result r;
	static struct queue_checks k;
	struct frame f;

	broker_queue_data(b, b->stripped, arstrip_finish(&b->strip,
	    b->stripped));
	if (b->strip.removed > 0)
		log_info("removed %u Authentication-Results field%s claiming "
		    "this host from a message from %s", b->strip.removed,
		    b->strip.removed == 1 ? "" : "s", b->address);
	if (b->check == NULL || b->broken)
		return b->broken ? SMTPV_TEMP : SMTPV_OK;
	broker_check_run(b->check, b->address, b->env.helo, b->env.sender,
	    &r);
	if (r.disposition == CHECK_REJECT) {
		log_info("message from %s <%s> refused: %s (%s)", b->address,
		    b->env.sender, r.reason, r.authres);
		(void)str_copy(text, r.reason, len);
		return SMTPV_POLICY;
	}
	if (r.disposition == CHECK_DEFER) {
		log_info("message from %s <%s> deferred: %s (%s)", b->address,
		    b->env.sender, r.reason, r.authres);
		return SMTPV_TEMP;
	}
	if (r.disposition == CHECK_QUARANTINE)
		log_info("message from %s <%s> goes to Junk: %s", b->address,
		    b->env.sender, r.reason);
	memset(&k, 0, sizeof(k));
	(void)str_copy(k.authres, r.authres, sizeof(k.authres));
	k.junk = r.disposition == CHECK_QUARANTINE;
	if (queueproto_checks_encode(&f, &k) == -1 || broker_send(b, &f) == -1)
		return SMTPV_TEMP;
	return SMTPV_OK;
}

static int
broker_end(struct broker *b, struct frame *f, struct frame *ans)
{
	struct smtpmsg_end e;
	char id[QUEUE_TEXT_MAX] = "";
	uint32_t v;

	if (smtpmsg_end_decode(f, &e) == -1 || !b->mail || b->nrcpt == 0)
		return -1;
	if (e.how != SMTPMSG_END_COMPLETE)
		v = SMTPV_TEMP;		/* the engine says why */
	else if (b->too_big)
		v = SMTPV_TOO_BIG;
	else if (b->broken)
		v = SMTPV_TEMP;
	else if ((v = broker_from(b)) == SMTPV_OK &&
	    (v = broker_checked(b, id, SMTPMSG_TEXT_MAX + 1)) == SMTPV_OK)
		v = broker_commit(b, id, sizeof(id));
	if (v == SMTPV_OK)
		log_info("%s%smessage %s queued: %llu bytes, %u recipient%s",
		    b->user, b->user[0] != '\0' ? ": " : "", id,
		    (unsigned long long)b->bytes, b->nrcpt,
		    b->nrcpt == 1 ? "" : "s");
	broker_reset(b);
	return broker_answer(ans, MSG_SMTP_END, v, id);
}

static int
broker_handle(void *state, struct frame *f, struct frame *ans)
{
	struct broker *b = state;

	switch (f->type) {
	case MSG_SMTP_MAIL:
		return broker_mail(b, f, ans);
	case MSG_SMTP_RCPT:
		return broker_rcpt(b, f, ans);
	case MSG_SMTP_DATA:
		return broker_data(b, f);
	case MSG_SMTP_END:
		return broker_end(b, f, ans);
	case MSG_SMTP_RSET:
		if (smtpmsg_rset_decode(f) == -1)
			return -1;
		broker_reset(b);
		return 0;
	}
	return -1;
}

static void
broker_close(void *state)
{
	struct broker *b = state;

	broker_reset(b);
	if (b->qfd != -1)
		close(b->qfd);
	broker_check_close(b->check);
	free(b->dests);
	free(b->hdr);
	free(b->stripped);
}

const struct skel_broker smtp_broker = {
	.state_size = sizeof(struct broker),
	.open = broker_open,
	.logged_in = broker_logged_in,
	.handle = broker_handle,
	.close = broker_close,
};
