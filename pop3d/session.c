/*
 * session.c: the POP3 TRANSACTION and UPDATE states (see session.h).
 * Runs in pop3d's mail process, chrooted into the user's Maildir as the
 * mail uid, and talks plaintext to the net process over a socketpair.  It
 * trusts the store and nothing the client sends; messages are streamed
 * through fixed buffers, never read whole into memory.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sessio.h"
#include "pop3d/parse.h"
#include "pop3d/session.h"

#define SESSION_FOLDER	"INBOX"
#define SESSION_OUT_MAX	16384
#define SESSION_IN_MAX	4096

/* What a session keeps of each message: a POP3 session may serve
 * thousands, and the store's full entries (file names) are fetched only
 * for the one being sent. */
struct session_msg {
	uint32_t	uid;
	uint64_t	size;
};

struct session {
	struct sessio		 io;		/* output, waits */
	struct store		*store;
	struct store_folder	 info;
	struct session_msg	*msgs;
	size_t			 nmsgs;
	uint8_t			*deleted;	/* DELE marks, one per message */
	int			 errors;	/* consecutive -ERR */
	int			 done;		/* stop reading */
	int			 result;	/* session_run's, once done */
	int			 lockfd;	/* the maildrop lock, or -1 */
	struct pop3_line	 in;
	char			 out[SESSION_OUT_MAX];
};

/* What the last session did, for the log line that ends it. */
static struct session_stats session_counts;

/* Where a message copy is: RETR (lines < 0) or TOP (lines >= 0). */
struct session_xfer {
	int		bol;		/* at the start of a line */
	int		body;		/* past the blank line after the header */
	long long	lines;		/* body lines sent */
	long long	maxlines;
};

#define session_ok(ss, ...) do {					\
	(ss)->errors = 0;						\
	sessio_printf(&(ss)->io, __VA_ARGS__);				\
} while (0)

/* session_err: "-ERR reason"; after too many in a row, hang up. */
static void __attribute__((format(printf, 2, 3)))
session_err(struct session *ss, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	if (++ss->errors >= POP3_MAX_ERRORS) {
		sessio_printf(&ss->io, "-ERR too many errors\r\n");
		ss->done = 1;
		ss->result = 1;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		fatalx("internal error: error reply too long");
	sessio_printf(&ss->io, "-ERR %s\r\n", buf);
}

/* session_totals: messages not marked deleted, and their octets. */
static size_t
session_totals(const struct session *ss, unsigned long long *octets)
{
	size_t i, n = 0;

	*octets = 0;
	for (i = 0; i < ss->nmsgs; i++) {
		if (ss->deleted[i])
			continue;
		n++;
		*octets += ss->msgs[i].size;
	}
	return n;
}

/* session_msg: the index of message num, or -1 after telling the client
 * why not. */
static long
session_msg(struct session *ss, uint32_t num)
{
	if (num == 0 || num > ss->nmsgs) {
		session_err(ss, "no such message, only %zu messages in "
		    "maildrop", ss->nmsgs);
		return -1;
	}
	if (ss->deleted[num - 1]) {
		session_err(ss, "message %u already deleted", num);
		return -1;
	}
	return (long)num - 1;
}

/*
 * session_xfer_chunk: copy n bytes of a message file, LF to CRLF with
 * dot-stuffing (RFC 1939 section 3).  Returns 1 when TOP has sent enough.
 */
static int
session_xfer_chunk(struct session *ss, struct session_xfer *x,
    const char *p, size_t n)
{
	const char *nl;
	size_t seg, skip;

	while (n > 0) {
		if (x->bol) {
			if (x->body && x->maxlines >= 0 &&
			    x->lines >= x->maxlines)
				return 1;
			if (*p == '.')
				sessio_put(&ss->io, ".", 1);
			else if (!x->body && (*p == '\n' ||
			    (*p == '\r' && n > 1 && p[1] == '\n'))) {
				skip = *p == '\r' ? 2 : 1;
				x->body = 1;
				sessio_put(&ss->io, "\r\n", 2);
				p += skip;
				n -= skip;
				continue;
			}
		}
		nl = memchr(p, '\n', n);
		seg = nl != NULL ? (size_t)(nl - p) : n;
		/* a file written by another agent may hold CRLF already */
		sessio_put(&ss->io, p, (nl != NULL && seg > 0 && p[seg - 1] == '\r') ?
		    seg - 1 : seg);
		x->bol = nl != NULL;
		if (nl != NULL) {
			sessio_put(&ss->io, "\r\n", 2);
			if (x->body)
				x->lines++;
			seg++;
		}
		p += seg;
		n -= seg;
	}
	return 0;
}

/* session_copy: stream the message file on mfd, then the terminating
 * dot.  Returns -1 when the file cannot be read (the reply is half sent:
 * the session must end). */
static int
session_copy(struct session *ss, int mfd, long long maxlines)
{
	struct session_xfer x = { 1, 0, 0, maxlines };
	char buf[8192];
	size_t held = 0, len;	/* held: a CR kept for the next read */
	ssize_t r;

	while (!ss->io.ioerr) {
		r = read(mfd, buf + held, sizeof(buf) - held);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_warn("cannot read a message file");
			return -1;
		}
		if (r == 0) {
			if (held)
				session_xfer_chunk(ss, &x, buf, held);
			break;
		}
		/* a CR at the end waits for the next read, so that a CRLF is
		 * always seen whole */
		len = held + (size_t)r;
		held = buf[len - 1] == '\r';
		if (session_xfer_chunk(ss, &x, buf, len - held) == 1)
			break;
		if (held)
			buf[0] = '\r';
	}
	if (!x.bol)
		sessio_put(&ss->io, "\r\n", 2);
	sessio_put(&ss->io, ".\r\n", 3);
	return 0;
}

/* session_send: RETR (maxlines < 0) and TOP. */
static int
session_send(struct session *ss, uint32_t num, long long maxlines)
{
	struct store_msg sm;
	const struct session_msg *m;
	long i;
	int mfd, rc;

	if ((i = session_msg(ss, num)) == -1)
		return 0;
	m = &ss->msgs[i];
	if (store_msg_get(ss->store, SESSION_FOLDER, m->uid, &sm) == -1 ||
	    (mfd = store_msg_open(ss->store, SESSION_FOLDER, &sm)) == -1) {
		if (errno == ENOENT) {
			session_err(ss, "message %u was removed by another "
			    "session", num);
			return 0;
		}
		log_warn("cannot open message uid %u", m->uid);
		session_err(ss, "[SYS/TEMP] cannot read message %u", num);
		return 0;
	}
	if (maxlines < 0)
		session_ok(ss, "+OK %llu octets\r\n",
		    (unsigned long long)m->size);
	else
		session_ok(ss, "+OK top of message %u follows\r\n", num);
	rc = session_copy(ss, mfd, maxlines);
	if (rc == 0 && maxlines < 0) {
		session_counts.retrieved++;
		session_counts.bytes += m->size;
	}
	if (close(mfd) == -1)
		log_warn("cannot close message uid %u", m->uid);
	return rc;
}

static int
session_stat(struct session *ss, const struct pop3_cmd *c)
{
	unsigned long long octets;
	size_t n;

	n = session_totals(ss, &octets);
	session_ok(ss, "+OK %zu %llu\r\n", n, octets);
	return 0;
}

/* session_scan: LIST and UIDL, one message or all (RFC 1939 section 5,
 * RFC 1939 section 7 for UIDL). */
static int
session_scan(struct session *ss, const struct pop3_cmd *c)
{
	unsigned long long octets;
	int uidl = c->verb == POP3_UIDL;
	size_t i, n;
	long k;

	if (c->nargs == 1) {
		if ((k = session_msg(ss, c->num[0])) == -1)
			return 0;
		if (uidl)
			session_ok(ss, "+OK %u %u.%u\r\n", c->num[0],
			    ss->info.uidvalidity, ss->msgs[k].uid);
		else
			session_ok(ss, "+OK %u %llu\r\n", c->num[0],
			    (unsigned long long)ss->msgs[k].size);
		return 0;
	}
	n = session_totals(ss, &octets);
	if (uidl)
		session_ok(ss, "+OK unique-id listing follows\r\n");
	else
		session_ok(ss, "+OK %zu messages (%llu octets)\r\n", n,
		    octets);
	for (i = 0; i < ss->nmsgs; i++) {
		if (ss->deleted[i])
			continue;
		if (uidl)
			sessio_printf(&ss->io, "%zu %u.%u\r\n", i + 1,
			    ss->info.uidvalidity, ss->msgs[i].uid);
		else
			sessio_printf(&ss->io, "%zu %llu\r\n", i + 1,
			    (unsigned long long)ss->msgs[i].size);
	}
	sessio_put(&ss->io, ".\r\n", 3);
	return 0;
}

static int
session_retr(struct session *ss, const struct pop3_cmd *c)
{
	return session_send(ss, c->num[0], -1);
}

static int
session_top(struct session *ss, const struct pop3_cmd *c)
{
	return session_send(ss, c->num[0], c->num[1]);
}

static int
session_dele(struct session *ss, const struct pop3_cmd *c)
{
	long i;

	if ((i = session_msg(ss, c->num[0])) == -1)
		return 0;
	ss->deleted[i] = 1;
	session_counts.marked++;
	session_ok(ss, "+OK message %u deleted\r\n", c->num[0]);
	return 0;
}

static int
session_noop(struct session *ss, const struct pop3_cmd *c)
{
	session_ok(ss, "+OK\r\n");
	return 0;
}

static int
session_rset(struct session *ss, const struct pop3_cmd *c)
{
	unsigned long long octets;
	size_t n;

	memset(ss->deleted, 0, ss->nmsgs);
	session_counts.marked = 0;
	n = session_totals(ss, &octets);
	session_ok(ss, "+OK maildrop has %zu messages (%llu octets)\r\n", n,
	    octets);
	return 0;
}

static int
session_capa(struct session *ss, const struct pop3_cmd *c)
{
	const char *capa = pop3_capa(POP3_TRANSACTION);

	ss->errors = 0;
	sessio_put(&ss->io, capa, strlen(capa));
	return 0;
}

/*
 * session_quit: the UPDATE state (RFC 1939 section 6).  "+OK" only once
 * store_expunge says the removal is durable.
 */
static int
session_quit(struct session *ss, const struct pop3_cmd *c)
{
	uint32_t *uids;
	size_t i, n = 0;

	ss->done = 1;
	if ((uids = calloc(ss->nmsgs + 1, sizeof(*uids))) == NULL) {
		log_warn("out of memory at QUIT; nothing deleted");
		sessio_printf(&ss->io, "-ERR [SYS/TEMP] some deleted messages "
		    "not removed\r\n");
		ss->result = -1;
		return 0;
	}
	for (i = 0; i < ss->nmsgs; i++)
		if (ss->deleted[i])
			uids[n++] = ss->msgs[i].uid;
	if (n > 0 && store_expunge(ss->store, SESSION_FOLDER, uids, n) == -1) {
		log_warnx("removing %zu deleted messages failed", n);
		sessio_printf(&ss->io, "-ERR [SYS/TEMP] some deleted messages "
		    "not removed\r\n");
		ss->result = -1;
	} else {
		sessio_printf(&ss->io, "+OK postern POP3 server signing off "
		    "(%zu message%s deleted)\r\n", n, n == 1 ? "" : "s");
		session_counts.deleted = n;
		ss->result = 0;
	}
	free(uids);
	/* The update is on disk: let the next session in before the reply,
	 * so a client that reconnects at once finds the maildrop free. */
	if (ss->lockfd != -1) {
		close(ss->lockfd);
		ss->lockfd = -1;
	}
	return 0;
}

/* The actions of the TRANSACTION state; parse.c's table checks first. */
static int (*const session_cmds[POP3_NVERBS])(struct session *,
    const struct pop3_cmd *) = {
	[POP3_CAPA] = session_capa,
	[POP3_QUIT] = session_quit,
	[POP3_STAT] = session_stat,
	[POP3_LIST] = session_scan,
	[POP3_RETR] = session_retr,
	[POP3_DELE] = session_dele,
	[POP3_NOOP] = session_noop,
	[POP3_RSET] = session_rset,
	[POP3_TOP] = session_top,
	[POP3_UIDL] = session_scan,
};

static int
session_command(struct session *ss, const char *line, size_t len)
{
	struct pop3_cmd c;
	const char *err;

	if (pop3_parse(line, len, POP3_TRANSACTION, &c, &err) == -1) {
		session_err(ss, "%s", err);
		return 0;
	}
	if (c.verb < 0 || c.verb >= POP3_NVERBS || session_cmds[c.verb] == NULL)
		fatalx("internal error: no action for %s",
		    pop3_verb_name(c.verb));
	return session_cmds[c.verb](ss, &c);
}

/* session_input: the lines in n bytes of input; -1 to end the session. */
static int
session_input(struct session *ss, const char *buf, size_t n)
{
	size_t used;
	int st;

	while (n > 0 && !ss->done) {
		st = pop3_line_feed(&ss->in, buf, n, &used);
		buf += used;
		n -= used;
		if (st == POP3_LINE_LONG)
			session_err(ss, "line too long");
		else if (st == POP3_LINE_OK &&
		    session_command(ss, ss->in.buf, ss->in.len) == -1)
			return -1;
		if (ss->io.ioerr)
			return -1;
	}
	return 0;
}

static int
session_loop(struct session *ss)
{
	char buf[SESSION_IN_MAX];
	ssize_t r;
	int ready;

	for (;;) {
		if (sessio_flush(&ss->io) == -1)
			return -1;
		if (ss->done)
			return ss->result;
		if (sessio_wait(&ss->io, POLLIN, -1, &ready) == -1)
			return -1;
		r = read(ss->io.fd, buf, sizeof(buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_warn("cannot read from the net process");
			return -1;
		}
		if (r == 0) {
			log_debug("client gone without QUIT");
			return 1;
		}
		if (session_input(ss, buf, (size_t)r) == -1)
			return -1;
	}
}

/* session_open: the maildrop as of now (RFC 1939: numbers stay fixed). */
static int
session_open(struct session *ss)
{
	struct store_msg *all;
	size_t i;

	if (store_sync(ss->store, SESSION_FOLDER, &ss->info) == -1 ||
	    store_list(ss->store, SESSION_FOLDER, &all, &ss->nmsgs) == -1)
		return -1;
	if ((ss->msgs = calloc(ss->nmsgs + 1, sizeof(*ss->msgs))) == NULL) {
		log_warn("out of memory opening the maildrop");
		free(all);
		return -1;
	}
	for (i = 0; i < ss->nmsgs; i++) {
		ss->msgs[i].uid = all[i].uid;
		ss->msgs[i].size = all[i].size;
	}
	free(all);
	store_trim(ss->store);
	if (ss->nmsgs > POP3_NUM_MAX) {
		log_warnx("%zu messages in the maildrop; serving the first %u",
		    ss->nmsgs, POP3_NUM_MAX);
		ss->nmsgs = POP3_NUM_MAX;
	}
	if ((ss->deleted = calloc(ss->nmsgs + 1, 1)) == NULL) {
		log_warn("out of memory opening the maildrop");
		return -1;
	}
	return 0;
}

/* session_ended: endfd spoke between two commands: say so if the
 * client can take it at once, never in the middle of a reply. */
static void
session_ended(struct session *ss)
{
	static const char bye[] = "-ERR session ended by the server\r\n";

	if (!ss->io.ioerr)
		(void)send(ss->io.fd, bye, sizeof(bye) - 1, MSG_NOSIGNAL |
		    MSG_DONTWAIT);
}

int
session_run(int fd, struct store *s, const struct config *cfg,
    const struct session_ctl *ctl)
{
	struct session *ss;
	unsigned long long octets;
	size_t n;
	int rc;

	if ((ss = calloc(1, sizeof(*ss))) == NULL) {
		log_warn("out of memory for the session");
		return -1;
	}
	memset(&session_counts, 0, sizeof(session_counts));
	sessio_init(&ss->io, fd, ctl->endfd, ss->out, sizeof(ss->out));
	ss->store = s;
	ss->lockfd = ctl->lockfd;
	pop3_line_init(&ss->in, POP3_LINE_MAX);
	if (session_open(ss) == -1 ||
	    (ctl->ready != NULL && ctl->ready(ctl->arg) == -1)) {
		sessio_printf(&ss->io, "-ERR [SYS/TEMP] unable to open maildrop\r\n");
		sessio_flush(&ss->io);
		rc = -1;
	} else {
		n = session_totals(ss, &octets);
		session_ok(ss, "+OK maildrop has %zu messages (%llu octets)\r\n",
		    n, octets);
		rc = session_loop(ss);
		if (ss->io.ended) {
			session_ended(ss);
			rc = 2;
		}
	}
	free(ss->msgs);
	free(ss->deleted);
	free(ss);
	return rc;
}

void
session_stats_get(struct session_stats *st)
{
	*st = session_counts;
}
