/* auth.h — munge authentication of RPC requests and of their replies.
 *
 * The client seals a request: a munge credential whose payload is the
 * request text. The server verifies: munged decodes the credential (and
 * refuses a replay, an expired or a foreign-key credential), then the
 * payload must equal the request text byte for byte. The uid/gid the server
 * acts on come only from munge. `socket` is MungeSocket (NULL: default).
 *
 * The server seals its reply the same way, over the SHA-256 of the request's
 * credential and the reply text: the client takes a reply only from root
 * (anyone may listen on an unprivileged port while the daemon is down, and
 * root hooks act on what the reply says), and only for its own request (a
 * genuine reply to another request does not verify).
 */
#ifndef VC_AUTH_H
#define VC_AUTH_H

#include <stddef.h>
#include <netinet/in.h>
#include <sys/types.h>

/* vc_auth_seal: a credential binding req; 0 or -errno with *err malloc'd. */
int vc_auth_seal(const char *socket, const char *req, char **cred, char **err);
/* vc_auth_verify: check cred against req; 0 with uid and gid set, or -EACCES
 * (bad, replayed, expired or mismatched credential) or another -errno, with *err. */
int vc_auth_verify(const char *socket, const char *cred, const char *req, uid_t *uid,
                   gid_t *gid, char **err);
/* vc_auth_verify_origin: vc_auth_verify, also giving the IPv4 address of the
 * host whose munged encoded cred (0.0.0.0 when munged did not say). */
int vc_auth_verify_origin(const char *socket, const char *cred, const char *req, uid_t *uid, gid_t *gid,
                          struct in_addr *origin, char **err);
/* vc_auth_seal_secret: a credential carrying secret encrypted (munge's cipher)
 * that only root may decode: how a CHAP secret crosses the network. */
/* vc_auth_seal_reply: a credential of this process's identity binding reply
 * to the request credential it answers; 0 or -errno with *err malloc'd. */
int vc_auth_seal_reply(const char *socket, const char *req_cred, const char *reply, char **cred, char **err);
/* vc_auth_verify_reply: 0 when cred was sealed by root over (req_cred,
 * reply), else -EACCES (or -ECONNREFUSED: no munged) with *err saying why. */
int vc_auth_verify_reply(const char *socket, const char *cred, const char *req_cred, const char *reply,
                         char **err);
int vc_auth_seal_secret(const char *socket, const char *secret, char **cred, char **err);
/* vc_auth_open_secret: the secret sealed in cred (malloc'd; wipe it after
 * use) when root sealed it; -EACCES otherwise. Each credential opens once. */
int vc_auth_open_secret(const char *socket, const char *cred, char **secret, char **err);

#endif
