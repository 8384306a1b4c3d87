/*
 * authctl_audit.c: reading authd's records for the operator: "audit"
 * (list the audit log as text or JSON lines, filter it, follow it; its
 * --verify is authctl_verify.c) and "report" (a plain-text summary of the
 * last day's failures, locks, bans and accounts that need attention).
 *
 * Runs in authctl, after the drop to the auth user, in read transactions
 * only; ctl_audit_prep runs before the drop and only opens a file.  The audit fields were cleaned by audit_append (no control bytes,
 * no non-ASCII) but are still escaped for JSON here, since they started as
 * text from the network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authd/audit.h"
#include "authd/authctl.h"
#include "common/config.h"
#include "common/netaddr.h"
#include "common/util.h"

#define AUDIT_POLL_NS	500000000L	/* --follow: 500 ms */
#define REPORT_PERIOD	(24 * 3600)

struct audit_filter {
	const char	*user;
	const char	*address;
	int		 failed;
	int		 json;
	int64_t		 last;		/* time of the last record printed */
};

/* audit_is_failure: result neither success nor administrative. */
static int
audit_is_failure(const struct audit_rec *r)
{
	return strcmp(r->result, "ok") != 0 &&
	    strcmp(r->result, "admin") != 0 &&
	    strcmp(r->result, "anchor") != 0;
}

/* audit_frac: ".D" to ".DDDDDD" at *s as microseconds, then an optional
 * 'Z'; *s moves past them.  -1 when something else follows. */
static int
audit_frac(const char **s, int64_t *us)
{
	const char *p = *s;
	int64_t scale = 100000;

	*us = 0;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9' && scale > 0; p++, scale /= 10)
			*us += (*p - '0') * scale;
		if (p == *s + 1 || (*p >= '0' && *p <= '9'))
			return -1;
	}
	if (*p == 'Z')
		p++;
	*s = p;
	return *p == '\0' ? 0 : -1;
}

/* audit_date: "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS", optionally with
 * ".123456" and a trailing 'Z' as audit prints it (UTC), strictly; *us
 * gets microseconds since the epoch. */
static int
audit_date(const char *s, int64_t *us)
{
	struct tm tm, chk;
	const char *end;
	int64_t frac = 0;
	time_t tt;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%d", &tm)) == NULL ||
	    strlen(s) < 10 || end != s + 10)
		return -1;
	if (*end == 'T') {
		if ((end = strptime(end + 1, "%H:%M:%S", &tm)) == NULL ||
		    end != s + 19 || audit_frac(&end, &frac) == -1)
			return -1;
	}
	if (*end != '\0')
		return -1;
	chk = tm;
	if ((tt = timegm(&tm)) == (time_t)-1 || chk.tm_mday != tm.tm_mday ||
	    chk.tm_mon != tm.tm_mon || chk.tm_hour != tm.tm_hour)
		return -1;
	*us = (int64_t)tt * 1000000 + frac;
	return 0;
}

/* audit_since: the --since argument in microseconds. */
static int
audit_since(struct ctl *c, const char *s, int64_t *us)
{
	int64_t t;
	char *end;

	if (audit_date(s, us) == 0)
		return 0;
	if (s[0] == '@' && s[1] >= '0' && s[1] <= '9') {
		t = strtoll(s + 1, &end, 10);
		if (*end != '\0' || t > INT64_MAX / 1000000)
			goto bad;
	} else {
		if (config_parse_duration(s, &t) == -1)
			goto bad;
		t = c->now - t;
	}
	*us = t * 1000000;
	return 0;
bad:
	ctl_err("%s: not a time (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[.ffffff][Z] "
	    "in UTC, a duration ago like 24h, or @EPOCH)", ctl_vis(s));
	return -1;
}

static void
audit_json_str(const char *key, const char *s, int last)
{
	const unsigned char *p;

	printf("\"%s\":\"", key);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	printf("\"%s", last ? "}\n" : ",");
}

static int
audit_print(void *arg, const struct audit_rec *r)
{
	struct audit_filter *f = arg;
	char t[CTL_TIME_MAX + 8];

	f->last = r->time_us;
	if ((f->user && strcmp(r->user, f->user) != 0) ||
	    (f->address && strcmp(r->address, f->address) != 0) ||
	    (f->failed && !audit_is_failure(r)))
		return 0;
	ctl_time_us(r->time_us, t, sizeof(t));
	if (!f->json) {
		printf("%s %s %s %s %s %s %s %s %.16s\n", t, r->service,
		    r->mech, r->user, r->address, r->result, r->reason,
		    r->session, r->hash);
		return 0;
	}
	putchar('{');
	audit_json_str("time", t, 0);
	audit_json_str("service", r->service, 0);
	audit_json_str("mech", r->mech, 0);
	audit_json_str("user", r->user, 0);
	audit_json_str("address", r->address, 0);
	audit_json_str("result", r->result, 0);
	audit_json_str("reason", r->reason, 0);
	audit_json_str("session", r->session, 0);
	audit_json_str("hash", r->hash, 1);
	return 0;
}

/* audit_list: one pass from since_us, then every 500 ms with a fresh
 * read transaction when following. */
static int
audit_list(struct ctl *c, struct audit_filter *f, int64_t since, int follow)
{
	const struct timespec poll = { 0, AUDIT_POLL_NS };
	MDB_txn *txn;
	int rc;

	f->last = since - 1;
	for (;;) {
		if (ctl_begin(c, 0, &txn) == -1)
			return CTL_ERR;
		rc = audit_each(&c->db, txn, f->last + 1, audit_print, f);
		db_abort(txn);
		if (rc == -1) {
			ctl_err("audit: cannot read the audit log");
			return CTL_ERR;
		}
		if (fflush(stdout) == EOF)
			return CTL_ERR;
		if (!follow)
			return CTL_OK;
		nanosleep(&poll, NULL);
	}
}

/* The options of "audit", in the order of audit_opts. */
enum { AO_USER, AO_ADDRESS, AO_SINCE, AO_FAILED, AO_FOLLOW, AO_JSON,
    AO_VERIFY, AO_SYSLOG, AO_N };

static void
audit_opts(struct ctl_opt o[AO_N + 1])
{
	static const struct ctl_opt tmpl[AO_N + 1] = {
		{ "--user", 1, 0, NULL }, { "--address", 1, 0, NULL },
		{ "--since", 1, 0, NULL }, { "--failed", 0, 0, NULL },
		{ "--follow", 0, 0, NULL }, { "--json", 0, 0, NULL },
		{ "--verify", 0, 0, NULL }, { "--syslog", 1, 0, NULL },
		{ NULL, 0, 0, NULL },
	};

	memcpy(o, tmpl, sizeof(tmpl));
}

int
ctl_audit_prep(struct ctl *c, int argc, char **argv, uid_t uid, gid_t gid)
{
	struct ctl_opt o[AO_N + 1];
	int n;

	audit_opts(o);
	if (ctl_parse(argc, argv, o, NULL, 0, &n) == -1)
		return ctl_usage(c);
	if (!o[AO_SYSLOG].set || !o[AO_VERIFY].set)
		return CTL_OK;	/* ctl_audit judges the rest after the drop */
	return ctl_verify_open(o[AO_SYSLOG].val) == -1 ? CTL_ERR : CTL_OK;
}

/*
 * audit_user_arg: the value of --user, lowercased into out (AUTH_USER_MAX
 * bytes).  Failed logins record the names clients made up ("admin"), so
 * a name without '@' is allowed; but a value that no record can hold
 * (empty, too long, blanks or control characters) or an address that is
 * not one is an error, not a search that finds nothing.
 */
static int
audit_user_arg(const char *arg, char *out)
{
	size_t i;

	if (arg[0] == '\0' || str_copy(out, arg, AUTH_USER_MAX) == -1) {
		ctl_err("--user %s: %s", ctl_vis(arg), arg[0] == '\0' ?
		    "empty user name" : "user name too long (at most 255 "
		    "bytes)");
		return -1;
	}
	str_lower(out);
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] <= ' ' || out[i] > '~') {
			ctl_err("--user %s: not a user name: blank, control or "
			    "non-ASCII character at byte %zu", ctl_vis(arg),
			    i + 1);
			return -1;
		}
	if (strchr(out, '@') != NULL && !user_name_valid(out)) {
		ctl_err("--user %s: not a valid address (local@domain, one "
		    "'@', local part at most 64 characters, domain at most "
		    "253)", ctl_vis(arg));
		return -1;
	}
	return 0;
}

int
ctl_audit(struct ctl *c, int argc, char **argv)
{
	struct ctl_opt o[AO_N + 1];
	char user[AUTH_USER_MAX], addr[AUTH_ADDR_MAX];
	struct audit_filter f;
	int64_t since = 0;
	int i, n;

	audit_opts(o);
	if (ctl_parse(argc, argv, o, NULL, 0, &n) == -1)
		return ctl_usage(c);
	if (o[AO_SYSLOG].set && !o[AO_VERIFY].set)
		return ctl_usage_why(c, "--syslog goes with --verify");
	if (o[AO_VERIFY].set) {
		for (i = 0; i < AO_VERIFY; i++)
			if (o[i].set)
				return ctl_usage_why(c, "--verify excludes the "
				    "other options but --syslog");
		return ctl_verify(c, o[AO_SYSLOG].set ? o[AO_SYSLOG].val :
		    NULL);
	}
	memset(&f, 0, sizeof(f));
	if (o[AO_USER].set) {
		if (audit_user_arg(o[AO_USER].val, user) == -1)
			return CTL_ERR;
		f.user = user;
	}
	if (o[AO_ADDRESS].set) {
		if (netaddr_normalize(o[AO_ADDRESS].val, addr,
		    sizeof(addr)) == -1) {
			ctl_err("--address %s: not a numeric IPv4 or IPv6 "
			    "address", ctl_vis(o[AO_ADDRESS].val));
			return CTL_ERR;
		}
		f.address = addr;
	}
	if (o[AO_SINCE].set && audit_since(c, o[AO_SINCE].val, &since) == -1)
		return CTL_ERR;
	f.failed = o[AO_FAILED].set;
	f.json = o[AO_JSON].set;
	return audit_list(c, &f, since, o[AO_FOLLOW].set);
}

/* The report's failure tallies: every key once per failure, then sorted
 * and counted. */
struct tally {
	char	**keys;
	size_t	  n, cap;
};

struct tally_run {
	const char	*key;
	size_t		 count;
};

struct report {
	struct ctl	*c;
	struct tally	 users, addrs;
	int		 nitems;	/* in the current section */
	int		 pass;		/* of report_user_one */
};

static int
tally_add(struct tally *t, const char *key)
{
	char **k;

	if (t->n == t->cap) {
		if ((k = reallocarray(t->keys, t->cap ? t->cap * 2 : 64,
		    sizeof(*k))) == NULL)
			return -1;
		t->keys = k;
		t->cap = t->cap ? t->cap * 2 : 64;
	}
	if ((t->keys[t->n] = strdup(key)) == NULL)
		return -1;
	t->n++;
	return 0;
}

static void
tally_free(struct tally *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->keys[i]);
	free(t->keys);
}

static int
tally_cmp_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
tally_cmp_run(const void *a, const void *b)
{
	const struct tally_run *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* tally_print: "  COUNT KEY" lines, most failures first. */
static int
tally_print(const char *title, struct tally *t)
{
	struct tally_run *runs;
	size_t i, nr = 0;

	printf("\n%s:\n", title);
	if (t->n == 0) {
		printf("  none\n");
		return 0;
	}
	if ((runs = calloc(t->n, sizeof(*runs))) == NULL)
		return -1;
	qsort(t->keys, t->n, sizeof(*t->keys), tally_cmp_key);
	for (i = 0; i < t->n; i++) {
		if (nr == 0 || strcmp(runs[nr - 1].key, t->keys[i]) != 0)
			runs[nr++].key = t->keys[i];
		runs[nr - 1].count++;
	}
	qsort(runs, nr, sizeof(*runs), tally_cmp_run);
	for (i = 0; i < nr; i++)
		printf("  %6zu %s\n", runs[i].count, runs[i].key);
	free(runs);
	return 0;
}

static int
report_failure(void *arg, const struct audit_rec *r)
{
	struct report *rp = arg;

	if (!audit_is_failure(r))
		return 0;
	if (tally_add(&rp->users, r->user) == -1 ||
	    tally_add(&rp->addrs, r->address) == -1) {
		ctl_err("report: out of memory");
		return -1;
	}
	return 0;
}

static void
report_none(struct report *rp)
{
	if (rp->nitems == 0)
		printf("  none\n");
	rp->nitems = 0;
}

/* report_lock: a fail_user or fail_pair counter that locks now. */
static int
report_lock(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct report *rp = arg;
	struct counter_rec cr;
	char until[CTL_TIME_MAX];
	const char *key = k->mv_data, *nul;

	if (v->mv_size != sizeof(cr) || k->mv_size >= DB_KEY_MAX) {
		ctl_err("report: corrupt failure counter");
		return -1;
	}
	memcpy(&cr, v->mv_data, sizeof(cr));
	if (cr.locked_until <= rp->c->now)
		return 0;
	ctl_time(cr.locked_until, until, sizeof(until));
	nul = memchr(key, '\0', k->mv_size);
	if (nul == NULL)
		printf("  %.*s until %s (%u failures)\n", (int)k->mv_size, key,
		    until, cr.count);
	else
		printf("  %s from %.*s until %s (%u failures)\n", key,
		    (int)(k->mv_size - (size_t)(nul - key) - 1), nul + 1,
		    until, cr.count);
	rp->nitems++;
	return 0;
}

static int
report_ban(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct report *rp = arg;
	struct ban_rec b;
	char until[CTL_TIME_MAX];

	if (v->mv_size != sizeof(b)) {
		ctl_err("report: corrupt ban record");
		return -1;
	}
	memcpy(&b, v->mv_data, sizeof(b));
	if (b.until <= rp->c->now)
		return 0;
	ctl_time(b.until, until, sizeof(until));
	printf("  %.*s until %s level %u %s\n", (int)k->mv_size,
	    (const char *)k->mv_data, until, b.level,
	    b.manual ? "manual" : "auto");
	rp->nitems++;
	return 0;
}

/* report_user_one: pass 0 lists users without 2FA, pass 1 users whose
 * password is older than password_max_age. */
static int
report_user_one(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct report *rp = arg;
	int pass = rp->pass;
	char user[AUTH_USER_MAX], t[CTL_TIME_MAX];
	struct user_rec rec;

	if (ctl_key_str(k->mv_data, k->mv_size, user, sizeof(user)) == -1 ||
	    ctl_user_rec(user, v->mv_data, v->mv_size, &rec) == -1)
		return -1;
	if (pass == 0 && rec.totp_state != TOTP_ACTIVE) {
		printf("  %s%s\n", user, rec.totp_state == TOTP_PENDING ?
		    " (enrolment pending)" : "");
		rp->nitems++;
	} else if (pass == 1 && rp->c->now - rec.pw_set >
	    rp->c->cfg.password_max_age) {
		ctl_time(rec.pw_set, t, sizeof(t));
		printf("  %s set %s\n", user, t);
		rp->nitems++;
	}
	explicit_bzero(&rec, sizeof(rec));
	return 0;
}

static int
report_users(struct report *rp, MDB_txn *txn, int pass)
{
	rp->pass = pass;
	return db_each(&rp->c->db, txn, rp->c->db.users, NULL, 0,
	    report_user_one, rp);
}

static int
report_apppass(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct report *rp = arg;
	struct apppass_rec ap;
	const char *key = k->mv_data, *nul;
	char t[CTL_TIME_MAX];
	int64_t last;

	if (v->mv_size != sizeof(ap) ||
	    (nul = memchr(key, '\0', k->mv_size)) == NULL) {
		ctl_err("report: corrupt app password record");
		return -1;
	}
	memcpy(&ap, v->mv_data, sizeof(ap));
	last = ap.last_used ? ap.last_used : ap.created;
	if (rp->c->now - last <= rp->c->cfg.apppass_unused)
		return 0;
	ctl_time(ap.last_used, t, sizeof(t));
	printf("  %s %.*s last used %s\n", key,
	    (int)(k->mv_size - (size_t)(nul - key) - 1), nul + 1, t);
	rp->nitems++;
	return 0;
}

/* report_sections: everything but the failure tallies, in txn. */
static int
report_sections(struct report *rp, MDB_txn *txn)
{
	struct db *db = &rp->c->db;
	char d[32];

	printf("\nLocked accounts:\n");
	if (db_each(db, txn, db->fail_user, NULL, 0, report_lock, rp) == -1)
		return -1;
	report_none(rp);
	printf("\nLocked (user, address) pairs:\n");
	if (db_each(db, txn, db->fail_pair, NULL, 0, report_lock, rp) == -1)
		return -1;
	report_none(rp);
	printf("\nActive bans:\n");
	if (db_each(db, txn, db->bans, NULL, 0, report_ban, rp) == -1)
		return -1;
	report_none(rp);
	printf("\nUsers without 2FA:\n");
	if (report_users(rp, txn, 0) == -1)
		return -1;
	report_none(rp);
	ctl_duration(rp->c->cfg.apppass_unused, d, sizeof(d));
	printf("\nApp passwords unused for %s:\n", d);
	if (db_each(db, txn, db->apppass, NULL, 0, report_apppass, rp) == -1)
		return -1;
	report_none(rp);
	ctl_duration(rp->c->cfg.password_max_age, d, sizeof(d));
	printf("\nPasswords older than %s:\n", d);
	if (report_users(rp, txn, 1) == -1)
		return -1;
	report_none(rp);
	return 0;
}

int
ctl_report(struct ctl *c, int argc, char **argv)
{
	struct report rp;
	char t[CTL_TIME_MAX];
	MDB_txn *txn;
	int n, rc = -1;

	if (ctl_parse(argc, argv, NULL, NULL, 0, &n) == -1)
		return ctl_usage(c);
	memset(&rp, 0, sizeof(rp));
	rp.c = c;
	if (ctl_begin(c, 0, &txn) == -1)
		return CTL_ERR;
	ctl_time(c->now, t, sizeof(t));
	printf("postern authentication report, %s\n", t);
	if (audit_each(&c->db, txn, (c->now - REPORT_PERIOD) * 1000000,
	    report_failure, &rp) == 0 &&
	    tally_print("Failures in the last 24 hours, by user",
	    &rp.users) == 0 &&
	    tally_print("Failures in the last 24 hours, by address",
	    &rp.addrs) == 0)
		rc = report_sections(&rp, txn);
	db_abort(txn);
	tally_free(&rp.users);
	tally_free(&rp.addrs);
	if (rc == -1)
		ctl_err("report: cannot read the database");
	return rc == -1 ? CTL_ERR : CTL_OK;
}
