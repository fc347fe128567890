/* auth.h — munge authentication of RPC requests.
 *
 * The client seals a request: a munge credential whose payload is the
 * request text. The server verifies: munged decodes the credential (and
 * refuses a replay, an expired or a foreign-key credential), then the
 * payload must equal the request text byte for byte. The uid/gid the server
 * acts on come only from munge. `socket` is MungeSocket (NULL: default).
 */
#ifndef VC_AUTH_H
#define VC_AUTH_H

#include <stddef.h>
#include <sys/types.h>

/* vc_auth_seal: a credential binding req; 0 or -errno with *err malloc'd. */
int vc_auth_seal(const char *socket, const char *req, char **cred, char **err);
/* vc_auth_verify: check cred against req; 0 with uid and gid set, or -EACCES
 * (bad, replayed, expired or mismatched credential) or another -errno, with *err. */
int vc_auth_verify(const char *socket, const char *cred, const char *req, uid_t *uid,
                   gid_t *gid, char **err);

#endif
