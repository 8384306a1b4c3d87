/*
 * engine_data.c: the message of smtpd's SMTP engine: DATA (dot-unstuffed,
 * ended by CRLF.CRLF only) and BDAT (raw chunks), told to the broker in
 * DATA frames and ended with an END ask (see engine.h for the smuggling
 * and bare newline rules).  Runs in smtpd's net process on the client's
 * bytes, which it trusts for nothing.
 */
#include <string.h>
#include <strings.h>

#include "smtpd/engine_int.h"

static int	engine_bdat_done(struct engine_state *);

int
engine_cmd_data(struct engine_state *e, const char *arg, size_t n)
{
	if (n > 0)
		return engine_error(e, "501 5.5.4 Syntax: DATA");
	if (!e->mail)
		return engine_error(e, "503 5.5.1 Need MAIL command");
	if (e->mode == SMTP_MODE_BDAT || e->bdat_failed)
		return engine_error(e, "503 5.5.1 DATA after BDAT");
	if (e->nrcpt == 0)
		return engine_error(e, "503 5.5.1 Need RCPT command");
	/* RFC 3030 3: BINARYMIME only with BDAT. */
	if (e->body == SMTPMSG_BODY_BINARYMIME)
		return engine_error(e, "503 5.5.1 BINARYMIME needs BDAT");
	e->mode = SMTP_MODE_DATA;
	e->wait = SMTP_W_DATA;
	e->dstate = SMTP_D_BOL;
	e->dline = 0;
	return engine_reply(e, "354 End data with <CR><LF>.<CR><LF>");
}

/* engine_bdat_args: "size [LAST]"; 0 or -1. */
static int
engine_bdat_args(const char *arg, size_t n, uint64_t *size, int *last)
{
	const char *sp = memchr(arg, ' ', n);
	size_t k = sp != NULL ? (size_t)(sp - arg) : n;

	if (engine_u64(arg, k, size) == -1)
		return -1;
	*last = 0;
	if (sp == NULL)
		return 0;
	if (n - k - 1 != 4 || strncasecmp(sp + 1, "LAST", 4) != 0)
		return -1;
	*last = 1;
	return 0;
}

int
engine_cmd_bdat(struct engine_state *e, const char *arg, size_t n)
{
	uint64_t size;
	int last;

	/* Without the size the chunk cannot be told from commands. */
	if (engine_bdat_args(arg, n, &size, &last) == -1)
		return engine_quit(e, "421 4.5.4 Malformed BDAT, closing "
		    "connection");
	e->chunk_discard = NULL;
	if (!e->mail)
		e->chunk_discard = "503 5.5.1 Need MAIL command";
	else if (e->nrcpt == 0)
		e->chunk_discard = "503 5.5.1 Need RCPT command";
	else if (e->bdat_failed)
		e->chunk_discard = "503 5.5.1 A BDAT of this transaction "
		    "failed, send RSET";
	if (e->chunk_discard == NULL && last && e->datalen > 0)
		return engine_data_tell(e);
	e->chunk_left = e->chunk_size = size;
	e->chunk_last = last;
	e->tail_told = 0;
	e->wait = SMTP_W_BDAT;
	if (e->chunk_discard == NULL) {
		e->mode = SMTP_MODE_BDAT;
		if (!e->refuse && size > e->max_size - e->bytes) {
			e->refuse = SMTP_REFUSE_SIZE;
			e->datalen = 0;
		}
	}
	if (size == 0)
		return engine_bdat_done(e);
	return SKEL_MORE;
}

/* ---- the message ---------------------------------------------------- */

static void
engine_refuse(struct engine_state *e, int why)
{
	if (e->refuse == SMTP_REFUSE_NONE) {
		e->refuse = why;
		e->datalen = 0;
	}
}

/* engine_put: one octet of the message, counted, and kept unless the
 * message is refused already. */
static void
engine_put(struct engine_state *e, unsigned char c)
{
	if (e->bytes < UINT64_MAX)
		e->bytes++;
	if (e->bytes > e->max_size)
		engine_refuse(e, SMTP_REFUSE_SIZE);
	if (e->refuse == SMTP_REFUSE_NONE)
		e->data[e->datalen++] = c;
}

/* engine_data_mid: an octet inside a line (not a line's first '.'). */
static void
engine_data_mid(struct engine_state *e, unsigned char c)
{
	if (c == '\n')
		engine_refuse(e, SMTP_REFUSE_BARE);
	engine_put(e, c);
	e->dstate = c == '\r' ? SMTP_D_CR : SMTP_D_MID;
}

/* engine_data_octet: one octet of DATA content through the line states;
 * at most two octets go into e->data. */
static void
engine_data_octet(struct engine_state *e, unsigned char c)
{
	if (++e->dline > SMTP_DATA_LINE_MAX)
		engine_refuse(e, SMTP_REFUSE_LINE);
	switch (e->dstate) {
	case SMTP_D_BOL:
		if (c == '.')
			e->dstate = SMTP_D_DOT;
		else
			engine_data_mid(e, c);
		break;
	case SMTP_D_DOT:
		/* RFC 5321 4.5.2: a line's first '.' is dropped. */
		if (c == '\r')
			e->dstate = SMTP_D_DOTCR;
		else
			engine_data_mid(e, c);
		break;
	case SMTP_D_DOTCR:
		/* ".\r" then not LF: the CR was content (and bare). */
		engine_put(e, '\r');
		e->dstate = SMTP_D_CR;
		/* FALLTHROUGH */
	case SMTP_D_CR:
		if (c == '\n') {
			engine_put(e, c);
			e->dstate = SMTP_D_BOL;
			e->dline = 0;
			break;
		}
		engine_refuse(e, SMTP_REFUSE_BARE);
		engine_data_mid(e, c);
		break;
	default:
		engine_data_mid(e, c);
		break;
	}
}

/* engine_feed_data: DATA content up to CRLF.CRLF, the only end (engine.h:
 * smuggling).  The octets go out in DATA tells as e->data fills; the
 * end's LF stays unused while octets are still to be told. */
size_t
engine_feed_data(struct engine_state *e, const unsigned char *in, size_t len,
    int *action)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (e->dstate == SMTP_D_DOTCR && in[i] == '\n') {
			if (e->datalen > 0) {
				*action = engine_data_tell(e);
				return i;
			}
			*action = engine_end_ask(e);
			return i + 1;
		}
		if (e->datalen + 2 > sizeof(e->data)) {
			*action = engine_data_tell(e);
			return i;
		}
		engine_data_octet(e, in[i]);
	}
	*action = SKEL_MORE;
	return len;
}

/* engine_bdat_put: one chunk octet; outside BINARYMIME, lines end in CRLF
 * only, as in DATA. */
static void
engine_bdat_put(struct engine_state *e, unsigned char c)
{
	if (e->body != SMTPMSG_BODY_BINARYMIME) {
		if ((c == '\n') != e->prev_cr)
			engine_refuse(e, SMTP_REFUSE_BARE);
		e->prev_cr = c == '\r';
	}
	engine_put(e, c);
}

/* engine_bdat_done: a chunk is read. */
static int
engine_bdat_done(struct engine_state *e)
{
	const char *discard = e->chunk_discard;

	e->wait = SMTP_W_COMMAND;
	if (discard != NULL) {
		e->chunk_discard = NULL;
		return engine_error(e, discard);
	}
	if (e->chunk_last && e->prev_cr &&
	    e->body != SMTPMSG_BODY_BINARYMIME)
		engine_refuse(e, SMTP_REFUSE_BARE);
	if (e->refuse || e->chunk_last)
		return engine_end_ask(e);
	engine_say(e, "250 2.0.0 %llu octets received",
	    (unsigned long long)e->chunk_size);
	return SKEL_REPLY;
}

/* engine_feed_bdat: the octets of a chunk, raw.  The last octet of a LAST
 * chunk goes out in a tell while it stays unused, so the END can follow
 * when it is fed again (engine.h). */
size_t
engine_feed_bdat(struct engine_state *e, const unsigned char *in, size_t len,
    int *action)
{
	size_t i = 0, take;

	while (e->chunk_left > 0 && i < len) {
		if (e->chunk_discard != NULL || e->refuse) {
			take = len - i < e->chunk_left ? len - i :
			    (size_t)e->chunk_left;
			if (e->chunk_discard == NULL)
				e->bytes = take > UINT64_MAX - e->bytes ?
				    UINT64_MAX : e->bytes + take;
			i += take;
			e->chunk_left -= take;
			continue;
		}
		if (e->tail_told) {
			e->tail_told = 0;
			e->chunk_left = 0;
			i++;
			break;
		}
		if (e->datalen == sizeof(e->data)) {
			*action = engine_data_tell(e);
			return i;
		}
		engine_bdat_put(e, in[i]);
		if (e->chunk_left == 1 && e->chunk_last && !e->refuse) {
			e->tail_told = 1;
			*action = engine_data_tell(e);
			return i;
		}
		i++;
		e->chunk_left--;
	}
	if (e->chunk_left > 0) {
		*action = SKEL_MORE;
		return len;
	}
	*action = engine_bdat_done(e);
	return i;
}

/* engine_refuse_say: why the engine refused the message. */
static void
engine_refuse_say(struct engine_state *e)
{
	switch (e->refuse) {
	case SMTP_REFUSE_SIZE:
		engine_say(e, "552 5.3.4 Message size exceeds fixed maximum "
		    "message size");
		break;
	case SMTP_REFUSE_BARE:
		engine_say(e, "554 5.6.0 Message refused: bare CR or LF in "
		    "message data");
		break;
	default:
		engine_say(e, "554 5.6.0 Message refused: a line longer than "
		    "%d octets", SMTP_DATA_LINE_MAX);
		break;
	}
}

/* engine_end_answer: the message is done, whatever the verdict; after a
 * refused BDAT that was not the last the transaction stays failed until
 * RSET (RFC 3030 2). */
void
engine_end_answer(struct engine_state *e, const struct smtpmsg_answer *a)
{
	const char *text;

	e->broker = 0;
	if (e->refuse) {
		engine_refuse_say(e);
		if (e->mode == SMTP_MODE_BDAT && !e->chunk_last) {
			e->bdat_failed = 1;
			e->refuse = SMTP_REFUSE_NONE;
			e->datalen = 0;
			return;
		}
	} else if (a->verdict == SMTPV_OK)
		engine_say(e, "250 2.0.0 Ok: queued as %s", a->text);
	else if (a->verdict == SMTPV_POLICY)
		engine_say(e, "550 5.7.1 %s", a->text[0] != '\0' ? a->text :
		    "Message refused by the sender domain's policy");
	else if ((text = engine_verdict_text(MSG_SMTP_END, a->verdict)) != NULL)
		engine_say(e, "%s", text);
	else
		engine_say(e, "451 4.3.0 Try again later");
	engine_tx_reset(e);
}
