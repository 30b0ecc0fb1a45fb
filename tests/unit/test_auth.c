/* test_auth.c: the pure parts of platform/auth.c — the Bearer header, the
 * SHA-256 of a secret, the secret's format and randomness, the identity
 * read from a token row, and the write scope. No database, no call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "platform/auth.h"

static const char sec43[] = "rci_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

/* 1 if the header parses and yields want. */
static int bearer_is(const char *header, const char *want)
{
    const char *s;
    size_t n;
    if (rci_auth_parse_bearer(header, &s, &n) != 0)
        return 0;
    return n == strlen(want) && memcmp(s, want, n) == 0;
}

static int bearer_refused(const char *header)
{
    const char *s = (const char *)1;
    size_t n = 99;
    return rci_auth_parse_bearer(header, &s, &n) == -1 && s == NULL && n == 0;
}

static void test_bearer(void)
{
    char h[400];
    snprintf(h, sizeof h, "Bearer %s", sec43);
    CHECK(bearer_is(h, sec43));
    /* The scheme is case-insensitive (RFC 7235 §2.1). */
    static const char *const schemes[] = {"bearer", "BEARER", "BeArEr", "bEARER"};
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        snprintf(h, sizeof h, "%s %s", schemes[i], sec43);
        CHECK(bearer_is(h, sec43));
    }
    /* Any base64url secret of 16..256 characters, not only ours. */
    CHECK(bearer_is("Bearer abcdefghijklmnop", "abcdefghijklmnop"));
    CHECK(bearer_is("Bearer ----____0000ZZzz", "----____0000ZZzz"));
    memset(h, 0, sizeof h);
    memcpy(h, "Bearer ", 7);
    memset(h + 7, 'x', RCI_AUTH_SECRET_MAX);
    CHECK(bearer_is(h, h + 7));
    h[7 + RCI_AUTH_SECRET_MAX] = 'x';                 /* 257 characters */
    CHECK(bearer_refused(h));

    CHECK(bearer_refused(NULL));
    CHECK(bearer_refused(""));
    CHECK(bearer_refused("Bearer"));
    CHECK(bearer_refused("Bearer "));
    CHECK(bearer_refused("Bearer abcdefghijklmno"));          /* 15 characters */
    snprintf(h, sizeof h, "Bearer  %s", sec43);               /* two spaces */
    CHECK(bearer_refused(h));
    snprintf(h, sizeof h, "Bearer\t%s", sec43);
    CHECK(bearer_refused(h));
    snprintf(h, sizeof h, "Bearer%s", sec43);
    CHECK(bearer_refused(h));
    snprintf(h, sizeof h, " Bearer %s", sec43);
    CHECK(bearer_refused(h));
    snprintf(h, sizeof h, "Bearer %s ", sec43);               /* trailing space */
    CHECK(bearer_refused(h));
    snprintf(h, sizeof h, "Bearer %s\r\n", sec43);
    CHECK(bearer_refused(h));
    snprintf(h, sizeof h, "Basic %s", sec43);
    CHECK(bearer_refused(h));
    snprintf(h, sizeof h, "Token %s", sec43);
    CHECK(bearer_refused(h));
    snprintf(h, sizeof h, "Bearers %s", sec43);
    CHECK(bearer_refused(h));
    /* Characters outside base64url: standard base64, padding, quotes, UTF-8. */
    CHECK(bearer_refused("Bearer abcdefghijklmnop+"));
    CHECK(bearer_refused("Bearer abcdefghijklmnop/"));
    CHECK(bearer_refused("Bearer abcdefghijklmnop="));
    CHECK(bearer_refused("Bearer abcdefghijklmnop.q"));
    CHECK(bearer_refused("Bearer \"abcdefghijklmnop\""));
    CHECK(bearer_refused("Bearer abcdefghijklmnop\xe4\xb8\xad"));
    CHECK(bearer_refused("Bearer abcdefgh ijklmnop"));
}

static void test_hash(void)
{
    char hex[65];
    rci_auth_hash("", 0, hex);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    rci_auth_hash("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *v448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    rci_auth_hash(v448, strlen(v448), hex);
    CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* Only len bytes count. */
    rci_auth_hash("abcdef", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *zeros = "rci_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    rci_auth_hash(zeros, strlen(zeros), hex);
    CHECK_STR(hex, "d3214c5673bb77fc089a6c9245c5be2819f11cb6cd91156ac04d4fd7f48ae722");
}

static void test_encode(void)
{
    uint8_t raw[32];
    char out[48];
    memset(raw, 0, sizeof raw);
    CHECK(rci_auth_secret_encode(raw, out) == RCI_AUTH_SECRET_LEN);
    CHECK_STR(out, "rci_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    memset(raw, 0xff, sizeof raw);
    CHECK(rci_auth_secret_encode(raw, out) == RCI_AUTH_SECRET_LEN);
    CHECK_STR(out, "rci___________________________________________8");
    for (int i = 0; i < 32; i++)
        raw[i] = (uint8_t)i;
    rci_auth_secret_encode(raw, out);
    CHECK_STR(out, sec43);           /* Python: urlsafe_b64encode(bytes(range(32))) */
    /* 62 and 63 map to '-' and '_', never '+' and '/'. */
    memset(raw, 0, sizeof raw);
    raw[0] = 0xfb;                   /* 111110 11... → '-' first */
    rci_auth_secret_encode(raw, out);
    CHECK(out[4] == '-');
}

static int secret_well_formed(const char *s)
{
    if (strlen(s) != RCI_AUTH_SECRET_LEN || strncmp(s, RCI_AUTH_SECRET_PREFIX, 4) != 0)
        return 0;
    for (const char *p = s + 4; *p; p++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p))
            return 0;
    /* 32 bytes = 256 bits: the last character carries 4 bits, its low 2 are 0. */
    const char *b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    return ((strchr(b64, s[RCI_AUTH_SECRET_LEN - 1]) - b64) & 3) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void test_new_secret(void)
{
    enum { N = 2000 };
    char(*secrets)[48] = calloc(N, sizeof *secrets);
    char hash[65], again[65];
    int ok_form = 1, ok_hash = 1, ok_parse = 1;
    for (int i = 0; i < N; i++) {
        if (rci_auth_new_secret(secrets[i], sizeof secrets[i], hash, sizeof hash) != 0) {
            ok_form = 0;
            continue;
        }
        ok_form &= secret_well_formed(secrets[i]);
        rci_auth_hash(secrets[i], strlen(secrets[i]), again);
        ok_hash &= strcmp(hash, again) == 0 && strlen(hash) == 64;
        char h[80];
        snprintf(h, sizeof h, "Bearer %s", secrets[i]);
        ok_parse &= bearer_is(h, secrets[i]);
    }
    CHECK(ok_form);
    CHECK(ok_hash);
    CHECK(ok_parse);
    qsort(secrets, N, sizeof secrets[0], cmp_str);
    int dup = 0;
    for (int i = 1; i < N; i++)
        dup += strcmp(secrets[i - 1], secrets[i]) == 0;
    CHECK(dup == 0);
    /* Every position varies: no character is stuck across 2000 secrets. */
    int stuck = 0;
    for (int pos = 4; pos < RCI_AUTH_SECRET_LEN - 1; pos++) {
        int same = 1;
        for (int i = 1; i < N && same; i++)
            same = secrets[i][pos] == secrets[0][pos];
        stuck += same;
    }
    CHECK(stuck == 0);
    free(secrets);

    char small[47];
    CHECK(rci_auth_new_secret(small, sizeof small, hash, sizeof hash) == -1);
    char s[48];
    CHECK(rci_auth_new_secret(s, sizeof s, hash, 64) == -1);
}

static void test_identity(void)
{
    rci_identity who;
    CHECK(rci_auth_identity_from_row(&who, "42", "f", "hz-eeb", "441300", "environment") == 0);
    CHECK(who.token_id == 42);
    CHECK(!who.admin);
    CHECK_STR(who.agency_code, "hz-eeb");
    CHECK_STR(who.city_code, "441300");
    CHECK(who.ndomains == 1);
    CHECK_STR(who.domains[0], "environment");

    CHECK(rci_auth_identity_from_row(&who, "7", "t", "", "", "") == 0);
    CHECK(who.admin && who.token_id == 7 && who.ndomains == 0);
    CHECK_STR(who.agency_code, "");

    CHECK(rci_auth_identity_from_row(&who, "3", "f", "hy-stats", "441600", "economy,innovation") ==
          0);
    CHECK(who.ndomains == 2);
    CHECK_STR(who.domains[0], "economy");
    CHECK_STR(who.domains[1], "innovation");

    /* The longest codes the schema allows (agencies.code 64, domains.code 32). */
    char agency[80], domain[40];
    memset(agency, 'a', 64);
    agency[64] = '\0';
    memset(domain, 'd', 32);
    domain[32] = '\0';
    CHECK(rci_auth_identity_from_row(&who, "1", "f", agency, "441300", domain) == 0);
    CHECK(strlen(who.agency_code) == 64 && strlen(who.domains[0]) == 32);
    agency[64] = 'a';
    agency[65] = '\0';
    CHECK(rci_auth_identity_from_row(&who, "1", "f", agency, "441300", "x") == -1);
    domain[32] = 'd';
    domain[33] = '\0';
    CHECK(rci_auth_identity_from_row(&who, "1", "f", "hz-eeb", "441300", domain) == -1);

    char many[400] = "";
    for (int i = 0; i <= RCI_AUTH_MAX_DOMAINS; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%sd%d", i ? "," : "", i);
    CHECK(rci_auth_identity_from_row(&who, "1", "f", "x", "1", many) == -1);
    *strrchr(many, ',') = '\0';       /* exactly the maximum */
    CHECK(rci_auth_identity_from_row(&who, "1", "f", "x", "1", many) == 0);
    CHECK(who.ndomains == RCI_AUTH_MAX_DOMAINS);

    CHECK(rci_auth_identity_from_row(&who, "", "f", "x", "1", "") == -1);
    CHECK(rci_auth_identity_from_row(&who, "0", "f", "x", "1", "") == -1);
    CHECK(rci_auth_identity_from_row(&who, "-4", "f", "x", "1", "") == -1);
    CHECK(rci_auth_identity_from_row(&who, "12x", "f", "x", "1", "") == -1);
}

static void test_may_write(void)
{
    rci_identity who;
    rci_auth_identity_from_row(&who, "5", "f", "hy-stats", "441600", "economy,innovation");
    CHECK(rci_auth_may_write(&who, "441600", "economy") == 1);
    CHECK(rci_auth_may_write(&who, "441600", "innovation") == 1);
    CHECK(rci_auth_may_write(&who, "441600", "environment") == 0);   /* not its domain */
    CHECK(rci_auth_may_write(&who, "441300", "economy") == 0);       /* not its city */
    CHECK(rci_auth_may_write(&who, "szdghz", "economy") == 0);       /* a circle is no city */
    CHECK(rci_auth_may_write(&who, "", "economy") == 0);
    CHECK(rci_auth_may_write(&who, "441600", "") == 0);
    CHECK(rci_auth_may_write(&who, NULL, "economy") == 0);
    CHECK(rci_auth_may_write(&who, "441600", NULL) == 0);
    CHECK(rci_auth_may_write(NULL, "441600", "economy") == 0);
    /* An admin-only token writes no values: it has no city. */
    rci_auth_identity_from_row(&who, "6", "t", "", "", "");
    CHECK(rci_auth_may_write(&who, "441600", "economy") == 0);
    CHECK(rci_auth_may_write(&who, "", "") == 0);
    /* An admin token of an agency writes as that agency. */
    rci_auth_identity_from_row(&who, "8", "t", "hz-eeb", "441300", "environment");
    CHECK(rci_auth_may_write(&who, "441300", "environment") == 1);
    CHECK(rci_auth_may_write(&who, "441600", "environment") == 0);
}

int main(void)
{
    test_bearer();
    test_hash();
    test_encode();
    test_new_secret();
    test_identity();
    test_may_write();
    return check_done();
}
