/*
 * session.c: the IMAP session engine's loop, output and dispatch (see
 * session.h).  Runs in imapd's mail process, chrooted into the user's
 * Maildir as the mail uid; talks plaintext to the net process, whose
 * bytes are client input and trusted for nothing.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mutf7.h"
#include "common/sessio.h"
#include "common/util.h"
#include "imapd/capa.h"
#include "imapd/session.h"
#include "imapd/view.h"

/* What the last session did, for the line that ends it in the log. */
static struct imap_sess *imap_last;

int
imap_flush(struct imap_sess *s)
{
	return sessio_flush(&s->io);
}

void
imap_put(struct imap_sess *s, const char *p, size_t n)
{
	sessio_put(&s->io, p, n);
}

void
imap_printf(struct imap_sess *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sessio_vprintf(&s->io, fmt, ap);
	va_end(ap);
}

void
imap_put_sb(struct imap_sess *s, const struct strbuf *sb)
{
	imap_put(s, strbuf_str(sb), sb->len);
}

void
imap_put_string(struct imap_sess *s, const char *p, size_t n)
{
	struct strbuf sb;

	strbuf_init(&sb, n + 64);
	if (strbuf_add_imap_string(&sb, p, n) == -1)
		fatal("out of memory for a response");
	imap_put_sb(s, &sb);
	strbuf_free(&sb);
}

void
imap_put_mailbox(struct imap_sess *s, const char *utf8)
{
	char name[STORE_FOLDER_NAME_MAX * 4];

	if (s->enabled & IMAP_EN_UTF8) {
		imap_put_string(s, utf8, strlen(utf8));
		return;
	}
	if (mutf7_encode(utf8, name, sizeof(name)) == -1)
		fatalx("internal error: folder name %s cannot be encoded",
		    utf8);
	imap_put_string(s, name, strlen(name));
}

/* imap_tagged: the tagged completion: first what others changed, when
 * sequence numbers may move now (RFC 3501 7.4.1, 5.5). */
static void __attribute__((format(printf, 4, 0)))
imap_tagged(struct imap_sess *s, const char *status, const char *code,
    const char *fmt, va_list ap)
{
	const struct imap_cmd *c = s->cmd;
	char text[512];
	int seqcmd;

	if (c != NULL && strcmp(status, "BAD") != 0) {
		seqcmd = !c->uid && (c->verb == IMAP_FETCH ||
		    c->verb == IMAP_STORE || c->verb == IMAP_SEARCH);
		if (view_refresh(s, !seqcmd) == -1)
			log_warnx("%s: folder %s could not be read again",
			    s->m->user, s->view->folder);
	}
	if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
		text[0] = '\0';
	imap_printf(s, "%s %s ", c != NULL && c->tag[0] ? c->tag : "*",
	    status);
	/* Not through imap_printf: a code may be long (COPYUID, MODIFIED). */
	if (code != NULL) {
		imap_put(s, "[", 1);
		imap_put(s, code, strlen(code));
		imap_put(s, "] ", 2);
	}
	imap_printf(s, "%s\r\n", text);
	s->errors = strcmp(status, "BAD") == 0 ? s->errors + 1 : 0;
	if (s->errors >= IMAP_MAX_ERRORS) {
		imap_printf(s, "* BYE Too many errors\r\n");
		s->done = 1;
		s->result = SKEL_END_GONE;
	}
}

void
imap_ok(struct imap_sess *s, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	imap_tagged(s, "OK", code, fmt, ap);
	va_end(ap);
}

void
imap_no(struct imap_sess *s, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	imap_tagged(s, "NO", code, fmt, ap);
	va_end(ap);
}

void
imap_bad(struct imap_sess *s, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	imap_tagged(s, "BAD", code, fmt, ap);
	va_end(ap);
}

int
imap_folder_decode(struct imap_sess *s, const struct imap_str *name,
    char *out, size_t len, const char **why)
{
	char raw[STORE_FOLDER_NAME_MAX * 4];
	long n;

	n = imap_str_copy(name, raw, sizeof(raw));
	if (n <= 0 || memchr(raw, '\0', (size_t)n) != NULL) {
		*why = "Mailbox name empty or too long";
		return -1;
	}
	if (strcasecmp(raw, "INBOX") == 0) {
		str_copy(out, "INBOX", len);
		return 0;
	}
	if (s->enabled & IMAP_EN_UTF8) {
		if (str_copy(out, raw, len) == -1) {
			*why = "Mailbox name too long";
			return -1;
		}
		return 0;
	}
	if (mutf7_decode(raw, out, len) == -1) {
		*why = errno == ENAMETOOLONG ? "Mailbox name too long" :
		    "Mailbox name is not valid modified UTF-7";
		return -1;
	}
	return 0;
}

int
imap_folder_arg(struct imap_sess *s, const struct imap_str *name, char *out,
    size_t len)
{
	const char *why;

	if (imap_folder_decode(s, name, out, len, &why) == -1) {
		imap_no(s, "CANNOT", "%s", why);
		return -1;
	}
	return 0;
}

/* imap_set_saved: "$": the saved UIDs still in the view. */
static int
imap_set_saved(struct imap_sess *s, uint32_t **idx, size_t *n)
{
	size_t i;
	uint32_t seq;

	*n = 0;
	*idx = NULL;
	if (s->nsaved == 0)
		return 0;
	if ((*idx = calloc(s->nsaved, sizeof(**idx))) == NULL)
		fatal("out of memory");
	for (i = 0; i < s->nsaved; i++)
		if ((seq = view_seq(s->view, s->saved[i])) != 0)
			(*idx)[(*n)++] = seq - 1;
	return 0;
}

int
imap_set_resolve(struct imap_sess *s, const struct imap_seqset *set,
    int uid, uint32_t **idx, size_t *n)
{
	const struct imap_view *v = s->view;
	struct imap_range *r;
	uint32_t max, i, k;
	size_t cap = 0;
	long nr, j;

	if (set->saved)
		return imap_set_saved(s, idx, n);
	*idx = NULL;
	*n = 0;
	/* "1:*" in an empty folder names nothing, and is no error. */
	if (v->n == 0 && (uid || set->star))
		return 0;
	max = uid ? v->msgs[v->n - 1].uid : v->n;
	if ((r = calloc(set->nranges ? set->nranges : 1, sizeof(*r))) == NULL)
		fatal("out of memory");
	nr = imap_seq_ranges(set, max, r, set->nranges ? set->nranges : 1);
	for (j = 0; j < nr; j++) {
		if (!uid && (r[j].hi > v->n || r[j].lo == 0)) {
			k = r[j].hi > v->n ? r[j].hi : r[j].lo;
			free(r);
			imap_bad(s, NULL, "No message %u: the mailbox has %u",
			    k, v->n);
			return -1;
		}
		cap += uid ? 0 : r[j].hi - r[j].lo + 1;
	}
	if (uid)
		cap = v->n;
	if (cap > 0 && (*idx = calloc(cap, sizeof(**idx))) == NULL)
		fatal("out of memory");
	for (j = 0; j < nr; j++) {
		if (!uid) {
			for (k = r[j].lo; k <= r[j].hi && k != 0; k++)
				(*idx)[(*n)++] = k - 1;
			continue;
		}
		for (i = view_lower(v, r[j].lo); i < v->n &&
		    v->msgs[i].uid <= r[j].hi; i++)
			(*idx)[(*n)++] = i;
	}
	free(r);
	return 0;
}

void
imap_want_condstore(struct imap_sess *s)
{
	s->enabled |= IMAP_EN_CONDSTORE;
}

/* The handlers, by verb; the parser has checked the state. */
static imap_handler *const imap_handlers[IMAP_NVERBS] = {
	[IMAP_APPEND] = cmd_append,
	[IMAP_CAPABILITY] = cmd_capability,
	[IMAP_CHECK] = cmd_noop,
	[IMAP_CLOSE] = cmd_close,
	[IMAP_COPY] = cmd_copy,
	[IMAP_CREATE] = cmd_create,
	[IMAP_DELETE] = cmd_delete,
	[IMAP_ENABLE] = cmd_enable,
	[IMAP_EXAMINE] = cmd_select,
	[IMAP_EXPUNGE] = cmd_expunge,
	[IMAP_FETCH] = cmd_fetch,
	[IMAP_GETQUOTA] = cmd_getquota,
	[IMAP_GETQUOTAROOT] = cmd_getquotaroot,
	[IMAP_ID] = cmd_id,
	[IMAP_IDLE] = cmd_idle,
	[IMAP_LIST] = cmd_list,
	[IMAP_LOGOUT] = cmd_logout,
	[IMAP_LSUB] = cmd_list,
	[IMAP_MOVE] = cmd_copy,
	[IMAP_NAMESPACE] = cmd_namespace,
	[IMAP_NOOP] = cmd_noop,
	[IMAP_RENAME] = cmd_rename,
	[IMAP_SEARCH] = cmd_search,
	[IMAP_SELECT] = cmd_select,
	[IMAP_SETQUOTA] = cmd_setquota,
	[IMAP_STATUS] = cmd_status,
	[IMAP_STORE] = cmd_store,
	[IMAP_SUBSCRIBE] = cmd_subscribe,
	[IMAP_UNSELECT] = cmd_unselect,
	[IMAP_UNSUBSCRIBE] = cmd_subscribe,
};

static void
imap_command(struct imap_sess *s)
{
	struct imap_cmd *c = &s->parsed;
	int rc, flags = (s->enabled & IMAP_EN_UTF8) ? IMAP_PF_UTF8 : 0;

	rc = imap_parse(s->rd.buf, s->rd.len, s->rd.lits, s->rd.nlits,
	    s->state, flags, c);
	s->cmd = c;
	s->ncommands++;
	if (rc == IMAP_PARSE_BAD)
		imap_bad(s, c->code, "%s", c->err);
	else if (rc == IMAP_PARSE_NO)
		imap_no(s, c->code, "%s", c->err);
	else if (c->verb < 0 || c->verb >= IMAP_NVERBS ||
	    imap_handlers[c->verb] == NULL)
		fatalx("internal error: no handler for %s",
		    imap_verb_name(c->verb));
	else
		imap_handlers[c->verb](s, c);
	s->cmd = NULL;
}

/* imap_dropped: the reader dropped a command: BAD with its tag, but for
 * an APPEND whose message was refused (imap_literal_refused). */
static void
imap_dropped(struct imap_sess *s, int ev)
{
	static struct imap_cmd c;

	memset(&c, 0, sizeof(c));
	if (imap_parse_tag(s->rd.buf, s->rd.len, c.tag) == -1)
		c.tag[0] = '\0';
	s->cmd = &c;
	if (ev != IMAP_RD_TOOBIG || !imap_literal_refused(s))
		imap_bad(s, ev == IMAP_RD_TOOBIG ? "TOOBIG" : NULL, "%s",
		    s->rd.why);
	s->cmd = NULL;
}

/* imap_idle_line: a line while idling: DONE ends IDLE (RFC 2177);
 * anything else ends it too, as a BAD. */
static void
imap_idle_line(struct imap_sess *s)
{
	static struct imap_cmd c;
	int done = s->rd.len == 4 && strncasecmp(s->rd.buf, "DONE", 4) == 0;

	imap_reader_line_mode(&s->rd, 0);
	s->idling = 0;
	memset(&c, 0, sizeof(c));
	str_copy(c.tag, s->idle_tag, sizeof(c.tag));
	c.verb = IMAP_IDLE;
	s->cmd = &c;
	if (done)
		imap_ok(s, NULL, "IDLE terminated");
	else
		imap_bad(s, NULL, "Expected DONE to end IDLE");
	s->cmd = NULL;
}

/* imap_input: the events in n octets of input. */
static void
imap_input(struct imap_sess *s, const char *in, size_t n)
{
	size_t used;
	int ev;

	do {
		ev = imap_reader_feed(&s->rd, in, n, &used);
		in += used;
		n -= used;
		switch (ev) {
		case IMAP_RD_COMMAND:
			/* A kick, or a client gone, ends the session before
			 * the next of the commands it had sent. */
			if (sessio_check(&s->io) == -1)
				return;
			imap_command(s);
			break;
		case IMAP_RD_CONTINUE:
			imap_printf(s, "+ Ready for literal\r\n");
			/* The client waits for it: no batching. */
			(void)imap_flush(s);
			break;
		case IMAP_RD_LITERAL_BEGIN:
			imap_literal_begin(s);
			break;
		case IMAP_RD_LITERAL_DATA:
			imap_literal_data(s, s->rd.data, s->rd.datalen);
			break;
		case IMAP_RD_TOOLONG:
		case IMAP_RD_TOOBIG:
			imap_literal_drop(s);
			if (s->idling)
				imap_idle_line(s);
			else
				imap_dropped(s, ev);
			break;
		case IMAP_RD_LINE:
			imap_idle_line(s);
			break;
		default:
			break;
		}
	} while ((n > 0 || ev != IMAP_RD_MORE) && !s->done && !s->io.ioerr &&
	    !s->io.ended);
}

/* imap_read: one read from the net process into buf; its length, 0 at
 * the end, -1 on an error or when authd ended the session. */
static ssize_t
imap_read(struct imap_sess *s, char *buf, size_t len, int timeout_ms)
{
	ssize_t r;
	int ready;

	for (;;) {
		if (sessio_wait(&s->io, POLLIN, timeout_ms, &ready) == -1)
			return -1;
		if (!ready)
			return -2;
		r = read(s->io.fd, buf, len);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r == -1) {
			if (errno != ECONNRESET)
				log_warn("cannot read from the net process");
			s->io.ioerr = 1;
		}
		return r;
	}
}

void
imap_handover_tag(const uint8_t *handover, size_t len,
    char tag[IMAP_TAG_MAX + 1])
{
	size_t i;

	for (i = 0; i < len && i < IMAP_TAG_MAX; i++) {
		if (handover[i] <= 0x20 || handover[i] >= 0x7f ||
		    strchr("(){%*\"\\+", handover[i]) != NULL)
			break;
		tag[i] = (char)handover[i];
	}
	if (i == 0 || i != len)
		i = 0, tag[i++] = '*';
	tag[i] = '\0';
}

/* imap_greet: answer the login command now that the mailbox is open:
 * authd records the session first. */
static int
imap_greet(struct imap_sess *s)
{
	char tag[IMAP_TAG_MAX + 1], capa[512];

	imap_handover_tag(s->m->handover, s->m->handoverlen, tag);
	if (s->m->ready(s->m) != 0) {
		imap_printf(s, "%s NO [UNAVAILABLE] Try again later\r\n", tag);
		(void)imap_flush(s);
		return -1;
	}
	imap_printf(s, "%s OK [CAPABILITY %s] Logged in\r\n", tag,
	    imap_capa_session(s->cfg->imap_append_limit, capa, sizeof(capa)));
	return imap_flush(s);
}

static int
imap_loop(struct imap_sess *s)
{
	static char buf[IMAP_IN_MAX];
	ssize_t r;

	while (!s->done) {
		if (s->idling && view_refresh(s, 1) == -1)
			log_warnx("%s: folder %s could not be read again",
			    s->m->user, s->view->folder);
		if (imap_flush(s) == -1)
			break;
		/* What FETCH rendered is cached once the answer is out. */
		(void)store_cache_flush(s->store);
		r = imap_read(s, buf, sizeof(buf),
		    s->idling ? IMAP_IDLE_POLL_MS : -1);
		if (r == -2)
			continue;
		if (r <= 0) {
			if (r == 0)
				s->result = SKEL_END_GONE;
			break;
		}
		imap_input(s, buf, (size_t)r);
	}
	(void)imap_flush(s);
	if (s->io.ended)
		return SKEL_END_AUTHD;
	return s->done ? s->result : SKEL_END_GONE;
}

int
imap_session(struct skel_mail *m)
{
	static struct imap_sess sess;
	struct imap_sess *s = &sess;
	struct imap_reader_limits lim;
	int rc;

	memset(s, 0, sizeof(*s));
	s->m = m;
	s->store = m->store;
	s->cfg = m->cfg;
	sessio_init(&s->io, m->fd, m->endfd, s->out, sizeof(s->out));
	s->state = IMAP_S_AUTH;
	s->result = SKEL_END_GONE;
	imap_last = s;
	lim.line_max = m->cfg->imap_max_line;
	lim.inline_max = IMAP_INLINE_MAX;
	lim.external_max = m->cfg->imap_append_limit;
	lim.plus_max = m->cfg->imap_append_limit;
	s->cmdbufsize = lim.line_max + 2 * IMAP_INLINE_MAX + 1;
	if ((s->cmdbuf = malloc(s->cmdbufsize)) == NULL)
		fatal("out of memory for the command buffer");
	imap_reader_init(&s->rd, s->cmdbuf, s->cmdbufsize, &lim);
	if (imap_greet(s) == -1)
		return SKEL_END_ERROR;
	imap_folders_prepare(s);
	rc = imap_loop(s);
	imap_literal_drop(s);
	view_close(s->view);
	view_close(s->lastview);
	s->view = s->lastview = NULL;
	free(s->saved);
	free(s->cmdbuf);
	return rc;
}

void
imap_summary(const char *user, int end, const char *why)
{
	const struct imap_sess *s = imap_last;

	log_info("%s %s: %lu command%s, %lu message%s fetched, %lu "
	    "appended, %lu expunged", user,
	    end == SKEL_END_LOGOUT ? "logged out" :
	    end == SKEL_END_GONE ? "disconnected without LOGOUT" :
	    end == SKEL_END_AUTHD ? why : "session ended by an error",
	    s ? s->ncommands : 0, s && s->ncommands == 1 ? "" : "s",
	    s ? s->nfetched : 0, s && s->nfetched == 1 ? "" : "s",
	    s ? s->nappended : 0, s ? s->nexpunged : 0);
}
