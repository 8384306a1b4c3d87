/*
 * fuzz_config.c: libFuzzer target for the postern.conf(5) parser.
 *
 * Feeds arbitrary bytes to config_parse_buffer with an errbuf, so nothing
 * is written to stderr; the buffer is copied so that reads past its end are
 * caught by ASan.  Checks the invariants any accepted config must hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config cfg;

static void
fuzz_config_check(const struct config *c)
{
	int i;

	if (c->ndomains < 0 || c->ndomains > CONFIG_MAX_DOMAINS ||
	    c->nlisten < 0 || c->nlisten > CONFIG_MAX_LISTEN ||
	    c->auth_socket[0] != '/' || c->ban_max < c->ban_duration ||
	    c->lockout_pair_failures < 1 || c->lockout_account_failures < 1 ||
	    c->ban_failures < 1 || c->auth_scrypt_cost < 10 ||
	    c->auth_scrypt_cost > 20 || (c->default_services & ~SERVICE_ALL))
		abort();
	for (i = 0; i < c->nlisten; i++)
		if (c->listen[i].port == 0 ||
		    memchr(c->listen[i].address, '\0',
		    sizeof(c->listen[i].address)) == NULL)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], *copy;

	if ((copy = malloc(size == 0 ? 1 : size)) == NULL)
		return 0;
	memcpy(copy, data, size);
	err[0] = 'x';
	if (config_parse_buffer(&cfg, "fuzz.conf", copy, size, err,
	    sizeof(err)) == 0) {
		if (err[0] != '\0')
			abort();
		fuzz_config_check(&cfg);
	} else if (strncmp(err, "fuzz.conf", 9) != 0)
		abort();
	free(copy);
	return 0;
}
