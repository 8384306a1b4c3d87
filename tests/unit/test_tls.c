/*
 * test_tls.c: unit tests of the TLS key and certificate code
 * (common/tls_pem.c) and of the keyholder (common/keyholder.c): chain
 * parsing and its errors, private key parsing in every supported form,
 * key/certificate matching, and signatures made by a real keyholder
 * process (forked here, sandboxed as in a daemon) and checked with
 * BearSSL's verification functions.  The keys below are test keys made
 * with openssl(1) for this file only.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>

#include "common/frame.h"
#include "common/keyholder.h"
#include "common/tls.h"
#include "common/tls_pem.h"
#include "tests/unit/check.h"

/* EC P-256 key, SEC1 */
static const char pem_ec_sec1[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIJNYtvrSUMSrgTa5Gn6C4cwlg8fG5xhzCbEtm2uExdR4oAoGCCqGSM49\n"
    "AwEHoUQDQgAEUHUtly/eQUP4Pc3nQGvI7ihoWP2hbPF80OPI1TbVvAZ44oqIMwvY\n"
    "Crk7Uk1fD1DUhqLp/+KzzJCU8NA15+hpZg==\n"
    "-----END EC PRIVATE KEY-----\n";

/* the same key, PKCS#8 */
static const char pem_ec_p8[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgk1i2+tJQxKuBNrka\n"
    "foLhzCWDx8bnGHMJsS2ba4TF1HihRANCAARQdS2XL95BQ/g9zedAa8juKGhY/aFs\n"
    "8XzQ48jVNtW8BnjiiogzC9gKuTtSTV8PUNSGoun/4rPMkJTw0DXn6Glm\n"
    "-----END PRIVATE KEY-----\n";

/* self-signed certificate for it */
static const char pem_ec_cert[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBejCCASGgAwIBAgIUYMCW8Ot6y3Ygp8ouaT7cJUvpM5MwCgYIKoZIzj0EAwIw\n"
    "EjEQMA4GA1UEAwwHZWMudGVzdDAgFw0yNjExMjYxOTM0MTZaGA8yMTI2MTEwMjE5\n"
    "MzQxNlowEjEQMA4GA1UEAwwHZWMudGVzdDBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
    "A0IABFB1LZcv3kFD+D3N50BryO4oaFj9oWzxfNDjyNU21bwGeOKKiDML2Aq5O1JN\n"
    "Xw9Q1Iai6f/is8yQlPDQNefoaWajUzBRMB0GA1UdDgQWBBQHM79S8P7zO6ElmBRA\n"
    "/Qqajm/KSjAfBgNVHSMEGDAWgBQHM79S8P7zO6ElmBRA/Qqajm/KSjAPBgNVHRMB\n"
    "Af8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIAQbi3WedSgtYuXChQWpKNGfBW8b\n"
    "/vizKg48zZYdLhnsAiAT1/3InUc8LeG+vw4w0bR8uvTQmmd5hcZR2lmNyY9lsA==\n"
    "-----END CERTIFICATE-----\n";

/* another EC P-256 key */
static const char pem_ec2_sec1[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIObFKogQvSNiv8DCPuUBVhHVusAXj+B5RG2ZqwQXbjiCoAoGCCqGSM49\n"
    "AwEHoUQDQgAE/h/LwRJq1aB5+jZ9e9//rC8TSXdxGK6vBdqyBs2Wwqx+MQJ+9nud\n"
    "OYQmBzHWEQ8Co9wWc2pbpgDa7QSH9eIW4g==\n"
    "-----END EC PRIVATE KEY-----\n";

/* EC P-384 key after an EC PARAMETERS block */
static const char pem_ec384_params_sec1[] =
    "-----BEGIN EC PARAMETERS-----\n"
    "BgUrgQQAIg==\n"
    "-----END EC PARAMETERS-----\n"
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MIGkAgEBBDACgg2IY+973BXZNyRr/OngmOmS5+EVkTWPxgPXZFHBNrYYdwnGDI0C\n"
    "SFujIqfXwNCgBwYFK4EEACKhZANiAARtMLLjfyAjjo68IPnvyHd6aw+4Uk4iX7rq\n"
    "/Q8AykO9Hu2vQQMOjitDESXA8qvhdl0tF/ahvgxSgMm7+q8U8ZT2rez4FS2V9fgn\n"
    "5VbmykM9XnQwx/srPAlbiFmMUiG+AbI=\n"
    "-----END EC PRIVATE KEY-----\n";

/* EC key on secp256k1 (unsupported) */
static const char pem_k1_sec1[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHQCAQEEICS/3P6Z2i6R1NeYpqe9riJOeQLo3455U2gaCtlMsZh7oAcGBSuBBAAK\n"
    "oUQDQgAEXMxxnPwhcj99+Dp6RW9Iczms/GOd6JMTumYHPMSZDAlJwwnRXQzlsEkG\n"
    "SVa42sniuLe1evdRYAXQ+A6yR7PC1A==\n"
    "-----END EC PRIVATE KEY-----\n";

/* encrypted PKCS#8 key */
static const char pem_ec_enc[] =
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
    "MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAjOZWUHfmmFUQICCAAw\n"
    "DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEECs/bURyVJgyorntlxqqExYEgZA8\n"
    "kfh1ImQ5AGmj74eE+DJfMJLKtnZ2hNS/HLKTWiLSXAFTLLHVgRPbqtvK5s6Og5by\n"
    "/Dx7RXFXeB+0LPrdxHS6WNEM/oFzuh2kS2VqOMlgj3kxuX/71a2Ix2rGbrk6IDtP\n"
    "gkldGLznSoOa4f337RkaS9qEQXY1iu+o1G0QaXRlTOnz1Hl8+DUbZ8YnCVNIaCI=\n"
    "-----END ENCRYPTED PRIVATE KEY-----\n";

/* RSA 2048 key, PKCS#1 */
static const char pem_rsa_p1[] =
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEogIBAAKCAQEAvifIjmV1L12QXfu/79lW7h0wkqOGnJaKxS4//o3r+O4jXzqV\n"
    "r8FfEO6PMhz4HOWplD7nkNQaVL/tsaiLIHzsYLJNoMycHIASdtQQvz7zqwed4v1s\n"
    "4w8aMiE7/6XXof1xPXT0Pmdgjqk2kAxjTZ8/Rd2WRWN0fPJhKbfEthwBt3ULfuoj\n"
    "UPwclbz1tvOpDtrpTFVkfoKGxJsnlYOKyGd388n7PE7MlHNwA0lGktnRou7jXLg9\n"
    "hy7F18s09p2Vc2TsPiwaGSrGgQ+wAyk8dwAu0GGZ3TqXxfUdGgDQCSMCPA+3hd0m\n"
    "G2RI3AjKLoGdP89vOTFOXRiYAu7k/IuMfsBG6QIDAQABAoIBAAhUh9WtHigYCjYD\n"
    "zFG+jK9bugACh+geNDAVKZqGLxs1m3kVgO81ImwEd2Nzn27spLQo2U4f7JNf4RLS\n"
    "Vl3y+wv1Y68yp3gcKDLqcV1fbZ9FcyY5geakh7pAeHdnlX20M5zEndqJ/tHhGdHP\n"
    "qR4CZuwxm96oT7cViyofsc9khLK7q490Uc1kgQ/+gfj8Do3CfzQL/FYXGAU+ieK9\n"
    "udaN6UoRxcktskzx+2gp5jgTAgCWDPUc+OPdDV4K8Kq4/YHASTI93Rwj1LNUBUHY\n"
    "dVj0tV1thbuoj+VMUfuwtbX0ZXbgMk+R0hfQRwVv1snNyzQwInPywnjcGLwaXOHo\n"
    "AZfwG40CgYEA5bcoSxVXf7f6SBC+s2KdRbr5HXoYR6c802b/ZUDktIU+ayVh5iDk\n"
    "F8ExQuP3fxUyCQ73BRmFlVYGazmtzsM1fC6B6AliM7lcq55oxseZRTf3VduIdOcS\n"
    "NAAC5tDH+74Pdxoao06QBGE4fvmm8QqvJuuNzgDGMD0uDU0+e7NBOfcCgYEA0+nU\n"
    "dTGKLbgUtyVyQki5rJ1KxDOirgJNBMwy89aJG7WbLhlKN0Tmbhda8fDv3n5la4sE\n"
    "5faJyCwj9Khel0Yu/yDHlujpZreVt8+CvRJIp/S2qvqgEzCLaYB5BAAU0Co2t2Qr\n"
    "OUT+dV54iGhAgFa2S1Pch/lLk1uLygSk8LMXTh8CgYBCnIX2n82rn3HYC+MAqYvp\n"
    "eHpcbdc0j+43bxqIBfVL04dyEnj8/nSl3sOmHeza0Q6dSdWfiPMPhs59sVARMNIF\n"
    "nIbW/kGXthyFN34yhhaP19bE8s/y9j51DbvJqqkS+t4JL2yiBloEqxxy1XnvU6XO\n"
    "p2eLYPYXbuY3vTptLGGxqQKBgEi8xycexP4iZEHlAY4M5maAauxjiOBPe948tPSL\n"
    "W+597HDrT1UfOjTpoVbQS5VEL021nw3MDMj/lavhqu4jsffyaW+8LHkMZMB94rNB\n"
    "Nl0oGxcfBZjwnbmt1lvwJzS4eKWEJW3355ujvJ2dox4qJVI/y7+Ea1N+JcJGy9Ku\n"
    "tj4jAoGALcjn0REaZHV9DXqd9Y2knOZRfK40cuT3eiB520sacJovCGcvrPV3Qawy\n"
    "6/DwU52KVfwqplQC7sgYrPFuF9D3rACs61B5EMq159o+ioCVWRiuY6XVJk7Yy2ca\n"
    "2U41OqLO2pMqN7cGw3JxFkvBydEy6dk7caHWdOP1xS0fFk493zM=\n"
    "-----END RSA PRIVATE KEY-----\n";

/* the same key, PKCS#8 */
static const char pem_rsa_p8[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQC+J8iOZXUvXZBd\n"
    "+7/v2VbuHTCSo4aclorFLj/+jev47iNfOpWvwV8Q7o8yHPgc5amUPueQ1BpUv+2x\n"
    "qIsgfOxgsk2gzJwcgBJ21BC/PvOrB53i/WzjDxoyITv/pdeh/XE9dPQ+Z2COqTaQ\n"
    "DGNNnz9F3ZZFY3R88mEpt8S2HAG3dQt+6iNQ/ByVvPW286kO2ulMVWR+gobEmyeV\n"
    "g4rIZ3fzyfs8TsyUc3ADSUaS2dGi7uNcuD2HLsXXyzT2nZVzZOw+LBoZKsaBD7AD\n"
    "KTx3AC7QYZndOpfF9R0aANAJIwI8D7eF3SYbZEjcCMougZ0/z285MU5dGJgC7uT8\n"
    "i4x+wEbpAgMBAAECggEACFSH1a0eKBgKNgPMUb6Mr1u6AAKH6B40MBUpmoYvGzWb\n"
    "eRWA7zUibAR3Y3OfbuyktCjZTh/sk1/hEtJWXfL7C/VjrzKneBwoMupxXV9tn0Vz\n"
    "JjmB5qSHukB4d2eVfbQznMSd2on+0eEZ0c+pHgJm7DGb3qhPtxWLKh+xz2SEsrur\n"
    "j3RRzWSBD/6B+PwOjcJ/NAv8VhcYBT6J4r251o3pShHFyS2yTPH7aCnmOBMCAJYM\n"
    "9Rz4490NXgrwqrj9gcBJMj3dHCPUs1QFQdh1WPS1XW2Fu6iP5UxR+7C1tfRlduAy\n"
    "T5HSF9BHBW/Wyc3LNDAic/LCeNwYvBpc4egBl/AbjQKBgQDltyhLFVd/t/pIEL6z\n"
    "Yp1FuvkdehhHpzzTZv9lQOS0hT5rJWHmIOQXwTFC4/d/FTIJDvcFGYWVVgZrOa3O\n"
    "wzV8LoHoCWIzuVyrnmjGx5lFN/dV24h05xI0AALm0Mf7vg93GhqjTpAEYTh++abx\n"
    "Cq8m643OAMYwPS4NTT57s0E59wKBgQDT6dR1MYotuBS3JXJCSLmsnUrEM6KuAk0E\n"
    "zDLz1okbtZsuGUo3ROZuF1rx8O/efmVriwTl9onILCP0qF6XRi7/IMeW6Olmt5W3\n"
    "z4K9Ekin9Laq+qATMItpgHkEABTQKja3ZCs5RP51XniIaECAVrZLU9yH+UuTW4vK\n"
    "BKTwsxdOHwKBgEKchfafzaufcdgL4wCpi+l4elxt1zSP7jdvGogF9UvTh3ISePz+\n"
    "dKXew6Yd7NrRDp1J1Z+I8w+Gzn2xUBEw0gWchtb+QZe2HIU3fjKGFo/X1sTyz/L2\n"
    "PnUNu8mqqRL63gkvbKIGWgSrHHLVee9Tpc6nZ4tg9hdu5je9Om0sYbGpAoGASLzH\n"
    "Jx7E/iJkQeUBjgzmZoBq7GOI4E973jy09Itb7n3scOtPVR86NOmhVtBLlUQvTbWf\n"
    "DcwMyP+Vq+Gq7iOx9/Jpb7wseQxkwH3is0E2XSgbFx8FmPCdua3WW/AnNLh4pYQl\n"
    "bffnm6O8nZ2jHiolUj/Lv4RrU34lwkbL0q62PiMCgYAtyOfRERpkdX0Nep31jaSc\n"
    "5lF8rjRy5Pd6IHnbSxpwmi8IZy+s9XdBrDLr8PBTnYpV/CqmVALuyBis8W4X0Pes\n"
    "AKzrUHkQyrXn2j6KgJVZGK5jpdUmTtjLZxrZTjU6os7akyo3twbDcnEWS8HJ0TLp\n"
    "2TtxodZ04/XFLR8WTj3fMw==\n"
    "-----END PRIVATE KEY-----\n";

/* self-signed certificate for it */
static const char pem_rsa_cert[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDCTCCAfGgAwIBAgIUPbsY7tBn6+ECTgJCwav1xcSviAUwDQYJKoZIhvcNAQEL\n"
    "BQAwEzERMA8GA1UEAwwIcnNhLnRlc3QwIBcNMjYxMTI2MTkzNDE2WhgPMjEyNjEx\n"
    "MDIxOTM0MTZaMBMxETAPBgNVBAMMCHJzYS50ZXN0MIIBIjANBgkqhkiG9w0BAQEF\n"
    "AAOCAQ8AMIIBCgKCAQEAvifIjmV1L12QXfu/79lW7h0wkqOGnJaKxS4//o3r+O4j\n"
    "XzqVr8FfEO6PMhz4HOWplD7nkNQaVL/tsaiLIHzsYLJNoMycHIASdtQQvz7zqwed\n"
    "4v1s4w8aMiE7/6XXof1xPXT0Pmdgjqk2kAxjTZ8/Rd2WRWN0fPJhKbfEthwBt3UL\n"
    "fuojUPwclbz1tvOpDtrpTFVkfoKGxJsnlYOKyGd388n7PE7MlHNwA0lGktnRou7j\n"
    "XLg9hy7F18s09p2Vc2TsPiwaGSrGgQ+wAyk8dwAu0GGZ3TqXxfUdGgDQCSMCPA+3\n"
    "hd0mG2RI3AjKLoGdP89vOTFOXRiYAu7k/IuMfsBG6QIDAQABo1MwUTAdBgNVHQ4E\n"
    "FgQU662FDIUVFo56ltfjdyDCL6ondD0wHwYDVR0jBBgwFoAU662FDIUVFo56ltfj\n"
    "dyDCL6ondD0wDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEADsW8\n"
    "Ct4r0D8v7oWHIwZKwdpLJckYh5ZQ+3zQpW8LXQAqPwUE+e9/1/rjcZ/lEDNzRImM\n"
    "oTCx5RGm/8C1Fg3lJ82JVfbY948RzMQ65DV9xew5MQ4/Y6cELPhw52dS2icm3qo0\n"
    "vfc/S99Lf/QySuDnKwMSSp3kFgztGCycIZaEhfIxtjHyiC+SX62NPGksBAMcuP6y\n"
    "XabC9BvfiWcCE2dbaLazoAmVAgNnYtN60ksn8ipfcXm7vT3ji6+fuW2YQ1zxvNEG\n"
    "noeTFCJywRM38QO6GJ9BpZ8QIqWh2ka7MS3oibmXWxt2BjLUwOJf2hvzG7s5liVX\n"
    "WGe2g2YrFZxdniG4iw==\n"
    "-----END CERTIFICATE-----\n";

/* self-signed certificate with an RSA 1024 key */
static const char pem_rsa1024_cert[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICBjCCAW+gAwIBAgIUNqRP4mIzbtAwTKoV+B6Cz7FGlRAwDQYJKoZIhvcNAQEL\n"
    "BQAwFDESMBAGA1UEAwwJd2Vhay50ZXN0MCAXDTI2MTEyNjE5MzQxNloYDzIxMjYx\n"
    "MTAyMTkzNDE2WjAUMRIwEAYDVQQDDAl3ZWFrLnRlc3QwgZ8wDQYJKoZIhvcNAQEB\n"
    "BQADgY0AMIGJAoGBAOZX5U61TWrXkddVZmPXiaFeooPvAKVuigc8c9WQCqwkuxfq\n"
    "/m8EnOLftkZ9I8S/8cSWxdS2xnyFlaqGwIvR0ArrG5ZvryNj57sjNx+mmQ+eMk3r\n"
    "32iY7ayFtaryzQZpOO5z/fejchXSz4fDDbDtpbo19ESa3+4Rdbe9YSgFgirnAgMB\n"
    "AAGjUzBRMB0GA1UdDgQWBBTUMRZ3X0YGbWaNSaKQMBl/yD4AMDAfBgNVHSMEGDAW\n"
    "gBTUMRZ3X0YGbWaNSaKQMBl/yD4AMDAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3\n"
    "DQEBCwUAA4GBAKe5CsTrH4gfkAMKiRyjH5X/7pmlbf9jVL3oqEuh6XOjO5fg7n6j\n"
    "QxYQP7bQlo5UKOLYL3iWrJPPhDEHSvoZBk5mlc2Dxz05MFPou7oN2Nt5LdjbEgTo\n"
    "2QBqxVqoR50uqxmUpqMBxnJstltpgYbC28zXTTy+9ZkUzX4vAhs924OF\n"
    "-----END CERTIFICATE-----\n";

static struct tls_chain chain, chain2;
static struct tls_key key;
static char err[256];
static char big[TLS_PEM_MAX];

static int
has(const char *s, const char *sub)
{
	return strstr(s, sub) != NULL;
}

static int
chain_of(const char *pem)
{
	err[0] = '\0';
	return tls_chain_parse(pem, strlen(pem), &chain, err, sizeof(err));
}

static int
key_of(const char *pem)
{
	err[0] = '\0';
	return tls_key_parse(pem, strlen(pem), &key, err, sizeof(err));
}

static void
test_chain_errors(void)
{
	size_t i;

	CHECK_INT_EQ(chain_of(""), -1, "empty file refused");
	CHECK_TRUE(has(err, "no certificate"), "empty: says no certificate");
	CHECK_INT_EQ(chain_of("hello\nworld\n"), -1, "plain text refused");
	CHECK_INT_EQ(chain_of("-----BEGIN CERTIFICATE-----\nAAAA\n"
	    "-----END CERTIFICATE-----\n"), -1, "garbage DER refused");
	CHECK_TRUE(has(err, "malformed"), "garbage DER: says malformed");
	CHECK_INT_EQ(chain_of("-----BEGIN CERTIFICATE-----\nMIIB\n"), -1,
	    "unterminated PEM refused");
	CHECK_TRUE(has(err, "unterminated"), "says unterminated");
	CHECK_INT_EQ(chain_of(pem_rsa1024_cert), -1, "RSA 1024 refused");
	CHECK_TRUE(has(err, "1024 bits"), "says how many bits");
	CHECK_INT_EQ(chain_of(pem_ec2_sec1), -1, "key alone refused");
	snprintf(big, sizeof(big), "%s%s", pem_ec_cert, pem_ec_sec1);
	CHECK_INT_EQ(chain_of(big), -1, "a key in the certificate file "
	    "refused");
	CHECK_TRUE(has(err, "private key"), "says private key");
	CHECK_INT_EQ(chain.ncerts, 0, "refused chain left empty");
	big[0] = '\0';
	for (i = 0; i <= TLS_MAX_CHAIN; i++)
		strcat(big, pem_rsa_cert);
	CHECK_INT_EQ(chain_of(big), -1, "too many certificates refused");
	CHECK_TRUE(has(err, "more than"), "says more than");
	err[0] = '\0';
	CHECK_INT_EQ(tls_chain_load("/nonexistent/cert.pem", &chain, err,
	    sizeof(err)), -1, "missing file refused");
	CHECK_TRUE(has(err, "/nonexistent/cert.pem"), "error names the file");
}

static void
test_chain_ok(void)
{
	CHECK_INT_EQ(chain_of(pem_ec_cert), 0, "EC certificate parses");
	CHECK_INT_EQ(chain.ncerts, 1, "one certificate");
	CHECK_INT_EQ(chain.key_type, BR_KEYTYPE_EC, "EC key type");
	CHECK_INT_EQ(chain.curve, BR_EC_secp256r1, "P-256");
	CHECK_INT_EQ(chain_of(pem_rsa_cert), 0, "RSA certificate parses");
	CHECK_INT_EQ(chain.key_type, BR_KEYTYPE_RSA, "RSA key type");
	snprintf(big, sizeof(big), "%s# comment\n%s", pem_ec_cert,
	    pem_rsa_cert);
	CHECK_INT_EQ(chain_of(big), 0, "two certificates parse");
	CHECK_INT_EQ(chain.ncerts, 2, "two certificates");
	CHECK_INT_EQ(chain.key_type, BR_KEYTYPE_EC, "end-entity first");
	CHECK_TRUE(chain.certs[1].data == chain.der + chain.certs[0].data_len,
	    "certificates lie one after the other");
	CHECK_INT_EQ(chain.derlen, chain.certs[0].data_len +
	    chain.certs[1].data_len, "derlen adds up");
}

static void
test_keys(void)
{
	CHECK_INT_EQ(key_of(pem_ec_sec1), 0, "EC SEC1 key parses");
	CHECK_INT_EQ(key.type, BR_KEYTYPE_EC, "EC type");
	CHECK_INT_EQ(key.ec.curve, BR_EC_secp256r1, "P-256 key");
	CHECK_TRUE(key.ec.x >= key.data && key.ec.x < key.data +
	    sizeof(key.data), "key bytes live in the struct");
	CHECK_INT_EQ(key_of(pem_ec_p8), 0, "EC PKCS#8 key parses");
	CHECK_INT_EQ(key.type, BR_KEYTYPE_EC, "EC PKCS#8 type");
	CHECK_INT_EQ(key_of(pem_rsa_p1), 0, "RSA PKCS#1 key parses");
	CHECK_INT_EQ(key.type, BR_KEYTYPE_RSA, "RSA type");
	CHECK_INT_EQ(key.rsa.n_bitlen, 2048, "2048 bits");
	CHECK_INT_EQ(key_of(pem_rsa_p8), 0, "RSA PKCS#8 key parses");
	CHECK_INT_EQ(key_of(pem_ec384_params_sec1), 0,
	    "EC PARAMETERS block skipped");
	CHECK_INT_EQ(key.ec.curve, BR_EC_secp384r1, "P-384 key");
	CHECK_INT_EQ(key_of(pem_k1_sec1), -1, "secp256k1 refused");
	CHECK_TRUE(has(err, "unsupported"), "says unsupported");
	CHECK_INT_EQ(key.type, 0, "refused key wiped");
	CHECK_INT_EQ(key_of(pem_ec_enc), -1, "encrypted key refused");
	CHECK_TRUE(has(err, "encrypted"), "says encrypted");
	CHECK_INT_EQ(key_of(pem_ec_cert), -1, "certificate is no key");
	CHECK_TRUE(has(err, "no private key"), "says no private key");
	snprintf(big, sizeof(big), "%s%s", pem_ec_sec1, pem_ec2_sec1);
	CHECK_INT_EQ(key_of(big), -1, "two keys refused");
	CHECK_TRUE(has(err, "more than one"), "says more than one");
	CHECK_INT_EQ(key_of("-----BEGIN PRIVATE KEY-----\nAAAA\n"
	    "-----END PRIVATE KEY-----\n"), -1, "garbage key refused");
	CHECK_TRUE(has(err, "malformed"), "says malformed");
	tls_key_wipe(&key);
}

static void
test_match(void)
{
	CHECK_INT_EQ(chain_of(pem_ec_cert), 0, "EC certificate");
	CHECK_INT_EQ(key_of(pem_ec_p8), 0, "its key");
	CHECK_INT_EQ(tls_key_match(&key, &chain, err, sizeof(err)), 0,
	    "EC key matches its certificate");
	chain2 = chain;
	memset(&chain, 0, sizeof(chain));
	CHECK_INT_EQ(tls_key_match(&key, &chain2, err, sizeof(err)), 0,
	    "a copy of the chain by value still matches");
	CHECK_INT_EQ(key_of(pem_ec2_sec1), 0, "another EC key");
	CHECK_INT_EQ(tls_key_match(&key, &chain2, err, sizeof(err)), -1,
	    "other EC key does not match");
	CHECK_TRUE(has(err, "does not match"), "says does not match");
	CHECK_INT_EQ(chain_of(pem_rsa_cert), 0, "RSA certificate");
	CHECK_INT_EQ(tls_key_match(&key, &chain, err, sizeof(err)), -1,
	    "EC key does not match an RSA certificate");
	CHECK_INT_EQ(key_of(pem_rsa_p8), 0, "RSA key");
	CHECK_INT_EQ(tls_key_match(&key, &chain, err, sizeof(err)), 0,
	    "RSA key matches its certificate");
	tls_key_wipe(&key);
}

/* ---- the keyholder --------------------------------------------------- */

/* pipe_of: a descriptor from which s can be read, like an open file. */
static int
pipe_of(const char *s)
{
	int p[2];

	if (pipe(p) == -1 || write(p[1], s, strlen(s)) != (ssize_t)strlen(s))
		return -1;
	close(p[1]);
	return p[0];
}

static int
load(int ctl, const char *keypem, const char *certpem)
{
	int kfd = pipe_of(keypem), cfd = pipe_of(certpem), rc;

	err[0] = '\0';
	rc = keyholder_load(ctl, kfd, cfd, err, sizeof(err));
	close(kfd);
	close(cfd);
	return rc;
}

/* verify: 1 when sig is a valid signature of hash by certpem's key. */
static int
verify(const char *certpem, int id, const unsigned char *hash, size_t hlen,
    const unsigned char *sig, size_t siglen)
{
	br_x509_decoder_context dc;
	const br_x509_pkey *pk;
	unsigned char out[64];
	const unsigned char *oid;

	if (siglen == 0 || chain_of(certpem) == -1)
		return 0;
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, chain.der, chain.certs[0].data_len);
	if ((pk = br_x509_decoder_get_pkey(&dc)) == NULL)
		return 0;
	if (pk->key_type == BR_KEYTYPE_EC)
		return br_ecdsa_vrfy_asn1_get_default()(br_ec_get_default(),
		    hash, hlen, &pk->key.ec, sig, siglen) == 1;
	oid = id == br_sha256_ID ? BR_HASH_OID_SHA256 : BR_HASH_OID_SHA384;
	return br_rsa_pkcs1_vrfy_get_default()(sig, siglen, oid, hlen,
	    &pk->key.rsa, out) == 1 && memcmp(out, hash, hlen) == 0;
}

static void
hash_of(const char *s, unsigned char *out256, unsigned char *out384)
{
	br_sha256_context c256;
	br_sha384_context c384;

	br_sha256_init(&c256);
	br_sha256_update(&c256, s, strlen(s));
	br_sha256_out(&c256, out256);
	br_sha384_init(&c384);
	br_sha384_update(&c384, s, strlen(s));
	br_sha384_out(&c384, out384);
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

/* test_sign_ec: ch0 was opened before any key was loaded; returns a
 * channel opened after the EC key was. */
static int
test_sign_ec(int ctl, int ch0)
{
	unsigned char h256[32], h384[48], sig[512];
	size_t n;
	int ch;

	hash_of("postern", h256, h384);
	CHECK_INT_EQ(keyholder_sign(ch0, br_sha256_ID, h256, 32, sig,
	    sizeof(sig)), 0, "no key loaded: no signature");
	CHECK_INT_EQ(load(ctl, pem_ec_sec1, pem_ec_cert), 0, "EC key loads");
	CHECK_STR_EQ(err, "", "no reason on success");
	CHECK_INT_EQ(keyholder_sign(ch0, br_sha256_ID, h256, 32, sig,
	    sizeof(sig)), 0, "a channel opened before the load keeps no key");
	CHECK_TRUE((ch = keyholder_channel(ctl)) >= 0, "new sign channel");
	n = keyholder_sign(ch, br_sha256_ID, h256, 32, sig, sizeof(sig));
	CHECK_TRUE(n > 0, "EC SHA-256 signature made");
	CHECK_TRUE(verify(pem_ec_cert, br_sha256_ID, h256, 32, sig, n),
	    "EC SHA-256 signature verifies");
	n = keyholder_sign(ch, br_sha384_ID, h384, 48, sig, sizeof(sig));
	CHECK_TRUE(verify(pem_ec_cert, br_sha384_ID, h384, 48, sig, n),
	    "EC SHA-384 signature verifies");
	sig[0] ^= 1;
	CHECK_TRUE(!verify(pem_ec_cert, br_sha384_ID, h384, 48, sig, n),
	    "a damaged signature does not verify");
	CHECK_INT_EQ(keyholder_sign(ch, br_sha1_ID, h256, 20, sig,
	    sizeof(sig)), 0, "SHA-1 refused");
	CHECK_INT_EQ(keyholder_sign(ch, br_sha256_ID, h256, 31, sig,
	    sizeof(sig)), 0, "wrong hash length refused");
	CHECK_INT_EQ(keyholder_sign(ch, br_sha256_ID, h256, 32, sig, 8), 0,
	    "signature larger than the caller's buffer refused");
	return ch;
}

static void
test_load_errors(int ctl, int ch)
{
	unsigned char h256[32], h384[48], sig[512];
	size_t n;

	hash_of("again", h256, h384);
	CHECK_INT_EQ(load(ctl, pem_ec2_sec1, pem_ec_cert), -1,
	    "mismatched key refused");
	CHECK_TRUE(has(err, "does not match"), "keyholder says why");
	CHECK_INT_EQ(load(ctl, "not a key\n", pem_ec_cert), -1,
	    "garbage key refused");
	CHECK_TRUE(has(err, "no private key"), "says no private key");
	CHECK_INT_EQ(load(ctl, pem_ec_sec1, pem_rsa1024_cert), -1,
	    "weak certificate refused");
	n = keyholder_sign(ch, br_sha256_ID, h256, 32, sig, sizeof(sig));
	CHECK_TRUE(verify(pem_ec_cert, br_sha256_ID, h256, 32, sig, n),
	    "failed loads keep the old key");
	CHECK_INT_EQ(load(ctl, pem_rsa_p1, pem_rsa_cert), 0, "RSA key loads");
	/* A channel keeps the key of its handshake's certificate. */
	n = keyholder_sign(ch, br_sha256_ID, h256, 32, sig, sizeof(sig));
	CHECK_TRUE(verify(pem_ec_cert, br_sha256_ID, h256, 32, sig, n),
	    "an open channel still signs with the key before the reload");
	CHECK_TRUE((ch = keyholder_channel(ctl)) >= 0, "new sign channel");
	n = keyholder_sign(ch, br_sha256_ID, h256, 32, sig, sizeof(sig));
	CHECK_INT_EQ(n, 256, "RSA-2048 signature is 256 bytes");
	CHECK_TRUE(verify(pem_rsa_cert, br_sha256_ID, h256, 32, sig, n),
	    "RSA SHA-256 signature verifies");
	n = keyholder_sign(ch, br_sha384_ID, h384, 48, sig, sizeof(sig));
	CHECK_TRUE(verify(pem_rsa_cert, br_sha384_ID, h384, 48, sig, n),
	    "RSA SHA-384 signature verifies");
}

static void
test_bad_channel(int ctl)
{
	struct frame f;
	unsigned char h[32] = { 0 }, sig[512], c;
	int ch, ch2;

	ch = keyholder_channel(ctl);
	ch2 = keyholder_channel(ctl);
	frame_init(&f, MSG_KEY_LOAD);
	frame_add_u32(&f, 1);
	frame_finish(&f);
	CHECK_INT_EQ(frame_write(ch, &f), 0, "wrong message sent");
	CHECK_INT_EQ(read(ch, &c, 1), 0, "wrong message closes the channel");
	close(ch);
	CHECK_TRUE(keyholder_sign(ch2, br_sha256_ID, h, 32, sig,
	    sizeof(sig)) > 0, "other channels live on");
	close(ch2);
}

static void
test_keyholder(void)
{
	int ctl = -1, ch, status, sv[2];
	unsigned char h[32] = { 0 }, sig[64];
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	CHECK_TRUE((pid = keyholder_start(&ctl)) > 0, "keyholder forked");
	CHECK_TRUE((ch = keyholder_channel(ctl)) >= 0, "sign channel made");
	ch = test_sign_ec(ctl, ch);
	test_load_errors(ctl, ch);
	test_bad_channel(ctl);
	close(ch);
	close(ctl);
	CHECK_INT_EQ(waitpid(pid, &status, 0), pid, "keyholder reaped");
	CHECK_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "keyholder exits 0 when the parent closes the channel");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
		close(sv[1]);
		CHECK_INT_EQ(keyholder_sign(sv[0], br_sha256_ID, h, 32, sig,
		    sizeof(sig)), 0, "a dead keyholder gives no signature");
		close(sv[0]);
	}
}

int
main(void)
{
	test_chain_errors();
	test_chain_ok();
	test_keys();
	test_match();
	test_keyholder();
	return check_done();
}
