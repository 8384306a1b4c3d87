/*
 * fuzz_dkimtag.c: libFuzzer target for what DKIM reads from strangers
 * (common/dkim*.c): the first byte picks the reader, the rest is its
 * input.
 *   0  a DKIM-Signature field value: dkim_tags_parse, dkim_sig_parse
 *   1  a key record: dkim_key_parse
 *   2  a whole message: the verifier's two phases, the key record
 *      answered with the message's own last bytes as TXT rdata
 * Invariants checked: tags lie inside the input, a parsed signature's
 * names are DNS names and its b= fits, a parsed key has a modulus of at
 * most 4096 bits, every reason is NUL-terminated.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/dkim.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct dkim_verifier v;
static const uint8_t *fz_rdata;
static size_t fz_rdlen;

static void
fuzz_sig(const char *s, size_t len)
{
	struct dkim_tags t;
	struct dkim_sig sig;
	struct dkim_hname names[DKIM_HNAMES_MAX];
	size_t i, n;

	if (dkim_tags_parse(s, len, &t) == 0)
		for (i = 0; i < t.n; i++)
			if (t.t[i].name < s || t.t[i].val < s ||
			    t.t[i].val + t.t[i].vallen > s + len)
				abort();
	if (dkim_sig_parse(s, len, 1790000000, &sig, names, &n) == 0) {
		if (!dkim_name_ok(sig.domain) || !dkim_name_ok(sig.selector) ||
		    sig.blen > sizeof(sig.b) || n == 0 || n > DKIM_HNAMES_MAX)
			abort();
	} else if (memchr(sig.reason, '\0', sizeof(sig.reason)) == NULL ||
	    sig.result == DKIM_PENDING) {
		abort();
	}
}

static void
fuzz_key(const char *s, size_t len)
{
	static struct dkim_key k;
	char why[DKIM_REASON_MAX];

	if (dkim_key_parse(s, len, &k, why, sizeof(why)) == 0 &&
	    (k.bits > 4096 || k.pk.nlen == 0 || k.pk.elen == 0))
		abort();
}

static enum dns_rc
fuzz_lookup(void *arg, const char *name, uint16_t type, struct dns_rrset *out)
{
	(void)arg;
	(void)name;
	memset(out, 0, sizeof(*out));
	out->type = type;
	if (fz_rdlen == 0)
		return out->rc = DNS_NXDOMAIN;
	memcpy(out->buf, fz_rdata, fz_rdlen);
	out->rdata[0] = out->buf;
	out->len[0] = (uint16_t)fz_rdlen;
	out->n = 1;
	return out->rc = DNS_OK;
}

static void
fuzz_msg(const uint8_t *buf, size_t len)
{
	size_t i, half = len / 2;

	fz_rdlen = len > 1024 ? 1024 : len;
	fz_rdata = buf + len - fz_rdlen;
	dkim_verifier_init(&v, 1790000000);
	dkim_verifier_feed(&v, buf, half);
	dkim_verifier_feed(&v, buf + half, len - half);
	dkim_verifier_end(&v);
	if (v.nsig > DKIM_SIGS_MAX)
		abort();
	for (i = 0; i < v.nsig; i++)
		if (dkim_verify_finish(&v.sig[i], fuzz_lookup, NULL) ==
		    DKIM_PENDING)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	if (len == 0 || len > 65536)
		return 0;
	switch (buf[0] % 3) {
	case 0:
		fuzz_sig((const char *)buf + 1, len - 1);
		break;
	case 1:
		fuzz_key((const char *)buf + 1, len - 1);
		break;
	default:
		fuzz_msg(buf + 1, len - 1);
		break;
	}
	return 0;
}
