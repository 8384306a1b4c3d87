/*
 * dispatch.c: authd's request table and the life of a login (see
 * dispatch.h).  Runs in the main thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authd/dispatch.h"
#include "authd/live.h"
#include "authd/login.h"
#include "authd/lookup.h"
#include "authd/notice.h"
#include "authd/policy.h"
#include "authd/sched.h"
#include "authd/sendlimit.h"
#include "authd/server.h"
#include "common/authproto.h"
#include "common/log.h"
#include "common/mailpath.h"
#include "common/netaddr.h"
#include "common/util.h"

struct dispatch_type {
	uint8_t		 type;
	const char	*name;
	int		(*handler)(struct conn *, struct frame *);
	unsigned	 peers;		/* enum server_peer bits */
};

static int	dispatch_login(struct conn *, struct frame *);
static int	dispatch_bancheck(struct conn *, struct frame *);
static int	dispatch_rcpt(struct conn *, struct frame *);
static int	dispatch_open(struct conn *, struct frame *);
static int	dispatch_who(struct conn *, struct frame *);
static int	dispatch_kick(struct conn *, struct frame *);
static int	dispatch_known(struct conn *, struct frame *);
static int	dispatch_send(struct conn *, struct frame *);

static const struct dispatch_type dispatch_types[] = {
	{ MSG_AUTH_LOGIN, "login", dispatch_login, PEER_MONITOR | PEER_SELF },
	/* Sessions are the monitors' (root even after they drop to the mail
	 * uid, since the connection was made before); listing and ending
	 * them is authctl's. */
	{ MSG_AUTH_SESSION, "session login", dispatch_login, PEER_MONITOR },
	{ MSG_AUTH_OPEN, "session report", dispatch_open, PEER_MONITOR },
	{ MSG_AUTH_WHO, "session list", dispatch_who, PEER_SELF },
	{ MSG_AUTH_KICK, "session end", dispatch_kick, PEER_SELF },
	{ MSG_AUTH_BANCHECK, "ban check", dispatch_bancheck,
	    PEER_MONITOR | PEER_SELF },
	/* The daemons' parents seed their connection budgets with it. */
	{ MSG_AUTH_KNOWN, "known addresses", dispatch_known,
	    PEER_MONITOR | PEER_SELF },
	{ MSG_AUTH_RCPT, "recipient lookup", dispatch_rcpt,
	    PEER_MONITOR | PEER_SELF | PEER_QUEUE },
	/* smtpd's monitors, for each recipient of a logged-in user. */
	{ MSG_AUTH_SEND, "sending limit", dispatch_send,
	    PEER_MONITOR | PEER_SELF },
};

static struct db		*dispatch_db;
static const struct config	*dispatch_cfg;

void
dispatch_init(struct db *db, const struct config *cfg)
{
	dispatch_db = db;
	dispatch_cfg = cfg;
	login_init(cfg);
}

int
dispatch_request(struct conn *c, struct frame *f)
{
	size_t i;

	for (i = 0; i < sizeof(dispatch_types) / sizeof(dispatch_types[0]);
	    i++) {
		if (dispatch_types[i].type != f->type)
			continue;
		if (!(dispatch_types[i].peers & server_conn_peer(c))) {
			log_warnx("a %s request from a peer that may "
			    "not send one", dispatch_types[i].name);
			return -1;
		}
		return dispatch_types[i].handler(c, f);
	}
	log_warnx("unknown message type %u", f->type);
	return -1;
}

/* dispatch_login_answer: the answer frame of l with status and, on
 * success, the canonical user, the mail directory and the quota. */
static void
dispatch_login_answer(const struct login *l, uint32_t status, struct frame *f)
{
	struct auth_login_ans a;

	memset(&a, 0, sizeof(a));
	a.id = l->id;
	a.status = status;
	if (status == AUTH_OK) {
		str_copy(a.user, l->user, sizeof(a.user));
		/* login_judge refuses a user without one. */
		if (mailpath_dir(dispatch_cfg->mail_dir, l->user, a.maildir,
		    sizeof(a.maildir), NULL, 0) == -1)
			fatalx("internal error: no mail directory for "
			    "a successful login");
		a.quota = l->quota;
	}
	if (authproto_login_ans_encode(f, &a, l->opens) == -1)
		fatalx("internal error: cannot encode a login answer");
}

/* dispatch_notice: fill n for l's notice of kind at now. */
static void
dispatch_notice(const struct login *l, enum notice_kind kind, int64_t now,
    struct notice *n)
{
	n->kind = kind;
	str_copy(n->user, l->user, sizeof(n->user));
	str_copy(n->address, l->address, sizeof(n->address));
	str_copy(n->service, l->service, sizeof(n->service));
	n->when = now;
	n->locked_for = dispatch_cfg->lockout_pair_duration;
}

/*
 * dispatch_new_address: 1 when l's successful login, not yet counted,
 * calls for a notice: notices are on, its address is not known to the
 * user (policy_known: none within lockout known), and the user logged in
 * before from somewhere (its very first login mails nobody: there is
 * nothing yet to compare with, and the administrator just handed the
 * password over).  A record that cannot be read sends no notice.
 */
static int
dispatch_new_address(const struct login *l, MDB_txn *txn, int64_t now)
{
	if (!dispatch_cfg->login_notices)
		return 0;
	return policy_known(dispatch_db, txn, dispatch_cfg, l->user, l->key,
	    now) == 0 && policy_any_known(dispatch_db, txn, l->user) == 1;
}

/* dispatch_count: the counters a verdict changes, and in n the notice
 * it calls for (n->user "" when none); -1 on error. */
static int
dispatch_count(struct login *l, MDB_txn *txn, struct login_verdict *v,
    int64_t *banned, struct notice *n)
{
	int64_t now = now_us() / 1000000;
	int fresh, locked;

	*banned = 0;
	n->user[0] = '\0';
	if (v->status == AUTH_OK) {
		fresh = dispatch_new_address(l, txn, now);
		if (policy_success(dispatch_db, txn, l->user, l->key,
		    now) == -1)
			return -1;
		if (fresh)
			dispatch_notice(l, NOTICE_LOGIN, now, n);
		return 0;
	}
	if (v->count == LOGIN_COUNT_NONE)
		return 0;
	if (policy_fail(dispatch_db, txn, dispatch_cfg, l->user,
	    v->count == LOGIN_COUNT_ALL && l->user_exists, l->key, now,
	    banned, &locked) == -1)
		return -1;
	if (locked && dispatch_cfg->login_notices)
		dispatch_notice(l, NOTICE_LOCKED, now, n);
	return 0;
}

static const char *
dispatch_result(uint32_t status)
{
	return status == AUTH_OK ? "ok" : status == AUTH_FAIL_TEMP ?
	    "tempfail" : "fail";
}

/* dispatch_unopened: the record of e's login, whose session never
 * opened, and why not (printf-style). */
static void __attribute__((format(printf, 2, 3)))
dispatch_unopened(const struct live *e, const char *fmt, ...)
{
	char why[AUTH_REASON_MAX], reason[sizeof(e->login_reason) +
	    AUTH_REASON_MAX + 32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(reason, sizeof(reason), "%s; session not opened: %s",
	    e->login_reason, why);
	/* Nothing waits for this record: a failure is server_fault's. */
	(void)server_audit(e->service, e->mech, e->user, e->address,
	    "tempfail", reason, e->session);
}

/*
 * dispatch_record: the audit record of l's verdict.  A session login
 * that succeeded waits for its session instead (MSG_AUTH_OPEN): the
 * record is written then, and says whether the session opened.
 */
static int
dispatch_record(struct login *l, const struct login_verdict *v,
    const char *why)
{
	struct live *e;

	if (!l->opens)
		return server_audit(l->service, l->mech, l->user, l->address,
		    dispatch_result(v->status), why, l->session);
	if ((e = live_find(l->conn)) == NULL || e->state != LIVE_CLAIMED)
		fatalx("internal error: a session login without its entry");
	str_copy(e->session, l->session, sizeof(e->session));
	str_copy(e->user, l->user, sizeof(e->user));
	str_copy(e->service, l->service, sizeof(e->service));
	str_copy(e->mech, l->mech, sizeof(e->mech));
	str_copy(e->address, l->address, sizeof(e->address));
	str_copy(e->login_reason, why, sizeof(e->login_reason));
	if (v->status == AUTH_OK && !server_conn_closed(l->conn)) {
		e->state = LIVE_PENDING;
		return 0;
	}
	if (v->status == AUTH_OK)
		dispatch_unopened(e, "the daemon left before the answer");
	live_drop(e);
	if (v->status == AUTH_OK)
		return 0;
	return server_audit(l->service, l->mech, l->user, l->address,
	    dispatch_result(v->status), why, l->session);
}

/*
 * dispatch_verdict: count, audit and answer l's verdict, then free l.
 * The answer waits for the commit of this round (server.c); should that
 * fail, the client gets a temporary failure instead, whatever v said.
 */
static void
dispatch_verdict(struct login *l, struct login_verdict *v)
{
	static struct notice n;
	struct frame f, alt;
	MDB_txn *txn = server_txn();
	int64_t banned = 0, due = 0;
	char why[sizeof(v->reason) + 48];

	n.user[0] = '\0';
	if (txn == NULL || dispatch_count(l, txn, v, &banned, &n) == -1) {
		v->status = AUTH_FAIL_TEMP;
		str_copy(v->reason, "database error", sizeof(v->reason));
		n.user[0] = '\0';
	}
	snprintf(why, sizeof(why), banned ? "%s; address banned for %llds" :
	    "%s", v->reason, (long long)banned);
	if (dispatch_record(l, v, why) == -1)
		v->status = AUTH_FAIL_TEMP;
	/* Sent after the commit, or never (server.h). */
	if (n.user[0] != '\0' &&
	    (n.kind == NOTICE_LOCKED || v->status == AUTH_OK))
		notice_stage(&n);
	if (v->status != AUTH_OK)
		due = l->arrived + dispatch_cfg->auth_failure_delay;
	dispatch_login_answer(l, v->status, &f);
	dispatch_login_answer(l, AUTH_FAIL_TEMP, &alt);
	server_answer(l->conn, &f, &alt, due);
	frame_wipe(&f);
	worker_job_wipe(&l->job);
	explicit_bzero(l, sizeof(*l));
	free(l);
}

/* dispatch_admit: where a login that passed login_admit waits; 0 when it
 * is queued, -1 with *v when it is refused without hashing. */
static int
dispatch_admit(struct login *l, MDB_txn *txn, struct login_verdict *v)
{
	long fails;

	/* Attempts in flight from an address count against its ban limit
	 * as if they had failed already; known pairs are exempt, so an
	 * office behind one address can log in all at once. */
	if (!l->known) {
		fails = policy_addr_failures(dispatch_db, txn, dispatch_cfg,
		    l->key, now_us() / 1000000);
		if (fails == -1 || fails + sched_waiting(l->key) >=
		    dispatch_cfg->ban_failures) {
			v->status = AUTH_FAIL_TEMP;
			v->count = LOGIN_COUNT_NONE;
			str_copy(v->reason, fails == -1 ? "database error" :
			    "too many attempts in flight from this address",
			    sizeof(v->reason));
			return -1;
		}
	}
	if (sched_enqueue(l) == -1) {
		v->status = AUTH_FAIL_TEMP;
		v->count = LOGIN_COUNT_NONE;
		str_copy(v->reason, "too many attempts waiting from this "
		    "address", sizeof(v->reason));
		return -1;
	}
	return 0;
}

static int
dispatch_login(struct conn *c, struct frame *f)
{
	static struct auth_login_req r;
	struct login_verdict v;
	struct login *l;
	MDB_txn *txn;

	if (authproto_login_req_decode(f, &r) == -1) {
		explicit_bzero(&r, sizeof(r));
		return -1;
	}
	if (r.opens && live_claim(c) == NULL) {
		explicit_bzero(&r, sizeof(r));
		log_warnx("a second session login on one connection");
		return -1;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("out of memory for a login");
	l->opens = r.opens;
	l->job.owner = l;
	l->conn = c;
	l->arrived = mono_ms();
	memset(&v, 0, sizeof(v));
	if ((txn = server_txn()) == NULL) {
		l->id = r.id;
		v.status = AUTH_FAIL_TEMP;
		str_copy(v.reason, "database error", sizeof(v.reason));
		dispatch_verdict(l, &v);
	} else if (login_admit(l, dispatch_db, txn, dispatch_cfg, &r,
	    &v) == 0 || dispatch_admit(l, txn, &v) == -1)
		dispatch_verdict(l, &v);
	explicit_bzero(&r, sizeof(r));
	return 0;
}

void
dispatch_schedule(void)
{
	struct login_verdict v;
	struct login *l;
	MDB_txn *txn;

	while (worker_idle() > 0 && (l = sched_next()) != NULL) {
		memset(&v, 0, sizeof(v));
		if (server_conn_closed(l->conn)) {
			/* Nobody waits for this answer: no hashing. */
			v.status = AUTH_FAIL_TEMP;
			str_copy(v.reason, "client left before verification",
			    sizeof(v.reason));
		} else if ((txn = server_txn()) == NULL) {
			v.status = AUTH_FAIL_TEMP;
			str_copy(v.reason, "database error", sizeof(v.reason));
		} else if (login_recheck(l, dispatch_db, txn, &v) == 1) {
			worker_submit(&l->job);
			continue;
		}
		sched_done(l);
		dispatch_verdict(l, &v);
	}
}

void
dispatch_verified(struct worker_job *done)
{
	struct worker_job *next;
	struct login_verdict v;
	struct login *l;
	MDB_txn *txn;

	for (; done != NULL; done = next) {
		next = done->next;
		l = done->owner;
		worker_job_wipe(done);
		memset(&v, 0, sizeof(v));
		if ((txn = server_txn()) == NULL) {
			v.status = AUTH_FAIL_TEMP;
			str_copy(v.reason, "database error", sizeof(v.reason));
		} else
			login_judge(l, dispatch_db, txn, dispatch_cfg, &v);
		/* Counted before the next login of this pair or account may
		 * run (sched.h). */
		sched_done(l);
		dispatch_verdict(l, &v);
	}
}

static int
dispatch_bancheck(struct conn *c, struct frame *f)
{
	struct auth_addr_req r;
	struct auth_status_ans a;
	struct frame out;

	if (authproto_addr_req_decode(f, &r) == -1)
		return -1;
	a.id = r.id;
	a.status = lookup_banned(dispatch_db, server_txn(), r.address);
	if (authproto_status_ans_encode(&out, MSG_AUTH_BANCHECK, &a) == -1)
		fatalx("internal error: cannot encode a ban check answer");
	server_answer(c, &out, NULL, 0);
	return 0;
}

static int
dispatch_rcpt(struct conn *c, struct frame *f)
{
	static struct auth_rcpt_ans a;
	struct auth_addr_req r;
	struct frame out;

	if (authproto_addr_req_decode(f, &r) == -1)
		return -1;
	memset(&a, 0, sizeof(a));
	a.id = r.id;
	lookup_rcpt(dispatch_db, server_txn(), dispatch_cfg, r.address, &a);
	if (authproto_rcpt_ans_encode(&out, &a) == -1)
		fatalx("internal error: cannot encode a recipient answer");
	server_answer(c, &out, NULL, 0);
	return 0;
}

void
dispatch_closed(struct conn *c)
{
	struct live *e;

	/* A login still in flight keeps its entry until its verdict. */
	if ((e = live_find(c)) == NULL || e->state == LIVE_CLAIMED)
		return;
	if (e->state == LIVE_PENDING)
		dispatch_unopened(e, "the daemon closed its connection to "
		    "authd first");
	live_drop(e);
}

static int
dispatch_open(struct conn *c, struct frame *f)
{
	struct auth_open_req r;
	struct auth_status_ans a;
	struct frame out, alt;
	struct live *e;

	if (authproto_open_req_decode(f, &r) == -1)
		return -1;
	if ((e = live_find(c)) == NULL || e->state != LIVE_PENDING) {
		log_warnx("a session report without a session");
		return -1;
	}
	a.id = r.id;
	a.status = AUTH_FAIL_TEMP;
	if (r.status != AUTH_OK)
		dispatch_unopened(e, "%s", r.reason);
	else if (e->ended)
		dispatch_unopened(e, "ended before it opened: %s",
		    e->end_reason);
	else if (server_audit(e->service, e->mech, e->user, e->address, "ok",
	    e->login_reason, e->session) == 0) {
		e->state = LIVE_OPEN;
		e->since = now_us() / 1000000;
		a.status = AUTH_OK;
	}
	if (a.status != AUTH_OK)
		live_drop(e);
	if (authproto_status_ans_encode(&out, MSG_AUTH_OPEN, &a) == -1)
		fatalx("internal error: cannot encode a session answer");
	a.status = AUTH_FAIL_TEMP;
	if (authproto_status_ans_encode(&alt, MSG_AUTH_OPEN, &a) == -1)
		fatalx("internal error: cannot encode a session answer");
	server_answer(c, &out, &alt, 0);
	return 0;
}

static int
dispatch_who(struct conn *c, struct frame *f)
{
	static struct auth_who_ans a;
	struct auth_who_req r;
	struct auth_who_entry *w;
	struct frame out;
	struct live *e;
	char reason[AUTH_REASON_MAX];

	if (authproto_who_req_decode(f, &r) == -1)
		return -1;
	memset(&a, 0, sizeof(a));
	a.id = r.id;
	for (e = live_next(NULL, 0); e != NULL; e = live_next(e, 0)) {
		if (r.user[0] != '\0' && strcmp(r.user, e->user) != 0)
			continue;
		if (a.total++ < r.offset || a.count == AUTH_WHO_MAX)
			continue;
		w = &a.s[a.count++];
		str_copy(w->session, e->session, sizeof(w->session));
		str_copy(w->user, e->user, sizeof(w->user));
		str_copy(w->service, e->service, sizeof(w->service));
		str_copy(w->address, e->address, sizeof(w->address));
		w->since = (uint64_t)e->since;
	}
	if ((r.flags & AUTH_FLAG_AUDIT) && r.offset == 0) {
		snprintf(reason, sizeof(reason), "who: %u live session%s, by %s",
		    a.total, a.total == 1 ? "" : "s", r.by);
		(void)server_audit("authctl", "-", r.user[0] ? r.user : "-",
		    "-", "admin", reason, "-");
	}
	if (authproto_who_ans_encode(&out, &a) == -1)
		fatalx("internal error: cannot encode the session list");
	server_answer(c, &out, NULL, 0);
	return 0;
}

/* dispatch_end: end e: tell its connection, audit, forget it.  One that
 * has not opened yet is marked, and refused when it reports. */
static void
dispatch_end(struct live *e, const struct auth_kick_req *r)
{
	struct auth_end end;
	struct frame out;
	char reason[AUTH_REASON_MAX + AUTH_BY_MAX + 64];

	if (e->state == LIVE_PENDING) {
		e->ended = 1;
		snprintf(e->end_reason, sizeof(e->end_reason), "%s, by %s",
		    r->reason, r->by);
		return;
	}
	memset(&end, 0, sizeof(end));
	str_copy(end.reason, r->reason, sizeof(end.reason));
	if (authproto_end_encode(&out, &end) == -1)
		fatalx("internal error: cannot encode a session end");
	server_send(e->conn, &out);
	snprintf(reason, sizeof(reason), "ended the %s session: %s, by %s",
	    e->service, r->reason, r->by);
	(void)server_audit("authctl", "-", e->user, e->address, "admin",
	    reason, e->session);
	live_drop(e);
}

static int
dispatch_kick(struct conn *c, struct frame *f)
{
	struct auth_kick_req r;
	struct auth_kick_ans a;
	struct frame out;
	struct live *e;
	char reason[AUTH_REASON_MAX + AUTH_BY_MAX + 64];

	if (authproto_kick_req_decode(f, &r) == -1 ||
	    (r.user[0] == '\0' && r.session[0] == '\0'))
		return -1;
	a.id = r.id;
	a.count = 0;
	for (e = live_next(NULL, 1); e != NULL; e = live_next(e, 1)) {
		if ((r.user[0] != '\0' && strcmp(r.user, e->user) != 0) ||
		    (r.session[0] != '\0' &&
		    strcmp(r.session, e->session) != 0) || e->ended)
			continue;
		dispatch_end(e, &r);
		a.count++;
	}
	if (a.count == 0 && (r.flags & AUTH_FLAG_AUDIT)) {
		snprintf(reason, sizeof(reason), "kick: no live session to "
		    "end: %s, by %s", r.reason, r.by);
		(void)server_audit("authctl", "-", r.user[0] ? r.user : "-",
		    "-", "admin", reason, r.session[0] ? r.session : "-");
	}
	if (authproto_kick_ans_encode(&out, &a) == -1)
		fatalx("internal error: cannot encode a kick answer");
	server_answer(c, &out, NULL, 0);
	return 0;
}

static int
dispatch_known(struct conn *c, struct frame *f)
{
	static struct auth_known_ans a;
	struct auth_known_req r;
	struct frame out;

	if (authproto_known_req_decode(f, &r) == -1)
		return -1;
	memset(&a, 0, sizeof(a));
	a.id = r.id;
	if (lookup_known(dispatch_db, server_txn(), dispatch_cfg, r.offset,
	    &a) == -1)
		log_warnx("cannot list the known addresses");
	if (authproto_known_ans_encode(&out, &a) == -1)
		fatalx("internal error: cannot encode the known addresses");
	server_answer(c, &out, NULL, 0);
	return 0;
}

/* dispatch_send_refused: the audit record of the first refusal of an
 * episode over the sending limit; -1 when it could not be written. */
static int
dispatch_send_refused(const struct auth_send_req *r,
    const struct sendlimit_result *res)
{
	char addr[AUTH_ADDR_MAX], why[160];

	if (netaddr_normalize(r->address, addr, sizeof(addr)) == -1)
		str_copy(addr, "invalid", sizeof(addr));
	snprintf(why, sizeof(why), "sending limit reached: %llu recipients "
	    "in the last hour, limit %u, %u more refused",
	    (unsigned long long)res->used, res->limit, r->count);
	return server_audit("smtp", "-", r->user, addr, "tempfail", why,
	    r->session[0] != '\0' ? r->session : "-");
}

static int
dispatch_send(struct conn *c, struct frame *f)
{
	struct auth_send_req r;
	struct auth_status_ans a;
	struct sendlimit_result res;
	struct frame out, alt;
	MDB_txn *txn;

	if (authproto_send_req_decode(f, &r) == -1)
		return -1;
	str_lower(r.user);
	memset(&res, 0, sizeof(res));
	res.status = AUTH_FAIL_TEMP;
	res.why = "database error";
	if ((txn = server_txn()) != NULL)
		sendlimit_charge(dispatch_db, txn, dispatch_cfg, r.user,
		    r.count, now_us() / 1000000, &res);
	if (res.status == AUTH_FAIL_TEMP && res.why != NULL)
		log_warnx("cannot count the recipients of %s: %s", r.user,
		    res.why);
	if (res.first && dispatch_send_refused(&r, &res) == -1)
		res.status = AUTH_FAIL_TEMP;
	a.id = r.id;
	a.status = res.status;
	if (authproto_status_ans_encode(&out, MSG_AUTH_SEND, &a) == -1)
		fatalx("internal error: cannot encode a sending limit answer");
	a.status = AUTH_FAIL_TEMP;
	if (authproto_status_ans_encode(&alt, MSG_AUTH_SEND, &a) == -1)
		fatalx("internal error: cannot encode a sending limit answer");
	server_answer(c, &out, &alt, 0);
	return 0;
}
