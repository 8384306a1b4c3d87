/*
 * dnstable.c: the table DNS of the tests (dnstable.h).  Records are kept
 * in wire form, as a resolver would hand them over, so the code under
 * test reads them through dnsrr.h exactly as in production.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tests/tools/dnstable.h"

#define DNSTABLE_MAX	512
#define DNSTABLE_TEMP	0xffff

struct dnstable_rr {
	char		 name[DNS_NAME_MAX + 2];
	uint16_t	 type;
	uint16_t	 len;
	unsigned char	 rdata[4096];
};

struct dnstable {
	size_t		 n;
	unsigned	 queries;
	struct dnstable_rr rr[DNSTABLE_MAX];
};

struct dnstable *
dnstable_new(void)
{
	return calloc(1, sizeof(struct dnstable));
}

void
dnstable_free(struct dnstable *t)
{
	free(t);
}

unsigned
dnstable_queries(const struct dnstable *t)
{
	return t->queries;
}

/* A name in wire form; -1 when it is not one. */
static int
dnstable_wire_name(const char *name, unsigned char *out, size_t cap,
    size_t *len)
{
	size_t o = 0, l;

	while (*name != '\0') {
		l = strcspn(name, ".");
		if (l == 0 || l > 63 || o + l + 2 > cap)
			return -1;
		out[o++] = (unsigned char)l;
		memcpy(out + o, name, l);
		o += l;
		name += l;
		if (*name == '.')
			name++;
	}
	out[o++] = 0;
	*len = o;
	return 0;
}

static int
dnstable_rdata(struct dnstable_rr *r, const char *type, const char *value)
{
	size_t len = 0, vlen, l;
	unsigned pref;
	char host[DNS_NAME_MAX + 2];

	if (strcasecmp(type, "A") == 0 || strcasecmp(type, "AAAA") == 0) {
		r->type = type[1] == '\0' ? DNS_T_A : DNS_T_AAAA;
		len = r->type == DNS_T_A ? 4 : 16;
		if (inet_pton(r->type == DNS_T_A ? AF_INET : AF_INET6, value,
		    r->rdata) != 1)
			return -1;
	} else if (strcasecmp(type, "MX") == 0) {
		r->type = DNS_T_MX;
		if (sscanf(value, "%u %254s", &pref, host) != 2 || pref > 65535)
			return -1;
		r->rdata[0] = (unsigned char)(pref >> 8);
		r->rdata[1] = (unsigned char)pref;
		if (strcmp(host, ".") == 0)
			host[0] = '\0';
		if (dnstable_wire_name(host, r->rdata + 2,
		    sizeof(r->rdata) - 2, &len) == -1)
			return -1;
		len += 2;
	} else if (strcasecmp(type, "PTR") == 0) {
		r->type = DNS_T_PTR;
		if (dnstable_wire_name(value, r->rdata, sizeof(r->rdata),
		    &len) == -1)
			return -1;
	} else if (strcasecmp(type, "TXT") == 0) {
		r->type = DNS_T_TXT;
		vlen = strlen(value);
		do {
			l = vlen > 255 ? 255 : vlen;
			if (len + l + 1 > sizeof(r->rdata))
				return -1;
			r->rdata[len++] = (unsigned char)l;
			memcpy(r->rdata + len, value, l);
			len += l;
			value += l;
			vlen -= l;
		} while (vlen > 0);
	} else if (strcasecmp(type, "TEMP") == 0)
		r->type = DNSTABLE_TEMP;
	else
		return -1;
	r->len = (uint16_t)len;
	return 0;
}

int
dnstable_add(struct dnstable *t, const char *name, const char *type,
    const char *value)
{
	struct dnstable_rr *r;
	size_t nl = strlen(name);

	if (t->n == DNSTABLE_MAX || nl > DNS_NAME_MAX + 1)
		return -1;
	r = &t->rr[t->n];
	memcpy(r->name, name, nl + 1);
	if (nl > 0 && r->name[nl - 1] == '.')
		r->name[nl - 1] = '\0';
	if (dnstable_rdata(r, type, value) == -1)
		return -1;
	t->n++;
	return 0;
}

int
dnstable_load(struct dnstable *t, const char *path, char *err, size_t errlen)
{
	char line[8192], *name, *type, *value, *nl;
	unsigned lineno = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		name = line + strspn(line, " \t");
		if (*name == '#' || *name == '\0')
			continue;
		type = name + strcspn(name, " \t");
		if (*type != '\0')
			*type++ = '\0';
		type += strspn(type, " \t");
		value = type + strcspn(type, " \t");
		if (*value != '\0')
			*value++ = '\0';
		value += strspn(value, " \t");
		if (dnstable_add(t, name, type, value) == -1) {
			snprintf(err, errlen, "%s:%u: bad record", path, lineno);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static int
dnstable_same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

enum dns_rc
dnstable_lookup(void *arg, const char *name, uint16_t type,
    struct dns_rrset *out)
{
	struct dnstable *t = arg;
	size_t i, used = 0;
	int exists = 0;

	t->queries++;
	memset(out, 0, sizeof(*out));
	out->type = type;
	for (i = 0; i < t->n; i++) {
		struct dnstable_rr *r = &t->rr[i];

		if (!dnstable_same(r->name, name))
			continue;
		if (r->type == DNSTABLE_TEMP)
			return out->rc = DNS_TEMP;
		exists = 1;
		if (r->type != type)
			continue;
		if (out->n == DNS_RR_MAX) {
			out->truncated = 1;
			continue;
		}
		if (used + r->len > sizeof(out->buf))
			return out->rc = DNS_TEMP;
		memcpy(out->buf + used, r->rdata, r->len);
		out->rdata[out->n] = out->buf + used;
		out->len[out->n] = r->len;
		out->n++;
		used += r->len;
	}
	if (out->n > 0)
		out->rc = DNS_OK;
	else
		out->rc = exists ? DNS_NODATA : DNS_NXDOMAIN;
	return out->rc;
}
