/*
 * fuzz_pem.c: libFuzzer target for the PEM and DER loaders of
 * common/tls_pem.c: the input is one file as an administrator (or an
 * ACME client) might have written it, read both as a certificate chain
 * and as a private key; when both parse, the key/certificate match runs
 * too.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/tls.h"
#include "common/tls_pem.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tls_chain chain;
	static struct tls_key key;
	char err[256];
	int c, k;

	if (size >= TLS_PEM_MAX)
		return 0;
	c = tls_chain_parse((const char *)data, size, &chain, err,
	    sizeof(err));
	k = tls_key_parse((const char *)data, size, &key, err, sizeof(err));
	if (c == 0 && k == 0)
		tls_key_match(&key, &chain, err, sizeof(err));
	tls_key_wipe(&key);
	return 0;
}
