/*
 * test_base32.c: unit test of common/base32.c and common/base64.c: the
 * RFC 4648 section 10 vectors both ways, buffer bounds, and rejection of
 * malformed or non-canonical input.  Runs as a plain program; trusts
 * nothing: it is the test.
 */
#include <stdio.h>
#include <string.h>

#include "common/base32.h"
#include "common/base64.h"
#include "tests/unit/check.h"

/* RFC 4648 section 10. */
static const struct {
	const char *plain, *b32pad, *b32, *b64;
} vec[] = {
	{ "", "", "", "" },
	{ "f", "MY======", "MY", "Zg==" },
	{ "fo", "MZXQ====", "MZXQ", "Zm8=" },
	{ "foo", "MZXW6===", "MZXW6", "Zm9v" },
	{ "foob", "MZXW6YQ=", "MZXW6YQ", "Zm9vYg==" },
	{ "fooba", "MZXW6YTB", "MZXW6YTB", "Zm9vYmE=" },
	{ "foobar", "MZXW6YTBOI======", "MZXW6YTBOI", "Zm9vYmFy" },
};
#define NVEC	(sizeof(vec) / sizeof(vec[0]))

static void
test_base32_vectors(void)
{
	uint8_t bin[32];
	char txt[64], desc[64];
	size_t i, n, len;

	for (i = 0; i < NVEC; i++) {
		len = strlen(vec[i].plain);
		snprintf(desc, sizeof(desc), "base32 \"%s\"", vec[i].plain);
		CHECK_INT_EQ(base32_encode((const uint8_t *)vec[i].plain, len,
		    txt, sizeof(txt)), strlen(vec[i].b32), desc);
		CHECK_STR_EQ(txt, vec[i].b32, desc);
		n = 99;
		CHECK_INT_EQ(base32_decode(vec[i].b32pad, bin, sizeof(bin),
		    &n), 0, desc);
		CHECK_INT_EQ(n, len, desc);
		CHECK_TRUE(memcmp(bin, vec[i].plain, len) == 0, desc);
		n = 99;
		CHECK_INT_EQ(base32_decode(vec[i].b32, bin, sizeof(bin), &n),
		    0, desc);
		CHECK_INT_EQ(n, len, desc);
		CHECK_TRUE(memcmp(bin, vec[i].plain, len) == 0, desc);
	}
}

static void
test_base32_edges(void)
{
	uint8_t bin[16];
	char txt[16];
	size_t n = 0;

	CHECK_INT_EQ(base32_decode("mzxw 6ytb oi", bin, sizeof(bin), &n), 0,
	    "base32 lowercase with spaces");
	CHECK_INT_EQ(n, 6, "base32 lowercase length");
	CHECK_TRUE(memcmp(bin, "foobar", 6) == 0, "base32 lowercase bytes");
	CHECK_INT_EQ(base32_decode("MZXW1===", bin, sizeof(bin), &n), -1,
	    "base32 digit 1 rejected");
	CHECK_INT_EQ(base32_decode("MZXW6!", bin, sizeof(bin), &n), -1,
	    "base32 punctuation rejected");
	CHECK_INT_EQ(base32_decode("MZ=XW", bin, sizeof(bin), &n), -1,
	    "base32 data after padding rejected");
	CHECK_INT_EQ(base32_decode("MZ", bin, sizeof(bin), &n), -1,
	    "base32 non-zero leftover bits rejected");
	CHECK_INT_EQ(base32_decode("M", bin, sizeof(bin), &n), -1,
	    "base32 single char rejected");
	CHECK_INT_EQ(base32_decode("MZXW6YTBOI", bin, 5, &n), -1,
	    "base32 output overflow rejected");
	CHECK_INT_EQ(base32_decode("MZXW6YTBOI", bin, 6, &n), 0,
	    "base32 output exact fit");
	CHECK_INT_EQ(base32_encode((const uint8_t *)"foobar", 6, txt, 10), 0,
	    "base32 encode too small");
	CHECK_STR_EQ(txt, "", "base32 encode too small leaves empty");
	CHECK_INT_EQ(base32_encode((const uint8_t *)"foobar", 6, txt, 11), 10,
	    "base32 encode exact fit");
}

static void
test_base64_vectors(void)
{
	uint8_t bin[32];
	char txt[64], desc[64];
	size_t i, n, len;

	for (i = 0; i < NVEC; i++) {
		len = strlen(vec[i].plain);
		snprintf(desc, sizeof(desc), "base64 \"%s\"", vec[i].plain);
		CHECK_INT_EQ(base64_encode((const uint8_t *)vec[i].plain, len,
		    txt, sizeof(txt)), strlen(vec[i].b64), desc);
		CHECK_STR_EQ(txt, vec[i].b64, desc);
		n = 99;
		CHECK_INT_EQ(base64_decode(vec[i].b64, strlen(vec[i].b64),
		    bin, sizeof(bin), &n), 0, desc);
		CHECK_INT_EQ(n, len, desc);
		CHECK_TRUE(memcmp(bin, vec[i].plain, len) == 0, desc);
	}
}

static void
test_base64_edges(void)
{
	static const char *bad[] = {
		"Zg=", "Zg", "Zh==", "Zm9=", "Z===", "====", "Zg==Zg==",
		"Zm 9v", "Zm9v\n", "Zm-v", "Zm_v", "Z=g=", "Zm=v",
	};
	uint8_t bin[16];
	char txt[16], desc[64];
	size_t i, n = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* %.*s keeps the newline case from breaking the TAP line. */
		snprintf(desc, sizeof(desc), "base64 rejects \"%.*s\"%s",
		    (int)strcspn(bad[i], "\n"), bad[i],
		    strchr(bad[i], '\n') != NULL ? " (with newline)" : "");
		CHECK_INT_EQ(base64_decode(bad[i], strlen(bad[i]), bin,
		    sizeof(bin), &n), -1, desc);
	}
	CHECK_INT_EQ(base64_decode("+/+/", 4, bin, sizeof(bin), &n), 0,
	    "base64 + and /");
	CHECK_INT_EQ(bin[0], 0xfb, "base64 + and / first byte");
	CHECK_INT_EQ(base64_decode("Zm9vYmFy", 8, bin, 5, &n), -1,
	    "base64 output overflow rejected");
	CHECK_INT_EQ(base64_decode("Zm9vYmE=", 8, bin, 5, &n), 0,
	    "base64 output exact fit");
	CHECK_INT_EQ(base64_decode("Zm9vYmFyXXXX", 8, bin, 6, &n), 0,
	    "base64 inlen respected");
	CHECK_INT_EQ(base64_encode((const uint8_t *)"foo", 3, txt, 4), 0,
	    "base64 encode too small");
	CHECK_STR_EQ(txt, "", "base64 encode too small leaves empty");
	CHECK_INT_EQ(base64_encode((const uint8_t *)"foo", 3, txt, 5), 4,
	    "base64 encode exact fit");
}

int
main(void)
{
	test_base32_vectors();
	test_base32_edges();
	test_base64_vectors();
	test_base64_edges();
	return check_done();
}
