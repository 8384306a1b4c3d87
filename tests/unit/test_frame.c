/*
 * test_frame.c: unit tests of the socket framing (common/frame.c) and the
 * authd protocol codecs (common/authproto.c): round trips, and the
 * rejection of every malformed shape a hostile client could send.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/authproto.h"
#include "common/msg.h"
#include "common/rolemsg.h"
#include "common/frame.h"
#include "common/util.h"
#include "tests/unit/check.h"

static void
test_roundtrip(void)
{
	struct auth_login_req in, out;
	struct frame f, g;

	memset(&in, 0, sizeof(in));
	in.id = 7;
	strcpy(in.service, "imap");
	strcpy(in.mech, "plain");
	strcpy(in.user, "alice@example.test");
	memcpy(in.secret, "pw\0with\tbytes", 13);
	in.secretlen = 13;
	strcpy(in.address, "::1");
	in.port = 993;
	strcpy(in.session, "s1");
	CHECK_INT_EQ(authproto_login_req_encode(&f, &in), 0, "login encodes");
	CHECK_INT_EQ(frame_complete(f.buf, f.len), (long)f.len,
	    "frame_complete sees the whole frame");
	CHECK_INT_EQ(frame_complete(f.buf, f.len - 1), 0,
	    "one byte short needs more");
	CHECK_INT_EQ(frame_parse(&g, f.buf, f.len), 0, "frame parses");
	CHECK_INT_EQ(g.type, MSG_AUTH_LOGIN, "type survives");
	CHECK_INT_EQ(authproto_login_req_decode(&g, &out), 0, "login decodes");
	CHECK_STR_EQ(out.user, in.user, "user survives");
	CHECK_INT_EQ(out.secretlen, 13, "secret length survives");
	CHECK_TRUE(memcmp(out.secret, in.secret, 13) == 0,
	    "secret bytes survive, NUL and tab included");
	CHECK_INT_EQ(out.port, 993, "port survives");
}

static void
test_malformed(void)
{
	struct auth_addr_req r;
	struct frame f, g;
	uint8_t zero[4] = { 0, 0, 0, 0 }, huge[4] = { 0, 0, 0x10, 0x01 };

	CHECK_INT_EQ(frame_complete(zero, 4), -1, "zero length refused");
	CHECK_INT_EQ(frame_complete(huge, 4), -1, "oversized length refused");

	frame_init(&f, MSG_AUTH_BANCHECK);
	frame_add_u32(&f, 1);
	frame_add_str(&f, "127.0.0.1");
	frame_add_u32(&f, 5);
	frame_finish(&f);
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(authproto_addr_req_decode(&g, &r), -1,
	    "trailing bytes refused");

	frame_init(&f, MSG_AUTH_BANCHECK);
	frame_add_u32(&f, 1);
	frame_add_bytes(&f, "a\0b", 3);
	frame_finish(&f);
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(authproto_addr_req_decode(&g, &r), -1,
	    "NUL inside a string refused");

	frame_init(&f, MSG_AUTH_BANCHECK);
	frame_add_u32(&f, 1);
	frame_finish(&f);
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(authproto_addr_req_decode(&g, &r), -1,
	    "missing field refused");

	frame_init(&f, MSG_AUTH_BANCHECK);
	frame_add_u32(&f, 1);
	frame_add_str(&f, "127.0.0.1");
	frame_finish(&f);
	f.buf[10] = 0xff;	/* string length now runs past the frame */
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(authproto_addr_req_decode(&g, &r), -1,
	    "field longer than the frame refused");
}

static void
test_overflow(void)
{
	static char big[FRAME_MAX];
	struct frame f;

	memset(big, 'x', sizeof(big) - 1);
	frame_init(&f, 1);
	frame_add_str(&f, big);
	CHECK_INT_EQ(frame_finish(&f), -1, "an add that does not fit fails");
}

/* The session messages: a login that opens a session keeps its type; a
 * WHO answer of AUTH_WHO_MAX entries of the largest size fits one frame,
 * and the decoders refuse what authd or a client must not send. */
static void
test_sessions(void)
{
	static struct auth_who_ans wa, wb;
	static struct auth_login_req lr, lo;
	struct auth_open_req orq, oo;
	struct frame f, g;
	int i;

	memset(&lr, 0, sizeof(lr));
	lr.opens = 1;
	CHECK_INT_EQ(authproto_login_req_encode(&f, &lr), 0,
	    "session login encodes");
	CHECK_INT_EQ(f.buf[FRAME_HDR], MSG_AUTH_SESSION,
	    "a session login is MSG_AUTH_SESSION");
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(authproto_login_req_decode(&g, &lo), 0,
	    "session login decodes");
	CHECK_INT_EQ(lo.opens, 1, "opens survives as the type");

	memset(&wa, 0, sizeof(wa));
	wa.total = wa.count = AUTH_WHO_MAX;
	for (i = 0; i < AUTH_WHO_MAX; i++) {
		memset(wa.s[i].session, 's', AUTH_SESSION_MAX - 1);
		memset(wa.s[i].user, 'u', AUTH_USER_MAX - 1);
		memset(wa.s[i].service, 'v', AUTH_SERVICE_MAX - 1);
		memset(wa.s[i].address, 'a', AUTH_ADDR_MAX - 1);
		wa.s[i].since = 1700000000 + (uint64_t)i;
	}
	CHECK_INT_EQ(authproto_who_ans_encode(&f, &wa), 0,
	    "a full WHO answer fits one frame");
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(authproto_who_ans_decode(&g, &wb), 0, "and decodes");
	CHECK_INT_EQ((long)wb.s[AUTH_WHO_MAX - 1].since, 1700000007L,
	    "the last entry survives");
	wa.total = 1;
	CHECK_INT_EQ(authproto_who_ans_encode(&f, &wa), -1,
	    "more entries than the total refused");

	memset(&orq, 0, sizeof(orq));
	orq.status = AUTH_FAIL_PERM;
	authproto_open_req_encode(&f, &orq);
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(authproto_open_req_decode(&g, &oo), -1,
	    "a session report is opened or temporarily not");
}

/* A full KNOWN answer, each host as long as a numeric address may be,
 * fits one frame and survives the trip. */
static void
test_known(void)
{
	static struct auth_known_ans a, b;
	struct frame f, g;
	uint32_t i;

	memset(&a, 0, sizeof(a));
	a.total = 100;
	a.count = AUTH_KNOWN_MAX;
	for (i = 0; i < AUTH_KNOWN_MAX; i++) {
		memset(a.h[i].host, 'h', AUTH_ADDR_MAX - 1);
		a.h[i].age = i * 60;
	}
	CHECK_INT_EQ(authproto_known_ans_encode(&f, &a), 0,
	    "a full KNOWN answer fits one frame");
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(authproto_known_ans_decode(&g, &b), 0, "and decodes");
	CHECK_INT_EQ((long)b.h[AUTH_KNOWN_MAX - 1].age,
	    (long)(AUTH_KNOWN_MAX - 1) * 60, "the last entry survives");
	a.count = AUTH_KNOWN_MAX + 1;
	CHECK_INT_EQ(authproto_known_ans_encode(&f, &a), -1,
	    "more hosts than a page refused");
}

/* The quota of a login answer and of each recipient survives the trip,
 * a 64-bit value whole; an answer without it (the layout before quotas)
 * is refused, not read as "no limit". */
static void
test_quota(void)
{
	static struct auth_login_ans la, lb;
	static struct auth_rcpt_ans ra, rb;
	struct frame f, g;

	memset(&la, 0, sizeof(la));
	la.id = 3;
	la.status = AUTH_OK;
	strcpy(la.user, "alice@example.test");
	strcpy(la.maildir, "/var/mail/postern/example.test/alice");
	la.quota = (UINT64_C(1) << 40) + 7;
	CHECK_INT_EQ(authproto_login_ans_encode(&f, &la, 1), 0,
	    "login answer encodes");
	CHECK_INT_EQ(f.buf[FRAME_HDR], MSG_AUTH_SESSION,
	    "a session login answer is MSG_AUTH_SESSION");
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(authproto_login_ans_decode(&g, &lb), 0,
	    "login answer decodes");
	CHECK_STR_EQ(lb.maildir, la.maildir, "mail dir survives");
	CHECK_TRUE(lb.quota == la.quota, "all 64 bits of the quota survive");

	frame_init(&f, MSG_AUTH_LOGIN);
	frame_add_u32(&f, 3);
	frame_add_u32(&f, AUTH_OK);
	frame_add_str(&f, "alice@example.test");
	frame_add_str(&f, "/m");
	frame_finish(&f);
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(authproto_login_ans_decode(&g, &lb), -1,
	    "a login answer without its quota refused");
	frame_init(&f, MSG_AUTH_LOGIN);
	frame_add_u32(&f, 3);
	frame_add_u32(&f, AUTH_OK);
	frame_add_str(&f, "alice@example.test");
	frame_add_str(&f, "/m");
	frame_add_u32(&f, 5);
	frame_finish(&f);
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(authproto_login_ans_decode(&g, &lb), -1,
	    "a quota cut to 32 bits refused");

	memset(&ra, 0, sizeof(ra));
	ra.id = 9;
	ra.count = 3;
	strcpy(ra.users[0], "a@example.test");
	ra.quotas[0] = UINT64_C(2) << 30;
	strcpy(ra.users[1], "b@example.test");
	ra.quotas[1] = 0;
	strcpy(ra.users[2], "c@elsewhere.example");
	ra.quotas[2] = 0;
	CHECK_INT_EQ(authproto_rcpt_ans_encode(&f, &ra), 0,
	    "recipient answer encodes");
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(authproto_rcpt_ans_decode(&g, &rb), 0,
	    "recipient answer decodes");
	CHECK_INT_EQ(rb.count, 3, "count survives");
	CHECK_STR_EQ(rb.users[1], "b@example.test", "second user survives");
	CHECK_TRUE(rb.quotas[0] == UINT64_C(2) << 30, "first quota survives");
	CHECK_TRUE(rb.quotas[1] == 0 && rb.quotas[2] == 0,
	    "no limit survives");

	frame_init(&f, MSG_AUTH_RCPT);
	frame_add_u32(&f, 9);
	frame_add_u32(&f, AUTH_OK);
	frame_add_u32(&f, 2);
	frame_add_str(&f, "a@example.test");
	frame_add_u64(&f, 1024);
	frame_add_str(&f, "b@example.test");
	frame_finish(&f);
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(authproto_rcpt_ans_decode(&g, &rb), -1,
	    "a recipient without its quota refused");
}

/* The registry: every type on an edge has a name, the edges are the
 * process graph of msg.h, and the role messages round-trip with their
 * secret and handover and refuse a wrong type or a trailing byte. */
static void
test_registry(void)
{
	static struct frame f, g;
	static struct role_login a, b;
	size_t i, k;
	uint32_t v;
	int dup = 0;

	for (i = 0; i < msg_graph_len; i++) {
		CHECK_TRUE(strcmp(msg_name(msg_graph[i].type), "unknown") != 0,
		    "every message on the graph has a name");
		CHECK_TRUE(msg_allowed(msg_graph[i].type, msg_graph[i].to,
		    msg_graph[i].from), "answers go back along the edge");
		for (k = i + 1; k < msg_graph_len; k++)
			dup |= msg_graph[i].type == msg_graph[k].type &&
			    msg_graph[i].from == msg_graph[k].from &&
			    msg_graph[i].to == msg_graph[k].to;
	}
	CHECK_INT_EQ(dup, 0, "no edge listed twice");
	CHECK_INT_EQ(msg_allowed(MSG_KEY_SIGN, PROC_MONITOR, PROC_KEYHOLDER),
	    0, "the monitor never asks the keyholder");
	CHECK_INT_EQ(msg_allowed(MSG_NET_LOGIN, PROC_NET, PROC_AUTHD_SERVER),
	    0, "the net role never talks to authd");
	CHECK_STR_EQ(msg_name(200), "unknown", "unknown type");
	CHECK_STR_EQ(msg_role_name(PROC_NET), "net", "role name");

	memset(&a, 0, sizeof(a));
	strcpy(a.mech, "login");
	strcpy(a.user, "alice@example.test");
	memcpy(a.secret, "pw\0x", 4);
	a.secretlen = 4;
	memcpy(a.handover, "a001", 4);
	a.handoverlen = 4;
	CHECK_INT_EQ(rolemsg_login_encode(&f, &a), 0, "login encodes");
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(rolemsg_login_decode(&g, &b), 0, "login decodes");
	CHECK_TRUE(b.secretlen == 4 && memcmp(b.secret, "pw\0x", 4) == 0 &&
	    b.handoverlen == 4 && memcmp(b.handover, "a001", 4) == 0 &&
	    strcmp(b.user, a.user) == 0, "login round trip");
	frame_parse(&g, f.buf, f.len);
	g.type = MSG_MONITOR_SESSION;
	CHECK_INT_EQ(rolemsg_login_decode(&g, &b), -1, "wrong type refused");
	f.buf[3]++;
	f.buf[f.len++] = 0;
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(rolemsg_login_decode(&g, &b), -1,
	    "trailing byte refused");
	CHECK_INT_EQ(rolemsg_status_encode(&f, 7), 0, "status encodes");
	frame_parse(&g, f.buf, f.len);
	CHECK_INT_EQ(rolemsg_status_decode(&g, &v), -1,
	    "a status beyond AUTH_FAIL_PERM refused");
	CHECK_INT_EQ(rolemsg_verdict_encode(&f, MSG_MONITOR_SESSION, 3), 0, "verdict encodes");
	frame_parse(&g, f.buf, f.len);
	CHECK_TRUE(rolemsg_verdict_decode(&g, MSG_MONITOR_SESSION, &v) == 0 && v == 3,
	    "verdict round trip");
}

/* frame_read's deadline covers the whole frame: a peer that sends part
 * of one and stops cannot hold the reader. */
static void
test_deadline(void)
{
	static struct frame f;
	int sp[2], rc;
	int64_t t0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1) {
		CHECK_TRUE(0, "socketpair");
		return;
	}
	CHECK_INT_EQ((int)write(sp[1], "\0\0\0\x05\x01", 5), 5, "half a frame");
	t0 = mono_ms();
	rc = frame_read(sp[0], &f, mono_ms() + 200);
	CHECK_TRUE(rc == -1 && errno == ETIMEDOUT, "part of a frame times out");
	CHECK_TRUE(mono_ms() - t0 >= 150 && mono_ms() - t0 < 2000,
	    "at its deadline");
	close(sp[1]);
	close(sp[0]);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
		return;
	frame_init(&f, MSG_AUTH_LOGIN);
	frame_add_u32(&f, 9);
	frame_finish(&f);
	frame_write(sp[1], &f);
	CHECK_INT_EQ(frame_read(sp[0], &f, mono_ms()), 0,
	    "a deadline already past still takes a frame that is there");
	close(sp[1]);
	CHECK_TRUE(frame_read(sp[0], &f, FRAME_FOREVER) == -1 &&
	    errno == ECONNRESET, "end of file");
	close(sp[0]);
}

int
main(void)
{
	test_registry();
	test_deadline();
	test_roundtrip();
	test_malformed();
	test_overflow();
	test_sessions();
	test_known();
	test_quota();
	return check_done();
}
