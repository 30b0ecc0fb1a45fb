/* admin_sql.h: the token statements, shared by AdminService (tokens.c, on
 * the event loop) and rcid's local `rcid token` command (rcid/token.c,
 * blocking libpq before any loop runs), so both make, list and revoke
 * tokens, and audit doing it, exactly the same way.
 *
 * Parameters are text. Times go in as timestamptz text (RFC 3339) and come
 * out as microseconds since the Unix epoch (bigint text; NULL when absent).
 * "actor" is who does it: agency code ('' or NULL: none), token id (NULL:
 * the local command), request id, peer ("local" for the local command), and
 * a JSON object merged into the audit detail.
 */
#ifndef RCI_ADMIN_SQL_H
#define RCI_ADMIN_SQL_H

/* Columns of a token row, from TOKEN_COL_FIRST on. */
enum {
    TOKEN_COL_ID = 0,
    TOKEN_COL_AGENCY,        /* '' for admin-only */
    TOKEN_COL_ADMIN,         /* "t" / "f" */
    TOKEN_COL_LABEL,
    TOKEN_COL_PREFIX,
    TOKEN_COL_CREATED_US,
    TOKEN_COL_EXPIRES_US,    /* NULL: never */
    TOKEN_COL_REVOKED_US,    /* NULL: not revoked */
    TOKEN_NCOLS
};

/* Characters of the secret kept in tokens.prefix, to recognise a token. */
#define TOKEN_PREFIX_LEN 12

/* $1 agency code or NULL, $2 admin (bool), $3 label, $4 SHA-256 hex of the
 * secret, $5 prefix, $6 expires_at or NULL, $7..$11 actor.
 * One row: agency_ok, expiry_ok (must be in the future), then the token
 * columns (NULL unless both are true), then the audit id. */
extern const char rci_admin_sql_create_token[];
#define RCI_ADMIN_CREATE_NPARAMS 11
#define RCI_ADMIN_CREATE_COL_TOKEN 2

/* $1 agency code or NULL (all), $2 include revoked (bool), $3..$7 actor.
 * Token rows ordered by id; a single row whose id is NULL when none. */
extern const char rci_admin_sql_list_tokens[];
#define RCI_ADMIN_LIST_NPARAMS 7

/* $1 token id, $2..$6 actor. Zero rows: no such token. Else one row: the
 * token columns (revoked_at set, kept from the first revocation), then
 * already_revoked ("t"/"f"). */
extern const char rci_admin_sql_revoke_token[];
#define RCI_ADMIN_REVOKE_NPARAMS 6
#define RCI_ADMIN_REVOKE_COL_ALREADY TOKEN_NCOLS

#endif
