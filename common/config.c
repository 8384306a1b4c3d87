/*
 * config.c: the postern.conf(5) parser (see config.h for the grammar):
 * the keyword table, one handler per kind of statement, the defaults, the
 * checks that tie several values together, and reading the file.  Lines,
 * words and values are read by the lexical layer in config_lex.c.
 *
 * Runs in every parent process and in authctl, before any privilege drop.
 * The file is trusted as far as its owner, yet every byte is checked: lines
 * are bounded, control bytes are refused, numbers are range- and
 * overflow-checked, and every error of the file is reported with file:line.
 * A statement is found by longest match of its leading words in a sorted
 * keyword table; the table entry says how to read and where to store the
 * arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/config_lex.h"
#include "common/log.h"
#include "common/util.h"

#define CF_PATH_WORDS	4		/* longest keyword path, in words */
#define CF_FILE_MAX	(1024 * 1024)

#define FIELD(m)	offsetof(struct config, m), sizeof(((struct config *)0)->m)

struct cf_ctx;
struct cf_keyword;

typedef int (*cf_handler)(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);

struct cf_keyword {
	const char	*path;
	cf_handler	 fn;
	size_t		 off;
	size_t		 size;
	int64_t		 min, max;
	int		 nargs;		/* -1: the handler checks */
	int		 repeat;	/* may be given more than once */
	const char	*usage;
};

static int cf_account(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_ban(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_bool(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_dns_server(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_domain(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_duration(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_duration_ms(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_hostname(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_int(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_issuer(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_listen(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_lockout_account(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_lockout_pair(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_login_limit(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_login_startups(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_path(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_quota(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_quarantine(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_duration_off(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_relay_via(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_expect_words(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int, const char *const *);
static int cf_relay_tls(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_send_limit(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_services(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_session_limit(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_size(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);
static int cf_user(struct cf_ctx *, const struct cf_keyword *,
    const struct cf_word *, int);

/* Sorted by path (strcmp); cf_table_check verifies it. */
static const struct cf_keyword cf_keywords[] = {
	{ "apppass unused", cf_duration, FIELD(apppass_unused),
	    DAY, 3650LL * DAY, 1, 0, "DURATION" },
	{ "audit retention", cf_duration, FIELD(audit_retention),
	    DAY, 3650LL * DAY, 1, 0, "DURATION" },
	{ "auth failure delay", cf_duration_ms, FIELD(auth_failure_delay),
	    0, MINUTE, 1, 0, "DURATION" },
	{ "auth scrypt cost", cf_int, FIELD(auth_scrypt_cost),
	    10, 20, 1, 0, "N" },
	{ "auth socket", cf_path, FIELD(auth_socket), 0, 0, 1, 0, "FILE" },
	{ "auth workers", cf_int, FIELD(auth_workers), 0, 256, 1, 0, "N" },
	{ "ban after", cf_ban, 0, 0, 0, 0, 7, 0,
	    "N within DURATION for DURATION max DURATION" },
	{ "default quota", cf_quota, FIELD(default_quota), 0, 0, 1, 0,
	    "SIZE|none" },
	{ "default services", cf_services, FIELD(default_services),
	    0, 0, 1, 0, "LIST" },
	{ "dkim key directory", cf_path, FIELD(dkim_key_dir), 0, 0, 1, 0,
	    "DIR" },
	{ "dns server", cf_dns_server, 0, 0, 0, 0, -1, 1,
	    "ADDRESS [port N]" },
	{ "dns trust anchor", cf_path, FIELD(dns_trust_anchor), 0, 0, 1, 0,
	    "FILE" },
	{ "domain", cf_domain, 0, 0, 0, 0, 1, 1, "NAME" },
	{ "empty", cf_path, FIELD(empty_dir), 0, 0, 1, 0, "DIR" },
	{ "group", cf_account, FIELD(group), 0, 0, 1, 0, "NAME" },
	{ "hostname", cf_hostname, FIELD(hostname), 0, 0, 1, 0, "NAME" },
	{ "imap append limit", cf_size, FIELD(imap_append_limit),
	    (int64_t)KILO, 2 * (int64_t)GIGA, 1, 0, "SIZE" },
	{ "imap idle timeout", cf_duration, FIELD(imap_idle_timeout),
	    30 * MINUTE, DAY, 1, 0, "DURATION" },
	{ "imap login timeout", cf_duration, FIELD(imap_login_timeout),
	    10, HOUR, 1, 0, "DURATION" },
	{ "imap max line", cf_size, FIELD(imap_max_line),
	    (int64_t)KILO, (int64_t)MEGA, 1, 0, "SIZE" },
	{ "imap max mailboxes", cf_int, FIELD(imap_max_mailboxes),
	    10, 100000, 1, 0, "N" },
	{ "listen", cf_listen, 0, 0, 0, 0, -1, 1,
	    "SERVICE on ADDRESS [port N]" },
	{ "lockout account", cf_lockout_account, 0, 0, 0, 0, 3, 0,
	    "N within DURATION" },
	{ "lockout known", cf_duration, FIELD(lockout_known),
	    DAY, 3650LL * DAY, 1, 0, "DURATION" },
	{ "lockout pair", cf_lockout_pair, 0, 0, 0, 0, 5, 0,
	    "N within DURATION for DURATION" },
	{ "login grace", cf_duration, FIELD(login_grace),
	    1, HOUR, 1, 0, "DURATION" },
	{ "login limit", cf_login_limit, 0, 0, 0, 0, 6, 0,
	    "N per address N per network" },
	{ "login notices", cf_bool, FIELD(login_notices), 0, 0, 1, 0,
	    "yes|no" },
	{ "login startups", cf_login_startups, 0, 0, 0, 0, 5, 0,
	    "N drop PERCENT full N" },
	{ "mail", cf_path, FIELD(mail_dir), 0, 0, 1, 0, "DIR" },
	{ "mta-sts port", cf_int, FIELD(mtasts_port), 1, 65535, 1, 0, "N" },
	{ "password max age", cf_duration, FIELD(password_max_age),
	    DAY, 3650LL * DAY, 1, 0, "DURATION" },
	{ "password min guesses", cf_int, FIELD(password_min_guesses),
	    0, 30, 1, 0, "N" },
	{ "password min length", cf_int, FIELD(password_min_length),
	    8, 128, 1, 0, "N" },
	{ "pop3 idle timeout", cf_duration, FIELD(pop3_idle_timeout),
	    MINUTE, DAY, 1, 0, "DURATION" },
	{ "public suffix list", cf_path, FIELD(psl_file), 0, 0, 1, 0, "FILE" },
	{ "queue lifetime", cf_duration, FIELD(queue_lifetime),
	    HOUR, 60LL * DAY, 1, 0, "DURATION" },
	{ "queue retry", cf_duration, FIELD(queue_retry),
	    MINUTE, DAY, 1, 0, "DURATION" },
	{ "relay ca file", cf_path, FIELD(relay_ca_file), 0, 0, 1, 0,
	    "FILE" },
	{ "relay delay notice", cf_duration_off, FIELD(relay_delay_notice),
	    MINUTE, 60LL * DAY, 1, 0, "DURATION|off" },
	{ "relay lifetime", cf_duration, FIELD(relay_lifetime),
	    HOUR, 60LL * DAY, 1, 0, "DURATION" },
	{ "relay port", cf_int, FIELD(relay_port), 1, 65535, 1, 0, "N" },
	{ "relay processes", cf_int, FIELD(relay_processes),
	    1, CONFIG_MAX_RELAY_PROCS, 1, 0, "N" },
	{ "relay tls", cf_relay_tls, FIELD(relay_tls_verify),
	    0, 0, -1, 1, "[DOMAIN] none|opportunistic|verify|dane" },
	{ "relay via", cf_relay_via, 0, 0, 0, 0, -1, 1,
	    "HOST port N [tls implicit|starttls] [for DOMAIN] "
	    "credentials FILE" },
	{ "runtime", cf_path, FIELD(runtime_dir), 0, 0, 1, 0, "DIR" },
	{ "session limit", cf_session_limit, 0, 0, 0, 0, 4, 0,
	    "N per user N" },
	{ "smtp check processes", cf_int, FIELD(smtp_check_processes),
	    1, CONFIG_MAX_CHECK_PROCS, 1, 0, "N" },
	{ "smtp dkim check", cf_bool, FIELD(smtp_dkim_check),
	    0, 0, 1, 0, "yes|no" },
	{ "smtp dmarc check", cf_bool, FIELD(smtp_dmarc_check),
	    0, 0, 1, 0, "yes|no" },
	{ "smtp dmarc quarantine", cf_quarantine,
	    FIELD(smtp_dmarc_quarantine_junk), 0, 0, 1, 0, "junk|deliver" },
	{ "smtp dmarc reject", cf_bool, FIELD(smtp_dmarc_reject),
	    0, 0, 1, 0, "yes|no" },
	{ "smtp greeting delay", cf_duration_ms, FIELD(smtp_greeting_delay),
	    0, MINUTE, 1, 0, "DURATION" },
	{ "smtp idle timeout", cf_duration, FIELD(smtp_idle_timeout),
	    MINUTE, HOUR, 1, 0, "DURATION" },
	{ "smtp max message size", cf_size, FIELD(smtp_max_message_size),
	    (int64_t)KILO, 2 * (int64_t)GIGA, 1, 0, "SIZE" },
	{ "smtp max recipients", cf_int, FIELD(smtp_max_recipients),
	    1, 10000, 1, 0, "N" },
	{ "smtp message rate", cf_int, FIELD(smtp_message_rate),
	    1, 100000, 1, 0, "N" },
	{ "smtp received address", cf_bool, FIELD(smtp_received_address),
	    0, 0, 1, 0, "yes|no" },
	{ "smtp require tls", cf_bool, FIELD(smtp_require_tls),
	    0, 0, 1, 0, "yes|no" },
	{ "smtp send limit", cf_send_limit, FIELD(smtp_send_limit),
	    1, CONFIG_SEND_LIMIT_MAX, -1, 0, "N per hour|none" },
	{ "smtp spf check", cf_bool, FIELD(smtp_spf_check),
	    0, 0, 1, 0, "yes|no" },
	{ "spool", cf_path, FIELD(spool_dir), 0, 0, 1, 0, "DIR" },
	{ "state", cf_path, FIELD(state_dir), 0, 0, 1, 0, "DIR" },
	{ "tls certificate", cf_path, FIELD(tls_cert), 0, 0, 1, 0, "FILE" },
	{ "tls key", cf_path, FIELD(tls_key), 0, 0, 1, 0, "FILE" },
	{ "totp issuer", cf_issuer, FIELD(totp_issuer), 0, 0, 1, 0, "NAME" },
	{ "totp trust", cf_duration, FIELD(totp_trust),
	    0, 365LL * DAY, 1, 0, "DURATION" },
	{ "totp window", cf_int, FIELD(totp_window), 0, 10, 1, 0, "N" },
	{ "user", cf_user, 0, 0, 0, 0, 2, 1, "ROLE NAME" },
};

#define CF_NKEYWORDS	nitems(cf_keywords)

struct cf_ctx {
	struct config	*cfg;
	struct cf_err	 err;		/* file name, line, error count */
	size_t		 seen[CF_NKEYWORDS];	/* line of each statement */
	size_t		 user_seen[ROLE_COUNT];
};

static const char *const cf_roles[ROLE_COUNT] = {
	"auth", "net", "mail", "queue", "relay", "keyholder"
};

static const char *const cf_listen_names[] = {
	"smtp", "submissions", "imaps", "pop3s"
};
static const uint16_t cf_listen_ports[] = { 25, 465, 993, 995 };

static void *
cf_field(struct cf_ctx *ctx, const struct cf_keyword *kw)
{
	return (char *)ctx->cfg + kw->off;
}

static int
cf_int(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	int64_t v;

	if (cf_get_int(&ctx->err, kw->path, a[0].s, kw->min, kw->max, &v) == -1)
		return -1;
	*(int *)cf_field(ctx, kw) = (int)v;
	return 0;
}

static int
cf_duration(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	int64_t v;

	if (cf_get_duration(&ctx->err, kw->path, a[0].s, kw->min, kw->max,
	    &v) == -1)
		return -1;
	*(int64_t *)cf_field(ctx, kw) = v;
	return 0;
}

/* A duration, or "off" (the field is then 0). */
static int
cf_duration_off(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	if (strcmp(a[0].s, "off") == 0) {
		*(int64_t *)cf_field(ctx, kw) = 0;
		return 0;
	}
	return cf_duration(ctx, kw, a, n);
}

/* The grammar counts in seconds; the field is in milliseconds. */
static int
cf_duration_ms(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	int64_t v;

	if (cf_get_duration(&ctx->err, kw->path, a[0].s, kw->min, kw->max,
	    &v) == -1)
		return -1;
	*(int64_t *)cf_field(ctx, kw) = v * 1000;
	return 0;
}

static int
cf_size(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	uint64_t v;

	if (cf_get_size(&ctx->err, kw->path, a[0].s, (uint64_t)kw->min,
	    (uint64_t)kw->max, &v) == -1)
		return -1;
	*(uint64_t *)cf_field(ctx, kw) = v;
	return 0;
}

static int
cf_quota(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	char show[64], lo[32], hi[32];

	if (config_parse_quota(a[0].s, cf_field(ctx, kw)) == -1) {
		cf_error(&ctx->err, "\"%s\" needs none or a size from %s to "
		    "%s, got \"%s\"", kw->path,
		    config_quota_string(CONFIG_QUOTA_MIN, lo, sizeof(lo)),
		    config_quota_string(CONFIG_QUOTA_MAX, hi, sizeof(hi)),
		    cf_show(a[0].s, show, sizeof(show)));
		return -1;
	}
	return 0;
}

static int
cf_bool(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	char show[64];
	int *p = cf_field(ctx, kw);

	if (strcmp(a[0].s, "yes") == 0)
		*p = 1;
	else if (strcmp(a[0].s, "no") == 0)
		*p = 0;
	else {
		cf_error(&ctx->err, "\"%s\" needs yes or no, got \"%s\"",
		    kw->path, cf_show(a[0].s, show, sizeof(show)));
		return -1;
	}
	return 0;
}

/* cf_relay_tls_domain: "relay tls DOMAIN MODE". */
static int
cf_relay_tls_domain(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a)
{
	static const char *const modes[] = {
		"none", "opportunistic", "verify", "dane"
	};
	struct config *cfg = ctx->cfg;
	struct config_relay_tls *t;
	char name[CONFIG_NAME_MAX], show[64];
	int i, m = -1;

	for (i = 0; i < 4; i++)
		if (strcmp(a[1].s, modes[i]) == 0)
			m = i;
	if (cf_dns_name(a[0].s, name, sizeof(name)) == -1 || m == -1) {
		cf_error(&ctx->err, "\"%s\" needs a domain and none, "
		    "opportunistic, verify or dane, got \"%s\"", kw->path,
		    cf_show(m == -1 ? a[1].s : a[0].s, show, sizeof(show)));
		return -1;
	}
	str_lower(name);
	for (i = 0; i < cfg->nrelay_tls; i++)
		if (strcmp(cfg->relay_tls[i].domain, name) == 0) {
			cf_error(&ctx->err, "\"%s %s\" given twice", kw->path,
			    name);
			return -1;
		}
	if (cfg->nrelay_tls >= CONFIG_MAX_RELAY_TLS) {
		cf_error(&ctx->err, "too many \"%s\" domains (at most %d)",
		    kw->path, CONFIG_MAX_RELAY_TLS);
		return -1;
	}
	t = &cfg->relay_tls[cfg->nrelay_tls++];
	(void)str_copy(t->domain, name, sizeof(t->domain));
	t->mode = (enum config_relay_tls_mode)m;
	return 0;
}

/* "relay tls verify|opportunistic" (every destination), or a domain's
 * own "relay tls DOMAIN MODE". */
static int
cf_relay_tls(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	char show[64];
	int *p = cf_field(ctx, kw);

	if (n == 2)
		return cf_relay_tls_domain(ctx, kw, a);
	if (n != 1) {
		cf_error(&ctx->err, "wrong number of arguments to \"%s\" "
		    "(usage: %s %s)", kw->path, kw->path, kw->usage);
		return -1;
	}
	if (strcmp(a[0].s, "verify") == 0)
		*p = 1;
	else if (strcmp(a[0].s, "opportunistic") == 0)
		*p = 0;
	else {
		cf_error(&ctx->err, "\"%s\" needs verify or opportunistic, "
		    "got \"%s\"", kw->path,
		    cf_show(a[0].s, show, sizeof(show)));
		return -1;
	}
	return 0;
}

/* "smtp dmarc quarantine": 1 junk (into the Junk folder), 0 deliver. */
static int
cf_quarantine(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	char show[64];
	int *p = cf_field(ctx, kw);

	if (strcmp(a[0].s, "junk") == 0)
		*p = 1;
	else if (strcmp(a[0].s, "deliver") == 0)
		*p = 0;
	else {
		cf_error(&ctx->err, "\"%s\" needs junk or deliver, got \"%s\"",
		    kw->path, cf_show(a[0].s, show, sizeof(show)));
		return -1;
	}
	return 0;
}

/* cf_relay_via_tls: the optional "tls implicit|starttls" after "port
 * N" of "relay via", taken out of a (into b, n words then); 0 or -1. */
static int
cf_relay_via_tls(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int *n, struct cf_word *b,
    struct config_relay_via *v)
{
	char show[64];
	int i, k;

	v->tls = CONFIG_VIA_TLS_DEFAULT;
	if (*n < 5 || a[3].quoted || strcmp(a[3].s, "tls") != 0) {
		for (i = 0; i < *n; i++)
			b[i] = a[i];
		return 0;
	}
	if (strcmp(a[4].s, "implicit") == 0)
		v->tls = CONFIG_VIA_TLS_IMPLICIT;
	else if (strcmp(a[4].s, "starttls") == 0)
		v->tls = CONFIG_VIA_TLS_STARTTLS;
	else {
		cf_error(&ctx->err, "\"%s ... tls\" needs implicit or "
		    "starttls, got \"%s\"", kw->path,
		    cf_show(a[4].s, show, sizeof(show)));
		return -1;
	}
	for (i = 0, k = 0; i < *n; i++)
		if (i != 3 && i != 4)
			b[k++] = a[i];
	*n = k;
	return 0;
}

/* "relay via HOST port N [tls implicit|starttls] [for DOMAIN]
 * credentials FILE"; one smarthost per domain, and one for every
 * domain. */
static int
cf_relay_via(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *words, int n)
{
	struct cf_word a[9];
	static const char *const w5[] = { NULL, "port", NULL, "credentials",
	    NULL };
	static const char *const w7[] = { NULL, "port", NULL, "for", NULL,
	    "credentials", NULL };
	struct config *cfg = ctx->cfg;
	struct config_relay_via v;
	char show[64];
	int64_t port;
	int i;

	memset(&v, 0, sizeof(v));
	if (n <= 9 && cf_relay_via_tls(ctx, kw, words, &n, a, &v) == -1)
		return -1;
	if (n != 5 && n != 7) {
		cf_error(&ctx->err, "wrong number of arguments to \"%s\" "
		    "(usage: %s %s)", kw->path, kw->path, kw->usage);
		return -1;
	}
	if (cf_expect_words(ctx, kw, a, n, n == 5 ? w5 : w7) == -1 ||
	    cf_get_int(&ctx->err, "relay via ... port", a[2].s, 1, 65535,
	    &port) == -1)
		return -1;
	v.port = (uint16_t)port;
	if (cf_dns_name(a[0].s, v.host, sizeof(v.host)) == -1 ||
	    (n == 7 && cf_dns_name(a[4].s, v.domain, sizeof(v.domain)) ==
	    -1)) {
		cf_error(&ctx->err, "\"%s\" needs a host name and a domain, "
		    "got \"%s\"", kw->path, cf_show(n == 7 ? a[4].s : a[0].s,
		    show, sizeof(show)));
		return -1;
	}
	str_lower(v.domain);
	if (a[n - 1].s[0] != '/' || str_copy(v.credentials, a[n - 1].s,
	    sizeof(v.credentials)) == -1) {
		cf_error(&ctx->err, "\"%s ... credentials\" needs an absolute "
		    "path, got \"%s\"", kw->path,
		    cf_show(a[n - 1].s, show, sizeof(show)));
		return -1;
	}
	for (i = 0; i < cfg->nrelay_via; i++)
		if (strcmp(cfg->relay_via[i].domain, v.domain) == 0) {
			cf_error(&ctx->err, "\"%s\" given twice for %s",
			    kw->path, v.domain[0] != '\0' ? v.domain :
			    "every domain");
			return -1;
		}
	if (cfg->nrelay_via >= CONFIG_MAX_RELAY_VIA) {
		cf_error(&ctx->err, "too many \"%s\" statements (at most %d)",
		    kw->path, CONFIG_MAX_RELAY_VIA);
		return -1;
	}
	cfg->relay_via[cfg->nrelay_via++] = v;
	return 0;
}

static int
cf_path(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	char show[64];

	if (a[0].s[0] != '/') {
		cf_error(&ctx->err, "\"%s\" needs an absolute path, got \"%s\"",
		    kw->path, cf_show(a[0].s, show, sizeof(show)));
		return -1;
	}
	if (str_copy(cf_field(ctx, kw), a[0].s, kw->size) == -1) {
		cf_error(&ctx->err, "\"%s\": path longer than %zu bytes",
		    kw->path, kw->size - 1);
		return -1;
	}
	return 0;
}

static int
cf_hostname(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	char name[CONFIG_NAME_MAX], show[64];

	if (cf_dns_name(a[0].s, name, sizeof(name)) == -1) {
		cf_error(&ctx->err, "\"%s\" needs a host name (letters, "
		    "digits, '-' and '.'), got \"%s\"", kw->path,
		    cf_show(a[0].s, show, sizeof(show)));
		return -1;
	}
	return str_copy(cf_field(ctx, kw), name, kw->size);
}

/* cf_issuer: the name authenticator apps show next to a code: printable
 * ASCII, blanks allowed, no ':' (it separates issuer and account in the
 * otpauth:// label). */
static int
cf_issuer(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	const char *s = a[0].s;
	char show[64];
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < ' ' || s[i] > '~' || s[i] == ':')
			break;
	if (i == 0 || s[i] != '\0' || i >= kw->size) {
		cf_error(&ctx->err, "\"%s\" needs a name of 1 to %zu printable "
		    "ASCII characters without ':', got \"%s\"", kw->path,
		    kw->size - 1, cf_show(s, show, sizeof(show)));
		return -1;
	}
	return str_copy(cf_field(ctx, kw), s, kw->size);
}

static int
cf_domain(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	struct config *cfg = ctx->cfg;
	char name[CONFIG_NAME_MAX], show[64];

	if (cf_dns_name(a[0].s, name, sizeof(name)) == -1) {
		cf_error(&ctx->err, "\"domain\" needs a domain name (letters, "
		    "digits, '-' and '.'), got \"%s\"",
		    cf_show(a[0].s, show, sizeof(show)));
		return -1;
	}
	if (config_is_local_domain(cfg, name)) {
		cf_error(&ctx->err, "domain \"%s\" given twice", name);
		return -1;
	}
	if (cfg->ndomains >= CONFIG_MAX_DOMAINS) {
		cf_error(&ctx->err, "too many domains (at most %d)",
		    CONFIG_MAX_DOMAINS);
		return -1;
	}
	return str_copy(cfg->domains[cfg->ndomains++], name, CONFIG_NAME_MAX);
}

static int
cf_account(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	char show[64];

	if (!cf_account_valid(a[0].s)) {
		cf_error(&ctx->err, "\"%s\" needs a user or group name, "
		    "got \"%s\"", kw->path,
		    cf_show(a[0].s, show, sizeof(show)));
		return -1;
	}
	return str_copy(cf_field(ctx, kw), a[0].s, kw->size);
}

static int
cf_user(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	char show[64];
	int r;

	for (r = 0; r < ROLE_COUNT; r++)
		if (strcmp(a[0].s, cf_roles[r]) == 0)
			break;
	if (r == ROLE_COUNT) {
		cf_error(&ctx->err, "\"user\" needs a role (auth, net, mail, "
		    "queue, relay, keyholder), got \"%s\"",
		    cf_show(a[0].s, show, sizeof(show)));
		return -1;
	}
	if (ctx->user_seen[r] != 0) {
		cf_error(&ctx->err, "\"user %s\" already given on line %zu",
		    cf_roles[r], ctx->user_seen[r]);
		return -1;
	}
	ctx->user_seen[r] = ctx->err.lineno;
	if (!cf_account_valid(a[1].s)) {
		cf_error(&ctx->err, "\"user\" needs a user name, got \"%s\"",
		    cf_show(a[1].s, show, sizeof(show)));
		return -1;
	}
	return str_copy(ctx->cfg->users[r], a[1].s, sizeof(ctx->cfg->users[r]));
}

static int
cf_services(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	char show[64];

	if (config_parse_services(a[0].s, cf_field(ctx, kw)) == -1) {
		cf_error(&ctx->err, "\"%s\" needs a comma-separated list of "
		    "imap, pop3 and smtp, got \"%s\"", kw->path,
		    cf_show(a[0].s, show, sizeof(show)));
		return -1;
	}
	return 0;
}

static int
cf_listen_dup(const struct config *cfg, const struct config_listen *l)
{
	unsigned char a[16], b[16];
	int afa, afb, i;

	if (cf_addr(l->address, &afa, a) == -1)
		return 0;
	for (i = 0; i < cfg->nlisten; i++) {
		if (cfg->listen[i].port != l->port ||
		    cf_addr(cfg->listen[i].address, &afb, b) == -1)
			continue;
		if (afa == afb && memcmp(a, b, sizeof(a)) == 0)
			return 1;
	}
	return 0;
}

static int
cf_listen_service(struct cf_ctx *ctx, const char *s,
    enum listen_service *out)
{
	char show[64];
	size_t i;

	for (i = 0; i < nitems(cf_listen_names); i++) {
		if (strcmp(s, cf_listen_names[i]) == 0) {
			*out = (enum listen_service)i;
			return 0;
		}
	}
	cf_error(&ctx->err, "\"listen\" needs a service (smtp, submissions, "
	    "imaps, pop3s), got \"%s\"", cf_show(s, show, sizeof(show)));
	return -1;
}

static int
cf_listen(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	struct config *cfg = ctx->cfg;
	struct config_listen l;
	unsigned char bin[16];
	char show[64];
	int64_t port;
	int af;

	memset(&l, 0, sizeof(l));
	if ((n != 3 && n != 5) || strcmp(a[1].s, "on") != 0 ||
	    (n == 5 && strcmp(a[3].s, "port") != 0)) {
		cf_error(&ctx->err, "usage: listen %s", kw->usage);
		return -1;
	}
	if (cf_listen_service(ctx, a[0].s, &l.service) == -1)
		return -1;
	if (cf_addr(a[2].s, &af, bin) == -1 ||
	    str_copy(l.address, a[2].s, sizeof(l.address)) == -1) {
		cf_error(&ctx->err, "\"listen\" needs a numeric IPv4 or IPv6 "
		    "address, got \"%s\"", cf_show(a[2].s, show, sizeof(show)));
		return -1;
	}
	l.port = cf_listen_ports[l.service];
	if (n == 5) {
		if (cf_get_int(&ctx->err, "listen ... port", a[4].s, 1, 65535,
		    &port) == -1)
			return -1;
		l.port = (uint16_t)port;
	}
	if (cf_listen_dup(cfg, &l)) {
		cf_error(&ctx->err, "\"listen\": %s port %u is already in use",
		    l.address, l.port);
		return -1;
	}
	if (cfg->nlisten >= CONFIG_MAX_LISTEN) {
		cf_error(&ctx->err, "too many listen statements (at most %d)",
		    CONFIG_MAX_LISTEN);
		return -1;
	}
	cfg->listen[cfg->nlisten++] = l;
	return 0;
}

static int
cf_dns_server(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	struct config *cfg = ctx->cfg;
	struct config_dns_server srv;
	unsigned char bin[16], other[16];
	char show[64];
	int64_t port;
	int af, afo, i;

	memset(&srv, 0, sizeof(srv));
	if ((n != 1 && n != 3) || (n == 3 && strcmp(a[1].s, "port") != 0)) {
		cf_error(&ctx->err, "usage: dns server %s", kw->usage);
		return -1;
	}
	if (cf_addr(a[0].s, &af, bin) == -1 ||
	    str_copy(srv.address, a[0].s, sizeof(srv.address)) == -1) {
		cf_error(&ctx->err, "\"dns server\" needs a numeric IPv4 or "
		    "IPv6 address, got \"%s\"",
		    cf_show(a[0].s, show, sizeof(show)));
		return -1;
	}
	srv.port = 53;
	if (n == 3) {
		if (cf_get_int(&ctx->err, "dns server ... port", a[2].s, 1,
		    65535, &port) == -1)
			return -1;
		srv.port = (uint16_t)port;
	}
	for (i = 0; i < cfg->ndns_servers; i++) {
		if (cfg->dns_servers[i].port == srv.port &&
		    cf_addr(cfg->dns_servers[i].address, &afo, other) == 0 &&
		    afo == af && memcmp(other, bin, sizeof(bin)) == 0) {
			cf_error(&ctx->err, "\"dns server\" %s port %u is "
			    "given twice", srv.address, srv.port);
			return -1;
		}
	}
	if (cfg->ndns_servers >= CONFIG_MAX_DNS_SERVERS) {
		cf_error(&ctx->err, "too many dns server statements (at most "
		    "%d)", CONFIG_MAX_DNS_SERVERS);
		return -1;
	}
	cfg->dns_servers[cfg->ndns_servers++] = srv;
	return 0;
}

/*
 * cf_expect: check the fixed words of a statement whose arguments
 * alternate between values and keywords ("N within DURATION for ...");
 * words[i] is the keyword expected at argument 2i+1.
 */
static int
cf_expect(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n, const char *const *words)
{
	char show[64];
	int i;

	for (i = 1; i < n; i += 2) {
		if (strcmp(a[i].s, words[i / 2]) != 0) {
			cf_error(&ctx->err, "\"%s\": expected \"%s\", "
			    "got \"%s\" (usage: %s %s)", kw->path, words[i / 2],
			    cf_show(a[i].s, show, sizeof(show)), kw->path,
			    kw->usage);
			return -1;
		}
	}
	return 0;
}

static int
cf_lockout_pair(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	static const char *const words[] = { "within", "for" };
	struct config *cfg = ctx->cfg;
	int64_t v;

	if (cf_expect(ctx, kw, a, n, words) == -1 ||
	    cf_get_int(&ctx->err, kw->path, a[0].s, 1, 1000, &v) == -1 ||
	    cf_get_duration(&ctx->err, "lockout pair ... within", a[2].s, 1,
	    30LL * DAY, &cfg->lockout_pair_window) == -1 ||
	    cf_get_duration(&ctx->err, "lockout pair ... for", a[4].s, 1,
	    30LL * DAY, &cfg->lockout_pair_duration) == -1)
		return -1;
	cfg->lockout_pair_failures = (int)v;
	return 0;
}

static int
cf_lockout_account(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	static const char *const words[] = { "within" };
	struct config *cfg = ctx->cfg;
	int64_t v;

	if (cf_expect(ctx, kw, a, n, words) == -1 ||
	    cf_get_int(&ctx->err, kw->path, a[0].s, 1, 10000, &v) == -1 ||
	    cf_get_duration(&ctx->err, "lockout account ... within", a[2].s, 1,
	    30LL * DAY, &cfg->lockout_account_window) == -1)
		return -1;
	cfg->lockout_account_failures = (int)v;
	return 0;
}

static int
cf_ban(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	static const char *const words[] = { "within", "for", "max" };
	struct config *cfg = ctx->cfg;
	int64_t v;

	if (cf_expect(ctx, kw, a, n, words) == -1 ||
	    cf_get_int(&ctx->err, kw->path, a[0].s, 1, 10000, &v) == -1 ||
	    cf_get_duration(&ctx->err, "ban ... within", a[2].s, 1, 30LL * DAY,
	    &cfg->ban_window) == -1 ||
	    cf_get_duration(&ctx->err, "ban ... for", a[4].s, 1, 365LL * DAY,
	    &cfg->ban_duration) == -1 ||
	    cf_get_duration(&ctx->err, "ban ... max", a[6].s, 1, 365LL * DAY,
	    &cfg->ban_max) == -1)
		return -1;
	cfg->ban_failures = (int)v;
	return 0;
}

/*
 * cf_expect_words: check the fixed words of a statement whose keywords
 * are not one between each two values ("N per address N per network");
 * words[i] is the word expected at argument i, NULL where a value goes.
 */
static int
cf_expect_words(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n, const char *const *words)
{
	char show[64];
	int i;

	for (i = 0; i < n; i++) {
		if (words[i] == NULL || strcmp(a[i].s, words[i]) == 0)
			continue;
		cf_error(&ctx->err, "\"%s\": expected \"%s\", got \"%s\" "
		    "(usage: %s %s)", kw->path, words[i],
		    cf_show(a[i].s, show, sizeof(show)), kw->path, kw->usage);
		return -1;
	}
	return 0;
}

static int
cf_login_limit(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	static const char *const words[] = {
		NULL, "per", "address", NULL, "per", "network"
	};
	struct config *cfg = ctx->cfg;
	int64_t addr, net;

	if (cf_expect_words(ctx, kw, a, n, words) == -1 ||
	    cf_get_int(&ctx->err, "login limit ... per address", a[0].s, 1,
	    CONFIG_LIMIT_MAX, &addr) == -1 ||
	    cf_get_int(&ctx->err, "login limit ... per network", a[3].s, 1,
	    CONFIG_LIMIT_MAX, &net) == -1)
		return -1;
	cfg->login_per_address = (int)addr;
	cfg->login_per_network = (int)net;
	return 0;
}

/* The percentage may be written with its sign: "drop 30%". */
static int
cf_login_startups(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	static const char *const words[] = { "drop", "full" };
	struct config *cfg = ctx->cfg;
	char pct[32];
	size_t len;
	int64_t start, drop, full;

	if (cf_expect(ctx, kw, a, n, words) == -1)
		return -1;
	(void)str_copy(pct, a[2].s, sizeof(pct));
	if ((len = strlen(pct)) > 1 && pct[len - 1] == '%')
		pct[len - 1] = '\0';
	if (cf_get_int(&ctx->err, kw->path, a[0].s, 1, CONFIG_LIMIT_MAX,
	    &start) == -1 ||
	    cf_get_int(&ctx->err, "login startups ... drop", pct, 0, 100,
	    &drop) == -1 ||
	    cf_get_int(&ctx->err, "login startups ... full", a[4].s, 1,
	    CONFIG_LIMIT_MAX, &full) == -1)
		return -1;
	cfg->login_startups = (int)start;
	cfg->login_drop = (int)drop;
	cfg->login_full = (int)full;
	return 0;
}

static int
cf_session_limit(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	static const char *const words[] = { NULL, "per", "user", NULL };
	struct config *cfg = ctx->cfg;
	int64_t all, user;

	if (cf_expect_words(ctx, kw, a, n, words) == -1 ||
	    cf_get_int(&ctx->err, kw->path, a[0].s, 1, CONFIG_LIMIT_MAX,
	    &all) == -1 ||
	    cf_get_int(&ctx->err, "session limit ... per user", a[3].s, 1,
	    CONFIG_LIMIT_MAX, &user) == -1)
		return -1;
	cfg->session_limit = (int)all;
	cfg->session_per_user = (int)user;
	return 0;
}

static int
cf_send_limit(struct cf_ctx *ctx, const struct cf_keyword *kw,
    const struct cf_word *a, int n)
{
	static const char *const words[] = { NULL, "per", "hour" };
	int64_t v;

	if (n == 1 && strcmp(a[0].s, "none") == 0) {
		*(int *)cf_field(ctx, kw) = 0;
		return 0;
	}
	if (n != 3) {
		cf_error(&ctx->err, "wrong number of arguments to \"%s\" "
		    "(usage: %s %s)", kw->path, kw->path, kw->usage);
		return -1;
	}
	if (cf_expect_words(ctx, kw, a, n, words) == -1 ||
	    cf_get_int(&ctx->err, kw->path, a[0].s, kw->min, kw->max,
	    &v) == -1)
		return -1;
	*(int *)cf_field(ctx, kw) = (int)v;
	return 0;
}

static int
cf_keyword_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct cf_keyword *)elem)->path);
}

/* A table out of order is a bug in this file, not in the config. */
static void
cf_table_check(void)
{
	size_t i;

	for (i = 1; i < CF_NKEYWORDS; i++)
		if (strcmp(cf_keywords[i - 1].path, cf_keywords[i].path) >= 0)
			fatalx("internal error: keyword table not sorted at "
			    "\"%s\"", cf_keywords[i].path);
}

/* cf_join: the first k words joined by blanks, or -1 if unfit. */
static int
cf_join(const struct cf_line *l, int k, char *buf, size_t len)
{
	size_t off = 0, wl;
	int i;

	for (i = 0; i < k; i++) {
		if (l->w[i].quoted)
			return -1;
		wl = strlen(l->w[i].s);
		if (off + wl + 2 > len)
			return -1;
		if (i > 0)
			buf[off++] = ' ';
		memcpy(buf + off, l->w[i].s, wl);
		off += wl;
	}
	buf[off] = '\0';
	return 0;
}

/* cf_lookup: longest keyword path matching the leading words. */
static const struct cf_keyword *
cf_lookup(const struct cf_line *l, int *nwords)
{
	const struct cf_keyword *kw;
	char path[128];
	int k;

	for (k = l->n < CF_PATH_WORDS ? l->n : CF_PATH_WORDS; k > 0; k--) {
		if (cf_join(l, k, path, sizeof(path)) == -1)
			continue;
		kw = bsearch(path, cf_keywords, CF_NKEYWORDS,
		    sizeof(cf_keywords[0]), cf_keyword_cmp);
		if (kw != NULL) {
			*nwords = k;
			return kw;
		}
	}
	return NULL;
}

/* cf_is_prefix: some keyword path starts with the words in path. */
static int
cf_is_prefix(const char *path)
{
	size_t i, n = strlen(path);

	for (i = 0; i < CF_NKEYWORDS; i++)
		if (strncmp(cf_keywords[i].path, path, n) == 0 &&
		    cf_keywords[i].path[n] == ' ')
			return 1;
	return 0;
}

/*
 * cf_unknown: name the unknown statement by the words that still lead to
 * a keyword plus the first one that does not ("lockout paire").
 */
static void
cf_unknown(struct cf_ctx *ctx, const struct cf_line *l)
{
	char path[128], show[64];
	int k;

	for (k = 1; k < l->n && k < CF_PATH_WORDS; k++)
		if (cf_join(l, k, path, sizeof(path)) == -1 ||
		    !cf_is_prefix(path))
			break;
	if (cf_join(l, k, path, sizeof(path)) == -1)
		(void)str_copy(path, l->w[0].s, sizeof(path));
	cf_error(&ctx->err, "unknown statement \"%s\"",
	    cf_show(path, show, sizeof(show)));
}

static void
cf_statement(struct cf_ctx *ctx, const struct cf_line *l)
{
	const struct cf_keyword *kw;
	size_t idx;
	int k, nargs;

	if ((kw = cf_lookup(l, &k)) == NULL) {
		cf_unknown(ctx, l);
		return;
	}
	idx = (size_t)(kw - cf_keywords);
	nargs = l->n - k;
	if (kw->nargs >= 0 && nargs != kw->nargs) {
		cf_error(&ctx->err, "wrong number of arguments to \"%s\" "
		    "(usage: %s %s)", kw->path, kw->path, kw->usage);
		return;
	}
	if (!kw->repeat && ctx->seen[idx] != 0) {
		cf_error(&ctx->err, "\"%s\" already given on line %zu",
		    kw->path, ctx->seen[idx]);
		return;
	}
	ctx->seen[idx] = ctx->err.lineno;
	(void)kw->fn(ctx, kw, l->w + k, nargs);
}

static void
cf_parse_lines(struct cf_ctx *ctx, const char *buf, size_t len)
{
	struct cf_line l;
	const char *s = buf;

	while (cf_next_line(&ctx->err, &s, buf + len, &l))
		cf_statement(ctx, &l);
}

static size_t
cf_seen(const struct cf_ctx *ctx, const char *path)
{
	const struct cf_keyword *kw;

	kw = bsearch(path, cf_keywords, CF_NKEYWORDS, sizeof(cf_keywords[0]),
	    cf_keyword_cmp);
	return kw == NULL ? 0 : ctx->seen[kw - cf_keywords];
}

static size_t
cf_later(size_t a, size_t b)
{
	return a > b ? a : b;
}

/* cf_check: the rules that tie several values together. */
static void
cf_check(struct cf_ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	char a[32], b[32];

	if (cfg->ban_max < cfg->ban_duration) {
		ctx->err.lineno = cf_seen(ctx, "ban after");
		cf_error(&ctx->err, "\"ban after\": max (%s) is shorter than "
		    "the ban duration (%s)",
		    cf_fmt_duration(cfg->ban_max, a, sizeof(a)),
		    cf_fmt_duration(cfg->ban_duration, b, sizeof(b)));
	}
	if (cfg->queue_retry > cfg->queue_lifetime) {
		ctx->err.lineno = cf_later(cf_seen(ctx, "queue retry"),
		    cf_seen(ctx, "queue lifetime"));
		cf_error(&ctx->err, "\"queue retry\" (%s) is longer than "
		    "\"queue lifetime\" (%s)",
		    cf_fmt_duration(cfg->queue_retry, a, sizeof(a)),
		    cf_fmt_duration(cfg->queue_lifetime, b, sizeof(b)));
	}
	if (cfg->login_startups > cfg->login_full) {
		ctx->err.lineno = cf_seen(ctx, "login startups");
		cf_error(&ctx->err, "\"login startups\": startups (%d) is "
		    "more than full (%d)", cfg->login_startups,
		    cfg->login_full);
	}
	/* The net processes read the certificate, never the key. */
	if (strcmp(cfg->tls_cert, cfg->tls_key) == 0) {
		ctx->err.lineno = cf_later(cf_seen(ctx, "tls certificate"),
		    cf_seen(ctx, "tls key"));
		cf_error(&ctx->err, "\"tls key\" must not be the same file as "
		    "\"tls certificate\"");
	}
	ctx->err.lineno = 0;
}

static void
cf_derive(struct cf_ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	int r;

	if (cfg->auth_socket[0] != '\0')
		return;
	r = snprintf(cfg->auth_socket, sizeof(cfg->auth_socket),
	    "%s/authd.sock", cfg->runtime_dir);
	if (r < 0 || (size_t)r >= sizeof(cfg->auth_socket)) {
		ctx->err.lineno = cf_seen(ctx, "runtime");
		cf_error(&ctx->err,
		    "\"runtime\" is too long to hold authd.sock");
		ctx->err.lineno = 0;
	}
}

/* Numbers and durations; the defaults listed in config.h. */
static void
cf_defaults_limits(struct config *cfg)
{
	cfg->nlisten = 0;
	cfg->smtp_require_tls = 0;
	cfg->smtp_max_message_size = 50 * MEGA;
	cfg->smtp_max_recipients = 100;
	cfg->smtp_greeting_delay = 0;
	cfg->smtp_idle_timeout = 5 * MINUTE;
	cfg->smtp_message_rate = 60;
	cfg->smtp_received_address = 0;
	cfg->smtp_send_limit = 200;
	cfg->smtp_spf_check = 1;
	cfg->smtp_dkim_check = 1;
	cfg->smtp_dmarc_check = 1;
	cfg->smtp_dmarc_reject = 1;
	cfg->smtp_dmarc_quarantine_junk = 1;
	cfg->login_notices = 1;
	cfg->queue_lifetime = 5 * DAY;
	cfg->queue_retry = 15 * MINUTE;
	cfg->relay_lifetime = 5 * DAY;
	cfg->relay_delay_notice = 4 * HOUR;
	cfg->relay_tls_verify = 0;
	cfg->ndns_servers = 0;
	(void)str_copy(cfg->dns_trust_anchor, "/usr/share/dns/root.key",
	    sizeof(cfg->dns_trust_anchor));
	cfg->nrelay_tls = 0;
	cfg->relay_port = 25;
	cfg->mtasts_port = 443;
	cfg->relay_processes = 3;
	cfg->smtp_check_processes = 4;
	cfg->nrelay_via = 0;
	cfg->imap_idle_timeout = 30 * MINUTE;
	cfg->imap_login_timeout = MINUTE;
	cfg->imap_append_limit = 50 * MEGA;
	cfg->imap_max_line = 64 * KILO;
	cfg->imap_max_mailboxes = 1000;
	cfg->pop3_idle_timeout = 10 * MINUTE;
	cfg->login_grace = 30;
	cfg->login_per_address = 16;
	cfg->login_per_network = 64;
	cfg->login_startups = 128;
	cfg->login_drop = 30;
	cfg->login_full = 256;
	cfg->session_limit = 512;
	cfg->session_per_user = 32;
	cfg->auth_socket[0] = '\0';
	cfg->auth_workers = 0;
	cfg->auth_scrypt_cost = 14;
	cfg->auth_failure_delay = 1000;
	cfg->default_services = SERVICE_IMAP | SERVICE_SMTP;
	cfg->default_quota = 0;
	cfg->password_min_length = 12;
	cfg->password_min_guesses = 8;
	cfg->password_max_age = 365LL * DAY;
	cfg->lockout_pair_failures = 5;
	cfg->lockout_pair_window = 15 * MINUTE;
	cfg->lockout_pair_duration = 15 * MINUTE;
	cfg->lockout_account_failures = 10;
	cfg->lockout_account_window = 15 * MINUTE;
	cfg->lockout_known = 90 * DAY;
	cfg->ban_failures = 20;
	cfg->ban_window = 10 * MINUTE;
	cfg->ban_duration = HOUR;
	cfg->ban_max = 7 * DAY;
	cfg->totp_trust = 30 * DAY;
	cfg->totp_window = 1;
	cfg->audit_retention = 180 * DAY;
	cfg->apppass_unused = 90 * DAY;
}

void
config_defaults(struct config *cfg)
{
	static const char *const users[ROLE_COUNT] = {
		"_postern-auth", "_postern", "_postern-mail",
		"_postern-queue", "_postern-relay", "_postern-key"
	};
	int r;

	memset(cfg, 0, sizeof(*cfg));
	(void)str_copy(cfg->hostname, "localhost", sizeof(cfg->hostname));
	(void)str_copy(cfg->state_dir, "/var/lib/postern",
	    sizeof(cfg->state_dir));
	(void)str_copy(cfg->mail_dir, "/var/mail/postern",
	    sizeof(cfg->mail_dir));
	(void)str_copy(cfg->spool_dir, "/var/spool/postern",
	    sizeof(cfg->spool_dir));
	(void)str_copy(cfg->runtime_dir, "/run/postern",
	    sizeof(cfg->runtime_dir));
	(void)str_copy(cfg->empty_dir, "/var/empty", sizeof(cfg->empty_dir));
	(void)str_copy(cfg->dkim_key_dir, CONFIG_DKIM_DIR_DEFAULT,
	    sizeof(cfg->dkim_key_dir));
	for (r = 0; r < ROLE_COUNT; r++)
		(void)str_copy(cfg->users[r], users[r], sizeof(cfg->users[r]));
	(void)str_copy(cfg->group, "_postern", sizeof(cfg->group));
	(void)str_copy(cfg->tls_cert, "/etc/postern/cert.pem",
	    sizeof(cfg->tls_cert));
	(void)str_copy(cfg->tls_key, "/etc/postern/key.pem",
	    sizeof(cfg->tls_key));
	(void)str_copy(cfg->psl_file,
	    "/usr/share/publicsuffix/public_suffix_list.dat",
	    sizeof(cfg->psl_file));
	(void)str_copy(cfg->relay_ca_file,
	    "/etc/ssl/certs/ca-certificates.crt", sizeof(cfg->relay_ca_file));
	cf_defaults_limits(cfg);
}

int
config_parse_buffer(struct config *cfg, const char *name, const char *buf,
    size_t len, char *errbuf, size_t errlen)
{
	struct cf_ctx ctx;

	cf_table_check();
	config_defaults(cfg);
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	ctx.err.name = name != NULL ? name : "(config)";
	ctx.err.errbuf = errbuf;
	ctx.err.errlen = errlen;
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (buf != NULL)
		cf_parse_lines(&ctx, buf, len);
	ctx.err.lineno = 0;
	cf_check(&ctx);
	cf_derive(&ctx);
	return ctx.err.nerr == 0 ? 0 : -1;
}

static int
cf_read_fd(int fd, struct cf_err *err, char **bufp, size_t *lenp)
{
	char *buf;
	size_t len = 0;
	ssize_t r;

	/* One byte more than allowed tells a file that is too big. */
	if ((buf = malloc(CF_FILE_MAX + 1)) == NULL) {
		cf_error(err, "%s", strerror(errno));
		return -1;
	}
	while (len <= CF_FILE_MAX) {
		r = read(fd, buf + len, CF_FILE_MAX + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			cf_error(err, "%s", strerror(errno));
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > CF_FILE_MAX) {
		cf_error(err, "larger than %d bytes", CF_FILE_MAX);
		free(buf);
		return -1;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

/*
 * cf_read_file: the whole file, which must be a regular file not writable
 * by others.  O_NONBLOCK keeps a FIFO given by mistake from hanging us
 * before fstat refuses it.
 */
static int
cf_read_file(struct cf_err *err, char **bufp, size_t *lenp)
{
	struct stat st;
	int fd, rv = -1;

	if ((fd = open(err->name, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1) {
		cf_error(err, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1)
		cf_error(err, "%s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		cf_error(err, "not a regular file");
	else if (st.st_mode & S_IWOTH)
		cf_error(err, "writable by others");
	else
		rv = cf_read_fd(fd, err, bufp, lenp);
	if (close(fd) == -1 && rv == 0) {
		cf_error(err, "%s", strerror(errno));
		free(*bufp);
		rv = -1;
	}
	return rv;
}

int
config_load(struct config *cfg, const char *path)
{
	return config_load_err(cfg, path, NULL, 0);
}

int
config_load_err(struct config *cfg, const char *path, char *errbuf,
    size_t errlen)
{
	struct cf_err err;
	char *buf;
	size_t len;
	int rv;

	memset(&err, 0, sizeof(err));
	err.name = path;
	err.errbuf = errbuf;
	err.errlen = errlen;
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (cf_read_file(&err, &buf, &len) == -1)
		return -1;
	rv = config_parse_buffer(cfg, path, buf, len, errbuf, errlen);
	free(buf);
	return rv;
}

int
config_parse_send_limit(const char *s, int *out)
{
	long long v;
	char *end;

	if (strcmp(s, "none") == 0) {
		*out = 0;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > CONFIG_SEND_LIMIT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

int
config_is_local_domain(const struct config *cfg, const char *domain)
{
	int i;

	for (i = 0; i < cfg->ndomains; i++)
		if (strcasecmp(cfg->domains[i], domain) == 0)
			return 1;
	return 0;
}

int
config_listeners(const struct config *cfg, enum listen_service svc,
    struct config_listen *out, int max)
{
	int i, n = 0;

	for (i = 0; i < cfg->nlisten && n < max; i++)
		if (cfg->listen[i].service == svc)
			out[n++] = cfg->listen[i];
	return n;
}
