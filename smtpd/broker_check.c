/*
 * broker_check.c: the broker's side of the inbound checks
 * (broker_check.h): DKIM's phase 1 as the message streams, the From
 * domain, and the question to the check role at the end of DATA.  Runs
 * in smtpd's broker; the message and the check role's answer are
 * hostile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mime.h"
#include "common/msg.h"
#include "common/util.h"
#include "smtpd/broker_check.h"

struct broker_check {
	const struct config *cfg;
	unsigned	 checks;
	int		 fd;		/* the check role; -1: not there */
	uint32_t	 id;		/* the last request's */
	struct dkim_verifier v;
};

unsigned
broker_check_bits(const struct config *cfg)
{
	return (cfg->smtp_spf_check ? CHECK_SPF : 0) |
	    (cfg->smtp_dkim_check ? CHECK_DKIM : 0) |
	    (cfg->smtp_dmarc_check ? CHECK_DMARC : 0);
}

/* broker_check_connect: the check role's socket in the spool, as root. */
static int
broker_check_connect(const struct config *cfg)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s",
	    cfg->spool_dir, CHECK_SOCKET) >= (int)sizeof(sun.sun_path)) {
		log_warnx("the spool path %s is too long for the check "
		    "role's socket", cfg->spool_dir);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("cannot make a socket to reach the check role");
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("cannot reach the check role at %s: the mail of "
		    "this connection is not checked", sun.sun_path);
		close(fd);
		return -1;
	}
	return fd;
}

struct broker_check *
broker_check_open(const struct config *cfg, unsigned checks)
{
	struct broker_check *c;

	if ((c = malloc(sizeof(*c))) == NULL) {
		log_warn("out of memory for the mail checks");
		return NULL;
	}
	c->cfg = cfg;
	c->checks = checks;
	c->id = 0;
	c->fd = broker_check_connect(cfg);
	broker_check_begin(c);
	return c;
}

void
broker_check_begin(struct broker_check *c)
{
	dkim_verifier_init(&c->v, (int64_t)time(NULL));
}

void
broker_check_data(struct broker_check *c, const void *p, size_t n)
{
	dkim_verifier_feed(&c->v, p, n);
}

void
broker_check_close(struct broker_check *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	free(c);
}

/* The From addresses: how many, and the first one's domain. */
struct broker_check_addrs {
	int		 n;
	char		 domain[CHECK_DOMAIN_MAX];
	int		 toolong;
};

static int
broker_check_addr(void *ctx, const char *local, size_t llen,
    const char *domain, size_t dlen)
{
	struct broker_check_addrs *a = ctx;

	(void)local;
	(void)llen;
	if (a->n++ > 0)
		return 0;
	if (dlen > 0 && domain[dlen - 1] == '.')
		dlen--;
	if (dlen >= sizeof(a->domain)) {
		a->toolong = 1;
		return 0;
	}
	memcpy(a->domain, domain, dlen);
	a->domain[dlen] = '\0';
	str_lower(a->domain);
	return 0;
}

uint32_t
broker_check_from(const struct dkim_msg *m, char *domain, size_t len)
{
	struct broker_check_addrs a;
	const struct dkim_field *f;
	const char *text;
	size_t i, colon, nfrom = 0;

	domain[0] = '\0';
	if (dkim_msg_done(m) != 1)
		return CHECK_FROM_BAD;
	memset(&a, 0, sizeof(a));
	for (i = 0; i < m->nfields; i++) {
		if (!dkim_msg_field_is(m, i, "from"))
			continue;
		if (nfrom++ > 0)
			return CHECK_FROM_MANY;
		f = &m->field[i];
		text = m->head + f->off;
		for (colon = f->namelen; text[colon] != ':'; colon++)
			;
		(void)mime_addr_each(text + colon + 1, f->len - colon - 1,
		    broker_check_addr, &a);
	}
	if (nfrom == 0)
		return CHECK_FROM_NONE;
	if (a.n != 1)
		return CHECK_FROM_MANY;
	if (a.toolong || !dkim_name_ok(a.domain) ||
	    str_copy(domain, a.domain, len) == -1) {
		domain[0] = '\0';
		return CHECK_FROM_BAD;
	}
	return CHECK_FROM_ONE;
}

/*
 * broker_check_ask: the request and the answer; -1 with the reason in
 * why when there is none.  One request at a time on the connection, and
 * the caller closes it on -1: an answer that comes after the wait can
 * only be to a request whose broker is gone.  The id is checked all the
 * same, so that no answer is ever taken for another message's.
 */
static int
broker_check_ask(struct broker_check *c, struct check_msg *m,
    struct check_result *r, const char **why)
{
	static struct frame f;
	size_t i;

	m->id = ++c->id;
	m->until = mono_ms() + CHECK_WAIT_MS;
	*why = "the check service is not running";
	if (c->fd == -1)
		return -1;
	*why = "the check service could not be asked";
	if (checkproto_msg_encode(&f, m) == -1 || frame_write(c->fd, &f) == -1)
		return -1;
	for (i = 0; i < m->nsig; i++)
		if (checkproto_sig_encode(&f, &c->v.sig[i]) == -1 ||
		    frame_write(c->fd, &f) == -1)
			return -1;
	frame_init(&f, MSG_CHECK_RUN);
	if (frame_finish(&f) == -1 || frame_write(c->fd, &f) == -1)
		return -1;
	*why = "the check service did not answer in time";
	if (frame_read(c->fd, &f, m->until) == -1)
		return -1;
	*why = "the check service answered garbage";
	if (f.type != MSG_CHECK_RUN || checkproto_result_decode(&f, r) == -1)
		return -1;
	*why = "the check service answered about another message";
	if (r->id != m->id)
		return -1;
	return 0;
}

void
broker_check_run(struct broker_check *c, const char *address,
    const char *helo, const char *sender, struct check_result *r)
{
	static struct check_msg m;
	const char *why;

	dkim_verifier_end(&c->v);
	memset(&m, 0, sizeof(m));
	(void)str_copy(m.address, address, sizeof(m.address));
	(void)str_copy(m.helo, helo, sizeof(m.helo));
	(void)str_copy(m.sender, sender, sizeof(m.sender));
	m.from = broker_check_from(&c->v.msg, m.from_domain,
	    sizeof(m.from_domain));
	m.checks = c->checks;
	m.nsig = (c->checks & CHECK_DKIM) ? (uint32_t)c->v.nsig : 0;
	memset(r, 0, sizeof(*r));
	if (broker_check_ask(c, &m, r, &why) == 0)
		return;
	if (c->fd != -1) {
		log_warnx("message from %s not checked: %s", address, why);
		close(c->fd);
		c->fd = -1;
	}
	checkproto_unchecked(r, c->cfg->hostname, c->checks, why);
}
