/*
 * test_keyholder_dkim.c: unit test of the keyholder's DKIM keys: a real
 * keyholder process (forked here, sandboxed as in a daemon, development
 * mode) loads key files made here, commits them, names the newest
 * selector of a domain, signs SHA-256 hashes that verify with the public
 * key; a bad file, a short key, an EC key do not load and change
 * nothing; a commit without loads empties the set; a net process's TLS
 * channel cannot get a DKIM signature and a DKIM channel cannot get a
 * TLS one; a message signed through the keyholder as the relay will
 * (dkim_signer + keyholder_dkim_signer) verifies with the public key;
 * the request decoder refuses malformed frames.  Runs as a
 * plain program in a temporary directory.
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
#include "common/keyholder.h"
#include "common/msg.h"
#include "tests/unit/check.h"

static char dir[] = "/tmp/test_keyholder_dkim.XXXXXX";

struct key {
	br_rsa_private_key sk;
	br_rsa_public_key pk;
	unsigned char	 skbuf[BR_RSA_KBUF_PRIV_SIZE(2048)];
	unsigned char	 pkbuf[BR_RSA_KBUF_PUB_SIZE(2048)];
};
static struct key k1, k2, ks;

/* make_key: an RSA key of bits bits, written as PKCS#1 PEM to name. */
static void
make_key(struct key *k, unsigned bits, const char *name)
{
	br_hmac_drbg_context rng;
	unsigned char d[512], der[4096];
	char pem[8192], path[256];
	size_t dlen, len;
	FILE *f;

	br_hmac_drbg_init(&rng, &br_sha256_vtable, name, strlen(name));
	if (br_rsa_keygen_get_default()(&rng.vtable, &k->sk, k->skbuf, &k->pk,
	    k->pkbuf, bits, 65537) != 1 ||
	    (dlen = br_rsa_compute_privexp_get_default()(d, &k->sk, 65537)) ==
	    0) {
		printf("Bail out! key generation failed\n");
		exit(1);
	}
	len = br_encode_rsa_raw_der(der, &k->sk, &k->pk, d, dlen);
	len = br_pem_encode(pem, der, len, "RSA PRIVATE KEY", BR_PEM_LINE64);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fwrite(pem, 1, len, f) != len ||
	    fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

/* load: keyholder_dkim_load of the file name; err gets the reason. */
static int
load(int ctl, const char *name, const char *domain, const char *selector,
    int64_t mtime, char *err, size_t errlen)
{
	char path[256];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY)) == -1)
		return -2;
	err[0] = '\0';
	rc = keyholder_dkim_load(ctl, fd, domain, selector, mtime, err,
	    errlen);
	close(fd);
	return rc;
}

/* verifies: sig is k's PKCS#1 SHA-256 signature of hash. */
static int
verifies(const struct key *k, const unsigned char *hash,
    const unsigned char *sig, size_t len)
{
	unsigned char out[32];

	return len == k->pk.nlen && br_rsa_pkcs1_vrfy_get_default()(sig, len,
	    BR_HASH_OID_SHA256, 32, &k->pk, out) == 1 &&
	    memcmp(out, hash, 32) == 0;
}

static pid_t
keyholder_start(int *ctl)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return -1;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		keyholder_main(sv[1], NULL, -1, -1);
	}
	close(sv[1]);
	*ctl = sv[0];
	return pid;
}

static void
test_load(int ctl)
{
	char err[256];

	CHECK_INT_EQ(load(ctl, "k1", "example.com", "s1", 100, err,
	    sizeof(err)), 0, "key s1 loads");
	CHECK_INT_EQ(load(ctl, "k2", "example.com", "s2", 200, err,
	    sizeof(err)), 0, "key s2 loads");
	CHECK_INT_EQ(load(ctl, "k1", "example.org", "a", 50, err,
	    sizeof(err)), 0, "a key for a second domain loads");
	CHECK_INT_EQ(load(ctl, "garbage", "example.net", "s1", 1, err,
	    sizeof(err)), -1, "garbage does not load");
	CHECK_STR_EQ(err, "no private key", "why: no private key");
	CHECK_INT_EQ(load(ctl, "short", "example.net", "s1", 1, err,
	    sizeof(err)), -1, "a 512-bit key does not load");
	CHECK_TRUE(strstr(err, "512 bits") != NULL, "why: its size");
	CHECK_INT_EQ(load(ctl, "ec", "example.net", "s1", 1, err,
	    sizeof(err)), -1, "an EC key does not load");
	CHECK_STR_EQ(err, "a DKIM key must be RSA", "why: not RSA");
	CHECK_INT_EQ(keyholder_dkim_commit(ctl), 3, "commit: three keys");
}

static void
test_sign(int ctl)
{
	unsigned char hash[32], sig[512];
	char sel[KEYHOLDER_SELECTOR_MAX + 1];
	int ch, tls;

	memset(hash, 0x5a, sizeof(hash));
	CHECK_TRUE((ch = keyholder_dkim_channel(ctl)) >= 0, "DKIM channel");
	CHECK_INT_EQ(keyholder_dkim_selector(ch, "example.com", sel), 1,
	    "example.com has a key");
	CHECK_STR_EQ(sel, "s2", "the newest key's selector");
	CHECK_INT_EQ(keyholder_dkim_selector(ch, "EXAMPLE.org", sel), 1,
	    "domains match without case");
	CHECK_STR_EQ(sel, "a", "example.org's selector");
	CHECK_INT_EQ(keyholder_dkim_selector(ch, "example.net", sel), 0,
	    "example.net has none (its keys did not load)");
	CHECK_INT_EQ(keyholder_dkim_sign(ch, "example.com", "s1", hash, sig,
	    sizeof(sig)), 256, "s1 signs: 2048 bits");
	CHECK_TRUE(verifies(&k1, hash, sig, 256), "s1's signature verifies");
	CHECK_INT_EQ(keyholder_dkim_sign(ch, "example.com", "s2", hash, sig,
	    sizeof(sig)), 128, "s2 signs: 1024 bits");
	CHECK_TRUE(verifies(&k2, hash, sig, 128), "s2's signature verifies");
	CHECK_TRUE(!verifies(&k1, hash, sig, 128), "and is not s1's");
	CHECK_INT_EQ(keyholder_dkim_sign(ch, "example.com", "s3", hash, sig,
	    sizeof(sig)), 0, "no key s3");
	CHECK_INT_EQ(keyholder_dkim_sign(ch, "example.com", "s1", hash, sig,
	    100), 0, "a buffer too small takes no signature");
	CHECK_INT_EQ(keyholder_sign(ch, br_sha256_ID, hash, 32, sig,
	    sizeof(sig)), 0, "a DKIM channel gives no TLS signature");
	CHECK_INT_EQ(keyholder_dkim_selector(ch, "example.com", sel), -1,
	    "and is closed after trying");
	close(ch);
	CHECK_TRUE((tls = keyholder_channel(ctl)) >= 0, "TLS channel");
	CHECK_INT_EQ(keyholder_dkim_sign(tls, "example.com", "s1", hash, sig,
	    sizeof(sig)), 0, "a net process's channel gives no DKIM "
	    "signature");
	close(tls);
}

/* A lookup answering every name with the record of k2. */
static char record[2048];

static enum dns_rc
lookup_k2(void *arg, const char *name, uint16_t type, struct dns_rrset *out)
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

static void
test_relay_signs(int ctl)
{
	static const char msg[] = "From: a@example.com\r\nSubject: x\r\n\r\n"
	    "body\r\n";
	static struct dkim_signer s;
	static struct dkim_verifier v;
	static char field[DKIM_SIGNATURE_MAX], all[8192];
	unsigned char der[DKIM_KEY_DER_MAX];
	char b64[BASE64_LEN(DKIM_KEY_DER_MAX) + 1], err[128];
	char sel[KEYHOLDER_SELECTOR_MAX + 1];
	struct keyholder_dkim_key k;
	size_t len;
	int ch;

	base64_encode(der, dkim_key_spki(&k2.pk, der, sizeof(der)), b64,
	    sizeof(b64));
	snprintf(record, sizeof(record), "v=DKIM1; k=rsa; p=%s", b64);
	CHECK_TRUE((ch = keyholder_dkim_channel(ctl)) >= 0, "DKIM channel");
	CHECK_INT_EQ(keyholder_dkim_selector(ch, "example.com", sel), 1,
	    "the relay asks for the selector");
	k.fd = ch;
	k.domain = "example.com";
	k.selector = sel;
	dkim_signer_init(&s, "example.com", sel, 1790000000, 0);
	dkim_signer_feed(&s, msg, strlen(msg));
	CHECK_INT_EQ(dkim_signer_finish(&s, keyholder_dkim_signer, &k, field,
	    sizeof(field), &len, err, sizeof(err)), 0,
	    "signed through the keyholder");
	snprintf(all, sizeof(all), "%s%s", field, msg);
	dkim_verifier_init(&v, 1790000000);
	dkim_verifier_feed(&v, all, strlen(all));
	dkim_verifier_end(&v);
	CHECK_INT_EQ(v.nsig, 1, "one signature");
	CHECK_INT_EQ(dkim_verify_finish(&v.sig[0], lookup_k2, NULL), DKIM_PASS,
	    "and it verifies with s2's public key");
	k.selector = "nope";
	dkim_signer_init(&s, "example.com", "nope", 1790000000, 0);
	dkim_signer_feed(&s, msg, strlen(msg));
	CHECK_INT_EQ(dkim_signer_finish(&s, keyholder_dkim_signer, &k, field,
	    sizeof(field), &len, err, sizeof(err)), -1,
	    "no signature for a selector without a key");
	close(ch);
}

static void
test_reload(int ctl)
{
	unsigned char hash[32] = { 1 }, sig[512];
	char sel[KEYHOLDER_SELECTOR_MAX + 1], err[256];
	int ch;

	CHECK_INT_EQ(load(ctl, "k1", "example.com", "s9", 300, err,
	    sizeof(err)), 0, "a reload's first key");
	CHECK_TRUE((ch = keyholder_dkim_channel(ctl)) >= 0, "DKIM channel");
	CHECK_INT_EQ(keyholder_dkim_selector(ch, "example.com", sel), 1,
	    "before the commit");
	CHECK_STR_EQ(sel, "s2", "the old set still signs");
	CHECK_INT_EQ(keyholder_dkim_commit(ctl), 1, "commit: one key");
	CHECK_INT_EQ(keyholder_dkim_selector(ch, "example.com", sel), 1,
	    "after the commit");
	CHECK_STR_EQ(sel, "s9", "the new set signs");
	CHECK_INT_EQ(keyholder_dkim_sign(ch, "example.com", "s2", hash, sig,
	    sizeof(sig)), 0, "s2 is gone");
	CHECK_INT_EQ(keyholder_dkim_commit(ctl), 0, "an empty reload");
	CHECK_INT_EQ(keyholder_dkim_selector(ch, "example.com", sel), 0,
	    "no keys left");
	close(ch);
}

static void
test_parse(void)
{
	struct keyholder_dkim_req r;
	struct frame f, g;
	unsigned char hash[32] = { 0 };

	frame_init(&f, MSG_KEY_DKIM_SIGN);
	frame_add_str(&f, "example.com");
	frame_add_str(&f, "s1");
	frame_add_bytes(&f, hash, 32);
	frame_finish(&f);
	CHECK_INT_EQ(keyholder_dkim_parse(&g, f.buf, f.len, &r), 0,
	    "a sign request");
	CHECK_STR_EQ(r.selector, "s1", "its selector");
	frame_init(&f, MSG_KEY_DKIM_SIGN);
	frame_add_str(&f, "example.com");
	frame_add_str(&f, "s1");
	frame_add_bytes(&f, hash, 31);
	frame_finish(&f);
	CHECK_INT_EQ(keyholder_dkim_parse(&g, f.buf, f.len, &r), -1,
	    "a 31-byte hash");
	frame_init(&f, MSG_KEY_DKIM_SELECTOR);
	frame_add_str(&f, "example.com");
	frame_add_u32(&f, 7);
	frame_finish(&f);
	CHECK_INT_EQ(keyholder_dkim_parse(&g, f.buf, f.len, &r), -1,
	    "bytes left over");
	frame_init(&f, MSG_KEY_SIGN);
	frame_add_u32(&f, br_sha256_ID);
	frame_add_bytes(&f, hash, 32);
	frame_finish(&f);
	CHECK_INT_EQ(keyholder_dkim_parse(&g, f.buf, f.len, &r), -1,
	    "a TLS sign request");
}

int
main(void)
{
	int ctl = -1, status;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	make_key(&k1, 2048, "k1");
	make_key(&k2, 1024, "k2");
	make_key(&ks, 512, "short");
	write_file("garbage", "not a key\n");
	write_file("ec", "-----BEGIN EC PRIVATE KEY-----\n"
	    "MHcCAQEEIAjm0vk2iuSvCmGH/NVyIh4uJ8HAuzK73fnw3VRDAccRoAoGCCqGSM49\n"
	    "AwEHoUQDQgAEhnFimC2Vbnpgra+cT3w23hUjZiwWFeHdDGY/nheDObKgXIPRRGWX\n"
	    "dv5SWffXxVFV2Scl9fXqlJ2OjhWTvMExuw==\n"
	    "-----END EC PRIVATE KEY-----\n");
	test_parse();
	CHECK_TRUE((pid = keyholder_start(&ctl)) > 0, "keyholder forked");
	test_load(ctl);
	test_sign(ctl);
	test_relay_signs(ctl);
	test_reload(ctl);
	close(ctl);
	CHECK_INT_EQ(waitpid(pid, &status, 0), pid, "keyholder reaped");
	CHECK_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the sandboxed keyholder ran it all and exits 0");
	return check_done();
}
