/*
 * reader.c: the IMAP command reader (see reader.h): an explicit state
 * machine over the client's bytes, which it trusts for nothing.  Runs in
 * imapd's net and mail processes.  Every octet is counted against a
 * limit before it is kept; literal sizes are parsed with an overflow
 * check; nothing is allocated.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "imapd/reader.h"

enum imap_rd_state {
	RD_TEXT,	/* text of a command or a line, up to LF */
	RD_LIT,		/* octets of a kept literal */
	RD_EXT,		/* octets of an external literal, to the caller */
	RD_SKIP,	/* octets of a dropped literal */
};

static const struct imap_reader_limits imap_reader_defaults = {
	IMAP_LINE_MAX, IMAP_INLINE_MAX, 0, IMAP_LITERAL_MINUS_MAX
};

void
imap_reader_init(struct imap_reader *r, char *buf, size_t bufsize,
    const struct imap_reader_limits *lim)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->bufsize = bufsize;
	r->lim = lim != NULL ? *lim : imap_reader_defaults;
	if (bufsize < r->lim.line_max + 1)
		fatalx("internal error: command buffer smaller than a line");
	r->state = RD_TEXT;
	r->buf[0] = '\0';
}

/* imap_reader_reset: forget the command in buf (wiping it): the state
 * between two commands. */
static void
imap_reader_reset(struct imap_reader *r)
{
	explicit_bzero(r->buf, r->len + 1 < r->bufsize ? r->len + 1 :
	    r->bufsize);
	explicit_bzero(r->tail, sizeof(r->tail));
	r->len = 0;
	r->nlits = 0;
	r->text = 0;
	r->taillen = 0;
	r->left = 0;
	r->drop = 0;
	r->pending = 0;
	r->done = 0;
	r->data = NULL;
	r->datalen = 0;
	r->state = RD_TEXT;
}

void
imap_reader_wipe(struct imap_reader *r)
{
	r->len = r->bufsize - 1;
	imap_reader_reset(r);
	r->why = NULL;
	r->lit_size = 0;
}

void
imap_reader_line_mode(struct imap_reader *r, int on)
{
	if (!r->done && (r->len > 0 || r->taillen > 0 || r->drop != 0 ||
	    r->state != RD_TEXT || r->pending != 0))
		fatalx("internal error: IMAP line mode changed inside a "
		    "command");
	r->linemode = on != 0;
}

/* imap_reader_finish: the command (or line) ends with event ev. */
static int
imap_reader_finish(struct imap_reader *r, int ev)
{
	r->buf[r->len] = '\0';
	r->state = RD_TEXT;
	r->done = 1;
	return ev;
}

/* imap_reader_drop: drop the rest of the command, reporting ev (TOOLONG
 * or TOOBIG) with why at its end; the first reason stays. */
static void
imap_reader_drop(struct imap_reader *r, int ev, const char *why)
{
	if (r->drop != 0)
		return;
	r->drop = ev;
	r->why = why;
}

void
imap_reader_refuse(struct imap_reader *r, const char *why)
{
	if (r->state != RD_EXT || r->nlits == 0 ||
	    !r->lits[r->nlits - 1].external)
		fatalx("internal error: IMAP literal refused outside one");
	imap_reader_drop(r, IMAP_RD_TOOBIG, why);
	if (r->pending == IMAP_RD_CONTINUE) {
		/* The client waits for a "+" that will not come. */
		r->pending = IMAP_RD_TOOBIG;
		return;
	}
	r->state = RD_SKIP;
}

/* imap_reader_text: n octets of text; keep the last few in tail, and as
 * many as the limits allow in buf. */
static void
imap_reader_text(struct imap_reader *r, const char *p, size_t n)
{
	size_t room, keep;

	if (n >= sizeof(r->tail)) {
		memcpy(r->tail, p + n - sizeof(r->tail), sizeof(r->tail));
		r->taillen = sizeof(r->tail);
	} else {
		keep = sizeof(r->tail) - n;
		if (r->taillen > keep) {
			memmove(r->tail, r->tail + r->taillen - keep, keep);
			r->taillen = keep;
		}
		memcpy(r->tail + r->taillen, p, n);
		r->taillen += n;
	}
	if (r->drop != 0)
		return;
	/* One octet over line_max for the CR before the LF. */
	room = r->lim.line_max + 1 - r->text;
	if (room > r->bufsize - 1 - r->len)
		room = r->bufsize - 1 - r->len;
	if (n > room) {
		imap_reader_drop(r, IMAP_RD_TOOLONG, "line too long");
		n = room;
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
	r->text += n;
}

/*
 * imap_reader_announce: does the line (its tail) end in "{n}" or "{n+}"?
 * Sets *size and *sync.  A number over 2^63 - 1 (number64) or one that
 * does not fit the tail is no announcement; the parser rejects the line.
 */
static int
imap_reader_announce(const struct imap_reader *r, uint64_t *size, int *sync)
{
	const char *t = r->tail;
	size_t i = r->taillen, end;
	uint64_t v = 0;

	if (i < 3 || t[i - 1] != '}')
		return 0;
	i--;
	*sync = 1;
	if (t[i - 1] == '+') {
		*sync = 0;
		i--;
	}
	end = i;
	while (i > 0 && t[i - 1] >= '0' && t[i - 1] <= '9')
		i--;
	if (i == 0 || i == end || t[i - 1] != '{')
		return 0;
	for (; i < end; i++) {
		if (v > (UINT64_C(0x7fffffffffffffff) - (uint64_t)(t[i] - '0'))
		    / 10)
			return 0;
		v = v * 10 + (uint64_t)(t[i] - '0');
	}
	*size = v;
	return 1;
}

/* imap_reader_is_append: is the command in buf an APPEND ("tag APPEND ")?
 * Only APPEND may carry an external literal: its message. */
static int
imap_reader_is_append(const struct imap_reader *r)
{
	const char *sp;

	sp = memchr(r->buf, ' ', r->len);
	if (sp == NULL || (size_t)(r->buf + r->len - sp) < 8)
		return 0;
	return strncasecmp(sp + 1, "APPEND ", 7) == 0;
}

/*
 * imap_reader_literal: the line ended in an announcement of size octets.
 * Decides where they go; returns an event to report now, or MORE.
 */
static int
imap_reader_literal(struct imap_reader *r, uint64_t size, int sync)
{
	struct imap_literal *l;
	size_t i;
	int ext = 0;

	if (r->drop == 0 && r->nlits == IMAP_LITERALS_MAX)
		imap_reader_drop(r, IMAP_RD_TOOLONG, "too many literals");
	if (r->drop == 0 && !sync && size > r->lim.plus_max)
		imap_reader_drop(r, IMAP_RD_TOOBIG,
		    "non-synchronizing literal too large");
	if (r->drop == 0 && size > r->lim.inline_max) {
		for (i = 0; i < r->nlits; i++)
			ext |= r->lits[i].external;
		r->lit_size = size;
		if (!imap_reader_is_append(r) || size > r->lim.external_max)
			imap_reader_drop(r, IMAP_RD_TOOBIG,
			    "literal too large");
		else if (ext)
			imap_reader_drop(r, IMAP_RD_TOOBIG,
			    "only one large literal in a command");
		ext = 1;
	} else if (r->drop == 0 && size > r->bufsize - 1 - r->len) {
		r->lit_size = size;
		imap_reader_drop(r, IMAP_RD_TOOBIG, "command too large");
	}
	if (r->drop != 0) {
		if (sync)
			return imap_reader_finish(r, r->drop);
		r->left = size;
		r->state = RD_SKIP;
		return IMAP_RD_MORE;
	}
	l = &r->lits[r->nlits++];
	l->off = r->len;
	l->len = ext ? 0 : (size_t)size;
	l->size = size;
	l->external = ext;
	l->sync = sync;
	r->left = size;
	r->state = ext ? RD_EXT : RD_LIT;
	if (ext) {
		r->pending = sync ? IMAP_RD_CONTINUE : 0;
		return IMAP_RD_LITERAL_BEGIN;
	}
	if (size == 0)
		r->state = RD_TEXT;
	return sync ? IMAP_RD_CONTINUE : IMAP_RD_MORE;
}

/* imap_reader_eol: an LF ended a line of text. */
static int
imap_reader_eol(struct imap_reader *r)
{
	uint64_t size;
	int sync;

	if (r->taillen > 0 && r->tail[r->taillen - 1] == '\r') {
		r->taillen--;
		if (r->drop == 0 && r->len > 0) {
			r->len--;
			r->text--;
		}
	}
	if (r->drop == 0 && r->text > r->lim.line_max)
		imap_reader_drop(r, IMAP_RD_TOOLONG, "line too long");
	if (r->linemode)
		return imap_reader_finish(r, r->drop != 0 ? r->drop :
		    IMAP_RD_LINE);
	if (!imap_reader_announce(r, &size, &sync))
		return imap_reader_finish(r, r->drop != 0 ? r->drop :
		    IMAP_RD_COMMAND);
	r->taillen = 0;
	return imap_reader_literal(r, size, sync);
}

int
imap_reader_feed(struct imap_reader *r, const char *in, size_t len,
    size_t *used)
{
	const char *nl;
	size_t off = 0, n;
	int ev;

	*used = 0;
	if (r->done)
		imap_reader_reset(r);
	if (r->pending != 0) {
		ev = r->pending;
		r->pending = 0;
		return ev == IMAP_RD_CONTINUE ? ev : imap_reader_finish(r, ev);
	}
	while (off < len) {
		n = len - off;
		switch (r->state) {
		case RD_TEXT:
			nl = memchr(in + off, '\n', n);
			if (nl != NULL)
				n = (size_t)(nl - (in + off));
			imap_reader_text(r, in + off, n);
			off += n;
			if (nl == NULL)
				break;
			off++;
			if ((ev = imap_reader_eol(r)) != IMAP_RD_MORE) {
				*used = off;
				return ev;
			}
			break;
		case RD_LIT:
		case RD_SKIP:
		case RD_EXT:
			if (n > r->left)
				n = (size_t)r->left;
			if (r->state == RD_LIT)
				memcpy(r->buf + r->len, in + off, n);
			if (r->state == RD_LIT)
				r->len += n;
			r->left -= n;
			ev = r->state == RD_EXT ? IMAP_RD_LITERAL_DATA :
			    IMAP_RD_MORE;
			if (r->left == 0)
				r->state = RD_TEXT;
			if (ev == IMAP_RD_LITERAL_DATA) {
				r->data = in + off;
				r->datalen = n;
				*used = off + n;
				return ev;
			}
			off += n;
			break;
		}
	}
	*used = off;
	return IMAP_RD_MORE;
}
