/*
 * test_relay_dkim.c: unit test of smtpd/relay_dkim.c, the fields the
 * relay sends before a job's message.  A scripted keyholder (a forked
 * child speaking the DKIM channel's frames, signing with an RSA key made
 * here) answers at once, says "no key", answers too late, or goes away.
 * Checked: a signable job of a domain with a key gets a DKIM-Signature
 * that verifies (dkim_verifier, the key's record) over the message file;
 * a job not signable, a domain without a key, two From fields get none;
 * forwarded mail gets its Authentication-Results field, CRLF-folded; a
 * keyholder that does not answer in time leaves the message unsigned,
 * its late answer is dropped before the next request and signing goes
 * on; a keyholder that goes away closes the channel.  Runs as a plain
 * program in a temporary directory (the message files).
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>

#include "common/base64.h"
#include "common/dkim.h"
#include "common/frame.h"
#include "common/keyholder.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/tls.h"
#include "common/util.h"
#include "smtpd/relay_dkim.h"
#include "tests/unit/check.h"

static char dir[] = "/tmp/test_relay_dkim.XXXXXX";

static br_rsa_private_key sk;
static br_rsa_public_key pk;
static unsigned char skbuf[BR_RSA_KBUF_PRIV_SIZE(1024)];
static unsigned char pkbuf[BR_RSA_KBUF_PUB_SIZE(1024)];
static char record[2048];

static void
make_key(void)
{
	br_hmac_drbg_context rng;

	br_hmac_drbg_init(&rng, &br_sha256_vtable, "relay", 5);
	if (br_rsa_keygen_get_default()(&rng.vtable, &sk, skbuf, &pk, pkbuf,
	    1024, 65537) != 1) {
		printf("Bail out! key generation failed\n");
		exit(1);
	}
}

/* fake_answer: one request of the DKIM channel answered as the script
 * says: "slow.test" after 6 s (beyond TLS_SIGN_TIMEOUT_MS), "none.test"
 * no key, any other domain selector "s1"; SIGN with the key. */
static void
fake_answer(int fd, const struct keyholder_dkim_req *r)
{
	unsigned char sig[128];
	struct frame a;

	frame_init(&a, (uint8_t)r->type);
	if (r->type == MSG_KEY_DKIM_SELECTOR) {
		if (strcmp(r->domain, "slow.test") == 0)
			sleep(6);
		frame_add_u32(&a, strcmp(r->domain, "none.test") == 0);
		frame_add_str(&a, strcmp(r->domain, "none.test") == 0 ? "" :
		    "s1");
	} else {
		if (br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256,
		    r->hash, 32, &sk, sig) != 1)
			_exit(3);
		frame_add_u32(&a, 0);
		frame_add_bytes(&a, sig, sizeof(sig));
	}
	if (frame_finish(&a) == -1 || write(fd, a.buf, a.len) !=
	    (ssize_t)a.len)
		_exit(2);
}

/* fake_keyholder: the child: answer requests until the channel closes;
 * each request is counted on cnt (a byte per request). */
static void
fake_keyholder(int fd, int cnt)
{
	struct keyholder_dkim_req r;
	struct frame f, g;

	while (frame_read(fd, &f, FRAME_FOREVER) == 0) {
		if (keyholder_dkim_parse(&g, f.buf, f.len, &r) == -1)
			_exit(4);
		if (write(cnt, "r", 1) != 1)
			_exit(5);
		fake_answer(fd, &r);
	}
	_exit(0);
}

/* requests: how many requests the fake keyholder saw since last asked. */
static int
requests(int cnt)
{
	char buf[64];
	ssize_t n;

	n = read(cnt, buf, sizeof(buf));
	return n < 0 ? 0 : (int)n;
}

static enum dns_rc
lookup_key(void *arg, const char *name, uint16_t type, struct dns_rrset *out)
{
	size_t len = strlen(record), off, k, n = 0;

	(void)arg;
	(void)name;
	memset(out, 0, sizeof(*out));
	out->type = type;
	for (off = 0; off < len; off += k) {
		k = len - off > 255 ? 255 : len - off;
		out->buf[n++] = (unsigned char)k;
		memcpy(out->buf + n, record + off, k);
		n += k;
	}
	out->rdata[0] = out->buf;
	out->len[0] = (uint16_t)n;
	out->n = 1;
	return out->rc = DNS_OK;
}

/* message: a message file holding text; its descriptor, job set up. */
static int
message(struct relay_job *job, const char *text, int sign)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/msg", dir);
	(void)unlink(path);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	memset(job, 0, sizeof(*job));
	strcpy(job->id, "0123456789abcdef");
	strcpy(job->domain, "remote.test");
	job->size = strlen(text);
	job->nrcpt = 1;
	job->sign = (uint32_t)sign;
	return fd;
}

/* verify: the DKIM result of prefix + text, and the d= it names. */
static enum dkim_result
verify(const char *prefix, size_t plen, const char *text, char *domain)
{
	static struct dkim_verifier v;
	static char all[65536];

	snprintf(all, sizeof(all), "%.*s%s", (int)plen, prefix, text);
	dkim_verifier_init(&v, now_us() / 1000000);
	dkim_verifier_feed(&v, all, strlen(all));
	dkim_verifier_end(&v);
	if (v.nsig != 1)
		return DKIM_PENDING;
	strcpy(domain, v.sig[0].domain);
	return dkim_verify_finish(&v.sig[0], lookup_key, NULL);
}

static const char MSG[] = "Received: by relay (postern) id x\r\n"
    "From: Bob <bob@example.com>\r\nTo: carol@remote.test\r\n"
    "Subject: hello\r\n\r\n.dot\r\nbare LF\nbody  with   blanks \r\n\r\n";

static void
test_signed(struct relay_ctx *x, int cnt)
{
	static char out[RELAY_PREFIX_MAX];
	struct relay_job job;
	char domain[DNS_NAME_MAX + 1] = "";
	size_t len;
	int fd;

	fd = message(&job, MSG, 1);
	len = relay_prefix(x, &job, fd, out);
	CHECK_TRUE(len > 0 && strncmp(out, "DKIM-Signature: v=1; a=rsa-sha256;",
	    34) == 0, "a signable job of a domain with a key is signed");
	CHECK_TRUE(len > 2 && memcmp(out + len - 2, "\r\n", 2) == 0,
	    "the field ends in CRLF");
	CHECK_INT_EQ(verify(out, len, MSG, domain), DKIM_PASS,
	    "and verifies over the message file");
	CHECK_STR_EQ(domain, "example.com", "for the From domain");
	CHECK_INT_EQ(requests(cnt), 2, "selector and signature asked");
	out[len - 10] ^= 1;
	CHECK_TRUE(verify(out, len, MSG, domain) != DKIM_PASS,
	    "a changed signature does not verify");
	close(fd);

	fd = message(&job, MSG, 0);
	CHECK_INT_EQ(relay_prefix(x, &job, fd, out), 0,
	    "a job that came in on port 25 is not signed");
	CHECK_INT_EQ(requests(cnt), 0, "and the keyholder is not asked");
	close(fd);

	fd = message(&job, "From: a@none.test\r\n\r\nx\r\n", 1);
	CHECK_INT_EQ(relay_prefix(x, &job, fd, out), 0,
	    "a domain without a key: unsigned");
	CHECK_INT_EQ(requests(cnt), 1, "after asking for its selector");
	close(fd);

	fd = message(&job, "From: a@example.com\r\nFrom: b@example.com\r\n"
	    "\r\nx\r\n", 1);
	CHECK_INT_EQ(relay_prefix(x, &job, fd, out), 0,
	    "two From fields: unsigned");
	close(fd);
	fd = message(&job, "Subject: none\r\n\r\nx\r\n", 1);
	CHECK_INT_EQ(relay_prefix(x, &job, fd, out), 0,
	    "no From field: unsigned");
	CHECK_INT_EQ(requests(cnt), 0, "without asking the keyholder");
	close(fd);
}

static void
test_authres(struct relay_ctx *x, int cnt)
{
	static char out[RELAY_PREFIX_MAX], want[2 * QUEUE_AUTHRES_MAX + 32];
	struct relay_job job;
	size_t len;
	int fd;

	fd = message(&job, "From: boss@example.com\r\n\r\nx\r\n", 0);
	strcpy(job.authres, "mx.example.com; spf=pass "
	    "smtp.mailfrom=a@remote.test; dkim=none");
	len = relay_prefix(x, &job, fd, out);
	queueproto_authres_field(want, sizeof(want), job.authres, 1);
	CHECK_INT_EQ(len, strlen(want), "forwarded: the field's length");
	CHECK_TRUE(len == strlen(want) && memcmp(out, want, len) == 0,
	    "forwarded: Authentication-Results as the deliver role writes "
	    "it, with CRLF");
	CHECK_TRUE(strstr(want, ";\r\n\tspf=pass") != NULL, "folded");
	CHECK_INT_EQ(requests(cnt), 0, "forwarded mail is not signed");
	close(fd);

	fd = message(&job, MSG, 1);
	strcpy(job.authres, "mx.example.com; spf=none");
	len = relay_prefix(x, &job, fd, out);
	CHECK_TRUE(strncmp(out, "DKIM-Signature: ", 16) == 0 &&
	    strstr(out, "\r\nAuthentication-Results: mx.example.com;") !=
	    NULL, "both: DKIM-Signature first, then Authentication-Results");
	requests(cnt);
	close(fd);
}

static void
test_late(struct relay_ctx *x, int cnt)
{
	static char out[RELAY_PREFIX_MAX];
	struct relay_job job;
	char domain[DNS_NAME_MAX + 1];
	int64_t t0 = mono_ms();
	size_t len;
	int fd;

	fd = message(&job, "From: a@slow.test\r\n\r\nx\r\n", 1);
	CHECK_INT_EQ(relay_prefix(x, &job, fd, out), 0,
	    "a keyholder that does not answer in time: unsigned");
	CHECK_TRUE(mono_ms() - t0 < TLS_SIGN_TIMEOUT_MS + 900,
	    "after TLS_SIGN_TIMEOUT_MS");
	CHECK_INT_EQ(x->dkim_owed, 1, "one answer owed");
	close(fd);

	fd = message(&job, MSG, 1);
	CHECK_INT_EQ(relay_prefix(x, &job, fd, out), 0,
	    "while it is owed nothing is asked: unsigned");
	CHECK_INT_EQ(requests(cnt), 1, "only the slow request was made");
	sleep(2);
	len = relay_prefix(x, &job, fd, out);
	CHECK_TRUE(len > 0, "the late answer dropped, signing goes on");
	CHECK_INT_EQ(x->dkim_owed, 0, "nothing owed");
	CHECK_INT_EQ(verify(out, len, MSG, domain), DKIM_PASS,
	    "and the signature is this message's (the channel is in step)");
	close(fd);
}

static void
test_gone(struct relay_ctx *x, pid_t pid)
{
	static char out[RELAY_PREFIX_MAX];
	struct relay_job job;
	int fd, status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	fd = message(&job, MSG, 1);
	CHECK_INT_EQ(relay_prefix(x, &job, fd, out), 0,
	    "a keyholder gone: unsigned");
	CHECK_INT_EQ(relay_prefix(x, &job, fd, out), 0, "and again");
	CHECK_INT_EQ(x->dkim_fd, -1, "the channel is closed");
	CHECK_INT_EQ(relay_prefix(x, &job, fd, out), 0,
	    "without a channel: unsigned");
	close(fd);
}

int
main(void)
{
	static struct relay_ctx x;
	unsigned char der[DKIM_KEY_DER_MAX];
	char b64[BASE64_LEN(DKIM_KEY_DER_MAX) + 1];
	int sv[2], cnt[2];
	pid_t pid;

	log_init("test_relay_dkim", 1, 0);
	if (mkdtemp(dir) == NULL)
		return 1;
	make_key();
	base64_encode(der, dkim_key_spki(&pk, der, sizeof(der)), b64,
	    sizeof(b64));
	snprintf(record, sizeof(record), "v=DKIM1; k=rsa; p=%s", b64);
	signal(SIGPIPE, SIG_IGN);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    pipe2(cnt, O_NONBLOCK) == -1)
		return 1;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		close(cnt[0]);
		fake_keyholder(sv[1], cnt[1]);
	}
	close(sv[1]);
	close(cnt[1]);
	x.dkim_fd = sv[0];
	test_signed(&x, cnt[0]);
	test_authres(&x, cnt[0]);
	test_late(&x, cnt[0]);
	test_gone(&x, pid);
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/msg", dir);
		(void)unlink(path);
		(void)rmdir(dir);
	}
	return check_done();
}
