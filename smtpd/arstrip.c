/*
 * arstrip.c: the removal of Authentication-Results fields that claim our
 * authserv-id from a message as it streams (arstrip.h).  Runs in smtpd's
 * broker; every byte is the SMTP client's.
 */
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "smtpd/arstrip.h"

static const char arstrip_name[] = "authentication-results";
#define ARSTRIP_NAME_LEN	(sizeof(arstrip_name) - 1)

enum {
	AS_LINE,	/* at the start of a header line */
	AS_NAME,	/* a field name, held back */
	AS_VALUE,	/* an Authentication-Results value before its id */
	AS_VALUE_LINE,	/* ... at the start of one of its lines */
	AS_PASS,	/* in a field we keep */
	AS_DROP,	/* in a field we remove */
	AS_BODY		/* the header ended */
};

/* arstrip_prevdrop: at AS_LINE, whether the field before was removed (a
 * continuation line goes with it). */
#define AS_PREVDROP	0x100

void
arstrip_init(struct arstrip *s, const char *ours)
{
	memset(s, 0, sizeof(*s));
	(void)str_copy(s->ours, ours, sizeof(s->ours));
	s->state = AS_LINE;
}

static size_t
arstrip_flush(struct arstrip *s, uint8_t *out)
{
	size_t n = s->npending;

	memcpy(out, s->pending, n);
	s->npending = 0;
	return n;
}

/* arstrip_lower: ASCII lowercase of c. */
static int
arstrip_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* arstrip_decide: the held field's authserv-id is read (or cannot be):
 * remove it when it is ours or empty, else release it.  c, the byte
 * that ended it, is already held. */
static size_t
arstrip_decide(struct arstrip *s, int c, uint8_t *out)
{
	size_t n = 0;
	int drop;

	s->id[s->idlen] = '\0';
	drop = s->idlen == 0 ||
	    (!s->idlong && strcasecmp(s->id, s->ours) == 0);
	if (drop) {
		s->npending = 0;
		s->removed++;
		s->state = c == '\n' ? AS_LINE | AS_PREVDROP : AS_DROP;
	} else {
		n = arstrip_flush(s, out);
		s->state = c == '\n' ? AS_LINE : AS_PASS;
	}
	return n;
}

/* arstrip_id_add: one more byte of the authserv-id. */
static void
arstrip_id_add(struct arstrip *s, int c)
{
	if (s->idlen + 1 < sizeof(s->id))
		s->id[s->idlen++] = (char)c;
	else
		s->idlong = 1;
}

/* arstrip_value: one byte of an Authentication-Results value before the
 * decision (held already). */
static size_t
arstrip_value(struct arstrip *s, int c, uint8_t *out)
{
	if (s->in_id && s->quoted) {
		if (s->escaped)
			s->escaped = 0, arstrip_id_add(s, c);
		else if (c == '\\')
			s->escaped = 1;
		else if (c == '"' || c == '\r' || c == '\n')
			return arstrip_decide(s, c, out);
		else
			arstrip_id_add(s, c);
		return 0;
	}
	if (s->in_id) {
		if (strchr(" \t;(\r\n", c) != NULL)
			return arstrip_decide(s, c, out);
		arstrip_id_add(s, c);
		return 0;
	}
	if (s->depth > 0) {
		if (s->escaped)
			s->escaped = 0;
		else if (c == '\\')
			s->escaped = 1;
		else if (c == '(')
			s->depth++;
		else if (c == ')')
			s->depth--;
		else if (c == '\n')
			s->state = AS_VALUE_LINE;
		return 0;
	}
	if (c == '\n')
		s->state = AS_VALUE_LINE;
	else if (c == '(')
		s->depth = 1;
	else if (c == '"')
		s->in_id = s->quoted = 1;
	else if (c == ';')
		return arstrip_decide(s, c, out);
	else if (c != ' ' && c != '\t' && c != '\r') {
		s->in_id = 1;
		arstrip_id_add(s, c);
	}
	return 0;
}

/* arstrip_name_byte: one byte of a field name (held already). */
static size_t
arstrip_name_byte(struct arstrip *s, int c, uint8_t *out)
{
	size_t n;

	if (s->namepos < ARSTRIP_NAME_LEN &&
	    arstrip_lower(c) == arstrip_name[s->namepos]) {
		s->namepos++;
		return 0;
	}
	if (s->namepos == ARSTRIP_NAME_LEN && (c == ' ' || c == '\t'))
		return 0;
	if (s->namepos == ARSTRIP_NAME_LEN && c == ':') {
		s->state = AS_VALUE;
		s->depth = s->quoted = s->escaped = s->in_id = s->idlong = 0;
		s->idlen = 0;
		return 0;
	}
	n = arstrip_flush(s, out);
	s->state = c == '\n' ? AS_LINE : AS_PASS;
	return n;
}

/* arstrip_line: the first byte of a header line. */
static size_t
arstrip_line(struct arstrip *s, int c, uint8_t *out)
{
	int prevdrop = (s->state & AS_PREVDROP) != 0;

	if (c == ' ' || c == '\t') {
		s->state = prevdrop ? AS_DROP : AS_PASS;
		if (prevdrop)
			return 0;
		out[0] = (uint8_t)c;
		return 1;
	}
	if (c == '\r' || c == '\n') {
		s->state = AS_BODY;
		out[0] = (uint8_t)c;
		return 1;
	}
	s->state = AS_NAME;
	s->namepos = 0;
	s->pending[s->npending++] = (uint8_t)c;
	return arstrip_name_byte(s, c, out);
}

/* arstrip_byte: one byte; what it releases goes to out. */
static size_t
arstrip_byte(struct arstrip *s, int c, uint8_t *out)
{
	switch (s->state) {
	case AS_BODY:
	case AS_PASS:
		if (c == '\n' && s->state == AS_PASS)
			s->state = AS_LINE;
		out[0] = (uint8_t)c;
		return 1;
	case AS_DROP:
		if (c == '\n')
			s->state = AS_LINE | AS_PREVDROP;
		return 0;
	case AS_VALUE_LINE:
		if (c != ' ' && c != '\t') {
			/* The field ended before its authserv-id. */
			s->npending = 0;
			s->removed++;
			s->state = AS_LINE | AS_PREVDROP;
			return arstrip_line(s, c, out);
		}
		s->state = AS_VALUE;
		break;
	case AS_NAME:
	case AS_VALUE:
		break;
	default:
		return arstrip_line(s, c, out);
	}
	if (s->npending == sizeof(s->pending)) {
		/* Unreadable within the bound: removed. */
		s->npending = 0;
		s->removed++;
		s->state = AS_DROP;
		return arstrip_byte(s, c, out);
	}
	s->pending[s->npending++] = (uint8_t)c;
	return s->state == AS_NAME ? arstrip_name_byte(s, c, out) :
	    arstrip_value(s, c, out);
}

size_t
arstrip_feed(struct arstrip *s, const uint8_t *in, size_t n, uint8_t *out)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++)
		w += arstrip_byte(s, in[i], out + w);
	return w;
}

size_t
arstrip_finish(struct arstrip *s, uint8_t *out)
{
	size_t n = 0;

	if (s->state == AS_NAME)
		n = arstrip_flush(s, out);
	else if (s->state == AS_VALUE || s->state == AS_VALUE_LINE) {
		s->npending = 0;
		s->removed++;
	}
	s->state = AS_BODY;
	return n;
}
