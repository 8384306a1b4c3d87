/*
 * dnsrr.c: bounded readers of DNS record data (dnsrr.h).  Runs in any
 * process that holds a dns_rrset: the relay, the check role, authctl.
 * Trusts nothing in rd: every length byte is checked against the bytes
 * that remain, names against RFC 1035's limits (63 per label, 255 on the
 * wire), and the caller's buffers are never overrun.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "common/dnsrr.h"

#define DNSRR_LABEL_MAX	63
#define DNSRR_WIRE_MAX	255

/* A label byte we accept: printable ASCII without blank or dot.  Host
 * names are letters, digits and '-'; '_' names (_25._tcp, _dmarc) and the
 * odd printable byte of other records pass, anything a log line or a
 * text form could misread does not. */
static int
dnsrr_label_byte(unsigned char c)
{
	return c > ' ' && c <= '~' && c != '.';
}

int
dnsrr_name(const unsigned char *rd, size_t len, char out[DNS_NAME_MAX + 1],
    size_t *used)
{
	size_t pos = 0, o = 0, l, i;

	for (;;) {
		if (pos >= len || pos >= DNSRR_WIRE_MAX)
			return -1;
		l = rd[pos++];
		if (l == 0)
			break;
		/* 0xc0: a compression pointer, 0x40 and 0x80: extended
		 * label types (RFC 6891 §5); none belongs in rdata here. */
		if (l > DNSRR_LABEL_MAX)
			return -1;
		if (l > len - pos || pos + l >= DNSRR_WIRE_MAX)
			return -1;
		if (o != 0) {
			if (o >= DNS_NAME_MAX)
				return -1;
			out[o++] = '.';
		}
		if (l > DNS_NAME_MAX - o)
			return -1;
		for (i = 0; i < l; i++) {
			if (!dnsrr_label_byte(rd[pos + i]))
				return -1;
			out[o++] = (char)rd[pos + i];
		}
		pos += l;
	}
	out[o] = '\0';
	*used = pos;
	return 0;
}

int
dnsrr_mx(const unsigned char *rd, size_t len, uint16_t *pref,
    char host[DNS_NAME_MAX + 1])
{
	size_t used;

	if (len < 3)
		return -1;
	if (dnsrr_name(rd + 2, len - 2, host, &used) == -1 ||
	    used != len - 2)
		return -1;
	*pref = (uint16_t)(rd[0] << 8 | rd[1]);
	return 0;
}

int
dnsrr_addr(uint16_t type, const unsigned char *rd, size_t len, char *out,
    size_t outlen)
{
	int af;

	if (type == DNS_T_A && len == 4)
		af = AF_INET;
	else if (type == DNS_T_AAAA && len == 16)
		af = AF_INET6;
	else
		return -1;
	if (outlen > (size_t)(socklen_t)-1 ||
	    inet_ntop(af, rd, out, (socklen_t)outlen) == NULL)
		return -1;
	return 0;
}

int
dnsrr_txt(const unsigned char *rd, size_t len, char *out, size_t cap,
    size_t *outlen)
{
	size_t pos = 0, o = 0, l;

	if (len == 0 || cap == 0)
		return -1;
	while (pos < len) {
		l = rd[pos++];
		if (l > len - pos || l >= cap - o)
			return -1;
		if (memchr(rd + pos, '\0', l) != NULL)
			return -1;
		memcpy(out + o, rd + pos, l);
		o += l;
		pos += l;
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}

int
dnsrr_tlsa(const unsigned char *rd, size_t len, struct dnsrr_tlsa *t)
{
	if (len < 4)
		return -1;
	t->usage = rd[0];
	t->selector = rd[1];
	t->mtype = rd[2];
	t->data = rd + 3;
	t->len = len - 3;
	return 0;
}
