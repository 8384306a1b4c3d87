/*
 * test_totp.c: unit test of authd/totp.c: the RFC 6238 Appendix B and
 * RFC 4226 Appendix D vectors, totp_verify's window and reuse refusal,
 * totp_uri's escaping and bounds, and, when oathtool(1) is installed, a
 * cross-check of the current code against it.  Runs as a plain program;
 * trusts nothing: it is the test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authd/totp.h"
#include "common/base32.h"
#include "common/util.h"
#include "tests/unit/check.h"

/* RFC 6238 Appendix B: the seeds are "12345678901234567890" repeated. */
static const uint8_t seed20[] = "12345678901234567890";
static const uint8_t seed32[] = "12345678901234567890123456789012";
static const uint8_t seed64[] =
    "1234567890123456789012345678901234567890123456789012345678901234";

static const struct {
	int64_t		t;
	enum totp_alg	alg;
	uint32_t	code;
} rfc6238[] = {
	{ 59, TOTP_SHA1, 94287082 },
	{ 59, TOTP_SHA256, 46119246 },
	{ 59, TOTP_SHA512, 90693936 },
	{ 1111111109, TOTP_SHA1, 7081804 },
	{ 1111111109, TOTP_SHA256, 68084774 },
	{ 1111111109, TOTP_SHA512, 25091201 },
	{ 1111111111, TOTP_SHA1, 14050471 },
	{ 1111111111, TOTP_SHA256, 67062674 },
	{ 1111111111, TOTP_SHA512, 99943326 },
	{ 1234567890, TOTP_SHA1, 89005924 },
	{ 1234567890, TOTP_SHA256, 91819424 },
	{ 1234567890, TOTP_SHA512, 93441116 },
	{ 2000000000, TOTP_SHA1, 69279037 },
	{ 2000000000, TOTP_SHA256, 90698825 },
	{ 2000000000, TOTP_SHA512, 38618901 },
	{ 20000000000LL, TOTP_SHA1, 65353130 },
	{ 20000000000LL, TOTP_SHA256, 77737706 },
	{ 20000000000LL, TOTP_SHA512, 47863826 },
};

/* RFC 4226 Appendix D: HOTP-SHA1, 6 digits, counters 0..9. */
static const uint32_t rfc4226[] = {
	755224, 287082, 359152, 969429, 338314,
	254676, 287922, 162583, 399871, 520489
};

static void
test_rfc6238(void)
{
	const uint8_t *key;
	size_t keylen, i;
	char desc[64];

	for (i = 0; i < sizeof(rfc6238) / sizeof(rfc6238[0]); i++) {
		switch (rfc6238[i].alg) {
		case TOTP_SHA1:
			key = seed20;
			keylen = 20;
			break;
		case TOTP_SHA256:
			key = seed32;
			keylen = 32;
			break;
		default:
			key = seed64;
			keylen = 64;
			break;
		}
		snprintf(desc, sizeof(desc), "RFC 6238 t=%lld alg=%d",
		    (long long)rfc6238[i].t, (int)rfc6238[i].alg);
		CHECK_INT_EQ(totp_hotp(rfc6238[i].alg, key, keylen,
		    (uint64_t)(rfc6238[i].t / TOTP_PERIOD), 8),
		    rfc6238[i].code, desc);
	}
}

static void
test_rfc4226(void)
{
	char desc[64];
	size_t i;

	for (i = 0; i < sizeof(rfc4226) / sizeof(rfc4226[0]); i++) {
		snprintf(desc, sizeof(desc), "RFC 4226 counter %zu", i);
		CHECK_INT_EQ(totp_hotp(TOTP_SHA1, seed20, 20, i, 6),
		    rfc4226[i], desc);
	}
	CHECK_INT_EQ(totp_hotp(TOTP_SHA1, seed20, 20, 1, 7), 4287082,
	    "7 digits keep the leading digit");
}

static void
test_verify(void)
{
	/* Step 1 (t = 30..59) is 287082, step 0 is 755224 (RFC 4226). */
	CHECK_INT_EQ(totp_verify(seed20, 20, "287082", 59, 1, -1), 1,
	    "current step accepted");
	CHECK_INT_EQ(totp_verify(seed20, 20, "287082", 59, 1, 1), -1,
	    "reuse of the same step refused");
	CHECK_INT_EQ(totp_verify(seed20, 20, "287082", 59, 1, 5), -1,
	    "step older than the last one refused");
	CHECK_INT_EQ(totp_verify(seed20, 20, "287082", 89, 1, -1), 1,
	    "previous step inside window 1");
	CHECK_INT_EQ(totp_verify(seed20, 20, "287082", 29, 1, -1), 1,
	    "next step inside window 1");
	CHECK_INT_EQ(totp_verify(seed20, 20, "287082", 89, 0, -1), -1,
	    "previous step outside window 0");
	CHECK_INT_EQ(totp_verify(seed20, 20, "287082", 119, 1, -1), -1,
	    "two steps back outside window 1");
	CHECK_INT_EQ(totp_verify(seed20, 20, "287082", 119, 2, -1), 1,
	    "two steps back inside window 2");
	CHECK_INT_EQ(totp_verify(seed20, 20, "755224", 10, 1, -1), 0,
	    "step 0 at the epoch, negative steps skipped");
	CHECK_INT_EQ(totp_verify(seed20, 20, "755224", 10, 1, 0), -1,
	    "step 0 reused");
	CHECK_INT_EQ(totp_verify(seed20, 20, "123456", 59, 1, -1), -1,
	    "wrong code");
	CHECK_INT_EQ(totp_verify(seed20, 20, "28708", 59, 1, -1), -1,
	    "five digits");
	CHECK_INT_EQ(totp_verify(seed20, 20, "2870820", 59, 1, -1), -1,
	    "seven digits");
	CHECK_INT_EQ(totp_verify(seed20, 20, " 287082", 59, 1, -1), -1,
	    "leading blank");
	CHECK_INT_EQ(totp_verify(seed20, 20, "28708a", 59, 1, -1), -1,
	    "letter");
	CHECK_INT_EQ(totp_verify(seed20, 20, "", 59, 1, -1), -1,
	    "empty code");
	CHECK_INT_EQ(totp_verify(seed20, 20, "287082", 59, -1, -1), -1,
	    "negative window");
	CHECK_INT_EQ(totp_verify(seed20, 20, "287082", 59,
	    TOTP_WINDOW_MAX + 1, -1), -1, "window too large");
}

static void
test_uri(void)
{
	const char *want = "otpauth://totp/Postern%20Mail:alice%2Bx%40"
	    "example.com?secret=JBSWY3DPEHPK3PXP&issuer=Postern%20Mail"
	    "&algorithm=SHA1&digits=6&period=30";
	char buf[512];

	CHECK_INT_EQ(totp_uri(buf, sizeof(buf), "Postern Mail",
	    "alice+x@example.com", "JBSWY3DPEHPK3PXP"), 0, "uri fits");
	CHECK_STR_EQ(buf, want, "uri escaping");
	CHECK_INT_EQ(totp_uri(buf, sizeof(buf), "a-b_c.d~e", "x:y/z?&=%",
	    "AB"), 0, "uri reserved characters");
	CHECK_STR_EQ(buf, "otpauth://totp/a-b_c.d~e:x%3Ay%2Fz%3F%26%3D%25"
	    "?secret=AB&issuer=a-b_c.d~e&algorithm=SHA1&digits=6&period=30",
	    "unreserved kept, reserved escaped");
	CHECK_INT_EQ(totp_uri(buf, strlen(want) + 1, "Postern Mail",
	    "alice+x@example.com", "JBSWY3DPEHPK3PXP"), 0, "exact fit");
	CHECK_INT_EQ(totp_uri(buf, strlen(want), "Postern Mail",
	    "alice+x@example.com", "JBSWY3DPEHPK3PXP"), -1, "one short");
	CHECK_STR_EQ(buf, "", "buffer emptied on overflow");
	CHECK_INT_EQ(totp_uri(buf, 0, "a", "b", "C"), -1, "zero length");
}

/* Run oathtool on secret; 0 and the code in *code, or -1. */
static int
oathtool_code(const char *secret, unsigned long *code)
{
	char cmd[128], line[32];
	FILE *p;
	int ok;

	snprintf(cmd, sizeof(cmd), "oathtool --totp -b %s", secret);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	ok = fgets(line, sizeof(line), p) != NULL;
	if (pclose(p) != 0 || !ok)
		return -1;
	*code = strtoul(line, NULL, 10);
	return 0;
}

static void
test_oathtool(void)
{
	uint8_t key[TOTP_SECRET_LEN];
	char secret[BASE32_LEN(TOTP_SECRET_LEN) + 1];
	unsigned long code;
	time_t before, after;
	int tries;

	if (system("command -v oathtool >/dev/null 2>&1") != 0) {
		printf("# oathtool not found, cross-check skipped\n");
		return;
	}
	random_bytes(key, sizeof(key));
	CHECK_INT_EQ(base32_encode(key, sizeof(key), secret, sizeof(secret)),
	    32, "secret encodes to 32 chars");
	/* Retry once if a 30 s boundary falls between the two clocks. */
	for (tries = 0; tries < 2; tries++) {
		before = time(NULL);
		if (oathtool_code(secret, &code) == -1) {
			CHECK_TRUE(0, "oathtool ran");
			return;
		}
		after = time(NULL);
		if (before / TOTP_PERIOD == after / TOTP_PERIOD)
			break;
	}
	CHECK_INT_EQ(totp_hotp(TOTP_SHA1, key, sizeof(key),
	    (uint64_t)(before / TOTP_PERIOD), 6), code, "agrees with oathtool");
}

int
main(void)
{
	test_rfc6238();
	test_rfc4226();
	test_verify();
	test_uri();
	test_oathtool();
	return check_done();
}
