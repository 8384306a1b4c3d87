/*
 * fuzz_authres.c: libFuzzer target for the header block scanners of the
 * check role: the finder of forged Authentication-Results fields
 * (common/authres.c), the From domain of DMARC (common/dmarc_from.c) and
 * the header walk under both (common/mailhdr.c); and authres_build with
 * the input as a hostile identity.  Checks that every span lies inside
 * the block, on field boundaries, and that the built field is CRLF-only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/authres.h"
#include "common/dmarc.h"
#include "common/mailhdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_authres_build(const char *id)
{
	struct authres_dkim dk;
	struct authres_input in;
	char out[AUTHRES_MAX];
	int n, i;

	memset(&in, 0, sizeof(in));
	memset(&dk, 0, sizeof(dk));
	strncpy(dk.domain, id, sizeof(dk.domain) - 1);
	strncpy(dk.reason, id, sizeof(dk.reason) - 1);
	dk.result = AUTHRES_DKIM_FAIL;
	in.authserv_id = "mx.example.net";
	in.spf_checked = in.dkim_checked = in.dmarc_checked = 1;
	in.spf_result = "pass";
	in.spf_identity = id;
	in.dkim = &dk;
	in.ndkim = 1;
	in.dmarc_result = "fail";
	in.from_domain = id;
	if ((n = authres_build(&in, out, sizeof(out))) < 0)
		return;
	if ((size_t)n != strlen(out))
		abort();
	for (i = 0; i < n; i++)
		if ((out[i] == '\n' && (i == 0 || out[i - 1] != '\r')) ||
		    (out[i] == '\r' && out[i + 1] != '\n'))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct authres_span sp[4];
	struct mailhdr_field f;
	char dom[DNS_NAME_MAX + 1], *copy;
	size_t n, i, pos = 0, prev = 0;

	if ((copy = malloc(size == 0 ? 1 : size)) == NULL)
		return 0;
	memcpy(copy, data, size);
	while (mailhdr_next(copy, size, &pos, &f) == 1) {
		if (f.off != prev || f.len == 0 || f.off + f.len > size ||
		    f.namelen > f.len || f.valuelen > f.len)
			abort();
		prev = pos;
	}
	n = authres_find_ours(copy, size, "mx.example.net", sp, 4);
	for (i = 0; i < n && i < 4; i++)
		if (sp[i].off + sp[i].len > size || sp[i].len == 0 ||
		    (sp[i].off > 0 && copy[sp[i].off - 1] != '\n'))
			abort();
	if (dmarc_from_domain(copy, size, dom) == 0 &&
	    (dom[0] == '\0' || strlen(dom) > DNS_NAME_MAX))
		abort();
	free(copy);
	if (size < 512) {
		char id[512];

		memcpy(id, data, size);
		id[size] = '\0';
		fuzz_authres_build(id);
	}
	return 0;
}
