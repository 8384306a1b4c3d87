/*
 * dkimtool.c: a test program around common/dkim.h, for the integration
 * test (test_dkim.py); built only for the tests.
 *
 *   dkimtool sign KEYFILE DOMAIN SELECTOR [LIFETIME]
 *	reads a message on stdin, signs it in process with the PEM private
 *	key in KEYFILE, writes the DKIM-Signature field and the message.
 *   dkimtool verify NAME=RECORDFILE ...
 *	reads a message on stdin and verifies each signature, answering
 *	DNS from the table given (NAME: "sel._domainkey.example.com",
 *	RECORDFILE holding the TXT record's text); prints one line per
 *	signature: "result d=DOMAIN s=SELECTOR (reason)".
 *
 * The message is fed in chunks of 1000 bytes, to exercise the streaming.
 * Trusts its command line; exits 0, or 1 with a message on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/dkim.h"
#include "common/tls_pem.h"

#define CHUNK		1000
#define TABLE_MAX	8

static struct {
	const char	*name;
	char		 txt[DKIM_TXT_MAX];
} table[TABLE_MAX];
static size_t ntable;

static char *
read_all(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	ssize_t r;

	for (;;) {
		if (buf == NULL) {
			fprintf(stderr, "dkimtool: out of memory\n");
			exit(1);
		}
		if (n == cap)
			buf = realloc(buf, cap *= 2);
		if (buf == NULL)
			continue;
		if ((r = read(fd, buf + n, cap - n)) < 0) {
			fprintf(stderr, "dkimtool: read: %s\n", strerror(errno));
			exit(1);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return buf;
}

static int
tool_rsa_sign(void *arg, const unsigned char hash[32], unsigned char *sig,
    size_t *siglen)
{
	const br_rsa_private_key *k = arg;
	size_t n = (k->n_bitlen + 7) / 8;

	if (*siglen < n || br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256,
	    hash, 32, k, sig) != 1)
		return -1;
	*siglen = n;
	return 0;
}

static int
tool_sign(char **argv, int argc)
{
	static struct tls_key key;
	static struct dkim_signer s;
	static char pem[TLS_PEM_MAX], field[DKIM_SIGNATURE_MAX];
	char err[256];
	size_t len, plen, flen, off;
	char *msg;
	int fd;

	if ((fd = open(argv[0], O_RDONLY)) == -1 ||
	    tls_pem_read(fd, pem, sizeof(pem), &plen, err, sizeof(err)) == -1 ||
	    tls_key_parse_min(pem, plen, &key, 1024, err, sizeof(err)) == -1 ||
	    key.type != BR_KEYTYPE_RSA) {
		fprintf(stderr, "dkimtool: %s: cannot load an RSA key\n",
		    argv[0]);
		return 1;
	}
	close(fd);
	if (dkim_signer_init(&s, argv[1], argv[2], (int64_t)time(NULL),
	    argc > 3 ? atoll(argv[3]) : 0) == -1) {
		fprintf(stderr, "dkimtool: bad domain or selector\n");
		return 1;
	}
	msg = read_all(0, &len);
	for (off = 0; off < len; off += CHUNK)
		dkim_signer_feed(&s, msg + off, len - off < CHUNK ?
		    len - off : CHUNK);
	if (dkim_signer_finish(&s, tool_rsa_sign, &key.rsa, field,
	    sizeof(field), &flen, err, sizeof(err)) == -1) {
		fprintf(stderr, "dkimtool: cannot sign: %s\n", err);
		return 1;
	}
	fwrite(field, 1, flen, stdout);
	fwrite(msg, 1, len, stdout);
	free(msg);
	return fflush(stdout) == 0 ? 0 : 1;
}

static enum dns_rc
tool_lookup(void *arg, const char *name, uint16_t type, struct dns_rrset *out)
{
	size_t i, len, off = 0, n = 0, k;

	(void)arg;
	memset(out, 0, sizeof(*out));
	out->type = type;
	for (i = 0; i < ntable; i++)
		if (strcasecmp(table[i].name, name) == 0)
			break;
	if (i == ntable || type != DNS_T_TXT)
		return out->rc = DNS_NXDOMAIN;
	len = strlen(table[i].txt);
	while (off < len) {
		k = len - off > 255 ? 255 : len - off;
		out->buf[n++] = (unsigned char)k;
		memcpy(out->buf + n, table[i].txt + off, k);
		n += k;
		off += k;
	}
	out->rdata[0] = out->buf;
	out->len[0] = (uint16_t)n;
	out->n = 1;
	return out->rc = DNS_OK;
}

static int
tool_table(char **argv, int argc)
{
	char *eq;
	size_t len;
	int i, fd;
	ssize_t r;

	for (i = 0; i < argc && ntable < TABLE_MAX; i++) {
		if ((eq = strchr(argv[i], '=')) == NULL)
			return -1;
		*eq = '\0';
		table[ntable].name = argv[i];
		if ((fd = open(eq + 1, O_RDONLY)) == -1 ||
		    (r = read(fd, table[ntable].txt,
		    sizeof(table[0].txt) - 1)) < 0)
			return -1;
		close(fd);
		len = (size_t)r;
		while (len > 0 && (table[ntable].txt[len - 1] == '\n' ||
		    table[ntable].txt[len - 1] == '\r'))
			len--;
		table[ntable++].txt[len] = '\0';
	}
	return 0;
}

static int
tool_verify(char **argv, int argc)
{
	static struct dkim_verifier v;
	size_t i, len, off;
	char *msg;

	if (tool_table(argv, argc) == -1) {
		fprintf(stderr, "dkimtool: bad NAME=RECORDFILE\n");
		return 1;
	}
	msg = read_all(0, &len);
	dkim_verifier_init(&v, (int64_t)time(NULL));
	for (off = 0; off < len; off += CHUNK)
		dkim_verifier_feed(&v, msg + off, len - off < CHUNK ?
		    len - off : CHUNK);
	dkim_verifier_end(&v);
	free(msg);
	if (v.nsig == 0)
		printf("none\n");
	for (i = 0; i < v.nsig; i++) {
		dkim_verify_finish(&v.sig[i], tool_lookup, NULL);
		printf("%s d=%s s=%s (%s)\n", dkim_result_name(v.sig[i].result),
		    v.sig[i].domain, v.sig[i].selector, v.sig[i].reason);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	if (argc >= 5 && strcmp(argv[1], "sign") == 0)
		return tool_sign(argv + 2, argc - 2);
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return tool_verify(argv + 2, argc - 2);
	fprintf(stderr, "usage: dkimtool sign KEYFILE DOMAIN SELECTOR "
	    "[LIFETIME] < msg\n       dkimtool verify NAME=RECORDFILE ... "
	    "< msg\n");
	return 1;
}
