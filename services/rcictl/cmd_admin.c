/* cmd_admin.c: `rcictl admin …` — rci.v1.AdminService, which needs an admin
 * token (--token or RCI_TOKEN):
 *   admin token create|list|revoke   CreateToken, ListTokens, RevokeToken
 *   admin audit                      ListAudit, following its pages
 *
 * Further admin areas (the calendar, period locks) are one line each in
 * admin_commands below and a function in their own file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rci/v1/admin.pb-c.h"
#include "rcictl/rcictl.h"

#define CREATE_TOKEN_PATH "/rci.v1.AdminService/CreateToken"
#define LIST_TOKENS_PATH "/rci.v1.AdminService/ListTokens"
#define REVOKE_TOKEN_PATH "/rci.v1.AdminService/RevokeToken"
#define LIST_AUDIT_PATH "/rci.v1.AdminService/ListAudit"
#define AUDIT_DEFAULT_LIMIT 100
#define AUDIT_PAGE_MAX 1000

static void help(FILE *out)
{
    fputs("Usage: rcictl admin token create (--agency CODE | --admin) [--label TEXT]\n"
          "                                 [--expires TIME]\n"
          "       rcictl admin token list [--agency CODE] [--all]\n"
          "       rcictl admin token revoke ID\n"
          "       rcictl admin audit [--since TIME] [--until TIME] [--agency CODE]\n"
          "                          [--action ACTION] [--limit N]\n"
          "\n"
          "Administration through rci.v1.AdminService. Every command needs an admin\n"
          "token (--token or RCI_TOKEN); the first one is made on the server with\n"
          "`rcid token create --admin`.\n"
          "\n"
          "token create   a token for agency CODE (writes its own city's values in its\n"
          "               own domains), an admin token (--admin), or both. The secret\n"
          "               is printed once on stdout (table format: alone on its line);\n"
          "               the server keeps only its hash. The token's details go to\n"
          "               stderr.\n"
          "    --label TEXT    what it is for, e.g. \"Huizhou EEB nightly export\"\n"
          "    --expires TIME  RFC 3339 (2027-01-01T00:00:00+08:00) or a date\n"
          "                    (2027-01-01: its start in China Standard Time)\n"
          "token list     the tokens, never their secrets; --agency CODE only that\n"
          "               agency's; --all with the revoked ones\n"
          "token revoke   revoke token ID at once; revoking twice changes nothing\n"
          "audit          the audit trail, newest first: who (agency, token), what,\n"
          "               request id, peer and time of every write and admin action\n"
          "    --since TIME, --until TIME   from (inclusive) / to (exclusive)\n"
          "    --agency CODE, --action ACTION   e.g. --action token.create\n"
          "    --limit N       at most N entries (default 100)\n"
          "\n"
          "Output: table, json (an array of objects) or csv; times in +08:00.\n"
          "\n"
          "Exit status: 0 on success; 1 on an error status (no or a bad token is\n"
          "UNAUTHENTICATED, an agency token PERMISSION_DENIED, an unknown token or\n"
          "agency NOT_FOUND); 3 if it cannot connect; 2 on a usage error; 130 if\n"
          "interrupted.\n"
          "\n",
          out);
    rcictl_print_global_help(out);
}

/* ---- tokens ---------------------------------------------------------------------------- */

static const char *const token_headers[] = {"ID", "AGENCY", "ADMIN", "PREFIX", "CREATED",
                                            "EXPIRES", "REVOKED", "LABEL", "SECRET"};
static const char *const token_keys[] = {"id", "agency_code", "admin", "prefix", "created_at",
                                         "expires_at", "revoked_at", "label", "secret"};
#define TOKEN_COLS 8

/* Add a token as a row; secret (may be NULL) fills a ninth column. */
static int token_row(rcictl_table *t, const Rci__V1__Token *tok, const char *secret, int text)
{
    char id[24], c[48], e[48], r[48];
    snprintf(id, sizeof id, "%lld", (long long)tok->id);
    const char *row[] = {
        id,
        text && !*tok->agency_code ? "-" : tok->agency_code,
        tok->admin ? (text ? "yes" : "true") : (text ? "no" : "false"),
        tok->prefix,
        rcictl_cst(tok->created_at, 0, c),
        text && !tok->expires_at ? "never" : rcictl_cst(tok->expires_at, 0, e),
        text && !tok->revoked_at ? "-" : rcictl_cst(tok->revoked_at, 0, r),
        tok->label,
        secret,
    };
    return rcictl_table_add(t, row);
}

static int print_tokens(const rcictl *ctx, Rci__V1__Token *const *toks, size_t n,
                        const char *secret)
{
    int text = ctx->format == RCICTL_FORMAT_TABLE;
    rcictl_table *t = rcictl_table_new(TOKEN_COLS + (secret != NULL), token_headers, token_keys);
    if (!t)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = token_row(t, toks[i], secret, text);
    if (rc == 0)
        rcictl_table_print(t, ctx->format, stdout);
    rcictl_table_free(t);
    return rc;
}

static int token_create(rcictl *ctx, const char *agency, int admin, const char *label,
                        const char *expires)
{
    Rci__V1__CreateTokenRequest req = RCI__V1__CREATE_TOKEN_REQUEST__INIT;
    Google__Protobuf__Timestamp exp;
    req.agency_code = (char *)(agency ? agency : "");
    req.admin = admin;
    req.label = (char *)(label ? label : "");
    if (expires) {
        if (rcictl_parse_time(expires, &exp) < 0)
            return rcictl_usage_error("admin token",
                                      "--expires \"%s\": want an RFC 3339 time such as "
                                      "2027-01-01T00:00:00+08:00, or a date such as 2027-01-01",
                                      expires);
        req.expires_at = &exp;
    }
    ProtobufCMessage *m;
    int rc = rcictl_unary(ctx, CREATE_TOKEN_PATH, &req.base,
                        &rci__v1__create_token_response__descriptor, &m);
    if (!m)
        return rc;
    Rci__V1__CreateTokenResponse *resp = (Rci__V1__CreateTokenResponse *)m;
    const Rci__V1__Token *tok = resp->token;
    if (!tok) {
        fputs("rcictl: the server sent no token\n", stderr);
        rc = RCICTL_EXIT_RPC;
    } else if (ctx->format == RCICTL_FORMAT_TABLE) {
        char e[48];
        printf("%s\n", resp->secret);
        fprintf(stderr, "rcictl: token %lld created: %s%s%s, prefix %s, expires %s\n",
                (long long)tok->id, *tok->agency_code ? "agency " : "", tok->agency_code,
                tok->admin ? (*tok->agency_code ? " + admin" : "admin") : "", tok->prefix,
                tok->expires_at ? rcictl_cst(tok->expires_at, 0, e) : "never");
        fputs("rcictl: the secret above is shown only this once; store it now\n", stderr);
    } else {
        Rci__V1__Token *one[] = {(Rci__V1__Token *)tok};
        if (print_tokens(ctx, one, 1, resp->secret) < 0) {
            fputs("rcictl: out of memory\n", stderr);
            rc = RCICTL_EXIT_RPC;
        }
    }
    explicit_bzero(resp->secret, strlen(resp->secret));
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int token_list(rcictl *ctx, const char *agency, int all)
{
    Rci__V1__ListTokensRequest req = RCI__V1__LIST_TOKENS_REQUEST__INIT;
    req.agency_code = (char *)(agency ? agency : "");
    req.include_revoked = all;
    ProtobufCMessage *m;
    int rc = rcictl_unary(ctx, LIST_TOKENS_PATH, &req.base,
                        &rci__v1__list_tokens_response__descriptor, &m);
    if (!m)
        return rc;
    const Rci__V1__ListTokensResponse *resp = (const Rci__V1__ListTokensResponse *)m;
    if (print_tokens(ctx, resp->tokens, resp->n_tokens, NULL) < 0) {
        fputs("rcictl: out of memory\n", stderr);
        rc = RCICTL_EXIT_RPC;
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int token_revoke(rcictl *ctx, const char *id_text)
{
    char *end;
    errno = 0;
    long long id = strtoll(id_text, &end, 10);
    if (errno || end == id_text || *end || id <= 0)
        return rcictl_usage_error("admin token", "token ID \"%s\": a positive number (see "
                                  "`rcictl admin token list`)", id_text);
    Rci__V1__RevokeTokenRequest req = RCI__V1__REVOKE_TOKEN_REQUEST__INIT;
    req.id = id;
    ProtobufCMessage *m;
    int rc = rcictl_unary(ctx, REVOKE_TOKEN_PATH, &req.base, &rci__v1__token__descriptor, &m);
    if (!m)
        return rc;
    Rci__V1__Token *tok = (Rci__V1__Token *)m;
    if (print_tokens(ctx, &tok, 1, NULL) < 0) {
        fputs("rcictl: out of memory\n", stderr);
        rc = RCICTL_EXIT_RPC;
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int admin_token(rcictl *ctx, int argc, char **argv)
{
    enum { O_AGENCY = 1, O_ADMIN, O_LABEL, O_EXPIRES, O_ALL };
    static const rcictl_option opts[] = {
        {"agency", 1, O_AGENCY}, {"admin", 0, O_ADMIN}, {"label", 1, O_LABEL},
        {"expires", 1, O_EXPIRES}, {"all", 0, O_ALL}, {NULL, 0, 0}};
    const char *sub = NULL, *id = NULL, *agency = NULL, *label = NULL, *expires = NULL;
    int admin = 0, all = 0;
    int i = 1;
    for (;;) {
        int oid;
        const char *value;
        int r = rcictl_next_arg(ctx, argc, argv, &i, opts, &oid, &value);
        if (r == RCICTL_ARG_END)
            break;
        if (r == RCICTL_ARG_ERROR)
            return RCICTL_EXIT_USAGE;
        if (r == RCICTL_ARG_POSITIONAL) {
            if (!sub)
                sub = value;
            else if (strcmp(sub, "revoke") == 0 && !id)
                id = value;
            else
                return rcictl_usage_error("admin", "unexpected argument \"%s\"", value);
            continue;
        }
        switch (oid) {
        case RCICTL_OPT_HELP:
            help(stdout);
            return RCICTL_EXIT_OK;
        case O_AGENCY: agency = value; break;
        case O_ADMIN: admin = 1; break;
        case O_LABEL: label = value; break;
        case O_EXPIRES: expires = value; break;
        case O_ALL: all = 1; break;
        }
    }
    if (!sub)
        return rcictl_usage_error("admin", "admin token: create, list or revoke?");
    int create = strcmp(sub, "create") == 0, list = strcmp(sub, "list") == 0,
        revoke = strcmp(sub, "revoke") == 0;
    if (!create && !list && !revoke)
        return rcictl_usage_error("admin", "admin token: unknown command \"%s\" (create, list "
                                  "or revoke)", sub);
    if (!create && (admin || label || expires))
        return rcictl_usage_error("admin", "--admin, --label and --expires belong to create");
    if (!list && all)
        return rcictl_usage_error("admin", "--all belongs to list");
    if (create && !admin && (!agency || !*agency))
        return rcictl_usage_error("admin", "token create needs --agency CODE, --admin, or both");
    if (revoke && (agency || !id))
        return rcictl_usage_error("admin", "token revoke takes the token ID");
    if (create)
        return token_create(ctx, agency, admin, label, expires);
    if (list)
        return token_list(ctx, agency, all);
    return token_revoke(ctx, id);
}

/* ---- audit ---------------------------------------------------------------------------------- */

static const char *const audit_headers[] = {"ID", "AT", "AGENCY", "TOKEN", "ACTION",
                                            "REQUEST_ID", "PEER", "DETAIL"};
static const char *const audit_keys[] = {"id", "at", "agency_code", "token_id", "action",
                                         "request_id", "peer", "detail"};

static int audit_rows(rcictl_table *t, const Rci__V1__ListAuditResponse *resp, size_t take,
                      int text)
{
    for (size_t i = 0; i < resp->n_entries && i < take; i++) {
        const Rci__V1__AuditEntry *e = resp->entries[i];
        char id[24], tok[24], at[48];
        snprintf(id, sizeof id, "%lld", (long long)e->id);
        snprintf(tok, sizeof tok, "%lld", (long long)e->token_id);
        const char *row[] = {id,
                             rcictl_cst(e->at, 0, at),
                             text && !*e->agency_code ? "-" : e->agency_code,
                             e->token_id ? tok : (text ? "-" : ""),
                             e->action,
                             text && !*e->request_id ? "-" : e->request_id,
                             e->peer,
                             e->detail};
        if (rcictl_table_add(t, row) < 0)
            return -1;
    }
    return 0;
}

static int admin_audit(rcictl *ctx, int argc, char **argv)
{
    enum { O_SINCE = 1, O_UNTIL, O_AGENCY, O_ACTION, O_LIMIT };
    static const rcictl_option opts[] = {
        {"since", 1, O_SINCE},   {"until", 1, O_UNTIL}, {"agency", 1, O_AGENCY},
        {"action", 1, O_ACTION}, {"limit", 1, O_LIMIT}, {NULL, 0, 0}};
    Rci__V1__ListAuditRequest req = RCI__V1__LIST_AUDIT_REQUEST__INIT;
    Google__Protobuf__Timestamp since, until;
    long limit = AUDIT_DEFAULT_LIMIT;
    int i = 1;
    for (;;) {
        int oid;
        const char *value;
        int r = rcictl_next_arg(ctx, argc, argv, &i, opts, &oid, &value);
        if (r == RCICTL_ARG_END)
            break;
        if (r == RCICTL_ARG_ERROR)
            return RCICTL_EXIT_USAGE;
        if (r == RCICTL_ARG_POSITIONAL)
            return rcictl_usage_error("admin", "unexpected argument \"%s\"", value);
        char *end;
        switch (oid) {
        case RCICTL_OPT_HELP:
            help(stdout);
            return RCICTL_EXIT_OK;
        case O_SINCE:
        case O_UNTIL:
            if (rcictl_parse_time(value, oid == O_SINCE ? &since : &until) < 0)
                return rcictl_usage_error("admin", "--%s \"%s\": want an RFC 3339 time or a date",
                                          oid == O_SINCE ? "since" : "until", value);
            if (oid == O_SINCE)
                req.since = &since;
            else
                req.until = &until;
            break;
        case O_AGENCY: req.agency_code = (char *)value; break;
        case O_ACTION: req.action = (char *)value; break;
        case O_LIMIT:
            errno = 0;
            limit = strtol(value, &end, 10);
            if (errno || end == value || *end || limit < 1 || limit > 1000000)
                return rcictl_usage_error("admin", "--limit wants a number from 1 to 1000000, "
                                          "not \"%s\"", value);
            break;
        }
    }
    int text = ctx->format == RCICTL_FORMAT_TABLE;
    rcictl_table *t = rcictl_table_new(8, audit_headers, audit_keys);
    if (!t) {
        fputs("rcictl: out of memory\n", stderr);
        return RCICTL_EXIT_RPC;
    }
    char *page_token = NULL;
    int rc = RCICTL_EXIT_OK;
    for (long left = limit; left > 0;) {
        req.page_size = (int32_t)(left < AUDIT_PAGE_MAX ? left : AUDIT_PAGE_MAX);
        req.page_token = page_token ? page_token : (char *)"";
        ProtobufCMessage *m;
        rc = rcictl_unary(ctx, LIST_AUDIT_PATH, &req.base,
                        &rci__v1__list_audit_response__descriptor, &m);
        if (!m)
            break;
        const Rci__V1__ListAuditResponse *resp = (const Rci__V1__ListAuditResponse *)m;
        if (audit_rows(t, resp, (size_t)left, text) < 0) {
            fputs("rcictl: out of memory\n", stderr);
            rc = RCICTL_EXIT_RPC;
        }
        left -= (long)resp->n_entries;
        free(page_token);
        page_token = *resp->next_page_token ? strdup(resp->next_page_token) : NULL;
        protobuf_c_message_free_unpacked(m, NULL);
        if (rc != RCICTL_EXIT_OK || !page_token)
            break;
    }
    free(page_token);
    if (rc == RCICTL_EXIT_OK)
        rcictl_table_print(t, ctx->format, stdout);
    rcictl_table_free(t);
    return rc;
}

/* ---- dispatch ---------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    int (*run)(rcictl *ctx, int argc, char **argv);
} admin_commands[] = {
    {"token", admin_token},
    {"audit", admin_audit},
    {"calendar", rcictl_admin_calendar}, {"lock", rcictl_admin_lock},
};

int rcictl_cmd_admin(rcictl *ctx, int argc, char **argv)
{
    int i = 1;
    for (;;) {
        int id;
        const char *value;
        int r = rcictl_next_arg(ctx, argc, argv, &i, NULL, &id, &value);
        if (r == RCICTL_ARG_ERROR)
            return RCICTL_EXIT_USAGE;
        if (r == RCICTL_ARG_END)
            return rcictl_usage_error("admin", "which one: token or audit?");
        if (r == RCICTL_ARG_OPTION) {          /* only --help reaches here */
            help(stdout);
            return RCICTL_EXIT_OK;
        }
        for (size_t k = 0; k < sizeof admin_commands / sizeof admin_commands[0]; k++)
            if (strcmp(value, admin_commands[k].name) == 0)
                return admin_commands[k].run(ctx, argc - (i - 1), argv + (i - 1));
        return rcictl_usage_error("admin", "unknown admin command \"%s\" (token or audit)", value);
    }
}
