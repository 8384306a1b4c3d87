/*
 * fuzz_spf.c: libFuzzer target for the SPF record parser and the macro
 * expander (common/spf_record.c, common/spf_macro.c).
 *
 * The input is parsed as a record; every domain-spec of an accepted
 * record is expanded as the evaluator would, and the whole input is also
 * expanded as an explanation string.  Checks the invariants: accepted
 * terms are in range, expansions fit their buffer and a domain expansion
 * is at most 253 bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct spf_record rec;

static const struct spf_macro_vars vars = {
	.sender = "strong-bad.x-y+z=w@email.example.com",
	.local = "strong-bad.x-y+z=w", .sender_domain = "email.example.com",
	.domain = "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.example.com",
	.ip = "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2",
	.ip_text = "2001:db8::cb01", .version = "ip6", .helo = "mx.example.org",
	.receiver = "mx.example.net", .timestamp = "1700000000",
};

static void
fuzz_spf_expand(const char *spec, int exp, int domain)
{
	char out[SPF_EXPAND_MAX];

	if (spf_macro_expand(spec, &vars, exp, domain, out, sizeof(out)) == 0) {
		if (strlen(out) >= sizeof(out))
			abort();
		if (domain && strlen(out) > DNS_NAME_MAX)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128], *copy;
	size_t i;

	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	if (spf_record_parse(copy, size, &rec, err, sizeof(err)) == 0) {
		if (rec.n > SPF_TERMS_MAX)
			abort();
		for (i = 0; i < rec.n; i++) {
			const struct spf_term *t = &rec.term[i];

			if (t->cidr4 > 32 || t->cidr6 > 128 ||
			    t->kind > SPF_EXISTS)
				abort();
			if (t->spec != NULL)
				fuzz_spf_expand(t->spec, 0, 1);
		}
		if (rec.redirect != NULL)
			fuzz_spf_expand(rec.redirect, 0, 1);
		if (rec.exp != NULL)
			fuzz_spf_expand(rec.exp, 0, 1);
	} else if (err[0] == '\0')
		abort();
	if (memchr(data, '\0', size) == NULL) {
		if (spf_macro_check(copy, 1, &i) == 0 && i > size)
			abort();
		fuzz_spf_expand(copy, 1, 0);
		fuzz_spf_expand(copy, 0, 1);
	}
	free(copy);
	return 0;
}
