/*
 * dns.c: the resolver (dns.h) on libunbound, blocking, in the calling
 * process.  Runs in the relay and check roles and in authctl.  Trusts the
 * trust anchor file (root's, read in dns_open before any chroot) and
 * nothing in an answer: rdata is copied, bounded, into the caller's
 * dns_rrset and read later by dnsrr.h.
 *
 * Everything libunbound would read from a file is given here instead: no
 * resolv.conf, no hosts file, the built-in root hints, the anchors line by
 * line.  dns_open finalizes the context, so that a bad anchor is an error
 * now and the modules are set up before the caller drops its privileges:
 * ub_ctx_zone_remove does that first, then undoes one default of
 * libunbound, which answers every name under "test." itself (RFC 6761
 * §6.2 allows it) and would keep the integration tests' zones from the
 * forwarders.  No public server delegates "test.", so on the internet the
 * answer stays "no such name".  ("local-zone: test. nodefault" through
 * ub_ctx_set_option is accepted and ignored by libunbound 1.17.)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unbound.h>

#include "common/config.h"
#include "common/dns.h"
#include "common/util.h"

#define DNS_ANCHOR_DEFAULT	"/usr/share/dns/root.key"
#define DNS_ANCHOR_LINE		8192
#define DNS_TIMEOUT_DEFAULT	10000

#define DNS_ANCHORS_MAX		16

struct dns {
	struct ub_ctx	*ctx;
	/* What dns_build needs to make the context again (dns_query). */
	char		 servers[DNS_SERVERS_MAX][DNS_SERVER_LEN];
	size_t		 nservers;
	unsigned	 timeout_ms;
	char		*anchors[DNS_ANCHORS_MAX];
	size_t		 nanchors;
};

static void dns_fail(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void dns_why(struct dns_rrset *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* dns_fail: the reason dns_open gives; a longer one is cut. */
static void
dns_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* dns_why: out->why; a longer reason is cut. */
static void
dns_why(struct dns_rrset *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
}

static int
dns_set(struct ub_ctx *ctx, const char *opt, const char *val, char *err,
    size_t errlen)
{
	int r;

	if ((r = ub_ctx_set_option(ctx, opt, val)) != 0) {
		dns_fail(err, errlen, "resolver option %s %s: %s", opt, val,
		    ub_strerror(r));
		return -1;
	}
	return 0;
}

/* dns_server_wait: how long one server is waited for (ms), a quarter
 * of a lookup's timeout_ms. */
static unsigned
dns_server_wait(unsigned timeout_ms)
{
	if (timeout_ms == 0)
		timeout_ms = DNS_TIMEOUT_DEFAULT;
	return timeout_ms / 4 < 50 ? 50 : timeout_ms / 4;
}

/*
 * dns_options: no file after dns_open, nothing on disk written, 127.0.0.x
 * forwarders allowed (tests, and a local unbound in production), caches
 * small (each relay and check process has its own), and the lookup
 * bounded in time.  libunbound has no per-lookup deadline in
 * blocking mode; it gives up on a server after infra-cache-max-rtt and
 * on a query after max-sent-count packets, so those two bound it.
 * A server whose timeouts reach infra-cache-max-rtt is taken for down:
 * it is forgotten after 30 s (infra-host-ttl; the default, 15 minutes,
 * let one name that never answers, sent by anyone, silence a forwarder
 * for that long).  Until then every lookup it would answer fails
 * unasked: infra-keep-probing, set too, acts in libunbound 1.17 only
 * once a server's timeout reaches 12 s (its PROBE_MAXRTO), far above the
 * bound here (measured: a forwarder that dropped one name failed every
 * lookup of the next 30 s), so dns_query makes the context anew after a
 * lookup a forwarder did not answer in time (dns_renew).  The blocking
 * ub_resolve has no deadline of its own; a caller that must end by a
 * time checks it between lookups (dns_deadline_query).
 */
static int
dns_options(struct ub_ctx *ctx, unsigned timeout_ms, char *err,
    size_t errlen)
{
	char rtt[16], sent[16];

	(void)snprintf(rtt, sizeof(rtt), "%u", dns_server_wait(timeout_ms));
	(void)snprintf(sent, sizeof(sent), "%u", 8);
	if (dns_set(ctx, "chroot:", "", err, errlen) == -1 ||
	    dns_set(ctx, "do-not-query-localhost:", "no", err, errlen) == -1 ||
	    dns_set(ctx, "use-syslog:", "no", err, errlen) == -1 ||
	    dns_set(ctx, "verbosity:", "0", err, errlen) == -1 ||
	    dns_set(ctx, "trust-anchor-signaling:", "no", err, errlen) == -1 ||
	    dns_set(ctx, "root-key-sentinel:", "no", err, errlen) == -1 ||
	    dns_set(ctx, "infra-cache-max-rtt:", rtt, err, errlen) == -1 ||
	    dns_set(ctx, "max-sent-count:", sent, err, errlen) == -1 ||
	    dns_set(ctx, "infra-keep-probing:", "yes", err, errlen) == -1 ||
	    dns_set(ctx, "infra-host-ttl:", "30", err, errlen) == -1 ||
	    dns_set(ctx, "outgoing-range:", "64", err, errlen) == -1 ||
	    dns_set(ctx, "msg-cache-size:", "1m", err, errlen) == -1 ||
	    dns_set(ctx, "rrset-cache-size:", "2m", err, errlen) == -1 ||
	    dns_set(ctx, "key-cache-size:", "1m", err, errlen) == -1 ||
	    dns_set(ctx, "neg-cache-size:", "512k", err, errlen) == -1)
		return -1;
	return 0;
}

/* dns_anchor_line: a line worth giving to libunbound, without its line
 * end and leading blanks; NULL for blanks and comments (';' or '#'). */
static char *
dns_anchor_line(char *line)
{
	size_t n;

	line[strcspn(line, "\r\n")] = '\0';
	line += strspn(line, " \t");
	if (*line == '\0' || *line == ';' || *line == '#')
		return NULL;
	n = strlen(line);
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
	return line;
}

/* dns_anchors: the anchor lines of path into d->anchors (libunbound
 * checks them in dns_build). */
static int
dns_anchors(struct dns *d, const char *path, char *err, size_t errlen)
{
	char buf[DNS_ANCHOR_LINE], *line;
	size_t lineno = 0;
	FILE *f;
	int rc = -1;

	if ((f = fopen(path, "re")) == NULL) {
		dns_fail(err, errlen, "DNS trust anchor %s: %s", path,
		    strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), f) != NULL) {
		lineno++;
		if (strchr(buf, '\n') == NULL && !feof(f)) {
			dns_fail(err, errlen, "DNS trust anchor %s:%zu: line "
			    "longer than %d bytes", path, lineno,
			    DNS_ANCHOR_LINE - 2);
			goto out;
		}
		if ((line = dns_anchor_line(buf)) == NULL)
			continue;
		if (d->nanchors == DNS_ANCHORS_MAX) {
			dns_fail(err, errlen, "DNS trust anchor %s:%zu: more "
			    "than %d records", path, lineno, DNS_ANCHORS_MAX);
			goto out;
		}
		if ((d->anchors[d->nanchors] = strdup(line)) == NULL) {
			dns_fail(err, errlen, "resolver: out of memory");
			goto out;
		}
		d->nanchors++;
	}
	if (ferror(f)) {
		dns_fail(err, errlen, "DNS trust anchor %s: read error", path);
		goto out;
	}
	if (d->nanchors == 0) {
		dns_fail(err, errlen, "DNS trust anchor %s: no DS or DNSKEY "
		    "record in it", path);
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

/*
 * dns_build: a finalized context from d's settings, or NULL with the
 * reason in err.  ub_ctx_zone_remove finalizes it (file header).
 */
static struct ub_ctx *
dns_build(const struct dns *d, const char *anchor, char *err,
    size_t errlen)
{
	struct ub_ctx *ctx;
	size_t i;
	int r;

	if ((ctx = ub_ctx_create()) == NULL) {
		dns_fail(err, errlen, "resolver: cannot create a libunbound "
		    "context");
		return NULL;
	}
	if (dns_options(ctx, d->timeout_ms, err, errlen) == -1)
		goto fail;
	for (i = 0; i < d->nservers; i++)
		if ((r = ub_ctx_set_fwd(ctx, d->servers[i])) != 0) {
			dns_fail(err, errlen, "DNS server %s: %s",
			    d->servers[i], ub_strerror(r));
			goto fail;
		}
	for (i = 0; i < d->nanchors; i++)
		if ((r = ub_ctx_add_ta(ctx, d->anchors[i])) != 0) {
			dns_fail(err, errlen, "DNS trust anchor %s: %s", anchor,
			    ub_strerror(r));
			goto fail;
		}
	if ((r = ub_ctx_zone_remove(ctx, "test.")) != 0) {
		dns_fail(err, errlen, "resolver setup (trust anchor %s): %s",
		    anchor, ub_strerror(r));
		goto fail;
	}
	return ctx;
fail:
	ub_ctx_delete(ctx);
	return NULL;
}

struct dns *
dns_open(const struct dns_config *c, char *err, size_t errlen)
{
	const char *anchor = c->anchor_file != NULL ? c->anchor_file :
	    DNS_ANCHOR_DEFAULT;
	struct dns *d;
	size_t i;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		dns_fail(err, errlen, "resolver: out of memory");
		return NULL;
	}
	if (c->nservers > (size_t)DNS_SERVERS_MAX) {
		dns_fail(err, errlen, "too many DNS servers (at most %zu)",
		    (size_t)DNS_SERVERS_MAX);
		goto fail;
	}
	for (i = 0; i < c->nservers; i++) {
		if (strlen(c->servers[i]) >= sizeof(d->servers[i])) {
			dns_fail(err, errlen, "DNS server %s: too long",
			    c->servers[i]);
			goto fail;
		}
		(void)snprintf(d->servers[i], sizeof(d->servers[i]), "%s",
		    c->servers[i]);
	}
	d->nservers = c->nservers;
	d->timeout_ms = c->timeout_ms;
	if (dns_anchors(d, anchor, err, errlen) == -1 ||
	    (d->ctx = dns_build(d, anchor, err, errlen)) == NULL)
		goto fail;
	return d;
fail:
	dns_close(d);
	return NULL;
}

void
dns_close(struct dns *d)
{
	size_t i;

	if (d == NULL)
		return;
	if (d->ctx != NULL)
		ub_ctx_delete(d->ctx);
	for (i = 0; i < d->nanchors; i++)
		free(d->anchors[i]);
	free(d);
}

/* dns_copy: the records into out, bounded by DNS_RR_MAX and the buffer;
 * what does not fit is dropped and out->truncated set. */
static void
dns_copy(const struct ub_result *res, struct dns_rrset *out)
{
	size_t used = 0, l;
	int i;

	for (i = 0; res->data != NULL && res->data[i] != NULL; i++) {
		if (res->len[i] < 0 || res->len[i] > UINT16_MAX) {
			out->truncated = 1;
			continue;
		}
		l = (size_t)res->len[i];
		if (out->n == DNS_RR_MAX || l > sizeof(out->buf) - used) {
			out->truncated = 1;
			break;
		}
		memcpy(out->buf + used, res->data[i], l);
		out->rdata[out->n] = out->buf + used;
		out->len[out->n] = (uint16_t)l;
		out->n++;
		used += l;
	}
}

static enum dns_rc
dns_result(const struct ub_result *res, struct dns_rrset *out)
{
	if (res->bogus) {
		dns_why(out, "%s", res->why_bogus != NULL ? res->why_bogus :
		    "");
		return DNS_BOGUS;
	}
	out->secure = res->secure != 0;
	if (res->nxdomain)
		return DNS_NXDOMAIN;
	if (res->rcode == 2) {
		/* libunbound's own answer too when no server answered. */
		dns_why(out, "no DNS server gave a usable answer (SERVFAIL "
		    "or no answer in time)");
		return DNS_TEMP;
	}
	if (res->rcode != 0) {
		dns_why(out, "the DNS server answered with error code %d",
		    res->rcode);
		return DNS_TEMP;
	}
	if (!res->havedata)
		return DNS_NODATA;
	dns_copy(res, out);
	if (out->n == 0) {
		dns_why(out, "every record of the answer is larger than %d "
		    "bytes", DNS_RRSET_BUF);
		return DNS_TEMP;
	}
	return DNS_OK;
}

/*
 * dns_renew: a fresh context after a lookup that a forwarder did not
 * answer in time.  libunbound then takes that forwarder for down and
 * fails every lookup unasked for infra-host-ttl (dns_options), so one
 * name that never answers, sent by anyone, would stop every check and
 * delivery of the process.  The cache goes with the old context; a new
 * one that cannot be made leaves the old in place.
 */
static void
dns_renew(struct dns *d)
{
	struct ub_ctx *ctx;
	char err[256];

	if ((ctx = dns_build(d, "(in memory)", err, sizeof(err))) == NULL)
		return;
	ub_ctx_delete(d->ctx);
	d->ctx = ctx;
}

enum dns_rc
dns_query(void *arg, const char *name, uint16_t type, struct dns_rrset *out)
{
	struct dns *d = arg;
	struct ub_result *res = NULL;
	size_t len = strlen(name);
	int64_t start;
	int r;

	out->rc = DNS_TEMP;
	out->secure = 0;
	out->truncated = 0;
	out->type = type;
	out->n = 0;
	out->why[0] = '\0';
	/* A name longer than DNS allows cannot exist. */
	if (len == 0 || len > DNS_NAME_MAX + (name[len - 1] == '.')) {
		dns_why(out, "not a domain name");
		return out->rc = DNS_NXDOMAIN;
	}
	start = mono_ms();
	r = ub_resolve(d->ctx, name, type, 1, &res);
	if (r == UB_SYNTAX) {
		dns_why(out, "not a domain name");
		out->rc = DNS_NXDOMAIN;
	} else if (r != 0 || res == NULL) {
		dns_why(out, "%s", ub_strerror(r));
		out->rc = DNS_TEMP;
	} else
		out->rc = dns_result(res, out);
	if (res != NULL)
		ub_resolve_free(res);
	if (out->rc == DNS_TEMP && d->nservers > 0 &&
	    mono_ms() - start >= dns_server_wait(d->timeout_ms))
		dns_renew(d);
	return out->rc;
}

/* The lookups' calls, and dns_renew's: ub_ctx_create makes its two
 * pipes with socketpair and asks getpid.  socket is the caller's
 * (dns.h). */
const int dns_syscalls[] = {
	SYS_bind, SYS_close, SYS_connect, SYS_epoll_create1, SYS_epoll_ctl,
	SYS_epoll_wait, SYS_fcntl, SYS_getegid, SYS_geteuid, SYS_getgid,
	SYS_getpid, SYS_getrandom, SYS_getsockopt, SYS_getuid, SYS_pipe2,
	SYS_recvfrom, SYS_sendmsg, SYS_sendto, SYS_setsockopt, SYS_socketpair,
	SYS_writev
};
const size_t dns_nsyscalls = sizeof(dns_syscalls) / sizeof(dns_syscalls[0]);

const char *
dns_rc_name(enum dns_rc rc)
{
	switch (rc) {
	case DNS_OK:
		return "ok";
	case DNS_NODATA:
		return "nodata";
	case DNS_NXDOMAIN:
		return "nxdomain";
	case DNS_TEMP:
		return "temporary failure";
	case DNS_BOGUS:
		return "DNSSEC validation failed";
	}
	return "unknown";
}

_Static_assert(CONFIG_MAX_DNS_SERVERS <= sizeof(((struct dns_config *)0)->
    servers) / sizeof(char *), "a dns_config holds every dns server");

struct dns *
dns_open_config(const struct config *cfg, unsigned timeout_ms, char *err,
    size_t errlen)
{
	/* "ADDRESS@PORT": the address, "@" and five digits. */
	char servers[CONFIG_MAX_DNS_SERVERS]
	    [sizeof(cfg->dns_servers[0].address) + 8];
	struct dns_config dc;
	int i;

	memset(&dc, 0, sizeof(dc));
	for (i = 0; i < cfg->ndns_servers && i < CONFIG_MAX_DNS_SERVERS;
	    i++) {
		(void)snprintf(servers[i], sizeof(servers[i]), "%s@%u",
		    cfg->dns_servers[i].address,
		    (unsigned)cfg->dns_servers[i].port);
		dc.servers[dc.nservers++] = servers[i];
	}
	dc.anchor_file = cfg->dns_trust_anchor[0] != '\0' ?
	    cfg->dns_trust_anchor : NULL;
	dc.timeout_ms = timeout_ms;
	return dns_open(&dc, err, errlen);
}
