/*
 * client_data.c: the message body on its way out after DATA (RFC 5321
 * §4.5.2): a line that starts with '.' gets a second one, every line end
 * is CRLF (a bare LF or a bare CR becomes CRLF: neither may go on the
 * wire, §2.3.8), the last line is ended if the message did not, then
 * ".".  Runs in the relay role; the bytes are the message file's, fed in
 * bounded chunks; the state between chunks is two flags.
 */
#include "smtpd/client_int.h"

/* client_data_put: one byte out (room was checked by the caller). */
static void
client_data_put(struct client *c, uint8_t ch)
{
	c->out[c->outlen++] = ch;
}

static void
client_data_eol(struct client *c)
{
	client_data_put(c, '\r');
	client_data_put(c, '\n');
	c->bol = 1;
}

void
client_data_stuff(struct client *c, const uint8_t *p, size_t len)
{
	size_t i;

	/* Three bytes out per byte in at most ("\r" then "." becomes
	 * "\r\n.."), and the end of the data after. */
	if (len > CLIENT_BODY_CHUNK ||
	    c->outlen + 3 * len + 16 > sizeof(c->out)) {
		client_abort(c, "4.3.0", "internal error: body chunk too big");
		return;
	}
	for (i = 0; i < len; i++) {
		uint8_t ch = p[i];

		if (c->pending_cr) {
			c->pending_cr = 0;
			client_data_eol(c);
			if (ch == '\n')
				continue;
		}
		if (ch == '\r') {
			c->pending_cr = 1;
			continue;
		}
		if (ch == '\n') {
			client_data_eol(c);
			continue;
		}
		if (c->bol && ch == '.')
			client_data_put(c, '.');
		c->bol = 0;
		client_data_put(c, ch);
	}
}

void
client_data_end(struct client *c)
{
	if (c->outlen + 8 > sizeof(c->out)) {
		client_abort(c, "4.3.0", "internal error: body end");
		return;
	}
	if (c->pending_cr || !c->bol) {
		c->pending_cr = 0;
		client_data_eol(c);
	}
	client_data_put(c, '.');
	client_data_eol(c);
}
