/* token.h: `rcid token …`, the local command that makes, lists and revokes
 * bearer tokens by talking to the database directly — for the very first
 * admin token, before any token exists to call AdminService with. */
#ifndef RCID_TOKEN_H
#define RCID_TOKEN_H

/* argv[0] is "token". Returns the process exit status: 0 done, 1 failed,
 * 2 usage error. */
int rcid_token_main(int argc, char **argv);

#endif
