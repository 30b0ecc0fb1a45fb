/* auth.c: who is calling — `authorization: Bearer <secret>` resolved to an
 * identity through the tokens table (see auth.h).
 *
 * Path of one check: read the header → parse it (scheme "Bearer" in any
 * case, exactly one space, a secret of base64url characters) → SHA-256 of
 * the secret → one prepared statement on the loop's pool joining tokens,
 * agencies and agency_domains, which returns a row only for a token that is
 * neither revoked nor expired (compared with now() in SQL, so every daemon
 * agrees with the database's clock) → the identity handed to the caller's
 * callback. Every token failure answers UNAUTHENTICATED with the same text,
 * so a caller learns nothing about which tokens exist.
 *
 * The handler's callback waits for the query in the call's platform slot
 * (rci_call_set_platform_data), so the handler's own slot stays free and a
 * call that dies mid-query frees it with everything else.
 *
 * Pure parts (header parsing, hashing, secret encoding) take no call and
 * touch no database, so tests/unit/test_auth.c reaches them directly.
 */
#include "platform/auth.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "platform/log.h"
#include "platform/store.h"

#define AUTH_FAILED_MSG "missing, invalid, expired or revoked token"
#define AUTH_ADMIN_MSG "admin token required"

/* $1: SHA-256 of the secret, lowercase hex. One row for a valid token:
 * id, admin, agency code, the agency's city, its domains joined with ','. */
static const char sql_lookup[] =
    "SELECT t.id, t.admin, coalesce(t.agency_code, ''), coalesce(a.city_code, ''),\n"
    "       coalesce((SELECT string_agg(d.domain_code, ',' ORDER BY d.domain_code)\n"
    "                 FROM agency_domains d WHERE d.agency_code = t.agency_code), '')\n"
    "FROM tokens t LEFT JOIN agencies a ON a.code = t.agency_code\n"
    "WHERE t.hash = decode($1, 'hex')\n"
    "  AND t.revoked_at IS NULL\n"
    "  AND (t.expires_at IS NULL OR t.expires_at > now())";

static int stmt_lookup = -1;

/* ---- pure parts ------------------------------------------------------------- */

static int is_b64url(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

int rci_auth_parse_bearer(const char *header, const char **secret, size_t *len)
{
    *secret = NULL;
    *len = 0;
    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return -1;
    const char *s = header + 7;
    size_t n = strlen(s);
    if (n < RCI_AUTH_SECRET_MIN || n > RCI_AUTH_SECRET_MAX)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!is_b64url((unsigned char)s[i]))
            return -1;
    *secret = s;
    *len = n;
    return 0;
}

void rci_auth_hash(const char *secret, size_t len, char hash_hex[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(secret, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
        /* Only out of memory inside OpenSSL: a hash no token can have. */
        memset(hash_hex, '0', 64);
        hash_hex[64] = '\0';
        rci_log_error("auth: SHA-256 failed");
        return;
    }
    for (unsigned int i = 0; i < 32; i++) {
        hash_hex[2 * i] = hex[md[i] >> 4];
        hash_hex[2 * i + 1] = hex[md[i] & 15];
    }
    hash_hex[64] = '\0';
}

int rci_auth_secret_encode(const uint8_t raw[32], char out[48])
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    memcpy(out, RCI_AUTH_SECRET_PREFIX, 4);
    char *p = out + 4;
    size_t i = 0;
    for (; i + 3 <= 32; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
        *p++ = b64[v >> 18];
        *p++ = b64[(v >> 12) & 63];
        *p++ = b64[(v >> 6) & 63];
        *p++ = b64[v & 63];
    }
    /* 32 = 30 + 2: the last two bytes give three characters, no padding. */
    uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8;
    *p++ = b64[v >> 18];
    *p++ = b64[(v >> 12) & 63];
    *p++ = b64[(v >> 6) & 63];
    *p = '\0';
    return (int)(p - out);
}

int rci_auth_new_secret(char *out, size_t outlen, char *hash_hex, size_t hashlen)
{
    uint8_t raw[32];
    if (outlen < 48 || hashlen < 65)
        return -1;
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)n;
    }
    int n = rci_auth_secret_encode(raw, out);
    memset(raw, 0, sizeof raw);
    rci_auth_hash(out, (size_t)n, hash_hex);
    return 0;
}

int rci_auth_may_write(const rci_identity *who, const char *city_code, const char *domain)
{
    if (!who || !who->agency_code[0] || !who->city_code[0] || !city_code || !domain)
        return 0;
    if (strcmp(who->city_code, city_code) != 0)
        return 0;
    for (size_t i = 0; i < who->ndomains; i++)
        if (strcmp(who->domains[i], domain) == 0)
            return 1;
    return 0;
}

/* Copy src into dst[size]; -1 (dst emptied) if it does not fit. */
static int copy_field(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size) {
        dst[0] = '\0';
        return -1;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

int rci_auth_identity_from_row(rci_identity *who, const char *token_id, const char *admin,
                               const char *agency, const char *city, const char *domains)
{
    memset(who, 0, sizeof *who);
    char *end;
    errno = 0;
    long long id = strtoll(token_id, &end, 10);
    if (errno || end == token_id || *end || id <= 0)
        return -1;
    who->token_id = id;
    who->admin = strcmp(admin, "t") == 0;
    if (copy_field(who->agency_code, sizeof who->agency_code, agency) < 0 ||
        copy_field(who->city_code, sizeof who->city_code, city) < 0)
        return -1;
    for (const char *p = domains; *p;) {
        size_t n = strcspn(p, ",");
        if (who->ndomains == RCI_AUTH_MAX_DOMAINS || n >= sizeof who->domains[0])
            return -1;
        memcpy(who->domains[who->ndomains], p, n);
        who->domains[who->ndomains][n] = '\0';
        if (n > 0)
            who->ndomains++;
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* ---- the lookup on a call ------------------------------------------------------ */

/* What waits in the call's platform slot during the lookup. */
typedef struct auth_wait {
    rci_auth_cb cb;
    int need_admin;
} auth_wait;

static void auth_done(rci_call *call, const PGresult *res)
{
    auth_wait *w = rci_call_platform_data(call);
    rci_call_set_platform_data(call, NULL, NULL);
    if (!w) {
        rci_call_finish(call, RCI_INTERNAL, "authentication state lost");
        return;
    }
    auth_wait wait = *w;
    free(w);
    if (PQntuples(res) != 1) {
        rci_call_finish(call, RCI_UNAUTHENTICATED, AUTH_FAILED_MSG);
        return;
    }
    rci_identity who;
    if (PQnfields(res) != 5 ||
        rci_auth_identity_from_row(&who, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
                                   PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3),
                                   PQgetvalue(res, 0, 4)) < 0) {
        rci_log_error("auth: token row does not fit an identity (agency code, city or "
                      "domains too long, or more than %d domains)", RCI_AUTH_MAX_DOMAINS);
        rci_call_finish(call, RCI_INTERNAL, "this token's agency cannot be represented");
        return;
    }
    if (wait.need_admin && !who.admin) {
        rci_call_finish(call, RCI_PERMISSION_DENIED, AUTH_ADMIN_MSG);
        return;
    }
    wait.cb(call, &who);
}

static void auth_start(rci_call *call, rci_auth_cb cb, int need_admin)
{
    const char *secret;
    size_t len;
    if (rci_auth_parse_bearer(rci_call_header(call, "authorization"), &secret, &len) < 0) {
        rci_call_finish(call, RCI_UNAUTHENTICATED, AUTH_FAILED_MSG);
        return;
    }
    if (rci_call_platform_data(call)) {
        /* A second rci_auth while the first is still looking: a bug. */
        rci_call_finish(call, RCI_INTERNAL, "authentication already in progress");
        return;
    }
    auth_wait *w = malloc(sizeof *w);
    if (!w) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    w->cb = cb;
    w->need_admin = need_admin;
    rci_call_set_platform_data(call, w, free);
    char hash[65];
    rci_auth_hash(secret, len, hash);
    const char *params[1] = {hash};
    rci_call_query(call, stmt_lookup, params, auth_done);
}

void rci_auth(rci_call *call, rci_auth_cb cb)
{
    auth_start(call, cb, 0);
}

void rci_auth_admin(rci_call *call, rci_auth_cb cb)
{
    auth_start(call, cb, 1);
}

int rci_auth_init(char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    if (stmt_lookup < 0)
        stmt_lookup = rci_store_register("auth_lookup_token", sql_lookup, 1);
    return 0;
}
