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
 *
 * Cache: each event loop remembers up to AUTH_CACHE_SLOTS identities it has
 * looked up, for at most AUTH_CACHE_TTL_SEC and never past the token's own
 * expiry (counted from the database's now(), so clocks need not agree). A
 * hit answers without a query. It is sound only while this loop's store is
 * listening on rci_tokens (migrations/0009_token_notify.sql), which every
 * change to a token, an agency's city or its domains notifies: a
 * notification, or a gap in listening, empties the cache. A lookup that was
 * in flight when that happened may have read the old row, so each lookup
 * notes the cache generation it started in and is cached only if that is
 * still the generation when it answers. A revocation made through this loop
 * also empties its cache at once (rci_auth_forget_all); other loops and
 * other daemons follow when the notification arrives, milliseconds later.
 */
#include "platform/auth.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "platform/log.h"
#include "platform/store.h"

#define AUTH_FAILED_MSG "missing, invalid, expired or revoked token"
#define AUTH_ADMIN_MSG "admin token required"

#define AUTH_CACHE_SLOTS 64
#define AUTH_CACHE_TTL_SEC 60
#define AUTH_CHANNEL "rci_tokens"

/* $1: SHA-256 of the secret, lowercase hex. One row for a valid token:
 * id, admin, agency code, the agency's city, its domains joined with ',',
 * and the seconds it has left (-1: no expiry). */
static const char sql_lookup[] =
    "SELECT t.id, t.admin, coalesce(t.agency_code, ''), coalesce(a.city_code, ''),\n"
    "       coalesce((SELECT string_agg(d.domain_code, ',' ORDER BY d.domain_code)\n"
    "                 FROM agency_domains d WHERE d.agency_code = t.agency_code), ''),\n"
    "       coalesce(floor(extract(epoch FROM t.expires_at - now())), -1)::bigint\n"
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

/* ---- the per-loop cache --------------------------------------------------------- */

typedef struct auth_entry {
    char hash[65];         /* "" for a free slot */
    long long until_usec;  /* monotonic */
    unsigned long long used;
    rci_identity who;
} auth_entry;

typedef struct auth_cache {
    int listening;               /* the loop's store hears rci_tokens */
    unsigned long long gen;      /* bumped whenever the cache is emptied */
    unsigned long long tick;
    auth_entry e[AUTH_CACHE_SLOTS];
} auth_cache;

/* One per loop thread: a loop owns its thread, and the cache is touched
 * only from it, so no lock. */
static _Thread_local auth_cache cache;

static long long mono_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void rci_auth_forget_all(void)
{
    cache.gen++;
    for (int i = 0; i < AUTH_CACHE_SLOTS; i++)
        cache.e[i].hash[0] = '\0';
}

/* rci_tokens: any notification or gap empties the cache; it is used only
 * while the store listens. */
static void auth_notified(rci_store *s, const char *channel, const char *payload)
{
    (void)channel;
    (void)payload;
    cache.listening = rci_store_listening(s);
    rci_auth_forget_all();
}

static const rci_identity *cache_find(const char *hash)
{
    if (!cache.listening)
        return NULL;
    long long now = mono_usec();
    for (int i = 0; i < AUTH_CACHE_SLOTS; i++) {
        auth_entry *e = &cache.e[i];
        if (e->hash[0] && strcmp(e->hash, hash) == 0) {
            if (now >= e->until_usec) {
                e->hash[0] = '\0';
                return NULL;
            }
            e->used = ++cache.tick;
            return &e->who;
        }
    }
    return NULL;
}

/* Remember who for hash, in a free slot or the least recently used one. */
static void cache_put(const char *hash, const rci_identity *who, long long left_sec)
{
    long long ttl = AUTH_CACHE_TTL_SEC;
    if (left_sec >= 0 && left_sec < ttl)
        ttl = left_sec;
    if (ttl <= 0)
        return;
    auth_entry *slot = &cache.e[0];
    for (int i = 0; i < AUTH_CACHE_SLOTS; i++) {
        auth_entry *e = &cache.e[i];
        if (!e->hash[0] || strcmp(e->hash, hash) == 0) {
            slot = e;
            break;
        }
        if (e->used < slot->used)
            slot = e;
    }
    memcpy(slot->hash, hash, sizeof slot->hash);
    slot->until_usec = mono_usec() + ttl * 1000000;
    slot->used = ++cache.tick;
    slot->who = *who;
}

/* ---- the lookup on a call ------------------------------------------------------ */

/* What waits in the call's platform slot during the lookup. */
typedef struct auth_wait {
    rci_auth_cb cb;
    int need_admin;
    unsigned long long gen;   /* cache generation when the lookup started */
    char hash[65];
} auth_wait;

static void auth_answer(rci_call *call, const auth_wait *wait, const rci_identity *who)
{
    if (wait->need_admin && !who->admin) {
        rci_call_finish(call, RCI_PERMISSION_DENIED, AUTH_ADMIN_MSG);
        return;
    }
    wait->cb(call, who);
}

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
    if (PQnfields(res) != 6 ||
        rci_auth_identity_from_row(&who, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
                                   PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3),
                                   PQgetvalue(res, 0, 4)) < 0) {
        rci_log_error("auth: token row does not fit an identity (agency code, city or "
                      "domains too long, or more than %d domains)", RCI_AUTH_MAX_DOMAINS);
        rci_call_finish(call, RCI_INTERNAL, "this token's agency cannot be represented");
        return;
    }
    if (cache.listening && cache.gen == wait.gen)
        cache_put(wait.hash, &who, atoll(PQgetvalue(res, 0, 5)));
    auth_answer(call, &wait, &who);
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
    auth_wait wait = {.cb = cb, .need_admin = need_admin, .gen = cache.gen};
    rci_auth_hash(secret, len, wait.hash);
    const rci_identity *hit = cache_find(wait.hash);
    if (hit) {
        rci_identity who = *hit;   /* the callback may empty the cache */
        auth_answer(call, &wait, &who);
        return;
    }
    auth_wait *w = malloc(sizeof *w);
    if (!w) {
        rci_call_finish(call, RCI_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    *w = wait;
    rci_call_set_platform_data(call, w, free);
    const char *params[1] = {w->hash};
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
    if (stmt_lookup < 0) {
        stmt_lookup = rci_store_register("auth_lookup_token", sql_lookup, 1);
        rci_store_listen(AUTH_CHANNEL, auth_notified);
    }
    return 0;
}
