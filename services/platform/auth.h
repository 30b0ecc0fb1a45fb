/* auth.h: who is calling — the bearer token of a call resolved to an
 * identity (agency, city, domains, admin).
 *
 * Owns: reading `authorization: Bearer <secret>` from the call, hashing the
 * secret (SHA-256; only hashes are stored, in the tokens table of
 * migrations/0003_identity.sql), looking it up with one prepared statement
 * on the loop's pool, and answering UNAUTHENTICATED (no token, malformed,
 * unknown, expired or revoked — one message for all, so tokens cannot be
 * probed) or PERMISSION_DENIED (admin needed), and caching identities per
 * loop while the database notifies their changes. Services decide the finer
 * scope (city and domain) themselves with the identity they are given.
 */
#ifndef RCI_AUTH_H
#define RCI_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include "platform/call.h"

#define RCI_AUTH_MAX_DOMAINS 16

typedef struct rci_identity {
    int64_t token_id;
    char agency_code[65];        /* "" for an admin-only token; agencies.code
                                    is at most 64 characters (0002) */
    char city_code[16];          /* the agency's city; "" without agency */
    int admin;                   /* may manage registry, tokens, calendar, locks */
    size_t ndomains;
    char domains[RCI_AUTH_MAX_DOMAINS][33];   /* domains.code: at most 32 */
} rci_identity;

/* Called with the caller's identity, valid during the callback only. */
typedef void (*rci_auth_cb)(rci_call *call, const rci_identity *who);

/* Register the lookup statement; call once before serving. */
int rci_auth_init(char *err, size_t errlen);

/* Resolve the call's token, then cb(call, who) — later, or at once from
 * inside this call when the loop has the identity cached, so call it last.
 * On failure the call is finished (UNAUTHENTICATED, or UNAVAILABLE when the
 * database is down) and cb is not called. */
void rci_auth(rci_call *call, rci_auth_cb cb);

/* Same, and the token must be an admin token (else PERMISSION_DENIED). */
void rci_auth_admin(rci_call *call, rci_auth_cb cb);

/* Forget every identity this loop has cached (auth.c keeps them per loop,
 * emptied by NOTIFY rci_tokens). Called after this loop revokes a token,
 * so its own next call already sees the change. */
void rci_auth_forget_all(void);

/* 1 if who may write values of `domain` for `city_code`: its own city and
 * one of its domains. */
int rci_auth_may_write(const rci_identity *who, const char *city_code, const char *domain);

/* A new random secret "rci_" + 43 base64url characters (32 random bytes)
 * into out (>= 48 bytes), and its SHA-256 as 64 lowercase hex digits into
 * hash_hex (>= 65 bytes). Returns 0, or -1 if the system has no randomness. */
int rci_auth_new_secret(char *out, size_t outlen, char *hash_hex, size_t hashlen);

/* SHA-256 of secret as lowercase hex into hash_hex (>= 65 bytes). */
void rci_auth_hash(const char *secret, size_t len, char hash_hex[65]);

/* ---- pure parts, for the tests and for rcid's local `token` command ------ */

#define RCI_AUTH_SECRET_PREFIX "rci_"
#define RCI_AUTH_SECRET_LEN 47       /* "rci_" + 43 base64url characters */
#define RCI_AUTH_SECRET_MIN 16       /* what a header may carry at all */
#define RCI_AUTH_SECRET_MAX 256

/* Parse an authorization header value: "Bearer" in any case, exactly one
 * space, then RCI_AUTH_SECRET_MIN..MAX characters of [A-Za-z0-9_-] and
 * nothing else. Returns 0 with *secret (pointing into header) and *len, or
 * -1 for NULL or anything else. */
int rci_auth_parse_bearer(const char *header, const char **secret, size_t *len);

/* raw as a secret: "rci_" + base64url (RFC 4648 §5) without padding, NUL-
 * terminated into out. Returns its length, RCI_AUTH_SECRET_LEN. */
int rci_auth_secret_encode(const uint8_t raw[32], char out[48]);

/* Fill *who from the lookup row's text columns (token id, admin "t"/"f",
 * agency code, city code, domains joined with ','). Returns -1 when a
 * value does not fit rci_identity. */
int rci_auth_identity_from_row(rci_identity *who, const char *token_id, const char *admin,
                               const char *agency, const char *city, const char *domains);

#endif
