/*
 * relay_deliver.c: one job of the relay (relay.h's relay_deliver): where
 * the mail goes (the domain's MX hosts, or its smarthost), the TLS policy
 * of each host (DANE when its TLSA records validate, else MTA-STS when
 * the domain has a policy in mode enforce, else the domain's "relay tls"
 * policy, REQUIRETLS, or opportunistic), the SMTP sessions in
 * host order (IPv6 then IPv4 addresses of each) until a host answers the
 * transaction, each host's sessions within one deadline, and what each
 * recipient gets.  Runs in the relay role;
 * DNS answers and remote replies are hostile and reach here only
 * through relay_mx.c and the client engine.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/util.h"
#include "smtpd/client.h"
#include "smtpd/relay.h"
#include "smtpd/relay_dkim.h"
#include "smtpd/relay_mx.h"
#include "smtpd/relay_net.h"
#include "smtpd/relay_session.h"
#include "smtpd/relay_sts.h"
#include "smtpd/relay_tls.h"

/* What a host's session must achieve with TLS, and why. */
struct relay_policy {
	const char		*name;		/* relayproto's policy words */
	enum client_tls		 starttls;
	struct relay_tls_req	 req;
	const char		*names[2];
	struct dnsrr_tlsa	 tlsa[DNS_RR_MAX];
	int			 refuse;	/* the host cannot be used */
	enum relay_sts_host	 sts;		/* MTA-STS's verdict */
	char			 why[160];
};

/* One job's state while its hosts are tried. */
struct relay_try {
	const struct relay_job	*job;
	const struct relay_rcpt	*rcpt;
	struct relay_rcpt_result *res;
	struct relay_done	*done;
	int			 msgfd;
	const char		*prefix;	/* relay_prefix's fields */
	size_t			 prefixlen;
	int			 final;		/* a host answered it all */
	int			 answered;	/* some host greeted us */
	int			 file_error;
	int			 implicit_tls;	/* the smarthost's 465 */
	int			 sts_known;	/* sts was looked up */
	const struct mtasts_policy *sts;	/* the domain's, or NULL */
	int64_t			 allowed_ms;	/* relay_allowed_ms */
	int64_t			 until;		/* the host's end (mono_ms) */
};

static struct dns_rrset tlsa_rr;

/* relay_set_all: every recipient gets the same result. */
static void
relay_set_all(struct relay_try *t, uint32_t status, const char *dsn,
    const char *text)
{
	uint32_t i;

	for (i = 0; i < t->job->nrcpt; i++) {
		t->res[i].status = status;
		t->res[i].code = 0;
		(void)str_copy(t->res[i].dsn, dsn, sizeof(t->res[i].dsn));
		(void)str_copy(t->res[i].text, text, sizeof(t->res[i].text));
	}
}

/* relay_merge: a session's results over what earlier hosts gave (all of
 * them when no host had answered before: overwrite): a temporary
 * failure wins over a permanent one (a later host, or a later attempt,
 * may take the message), and a remote answer over our own reason of the
 * same kind. */
static void
relay_merge(struct relay_try *t, const struct client *c, int overwrite)
{
	const struct relay_rcpt_result *n;
	struct relay_rcpt_result *o;
	uint32_t i;

	for (i = 0; i < t->job->nrcpt; i++) {
		n = client_result(c, i);
		o = &t->res[i];
		if (overwrite || client_outcome(c) == CLIENT_DONE) {
			*o = *n;
			continue;
		}
		if (o->status == RELAY_TEMP && n->status == RELAY_PERM)
			continue;
		if (o->status == n->status && o->code != 0 && n->code == 0)
			continue;
		*o = *n;
	}
}

/* relay_tls_mode: the "relay tls" policy of domain. */
static enum config_relay_tls_mode
relay_tls_mode(const struct config *cfg, const char *domain)
{
	int i;

	for (i = 0; i < cfg->nrelay_tls; i++)
		if (strcmp(cfg->relay_tls[i].domain, domain) == 0)
			return cfg->relay_tls[i].mode;
	return cfg->relay_tls_verify ? RELAY_TLS_VERIFY :
	    RELAY_TLS_OPPORTUNISTIC;
}

/* relay_dane: the usable TLSA records of a DNSSEC-secure host (RFC 7672
 * §2.2): 1 with p->tlsa filled, 0 when it has none (or is insecure), -1
 * when the lookup failed (the host must not be used then). */
static int
relay_dane(struct relay_ctx *x, const struct relay_host *h,
    struct relay_policy *p)
{
	char name[DNS_NAME_MAX + 16];
	enum dns_rc rc;
	size_t i;

	if (!h->secure)
		return 0;
	if (snprintf(name, sizeof(name), "_%d._tcp.%s", x->port, h->name) >=
	    (int)sizeof(name))
		return 0;
	rc = x->lookup(x->lookup_arg, name, DNS_T_TLSA, &tlsa_rr);
	if (rc == DNS_TEMP || rc == DNS_BOGUS)
		return -1;
	if (rc != DNS_OK || !tlsa_rr.secure)
		return 0;
	p->req.ntlsa = 0;
	for (i = 0; i < tlsa_rr.n; i++) {
		struct dnsrr_tlsa *r = &p->tlsa[p->req.ntlsa];

		if (dnsrr_tlsa(tlsa_rr.rdata[i], tlsa_rr.len[i], r) == -1)
			continue;
		/* DANE-TA(2) and DANE-EE(3) only: RFC 7672 §3.1.3. */
		if (r->usage == 2 || r->usage == 3)
			p->req.ntlsa++;
	}
	p->req.tlsa = p->tlsa;
	return p->req.ntlsa > 0 ? 1 : 0;
}

static void
relay_policy_refuse(struct relay_policy *p, const char *why,
    const char *host)
{
	p->refuse = 1;
	(void)snprintf(p->why, sizeof(p->why), "%s for %.100s", why, host);
}

/* relay_sts: the destination's MTA-STS policy, looked up once per job
 * and only for a host without DANE (RFC 8461 §2: DANE comes first). */
static enum relay_sts_host
relay_sts(struct relay_ctx *x, struct relay_try *t, const char *host)
{
	if (!t->sts_known) {
		t->sts = relay_sts_policy(x, t->job->id, t->job->domain,
		    now_us() / 1000000);
		t->sts_known = 1;
	}
	return relay_sts_host(t->sts, host);
}

/* relay_policy: what TLS the session with host h needs. */
static void
relay_policy(struct relay_ctx *x, struct relay_try *t,
    const struct relay_host *h, int smarthost, struct relay_policy *p)
{
	const struct relay_job *job = t->job;
	enum config_relay_tls_mode mode = relay_tls_mode(x->cfg, job->domain);
	int dane;

	memset(p, 0, sizeof(*p));
	p->names[0] = h->name;
	p->req.sni = h->name;
	p->req.names = p->names;
	p->req.nnames = 1;
	p->req.anchors = x->anchors;
	if (smarthost) {
		p->name = "smarthost";
		p->starttls = CLIENT_TLS_MUST;
		p->req.mode = RELAY_VERIFY_CA;
	} else if ((dane = relay_dane(x, h, p)) != 0 &&
	    mode != RELAY_TLS_NONE) {
		if (dane == -1) {
			relay_policy_refuse(p, "TLSA lookup failed", h->name);
			return;
		}
		p->name = "dane";
		p->starttls = CLIENT_TLS_MUST;
		p->req.mode = RELAY_VERIFY_DANE;
	} else if (mode == RELAY_TLS_DANE) {
		relay_policy_refuse(p, "no DNSSEC-validated TLSA record "
		    "(relay tls dane)", h->name);
		return;
	} else if (mode != RELAY_TLS_NONE &&
	    (p->sts = relay_sts(x, t, h->name)) == RELAY_STS_SKIP) {
		relay_policy_refuse(p, "not an MX host the MTA-STS policy "
		    "allows", h->name);
		return;
	} else if (p->sts == RELAY_STS_ENFORCE) {
		/* RFC 8461 §4.2: a certificate valid for the MX host name,
		 * from a trusted CA; §5: never plaintext. */
		p->name = "mta-sts";
		p->starttls = CLIENT_TLS_MUST;
		p->req.mode = RELAY_VERIFY_CA;
	} else if (mode == RELAY_TLS_VERIFY ||
	    (job->flags & QUEUE_F_REQUIRETLS)) {
		p->name = mode == RELAY_TLS_VERIFY ? "tls-required" :
		    "requiretls";
		p->starttls = CLIENT_TLS_MUST;
		p->req.mode = RELAY_VERIFY_CA;
	} else if (mode == RELAY_TLS_NONE) {
		p->name = "no-tls";
		p->starttls = CLIENT_TLS_NO;
		return;
	} else {
		p->name = p->sts == RELAY_STS_NONE ? "opportunistic" :
		    "mta-sts-testing";
		p->starttls = CLIENT_TLS_TRY;
		p->req.mode = RELAY_VERIFY_NONE;
		return;
	}
	if (p->req.mode == RELAY_VERIFY_CA && x->anchors == NULL)
		relay_policy_refuse(p, "TLS must be verified and no CA bundle "
		    "was loaded", h->name);
}

/* relay_cred: the smarthost of the job's domain, or NULL. */
static const struct config_relay_via *
relay_via(const struct config *cfg, const char *domain, int *idx)
{
	int i, all = -1;

	for (i = 0; i < cfg->nrelay_via; i++) {
		if (strcmp(cfg->relay_via[i].domain, domain) == 0) {
			*idx = i;
			return &cfg->relay_via[i];
		}
		if (cfg->relay_via[i].domain[0] == '\0')
			all = i;
	}
	if (all == -1)
		return NULL;
	*idx = all;
	return &cfg->relay_via[all];
}

/* relay_session_log: one line per session that got an answer: which host,
 * which address, TLS and the policy (the delivery's Received line, in
 * the log). */
static void
relay_session_log(const struct relay_try *t, const struct relay_host *h,
    const struct relay_addr *a, const struct relay_session *s,
    const struct relay_policy *p, const struct client *c)
{
	uint32_t i, sent = 0, temp = 0, perm = 0;

	for (i = 0; i < t->job->nrcpt; i++) {
		const struct relay_rcpt_result *r = client_result(c, i);

		sent += r->status == RELAY_SENT;
		temp += r->status == RELAY_TEMP;
		perm += r->status == RELAY_PERM;
	}
	log_info("%s to %s: host %s [%s], TLS %s, policy %s: %u sent, "
	    "%u deferred, %u failed%s", t->job->id, t->job->domain, h->name,
	    a->text, s->tls_desc, p->name, sent, temp, perm,
	    client_outcome(c) == CLIENT_NEXT ? " (trying the next host)" :
	    "");
}

/* relay_sts_testing: in MTA-STS mode testing, what enforce would have
 * refused in the session s with h (RFC 8461 §5.2: deliver, report). */
static void
relay_sts_testing(const struct relay_try *t, const struct relay_host *h,
    const struct relay_session *s, const struct relay_policy *p)
{
	if (p->sts == RELAY_STS_TESTING_MISS)
		log_warnx("%s to %s: MTA-STS (testing): %s is not an MX host "
		    "the policy allows; mode enforce would not use it",
		    t->job->id, t->job->domain, h->name);
	if (!s->tls_verified)
		log_warnx("%s to %s: MTA-STS (testing): TLS with %s was %s; "
		    "mode enforce would defer the mail", t->job->id,
		    t->job->domain, h->name, s->tls_desc);
}

/* What the session hooks of relay_address need. */
struct relay_hook {
	struct relay_ctx	*x;
	struct relay_try	*t;
	const struct relay_host	*h;
	const struct relay_addr	*a;
	const struct relay_policy *p;
};

/* relay_data_sent: the end of data is out: from here the remote may
 * have the message whatever becomes of this process. */
static void
relay_data_sent(void *arg, const struct relay_session *s)
{
	const struct relay_hook *k = arg;

	(void)s;
	relay_hold();
	log_info("%s to %s: the message is with %s [%s], waiting for its "
	    "answer", k->t->job->id, k->t->job->domain, k->h->name,
	    k->a->text);
}

/* relay_answered: the host answered the transaction: its results are
 * final, and go to the queue before QUIT. */
static void
relay_answered(void *arg, const struct relay_session *s)
{
	const struct relay_hook *k = arg;
	struct relay_try *t = k->t;

	relay_merge(t, s->client, 1);
	t->answered = 1;
	t->final = 1;
	(void)str_copy(t->done->host, k->h->name, sizeof(t->done->host));
	(void)str_copy(t->done->addr, k->a->text, sizeof(t->done->addr));
	(void)str_copy(t->done->tls, s->tls_desc, sizeof(t->done->tls));
	(void)str_copy(t->done->policy, k->p->name, sizeof(t->done->policy));
	relay_answer(k->x, t->job, t->rcpt, t->res, t->done);
}

/* relay_address: one session with one address of h, ended by t->until
 * at the latest; 1 when the job is done with this host (answered, no
 * other address worth a try, or its time is up). */
static int
relay_address(struct relay_ctx *x, struct relay_try *t,
    const struct relay_host *h, const struct relay_addr *a,
    struct relay_policy *p, const struct relay_cred *cred, int port)
{
	struct client_params cp;
	struct relay_job wire;
	struct relay_session s;
	struct relay_hook hook = { x, t, h, a, p };
	struct relay_net net;
	struct client *c;
	char err[160], text[QUEUE_TEXT_MAX];
	enum client_tls starttls = p->starttls;
	int64_t left;
	int again, first;

	do {
		again = 0;
		if ((left = t->until - mono_ms()) <= 0)
			return 1;
		if (relay_net_connect(&net, a, port, left < x->connect_ms ?
		    left : x->connect_ms, err, sizeof(err)) == -1) {
			(void)snprintf(text, sizeof(text), "cannot connect to "
			    "%s [%s]: %s", h->name, a->text, err);
			log_info("%s to %s: %s", t->job->id, t->job->domain,
			    text);
			if (!t->answered)
				relay_set_all(t, RELAY_TEMP, "4.4.1", text);
			return 0;
		}
		/* SIZE= counts the fields added before the message. */
		wire = *t->job;
		wire.size += t->prefixlen;
		memset(&cp, 0, sizeof(cp));
		cp.helo = x->cfg->hostname;
		cp.job = &wire;
		cp.rcpt = t->rcpt;
		cp.tls = starttls;
		if (cred != NULL) {
			cp.auth_user = cred->user;
			cp.auth_pass = cred->pass;
			cp.implicit_tls = t->implicit_tls;
		}
		if ((c = client_new(&cp)) == NULL)
			fatal("cannot allocate an SMTP session");
		memset(&s, 0, sizeof(s));
		s.net = &net;
		s.client = c;
		s.tls = &p->req;
		s.msgfd = t->msgfd;
		s.size = t->job->size;
		s.prefix = t->prefix;
		s.prefixlen = t->prefixlen;
		s.deadline = t->until;
		s.allowed_s = t->allowed_ms / 1000;
		s.data_sent = relay_data_sent;
		s.answered = relay_answered;
		s.hook_arg = &hook;
		relay_session_run(&s);
		relay_net_close(&net);
		if (s.late)
			log_warnx("%s to %s: the session with %s [%s] took "
			    "longer than the %lld s allowed and was ended",
			    t->job->id, t->job->domain, h->name, a->text,
			    (long long)s.allowed_s);
		first = !t->answered;
		if (client_greeted(c)) {
			t->answered = 1;
			(void)str_copy(t->done->host, h->name,
			    sizeof(t->done->host));
			(void)str_copy(t->done->addr, a->text,
			    sizeof(t->done->addr));
			(void)str_copy(t->done->tls, s.tls_desc,
			    sizeof(t->done->tls));
			(void)str_copy(t->done->policy, p->name,
			    sizeof(t->done->policy));
			relay_session_log(t, h, a, &s, p, c);
			if (p->sts == RELAY_STS_TESTING ||
			    p->sts == RELAY_STS_TESTING_MISS)
				relay_sts_testing(t, h, &s, p);
		}
		relay_merge(t, c, first);
		t->file_error = s.file_error;
		t->final = client_outcome(c) == CLIENT_DONE;
		/* RFC 7435: opportunistic TLS that fails falls back to
		 * plaintext, on a new connection. */
		if (!t->final && !t->file_error && client_tls_failed(c) &&
		    starttls == CLIENT_TLS_TRY) {
			starttls = CLIENT_TLS_NO;
			again = 1;
		}
		if (!client_greeted(c) && !again) {
			client_free(c);
			return 0;
		}
		client_free(c);
	} while (again);
	return 1;
}

/* relay_allowed_ms: how long the sessions with one host may last
 * (relayproto.h): the message and the fields added before it. */
static int64_t
relay_allowed_ms(const struct relay_ctx *x, const struct relay_try *t)
{
	uint64_t bytes = t->job->size + t->prefixlen;

	if (bytes < t->job->size)
		bytes = UINT64_MAX;
	return relay_host_ms(x->session_ms, bytes);
}

/* relay_hosts: try the hosts of d in order, each within t->allowed_ms
 * (all its addresses together), none after job_end, twice that from the
 * job's start: a slow first host leaves time for the next, but a domain
 * of many slow hosts (or slow lookups) cannot hold the process for each
 * of them. */
static void
relay_hosts(struct relay_ctx *x, struct relay_try *t,
    const struct relay_dest *d, const struct relay_cred *cred, int port,
    int64_t job_end)
{
	struct relay_policy p;
	size_t i, k;

	for (i = 0; i < d->nhost && !t->final && !t->file_error; i++) {
		const struct relay_host *h = &d->host[i];

		if (strcasecmp(h->name, x->cfg->hostname) == 0) {
			log_warnx("%s to %s: the MX host %s is this server; "
			    "skipped (a mail loop)", t->job->id,
			    t->job->domain, h->name);
			if (!t->answered)
				relay_set_all(t, RELAY_TEMP, "4.4.6",
				    "mail loop: the MX host is this server");
			continue;
		}
		relay_policy(x, t, h, cred != NULL, &p);
		if (p.refuse) {
			log_warnx("%s to %s: %s", t->job->id, t->job->domain,
			    p.why);
			if (!t->answered)
				relay_set_all(t, RELAY_TEMP, "4.7.5", p.why);
			continue;
		}
		t->until = mono_ms() + t->allowed_ms;
		if (t->until > job_end)
			t->until = job_end;
		if (t->until <= mono_ms()) {
			log_warnx("%s to %s: the time allowed for the job is "
			    "up; %s and the hosts after it not tried",
			    t->job->id, t->job->domain, h->name);
			if (!t->answered)
				relay_set_all(t, RELAY_TEMP, "4.4.2", "the "
				    "time allowed for the delivery was up");
			break;
		}
		for (k = 0; k < h->naddr; k++)
			if (relay_address(x, t, h, &h->addr[k], &p, cred,
			    port) || t->final || t->file_error)
				break;
	}
}

/* relay_destination: the hosts of the job's domain, or of its
 * smarthost; 0, or -1 when every recipient already has its result. */
static int
relay_destination(struct relay_ctx *x, struct relay_try *t,
    struct relay_dest *d, const struct relay_cred **cred, int *port)
{
	const struct config_relay_via *via;
	size_t refused = 0;
	int idx = 0;

	*cred = NULL;
	*port = x->port;
	if ((via = relay_via(x->cfg, t->job->domain, &idx)) != NULL) {
		*cred = &x->cred[idx];
		*port = via->port;
		/* RFC 8314 §3.3: submissions, TLS from the first byte. */
		t->implicit_tls = via->tls == CONFIG_VIA_TLS_IMPLICIT ||
		    (via->tls == CONFIG_VIA_TLS_DEFAULT &&
		    via->port == RELAY_SUBMISSIONS_PORT);
		if (!(*cred)->ok) {
			relay_set_all(t, RELAY_TEMP, "4.7.8", "the smarthost's "
			    "credentials could not be read");
			return -1;
		}
		relay_mx_direct(x->lookup, x->lookup_arg, via->host, d,
		    &refused);
	} else
		relay_mx_resolve(x->lookup, x->lookup_arg, t->job->domain, d,
		    &refused);
	if (refused > 0)
		log_warnx("%s to %s: %zu address%s of 0.0.0.0/8 or :: in "
		    "DNS refused", t->job->id, t->job->domain, refused,
		    refused == 1 ? "" : "es");
	switch (d->rc) {
	case RELAY_DEST_OK:
		return 0;
	case RELAY_DEST_NULLMX:
		relay_set_all(t, RELAY_PERM, "5.1.10", d->why);
		break;
	case RELAY_DEST_NXDOMAIN:
		relay_set_all(t, RELAY_PERM, "5.1.2", d->why);
		break;
	case RELAY_DEST_NOHOST:
		relay_set_all(t, via != NULL ? RELAY_TEMP : RELAY_PERM,
		    via != NULL ? "4.4.4" : "5.4.4", d->why);
		break;
	case RELAY_DEST_TEMP:
		relay_set_all(t, RELAY_TEMP, "4.4.3", d->why);
		t->done->dest_down = 1;
		break;
	}
	log_info("%s to %s: %s", t->job->id, t->job->domain, d->why);
	return -1;
}

void
relay_deliver(struct relay_ctx *x, const struct relay_job *job,
    const struct relay_rcpt *rcpt, int msgfd, struct relay_rcpt_result *res,
    struct relay_done *done)
{
	static struct relay_dest d;
	static char prefix[RELAY_PREFIX_MAX];
	const struct relay_cred *cred;
	struct relay_try t;
	int64_t start = mono_ms();
	int port;

	memset(&t, 0, sizeof(t));
	memset(done, 0, sizeof(*done));
	(void)str_copy(done->tls, "none", sizeof(done->tls));
	t.job = job;
	t.rcpt = rcpt;
	t.res = res;
	t.done = done;
	t.msgfd = msgfd;
	relay_set_all(&t, RELAY_TEMP, "4.4.1", "no host of the destination "
	    "could be reached");
	if (relay_destination(x, &t, &d, &cred, &port) == -1)
		return;
	/* Once per job, for every host it may take. */
	t.prefix = prefix;
	t.prefixlen = relay_prefix(x, job, msgfd, prefix);
	t.allowed_ms = relay_allowed_ms(x, &t);
	relay_hosts(x, &t, &d, cred, port, start + 2 * t.allowed_ms);
	if (t.file_error)
		relay_set_all(&t, RELAY_TEMP, "4.3.0",
		    "the message file could not be read");
	if (!t.answered)
		done->dest_down = 1;
}
