/*
 * smtpmsg.c: the codecs of the net <-> monitor messages of smtpd
 * (smtpmsg.h).  Runs in the net role (encodes its requests, decodes the
 * answers) and in the monitor, whose decoders are the first code to read
 * what a possibly compromised net role sends.
 */
#include <string.h>

#include "smtpd/smtpmsg.h"

/* The protocol names the engine sends (RFC 3848, RFC 6531 3.7.7). */
static const char *const smtpmsg_protos[] = {
	"SMTP", "ESMTP", "ESMTPA", "ESMTPS", "ESMTPSA",
	"UTF8SMTP", "UTF8SMTPA", "UTF8SMTPS", "UTF8SMTPSA",
};

/* smtpmsg_print: 1 when s is printable ASCII (space too when blank). */
static int
smtpmsg_print(const char *s, int blank)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < (blank ? 0x20 : 0x21) ||
		    (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* smtpmsg_addr_ok: no control characters (a blank may be inside a
 * quoted local part), and octets above 0x7f only when utf8. */
static int
smtpmsg_addr_ok(const char *s, int utf8)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
		if ((unsigned char)*s > 0x7f && !utf8)
			return 0;
	}
	return 1;
}

static int
smtpmsg_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

int
smtpmsg_xtext_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			if (i + 2 >= n || !smtpmsg_hex(s[i + 1]) ||
			    !smtpmsg_hex(s[i + 2]))
				return 0;
			i += 2;
			continue;
		}
		if (s[i] < '!' || s[i] > '~' || s[i] == '=')
			return 0;
	}
	return 1;
}

int
smtpmsg_orcpt_ok(const char *s)
{
	const char *semi = strchr(s, ';');
	const char *p;

	if (semi == NULL || semi == s)
		return 0;
	for (p = s; p < semi; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	return smtpmsg_xtext_ok(semi + 1, strlen(semi + 1));
}

static int
smtpmsg_proto_ok(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(smtpmsg_protos) / sizeof(smtpmsg_protos[0]);
	    i++)
		if (strcmp(s, smtpmsg_protos[i]) == 0)
			return 1;
	return 0;
}

int
smtpmsg_mail_encode(struct frame *f, const struct smtpmsg_mail *m)
{
	frame_init(f, MSG_SMTP_MAIL);
	frame_add_str(f, m->proto);
	frame_add_str(f, m->helo);
	frame_add_str(f, m->tls);
	frame_add_str(f, m->sender);
	frame_add_u64(f, m->size);
	frame_add_u32(f, m->body);
	frame_add_u32(f, m->flags);
	frame_add_str(f, m->envid);
	return frame_finish(f);
}

int
smtpmsg_mail_decode(struct frame *f, struct smtpmsg_mail *m)
{
	memset(m, 0, sizeof(*m));
	if (f->type != MSG_SMTP_MAIL ||
	    frame_get_str(f, m->proto, sizeof(m->proto)) == -1 ||
	    frame_get_str(f, m->helo, sizeof(m->helo)) == -1 ||
	    frame_get_str(f, m->tls, sizeof(m->tls)) == -1 ||
	    frame_get_str(f, m->sender, sizeof(m->sender)) == -1 ||
	    frame_get_u64(f, &m->size) == -1 ||
	    frame_get_u32(f, &m->body) == -1 ||
	    frame_get_u32(f, &m->flags) == -1 ||
	    frame_get_str(f, m->envid, sizeof(m->envid)) == -1 ||
	    frame_end(f) == -1)
		return -1;
	if (!smtpmsg_proto_ok(m->proto) || !smtpmsg_print(m->helo, 0) ||
	    !smtpmsg_print(m->tls, 1) ||
	    !smtpmsg_addr_ok(m->sender, m->flags & SMTPMSG_SMTPUTF8) ||
	    m->body > SMTPMSG_BODY_BINARYMIME ||
	    (m->flags & ~(uint32_t)SMTPMSG_MAIL_FLAGS) != 0 ||
	    ((m->flags & SMTPMSG_RET_FULL) && (m->flags & SMTPMSG_RET_HDRS)) ||
	    !smtpmsg_xtext_ok(m->envid, strlen(m->envid)))
		return -1;
	return 0;
}

int
smtpmsg_rcpt_encode(struct frame *f, const struct smtpmsg_rcpt *r)
{
	frame_init(f, MSG_SMTP_RCPT);
	frame_add_str(f, r->addr);
	frame_add_u32(f, r->notify);
	frame_add_str(f, r->orcpt);
	return frame_finish(f);
}

int
smtpmsg_rcpt_decode(struct frame *f, struct smtpmsg_rcpt *r)
{
	memset(r, 0, sizeof(*r));
	if (f->type != MSG_SMTP_RCPT ||
	    frame_get_str(f, r->addr, sizeof(r->addr)) == -1 ||
	    frame_get_u32(f, &r->notify) == -1 ||
	    frame_get_str(f, r->orcpt, sizeof(r->orcpt)) == -1 ||
	    frame_end(f) == -1)
		return -1;
	if (r->addr[0] == '\0' || !smtpmsg_addr_ok(r->addr, 1) ||
	    r->notify > 0x0f || ((r->notify & SMTPMSG_NOTIFY_NEVER) &&
	    r->notify != SMTPMSG_NOTIFY_NEVER) ||
	    (r->orcpt[0] != '\0' && !smtpmsg_orcpt_ok(r->orcpt)))
		return -1;
	return 0;
}

int
smtpmsg_data_encode(struct frame *f, const void *p, size_t n)
{
	if (n == 0 || n > SMTPMSG_DATA_MAX)
		return -1;
	frame_init(f, MSG_SMTP_DATA);
	frame_add_bytes(f, p, n);
	return frame_finish(f);
}

int
smtpmsg_data_decode(struct frame *f, const uint8_t **p, size_t *n)
{
	if (f->type != MSG_SMTP_DATA || frame_get_bytes(f, p, n) == -1 ||
	    frame_end(f) == -1 || *n == 0 || *n > SMTPMSG_DATA_MAX)
		return -1;
	return 0;
}

int
smtpmsg_end_encode(struct frame *f, const struct smtpmsg_end *e)
{
	frame_init(f, MSG_SMTP_END);
	frame_add_u32(f, e->how);
	frame_add_u64(f, e->bytes);
	return frame_finish(f);
}

int
smtpmsg_end_decode(struct frame *f, struct smtpmsg_end *e)
{
	if (f->type != MSG_SMTP_END || frame_get_u32(f, &e->how) == -1 ||
	    frame_get_u64(f, &e->bytes) == -1 || frame_end(f) == -1 ||
	    e->how > SMTPMSG_END_ABORT)
		return -1;
	return 0;
}

int
smtpmsg_rset_encode(struct frame *f)
{
	frame_init(f, MSG_SMTP_RSET);
	return frame_finish(f);
}

int
smtpmsg_rset_decode(struct frame *f)
{
	if (f->type != MSG_SMTP_RSET || frame_end(f) == -1)
		return -1;
	return 0;
}

static int
smtpmsg_answer_type(int type)
{
	return type == MSG_SMTP_MAIL || type == MSG_SMTP_RCPT ||
	    type == MSG_SMTP_END;
}

int
smtpmsg_answer_encode(struct frame *f, int type,
    const struct smtpmsg_answer *a)
{
	if (!smtpmsg_answer_type(type) || strlen(a->text) > SMTPMSG_TEXT_MAX)
		return -1;
	frame_init(f, (uint8_t)type);
	frame_add_u32(f, a->verdict);
	frame_add_str(f, a->text);
	return frame_finish(f);
}

int
smtpmsg_answer_decode(struct frame *f, int type, struct smtpmsg_answer *a)
{
	memset(a, 0, sizeof(*a));
	if (!smtpmsg_answer_type(type) || f->type != type ||
	    frame_get_u32(f, &a->verdict) == -1 ||
	    frame_get_str(f, a->text, sizeof(a->text)) == -1 ||
	    frame_end(f) == -1 || !smtpmsg_print(a->text, 1))
		return -1;
	return 0;
}
