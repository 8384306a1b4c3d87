/*
 * test_authd_smtp.c: unit tests of what authd gives smtpd: the
 * MSG_AUTH_SEND codec (common/authproto.c), the bound that keeps a RCPT
 * answer within one frame, the sliding hour of the sending limit
 * (authd/sendlimit.c, its pure part), and the text of a login notice
 * (authd/notice.c), and, on a database in a temporary directory, the
 * charges of the sending limit and the account lock that calls for a
 * notice (authd/sendlimit.c, authd/policy.c).  Runs as an ordinary user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authd/notice.h"
#include "authd/policy.h"
#include "authd/sendlimit.h"
#include "common/authproto.h"
#include "common/config.h"
#include "common/frame.h"
#include "common/log.h"
#include "common/msg.h"
#include "tests/unit/check.h"

#define ALICE	"alice@example.test"

static char dir[] = "/tmp/test_authd_smtp.XXXXXX";

static void
test_send_roundtrip(void)
{
	struct auth_send_req in, out;
	struct auth_status_ans a, b;
	struct frame f, g;

	memset(&in, 0, sizeof(in));
	in.id = 42;
	in.count = 3;
	strcpy(in.user, "alice@example.test");
	strcpy(in.address, "2001:db8::7");
	strcpy(in.session, "5f3a");
	CHECK_INT_EQ(authproto_send_req_encode(&f, &in), 0, "send encodes");
	CHECK_INT_EQ(frame_parse(&g, f.buf, f.len), 0, "send frame parses");
	CHECK_INT_EQ(g.type, MSG_AUTH_SEND, "its type is MSG_AUTH_SEND");
	memset(&out, 0xff, sizeof(out));
	CHECK_INT_EQ(authproto_send_req_decode(&g, &out), 0, "send decodes");
	CHECK_INT_EQ(out.id, 42, "id survives");
	CHECK_INT_EQ(out.count, 3, "count survives");
	CHECK_STR_EQ(out.user, in.user, "user survives");
	CHECK_STR_EQ(out.address, in.address, "address survives");
	CHECK_STR_EQ(out.session, in.session, "session survives");

	a.id = 42;
	a.status = AUTH_FAIL_TEMP;
	CHECK_INT_EQ(authproto_status_ans_encode(&f, MSG_AUTH_SEND, &a), 0,
	    "send answer encodes");
	CHECK_INT_EQ(frame_parse(&g, f.buf, f.len), 0, "answer parses");
	CHECK_INT_EQ(g.type, MSG_AUTH_SEND, "answer of the same type");
	CHECK_INT_EQ(authproto_status_ans_decode(&g, &b), 0, "answer decodes");
	CHECK_INT_EQ(b.status, AUTH_FAIL_TEMP, "refusal survives");
}

/* send_frame: a SEND request with the given count and an optional
 * trailing byte, decoded; the decoder's result. */
static int
send_decode(uint32_t count, int trailing, const char *user)
{
	struct auth_send_req r;
	struct frame f, g;

	frame_init(&f, MSG_AUTH_SEND);
	frame_add_u32(&f, 1);
	frame_add_str(&f, user);
	frame_add_u32(&f, count);
	frame_add_str(&f, "192.0.2.1");
	frame_add_str(&f, "s");
	if (trailing)
		frame_add_u32(&f, 0);
	if (frame_finish(&f) == -1 || frame_parse(&g, f.buf, f.len) == -1)
		return -2;
	return authproto_send_req_decode(&g, &r);
}

static void
test_send_malformed(void)
{
	char longuser[AUTH_USER_MAX + 1];
	struct auth_send_req r;
	struct frame f, g;

	CHECK_INT_EQ(send_decode(1, 0, "a@b"), 0, "count 1 accepted");
	CHECK_INT_EQ(send_decode(AUTH_SEND_COUNT_MAX, 0, "a@b"), 0,
	    "count at the maximum accepted");
	CHECK_INT_EQ(send_decode(0, 0, "a@b"), -1, "count 0 refused");
	CHECK_INT_EQ(send_decode(AUTH_SEND_COUNT_MAX + 1, 0, "a@b"), -1,
	    "count above the maximum refused");
	CHECK_INT_EQ(send_decode(UINT32_MAX, 0, "a@b"), -1,
	    "huge count refused");
	CHECK_INT_EQ(send_decode(1, 1, "a@b"), -1, "trailing bytes refused");
	memset(longuser, 'u', AUTH_USER_MAX);
	longuser[AUTH_USER_MAX] = '\0';
	CHECK_INT_EQ(send_decode(1, 0, longuser), -1,
	    "a user longer than AUTH_USER_MAX refused");

	frame_init(&f, MSG_AUTH_SEND);
	frame_add_u32(&f, 1);
	frame_add_str(&f, "a@b");
	frame_add_u32(&f, 1);
	CHECK_INT_EQ(frame_finish(&f), 0, "short frame builds");
	CHECK_INT_EQ(frame_parse(&g, f.buf, f.len), 0, "short frame parses");
	CHECK_INT_EQ(authproto_send_req_decode(&g, &r), -1,
	    "missing address and session refused");
}

/* test_rcpt_bound: 32 names of 255 bytes would take 8.5 KB; the answer
 * takes names only while they fit, and the encoder refuses anything
 * built otherwise instead of a frame that cannot be sent. */
static void
test_rcpt_bound(void)
{
	static struct auth_rcpt_ans a, b;
	struct frame f, g;
	size_t len = AUTH_USER_MAX - 1;
	uint32_t fit;

	memset(&a, 0, sizeof(a));
	a.id = 9;
	CHECK_INT_EQ(authproto_rcpt_ans_size(&a), AUTH_RCPT_ANS_HDR,
	    "an empty answer is its header");
	while (authproto_rcpt_fits(&a, len)) {
		memset(a.users[a.count], 'a' + (int)a.count % 26, len);
		a.users[a.count][len] = '\0';
		a.quotas[a.count++] = 1024;
	}
	fit = (uint32_t)((FRAME_MAX - AUTH_RCPT_ANS_HDR) /
	    AUTH_RCPT_ENTRY(len));
	CHECK_INT_EQ(a.count, fit, "as many long names as fit one frame");
	CHECK_TRUE(a.count < AUTH_RCPT_MAX, "fewer than AUTH_RCPT_MAX");
	CHECK_TRUE(authproto_rcpt_ans_size(&a) <= FRAME_MAX,
	    "the size stays within FRAME_MAX");
	CHECK_INT_EQ(authproto_rcpt_ans_encode(&f, &a), 0,
	    "the answer that fits encodes");
	CHECK_INT_EQ((long long)f.len, (long long)authproto_rcpt_ans_size(&a),
	    "authproto_rcpt_ans_size is the encoded size");
	CHECK_INT_EQ(frame_parse(&g, f.buf, f.len), 0, "it parses");
	CHECK_INT_EQ(authproto_rcpt_ans_decode(&g, &b), 0, "and decodes");
	CHECK_INT_EQ(b.count, a.count, "every name arrives");
	CHECK_STR_EQ(b.users[b.count - 1], a.users[a.count - 1],
	    "the last name intact");

	memset(a.users[a.count], 'z', len);
	a.users[a.count][len] = '\0';
	a.count++;
	CHECK_TRUE(authproto_rcpt_ans_size(&a) > FRAME_MAX,
	    "one more long name passes FRAME_MAX");
	CHECK_INT_EQ(authproto_rcpt_ans_encode(&f, &a), -1,
	    "the encoder refuses it");

	memset(&a, 0, sizeof(a));
	while (authproto_rcpt_fits(&a, 20)) {
		snprintf(a.users[a.count], AUTH_USER_MAX, "u%02u@example.test",
		    a.count);
		a.count++;
	}
	CHECK_INT_EQ(a.count, AUTH_RCPT_MAX, "short names: AUTH_RCPT_MAX");
	CHECK_INT_EQ(authproto_rcpt_ans_encode(&f, &a), 0,
	    "AUTH_RCPT_MAX short names encode");
	CHECK_TRUE(!authproto_rcpt_fits(&a, 1), "no 33rd name");
	CHECK_TRUE(!authproto_rcpt_fits(&a, AUTH_USER_MAX),
	    "no name of AUTH_USER_MAX bytes ever");
}

static void
test_window(void)
{
	struct sent_rec r;

	memset(&r, 0, sizeof(r));
	r.version = SENT_REC_VERSION;
	r.minute = 1000;
	r.count[1000 % SENT_MINUTES] = 5;
	sendlimit_advance(&r, 1010);
	r.count[1010 % SENT_MINUTES] += 7;
	CHECK_INT_EQ(sendlimit_used(&r), 12, "both minutes in the hour");
	sendlimit_advance(&r, 1059);
	CHECK_INT_EQ(sendlimit_used(&r), 12, "59 minutes later: still in");
	sendlimit_advance(&r, 1060);
	CHECK_INT_EQ(sendlimit_used(&r), 7, "60 minutes later: the first "
	    "minute has left the window");
	sendlimit_advance(&r, 1050);
	CHECK_INT_EQ(r.minute, 1060, "a clock that steps back moves nothing");
	CHECK_INT_EQ(sendlimit_used(&r), 7, "and forgets nothing");
	sendlimit_advance(&r, 1069);
	CHECK_INT_EQ(sendlimit_used(&r), 7, "minute 1010 in until 1069");
	sendlimit_advance(&r, 1070);
	CHECK_INT_EQ(sendlimit_used(&r), 0, "and out at 1070");
	r.count[1070 % SENT_MINUTES] = 3;
	sendlimit_advance(&r, 100000);
	CHECK_INT_EQ(sendlimit_used(&r), 0, "a long silence clears all");
}

/* header: the value of the header line name in msg, into out. */
static void
header(const char *msg, const char *name, char *out, size_t len)
{
	const char *p = strstr(msg, name), *e;

	out[0] = '\0';
	if (p == NULL || (p != msg && p[-1] != '\n'))
		return;
	p += strlen(name);
	e = strchr(p, '\n');
	snprintf(out, len, "%.*s", (int)(e - p), p);
}

static void
test_notice(void)
{
	static char buf[NOTICE_MSG_MAX], small[200];
	struct notice n;
	char v[256];
	int len;

	memset(&n, 0, sizeof(n));
	n.kind = NOTICE_LOGIN;
	strcpy(n.user, "alice@example.test");
	strcpy(n.address, "2001:db8::7");
	strcpy(n.service, "imap");
	n.when = 1796025600;	/* 2026-11-30 08:00:00 UTC */
	n.locked_for = 900;
	len = notice_compose(&n, "example.test", "mx.example.test",
	    "1796025600.0123456789abcdef", buf, sizeof(buf));
	CHECK_TRUE(len > 0 && (size_t)len == strlen(buf), "login notice fits");
	header(buf, "From: ", v, sizeof(v));
	CHECK_STR_EQ(v, "postern <postmaster@example.test>", "From");
	header(buf, "To: ", v, sizeof(v));
	CHECK_STR_EQ(v, "<alice@example.test>", "To");
	header(buf, "Subject: ", v, sizeof(v));
	CHECK_STR_EQ(v, "New sign-in to your mail account", "Subject");
	header(buf, "Date: ", v, sizeof(v));
	CHECK_STR_EQ(v, "Mon, 30 Nov 2026 08:00:00 +0000", "Date in UTC");
	header(buf, "Message-ID: ", v, sizeof(v));
	CHECK_STR_EQ(v, "<notice.1796025600.0123456789abcdef@mx.example.test>",
	    "Message-ID");
	header(buf, "Auto-Submitted: ", v, sizeof(v));
	CHECK_STR_EQ(v, "auto-generated", "Auto-Submitted");
	CHECK_TRUE(strstr(buf, "\n\n") != NULL, "a blank line ends the header");
	CHECK_TRUE(strstr(buf, "When:      2026-11-30 08:00:00 UTC\n") != NULL,
	    "when, in UTC");
	CHECK_TRUE(strstr(buf, "From:      2001:db8::7\n") != NULL,
	    "from which address");
	CHECK_TRUE(strstr(buf, "Protocol:  IMAP") != NULL, "which protocol");
	CHECK_TRUE(strstr(buf, "administrator") != NULL,
	    "what to do if it was not the user");
	CHECK_TRUE(strchr(buf, '\r') == NULL, "LF line ends");

	n.kind = NOTICE_LOCKED;
	strcpy(n.service, "smtp");
	len = notice_compose(&n, "example.test", "mx.example.test", "t", buf,
	    sizeof(buf));
	CHECK_TRUE(len > 0, "lock notice fits");
	header(buf, "Subject: ", v, sizeof(v));
	CHECK_STR_EQ(v, "Your mail account was locked", "lock Subject");
	CHECK_TRUE(strstr(buf, "refused for 15 minutes") != NULL,
	    "how long the lock lasts");
	CHECK_TRUE(strstr(buf, "Protocol:  SMTP") != NULL, "lock protocol");
	CHECK_INT_EQ(notice_compose(&n, "example.test", "mx.example.test",
	    "t", small, sizeof(small)), -1, "too small a buffer: -1");
}

/* notice_frame: a notice datagram as the server sends it. */
static void
notice_frame(struct frame *f, uint8_t type, const char *rcpt,
    const char *msg, int extra)
{
	frame_init(f, type);
	frame_add_str(f, rcpt);
	frame_add_bytes(f, msg, strlen(msg));
	if (extra)
		frame_add_u32(f, 0);
	(void)frame_finish(f);
}

static void
test_notice_decode(void)
{
	static struct frame f, g;
	char rcpt[AUTH_USER_MAX];
	const uint8_t *msg;
	size_t len;

	notice_frame(&f, MSG_AUTHD_NOTICE, ALICE, "Subject: x\n\nhi\n", 0);
	CHECK_INT_EQ(notice_decode(&g, f.buf, f.len, rcpt, &msg, &len), 0,
	    "a notice decodes");
	CHECK_STR_EQ(rcpt, ALICE, "its recipient");
	CHECK_INT_EQ(len, 15, "its message length");
	CHECK_TRUE(memcmp(msg, "Subject: x\n\nhi\n", 15) == 0,
	    "its message bytes");
	CHECK_INT_EQ(notice_decode(&g, f.buf, f.len - 1, rcpt, &msg, &len), -1,
	    "a short datagram is refused");
	CHECK_INT_EQ(notice_decode(&g, f.buf, 3, rcpt, &msg, &len), -1,
	    "less than a frame header is refused");
	notice_frame(&f, MSG_AUTHD_POLICY, ALICE, "x", 0);
	CHECK_INT_EQ(notice_decode(&g, f.buf, f.len, rcpt, &msg, &len), -1,
	    "another type is refused");
	notice_frame(&f, MSG_AUTHD_NOTICE, "not a user", "x", 0);
	CHECK_INT_EQ(notice_decode(&g, f.buf, f.len, rcpt, &msg, &len), -1,
	    "a recipient that is no user name is refused");
	notice_frame(&f, MSG_AUTHD_NOTICE, ALICE, "", 0);
	CHECK_INT_EQ(notice_decode(&g, f.buf, f.len, rcpt, &msg, &len), -1,
	    "an empty message is refused");
	notice_frame(&f, MSG_AUTHD_NOTICE, ALICE, "x", 1);
	CHECK_INT_EQ(notice_decode(&g, f.buf, f.len, rcpt, &msg, &len), -1,
	    "trailing bytes are refused");
}

/* add_user: a user record for name in txn. */
static int
add_user(struct db *db, MDB_txn *txn, const char *name, uint32_t flags)
{
	struct user_rec u;

	memset(&u, 0, sizeof(u));
	u.version = USER_REC_VERSION;
	u.flags = flags;
	u.services = SERVICE_ALL;
	return db_user_put(db, txn, name, &u);
}

static void
test_charge(struct db *db, struct config *cfg)
{
	struct sendlimit_result r;
	MDB_txn *txn;
	int64_t t = 1796025600;
	uint64_t used;

	cfg->smtp_send_limit = 3;
	CHECK_INT_EQ(db_begin(db, 1, &txn), 0, "write transaction");
	CHECK_INT_EQ(add_user(db, txn, ALICE, 0), 0, "alice");
	CHECK_INT_EQ(add_user(db, txn, "off@example.test", USER_DISABLED), 0,
	    "a disabled user");
	sendlimit_charge(db, txn, cfg, ALICE, 2, t, &r);
	CHECK_INT_EQ(r.status, AUTH_OK, "2 of 3");
	CHECK_INT_EQ(r.limit, 3, "the default limit applies");
	sendlimit_charge(db, txn, cfg, ALICE, 2, t + 60, &r);
	CHECK_INT_EQ(r.status, AUTH_FAIL_TEMP, "2 more would be 4");
	CHECK_INT_EQ(r.used, 2, "2 used before");
	CHECK_INT_EQ(r.first, 1, "the first refusal of an episode");
	CHECK_TRUE(r.why == NULL, "a refusal, not a fault");
	sendlimit_charge(db, txn, cfg, ALICE, 1, t + 60, &r);
	CHECK_INT_EQ(r.status, AUTH_OK, "1 more fits");
	sendlimit_charge(db, txn, cfg, ALICE, 1, t + 120, &r);
	CHECK_INT_EQ(r.status, AUTH_FAIL_TEMP, "the 4th is refused");
	CHECK_INT_EQ(r.first, 1, "a new episode after a send that fit");
	sendlimit_charge(db, txn, cfg, ALICE, 1, t + 180, &r);
	CHECK_INT_EQ(r.first, 0, "the same episode goes on unaudited");
	CHECK_INT_EQ(db_commit(txn), 0, "committed");

	CHECK_INT_EQ(db_begin(db, 1, &txn), 0, "a later transaction");
	CHECK_INT_EQ(sendlimit_used_now(db, txn, ALICE, t + 3599, &used), 0,
	    "used now");
	CHECK_INT_EQ(used, 3, "durable: 3 counted");
	sendlimit_charge(db, txn, cfg, ALICE, 1, t + 3599, &r);
	CHECK_INT_EQ(r.status, AUTH_FAIL_TEMP, "still full 59 minutes on");
	sendlimit_charge(db, txn, cfg, ALICE, 2, t + 3600, &r);
	CHECK_INT_EQ(r.status, AUTH_OK, "the first minute's 2 left the hour");
	CHECK_INT_EQ(db_sendlimit_put(db, txn, ALICE, 0), 0, "no limit");
	sendlimit_charge(db, txn, cfg, ALICE, 10000, t + 3600, &r);
	CHECK_INT_EQ(r.status, AUTH_OK, "her own limit: none");
	CHECK_INT_EQ(r.limit, 0, "reported as 0");
	CHECK_INT_EQ(db_sendlimit_put(db, txn, ALICE, 1), 0, "a limit of 1");
	sendlimit_charge(db, txn, cfg, ALICE, 1, t + 3600, &r);
	CHECK_INT_EQ(r.status, AUTH_FAIL_TEMP, "over her own limit");
	sendlimit_charge(db, txn, cfg, "off@example.test", 1, t, &r);
	CHECK_INT_EQ(r.status, AUTH_FAIL_PERM, "a disabled user may not send");
	sendlimit_charge(db, txn, cfg, "ghost@example.test", 1, t, &r);
	CHECK_INT_EQ(r.status, AUTH_FAIL_PERM, "nor one that does not exist");
	sendlimit_charge(db, txn, cfg, "not a name", 1, t, &r);
	CHECK_INT_EQ(r.status, AUTH_FAIL_PERM, "nor a malformed name");
	CHECK_INT_EQ(db_user_del(db, txn, ALICE), 0, "delete alice");
	CHECK_INT_EQ(add_user(db, txn, ALICE, 0), 0, "a new alice");
	CHECK_INT_EQ(sendlimit_used_now(db, txn, ALICE, t + 3600, &used), 0,
	    "used now");
	CHECK_INT_EQ(used, 0, "the new alice starts with nothing counted");
	db_abort(txn);
}

static void
test_lock(struct db *db, struct config *cfg)
{
	MDB_txn *txn;
	int64_t t = 1796025600, banned;
	int locked, i;

	config_defaults(cfg);
	cfg->lockout_account_failures = 3;
	CHECK_INT_EQ(db_begin(db, 1, &txn), 0, "write transaction");
	CHECK_INT_EQ(add_user(db, txn, ALICE, 0), 0, "alice");
	CHECK_INT_EQ(policy_any_known(db, txn, ALICE), 0, "never logged in");
	for (i = 0; i < 2; i++) {
		CHECK_INT_EQ(policy_fail(db, txn, cfg, ALICE, 1, "192.0.2.1",
		    t, &banned, &locked), 0, "a failure");
		CHECK_INT_EQ(locked, 0, "not locked yet");
	}
	CHECK_INT_EQ(policy_fail(db, txn, cfg, ALICE, 1, "192.0.2.2", t,
	    &banned, &locked), 0, "the third failure");
	CHECK_INT_EQ(locked, 1, "locks the account");
	CHECK_INT_EQ(policy_fail(db, txn, cfg, ALICE, 1, "192.0.2.3", t + 1,
	    &banned, &locked), 0, "a fourth");
	CHECK_INT_EQ(locked, 0, "locked already: no second notice");
	CHECK_INT_EQ(policy_fail(db, txn, cfg, ALICE, 0, "192.0.2.3", t + 1,
	    &banned, &locked), 0, "a failure that counts the address only");
	CHECK_INT_EQ(locked, 0, "locks nothing");
	CHECK_INT_EQ(policy_success(db, txn, ALICE, "192.0.2.9", t + 2), 0,
	    "a success");
	CHECK_INT_EQ(policy_any_known(db, txn, ALICE), 1, "known somewhere");
	CHECK_INT_EQ(policy_any_known(db, txn, "alic@example.test"), 0,
	    "a prefix of her name is not her");
	db_abort(txn);
}

int
main(void)
{
	static struct config cfg;
	struct db db;
	char path[sizeof(dir) + 16];
	const char *files[] = { "data.mdb", "lock.mdb" };
	size_t i;

	test_send_roundtrip();
	test_send_malformed();
	test_rcpt_bound();
	test_window();
	test_notice();
	test_notice_decode();

	log_init("test_authd_smtp", 1, 0);
	config_defaults(&cfg);
	memset(&db, 0, sizeof(db));
	if (mkdtemp(dir) == NULL || db_open(&db, dir) == -1) {
		perror(dir);
		return 1;
	}
	test_charge(&db, &cfg);
	test_lock(&db, &cfg);
	db_close(&db);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		(void)unlink(path);
	}
	if (rmdir(dir) == -1)
		printf("# could not remove %s\n", dir);
	return check_done();
}
