/*
 * test_relayproto.c: unit test of smtpd/relayproto.c: every message of
 * the queue <-> relay protocol round-trips at its largest (a job with
 * the longest Authentication-Results value included); decoders
 * refuse truncated frames, trailing bytes, unknown bits and statuses,
 * out-of-range counts and codes, malformed enhanced status codes,
 * non-printable text; a job's message file rides along over a socket
 * pair.  Runs as a plain program.
 */
#include <sys/socket.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "smtpd/relayproto.h"
#include "tests/unit/check.h"

static int
reparse(struct frame *f, struct frame *g)
{
	return frame_parse(g, f->buf, f->len);
}

static void
job_fill(struct relay_job *j)
{
	memset(j, 0, sizeof(*j));
	strcpy(j->id, "0123456789abcdef");
	strcpy(j->sender, "alice@example.test");
	strcpy(j->envid, "QQ+2B1");
	j->body = QUEUE_BODY_8BITMIME;
	j->flags = QUEUE_F_REQUIRETLS | QUEUE_F_RET_HDRS;
	strcpy(j->domain, "Example.NET");
	j->size = 5000000000ULL;
	j->nrcpt = 3;
	j->attempt = 7;
	strcpy(j->authres, "mx.example.test; spf=pass "
	    "smtp.mailfrom=alice@example.org; dmarc=none");
	j->sign = 0;
}

/* job_rc: decode what encoding j gives. */
static int
job_rc(const struct relay_job *j, struct relay_job *d)
{
	struct frame f, g;

	if (relayproto_job_encode(&f, j) == -1 || reparse(&f, &g) == -1)
		return -2;
	return relayproto_job_decode(&g, d);
}

static void
test_job(void)
{
	struct relay_job j, d;
	struct frame f, g;

	job_fill(&j);
	CHECK_INT_EQ(relayproto_job_encode(&f, &j), 0, "job encodes");
	CHECK_INT_EQ(reparse(&f, &g), 0, "job parses");
	CHECK_INT_EQ(g.type, MSG_RELAY_JOB, "type");
	memset(&d, 0x55, sizeof(d));
	CHECK_INT_EQ(relayproto_job_decode(&g, &d), 0, "job decodes");
	CHECK_STR_EQ(d.id, j.id, "id");
	CHECK_STR_EQ(d.sender, j.sender, "sender");
	CHECK_STR_EQ(d.envid, j.envid, "envid");
	CHECK_INT_EQ(d.body, QUEUE_BODY_8BITMIME, "body");
	CHECK_INT_EQ(d.flags, j.flags, "flags");
	CHECK_STR_EQ(d.domain, "example.net", "domain lowercased");
	CHECK_TRUE(d.size == 5000000000ULL, "size beyond 32 bits");
	CHECK_INT_EQ(d.nrcpt, 3, "nrcpt");
	CHECK_INT_EQ(d.attempt, 7, "attempt");
	CHECK_STR_EQ(d.authres, j.authres, "authres");
	CHECK_INT_EQ(d.sign, 0, "sign");

	job_fill(&j);
	j.authres[0] = '\0';
	j.sign = 1;
	CHECK_INT_EQ(job_rc(&j, &d), 0, "no authres, signable");
	CHECK_STR_EQ(d.authres, "", "no authres kept");
	CHECK_INT_EQ(d.sign, 1, "signable kept");
	j.sign = 2;
	CHECK_INT_EQ(job_rc(&j, &d), -1, "sign above 1");
	job_fill(&j);
	strcpy(j.authres, "mx.example.test; spf=pass\r\nX-Evil: 1");
	CHECK_INT_EQ(job_rc(&j, &d), -1, "CRLF in authres");
	strcpy(j.authres, " mx.example.test; spf=pass");
	CHECK_INT_EQ(job_rc(&j, &d), -1, "authres starting with a blank");
	strcpy(j.authres, "mx.example.test; spf=pass smtp.mailfrom="
	    "\xc3\xa9@example.test");
	CHECK_INT_EQ(job_rc(&j, &d), 0, "UTF-8 in authres (SMTPUTF8)");

	job_fill(&j);
	j.sender[0] = '\0';
	CHECK_INT_EQ(job_rc(&j, &d), 0, "null sender");
	CHECK_STR_EQ(d.sender, "", "null sender kept");

	/* The largest job still fits one frame. */
	job_fill(&j);
	memset(j.sender, 'a', sizeof(j.sender) - 1);
	memset(j.envid, 'e', sizeof(j.envid) - 1);
	memset(j.domain, 'd', sizeof(j.domain) - 1);
	memset(j.authres, 'r', sizeof(j.authres) - 1);
	CHECK_INT_EQ(job_rc(&j, &d), 0, "largest job");
	CHECK_INT_EQ(strlen(d.authres), QUEUE_AUTHRES_MAX - 1,
	    "with the longest authres");

	job_fill(&j);
	strcpy(j.id, "0123456789ABCDEF");
	CHECK_INT_EQ(job_rc(&j, &d), -1, "uppercase id");
	job_fill(&j);
	strcpy(j.id, "0123");
	CHECK_INT_EQ(job_rc(&j, &d), -1, "short id");
	job_fill(&j);
	j.body = 3;
	CHECK_INT_EQ(job_rc(&j, &d), -1, "unknown body");
	job_fill(&j);
	j.flags = 0x10;
	CHECK_INT_EQ(job_rc(&j, &d), -1, "unknown flag");
	job_fill(&j);
	j.nrcpt = 0;
	CHECK_INT_EQ(job_rc(&j, &d), -1, "no recipient");
	j.nrcpt = RELAY_RCPT_MAX;
	CHECK_INT_EQ(job_rc(&j, &d), 0, "RELAY_RCPT_MAX recipients");
	j.nrcpt = RELAY_RCPT_MAX + 1;
	CHECK_INT_EQ(job_rc(&j, &d), -1, "too many recipients");
	job_fill(&j);
	j.domain[0] = '\0';
	CHECK_INT_EQ(job_rc(&j, &d), -1, "empty domain");
	strcpy(j.domain, "exa mple.net");
	CHECK_INT_EQ(job_rc(&j, &d), -1, "space in domain");
	strcpy(j.domain, "example.net\r\n");
	CHECK_INT_EQ(job_rc(&j, &d), -1, "CRLF in domain");
	job_fill(&j);
	strcpy(j.sender, "\"a b\"@example.test");
	CHECK_INT_EQ(job_rc(&j, &d), 0, "quoted space in sender");
	strcpy(j.sender, "a\tb@example.test");
	CHECK_INT_EQ(job_rc(&j, &d), -1, "tab in sender");
	job_fill(&j);
	strcpy(j.envid, "x\001");
	CHECK_INT_EQ(job_rc(&j, &d), -1, "control byte in envid");

	/* Oversized field: a domain longer than DNS_NAME_MAX. */
	frame_init(&f, MSG_RELAY_JOB);
	frame_add_str(&f, "0123456789abcdef");
	frame_add_str(&f, "");
	frame_add_str(&f, "");
	frame_add_u32(&f, 0);
	frame_add_u32(&f, 0);
	{
		char big[DNS_NAME_MAX + 2];

		memset(big, 'd', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		frame_add_str(&f, big);
	}
	frame_add_u64(&f, 1);
	frame_add_u32(&f, 1);
	frame_add_u32(&f, 0);
	frame_add_str(&f, "");
	frame_add_u32(&f, 0);
	frame_finish(&f);
	reparse(&f, &g);
	CHECK_INT_EQ(relayproto_job_decode(&g, &d), -1, "domain too long");

	/* An Authentication-Results value longer than QUEUE_AUTHRES_MAX. */
	frame_init(&f, MSG_RELAY_JOB);
	frame_add_str(&f, "0123456789abcdef");
	frame_add_str(&f, "");
	frame_add_str(&f, "");
	frame_add_u32(&f, 0);
	frame_add_u32(&f, 0);
	frame_add_str(&f, "example.net");
	frame_add_u64(&f, 1);
	frame_add_u32(&f, 1);
	frame_add_u32(&f, 0);
	{
		char big[QUEUE_AUTHRES_MAX + 1];

		memset(big, 'r', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		frame_add_str(&f, big);
	}
	frame_add_u32(&f, 0);
	CHECK_INT_EQ(frame_finish(&f), 0, "it still fits a frame");
	reparse(&f, &g);
	CHECK_INT_EQ(relayproto_job_decode(&g, &d), -1, "authres too long");

	/* Truncated and trailing. */
	job_fill(&j);
	relayproto_job_encode(&f, &j);
	g = f;
	g.len -= 2;
	g.buf[3] = (uint8_t)(g.buf[3] - 2);
	{
		struct frame h;

		CHECK_INT_EQ(frame_parse(&h, g.buf, g.len), 0, "short parses");
		CHECK_INT_EQ(relayproto_job_decode(&h, &d), -1, "truncated");
	}
	frame_init(&f, MSG_RELAY_JOB);
	frame_add_str(&f, j.id);
	frame_add_str(&f, j.sender);
	frame_add_str(&f, j.envid);
	frame_add_u32(&f, j.body);
	frame_add_u32(&f, j.flags);
	frame_add_str(&f, j.domain);
	frame_add_u64(&f, j.size);
	frame_add_u32(&f, j.nrcpt);
	frame_add_u32(&f, j.attempt);
	frame_add_str(&f, j.authres);
	frame_add_u32(&f, j.sign);
	frame_add_u32(&f, 0);
	frame_finish(&f);
	reparse(&f, &g);
	CHECK_INT_EQ(relayproto_job_decode(&g, &d), -1, "trailing field");

	/* A NUL inside a string. */
	frame_init(&f, MSG_RELAY_JOB);
	frame_add_bytes(&f, "0123456789abcde\0", 16);
	frame_finish(&f);
	reparse(&f, &g);
	CHECK_INT_EQ(relayproto_job_decode(&g, &d), -1, "NUL in id");
}

static void
test_rcpt(void)
{
	struct relay_rcpt r, d;
	struct frame f, g;

	memset(&r, 0, sizeof(r));
	strcpy(r.address, "bob@example.net");
	strcpy(r.orcpt, "rfc822;Bob@example.net");
	r.notify = 6;
	CHECK_INT_EQ(relayproto_rcpt_encode(&f, &r), 0, "rcpt encodes");
	reparse(&f, &g);
	CHECK_INT_EQ(g.type, MSG_RELAY_RCPT, "rcpt type");
	CHECK_INT_EQ(relayproto_rcpt_decode(&g, &d), 0, "rcpt decodes");
	CHECK_STR_EQ(d.address, r.address, "address");
	CHECK_STR_EQ(d.orcpt, r.orcpt, "orcpt");
	CHECK_INT_EQ(d.notify, 6, "notify");

	memset(r.address, 'a', sizeof(r.address) - 1);
	memset(r.orcpt, 'o', sizeof(r.orcpt) - 1);
	CHECK_INT_EQ(relayproto_rcpt_encode(&f, &r), 0, "largest rcpt");
	reparse(&f, &g);
	CHECK_INT_EQ(relayproto_rcpt_decode(&g, &d), 0, "largest decodes");

	strcpy(r.address, "");
	relayproto_rcpt_encode(&f, &r);
	reparse(&f, &g);
	CHECK_INT_EQ(relayproto_rcpt_decode(&g, &d), -1, "empty address");
	strcpy(r.address, "bob@example.net\r\nRCPT TO:<x@y>");
	relayproto_rcpt_encode(&f, &r);
	reparse(&f, &g);
	CHECK_INT_EQ(relayproto_rcpt_decode(&g, &d), -1,
	    "CRLF in address (command injection)");
	strcpy(r.address, "bob@example.net");
	strcpy(r.orcpt, "rfc822;a b");
	relayproto_rcpt_encode(&f, &r);
	reparse(&f, &g);
	CHECK_INT_EQ(relayproto_rcpt_decode(&g, &d), -1, "space in orcpt");
	r.orcpt[0] = '\0';
	r.notify = 0x10;
	relayproto_rcpt_encode(&f, &r);
	reparse(&f, &g);
	CHECK_INT_EQ(relayproto_rcpt_decode(&g, &d), -1, "unknown notify");

	CHECK_INT_EQ(relayproto_go_encode(&f), 0, "go encodes");
	reparse(&f, &g);
	CHECK_INT_EQ(g.type, MSG_RELAY_GO, "go type");
	CHECK_INT_EQ(relayproto_go_decode(&g), 0, "go decodes");
	frame_init(&f, MSG_RELAY_GO);
	frame_add_u32(&f, 1);
	frame_finish(&f);
	reparse(&f, &g);
	CHECK_INT_EQ(relayproto_go_decode(&g), -1, "go with a field");
}

static int
result_rc(const struct relay_rcpt_result *r, struct relay_rcpt_result *d)
{
	struct frame f, g;

	if (relayproto_result_encode(&f, r) == -1 || reparse(&f, &g) == -1)
		return -2;
	return relayproto_result_decode(&g, d);
}

static void
test_result(void)
{
	struct relay_rcpt_result r, d;

	memset(&r, 0, sizeof(r));
	r.status = RELAY_PERM;
	r.code = 550;
	strcpy(r.dsn, "5.1.1");
	strcpy(r.text, "mailbox unavailable");
	CHECK_INT_EQ(result_rc(&r, &d), 0, "result round-trips");
	CHECK_INT_EQ(d.status, RELAY_PERM, "status");
	CHECK_INT_EQ(d.code, 550, "code");
	CHECK_STR_EQ(d.dsn, "5.1.1", "dsn");
	CHECK_STR_EQ(d.text, r.text, "text");

	memset(r.text, '~', sizeof(r.text) - 1);
	strcpy(r.dsn, "4.123.999");
	r.status = RELAY_TEMP;
	r.code = 0;
	CHECK_INT_EQ(result_rc(&r, &d), 0, "largest result, no code");
	strcpy(r.text, "ok");
	r.dsn[0] = '\0';
	CHECK_INT_EQ(result_rc(&r, &d), 0, "no dsn");

	r.status = 3;
	CHECK_INT_EQ(result_rc(&r, &d), -1, "unknown status");
	r.status = RELAY_SENT;
	r.code = 199;
	CHECK_INT_EQ(result_rc(&r, &d), -1, "code 199");
	r.code = 600;
	CHECK_INT_EQ(result_rc(&r, &d), -1, "code 600");
	r.code = 250;
	strcpy(r.text, "caf\xc3\xa9");
	CHECK_INT_EQ(result_rc(&r, &d), -1, "non-ASCII text");
	strcpy(r.text, "a\r\nb");
	CHECK_INT_EQ(result_rc(&r, &d), -1, "CRLF in text");
	strcpy(r.text, "ok");
	strcpy(r.dsn, "3.1.1");
	CHECK_INT_EQ(result_rc(&r, &d), -1, "dsn class 3");
	strcpy(r.dsn, "5.1");
	CHECK_INT_EQ(result_rc(&r, &d), -1, "dsn without detail");
	strcpy(r.dsn, "5.1.1.");
	CHECK_INT_EQ(result_rc(&r, &d), -1, "dsn trailing dot");
	strcpy(r.dsn, "5.1234.1");
	CHECK_INT_EQ(result_rc(&r, &d), -1, "dsn subject of 4 digits");
	strcpy(r.dsn, "5..1");
	CHECK_INT_EQ(result_rc(&r, &d), -1, "dsn empty subject");

	CHECK_INT_EQ(relayproto_dsn_valid("2.0.0"), 1, "2.0.0 valid");
	CHECK_INT_EQ(relayproto_dsn_valid("5.7.10"), 1, "5.7.10 valid");
	CHECK_INT_EQ(relayproto_dsn_valid(""), 0, "empty invalid");
	CHECK_INT_EQ(relayproto_dsn_valid("5"), 0, "5 invalid");
}

static int
done_rc(const struct relay_done *r, struct relay_done *d)
{
	struct frame f, g;

	if (relayproto_done_encode(&f, r) == -1 || reparse(&f, &g) == -1)
		return -2;
	return relayproto_done_decode(&g, d);
}

static void
test_done(void)
{
	struct relay_done r, d;

	memset(&r, 0, sizeof(r));
	strcpy(r.host, "mx1.example.net");
	strcpy(r.addr, "2001:db8::25");
	strcpy(r.tls, "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 DANE-EE verified");
	strcpy(r.policy, "dane");
	r.dest_down = 0;
	CHECK_INT_EQ(done_rc(&r, &d), 0, "done round-trips");
	CHECK_STR_EQ(d.host, r.host, "host");
	CHECK_STR_EQ(d.addr, r.addr, "addr");
	CHECK_STR_EQ(d.tls, r.tls, "tls");
	CHECK_STR_EQ(d.policy, "dane", "policy");
	CHECK_INT_EQ(d.dest_down, 0, "dest_down");

	memset(r.host, 'h', sizeof(r.host) - 1);
	memset(r.addr, 'a', sizeof(r.addr) - 1);
	memset(r.tls, 't', sizeof(r.tls) - 1);
	memset(r.policy, 'p', sizeof(r.policy) - 1);
	r.dest_down = 1;
	CHECK_INT_EQ(done_rc(&r, &d), 0, "largest done");
	CHECK_INT_EQ(d.dest_down, 1, "dest_down 1");
	r.dest_down = 2;
	CHECK_INT_EQ(done_rc(&r, &d), -1, "dest_down 2");
	r.dest_down = 0;
	r.tls[3] = '\n';
	CHECK_INT_EQ(done_rc(&r, &d), -1, "newline in tls");
	r.tls[3] = 't';
	r.host[0] = '\x80';
	CHECK_INT_EQ(done_rc(&r, &d), -1, "non-ASCII host");
}

static void
test_fd(void)
{
	struct relay_job j, d;
	struct frame f, g;
	char buf[8];
	int sp[2], fd = -1, pfd[2];

	CHECK_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0, "pair");
	CHECK_INT_EQ(pipe(pfd), 0, "pipe");
	job_fill(&j);
	relayproto_job_encode(&f, &j);
	CHECK_INT_EQ(queueproto_send_fd(sp[0], &f, pfd[0]), 0, "job sent");
	CHECK_INT_EQ(queueproto_recv_fd(sp[1], &g, &fd, mono_ms() + 2000), 0,
	    "job received");
	CHECK_INT_EQ(g.type, MSG_RELAY_JOB, "received type");
	CHECK_INT_EQ(relayproto_job_decode(&g, &d), 0, "received decodes");
	CHECK_TRUE(fd >= 0, "descriptor came along");
	CHECK_INT_EQ(write(pfd[1], "msg", 3), 3, "write to the pipe");
	CHECK_INT_EQ(read(fd, buf, sizeof(buf)), 3, "read the passed fd");
	close(fd);
	close(pfd[0]);
	close(pfd[1]);
	close(sp[0]);
	close(sp[1]);
}

int
main(void)
{
	test_job();
	test_rcpt();
	test_result();
	test_done();
	test_fd();
	return check_done();
}
