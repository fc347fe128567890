/* rpc.h — the wire codec between vlanallocd and its clients.
 *
 * A message is a 4-byte big-endian length followed by that many bytes of
 * JSON. A request message is the envelope {"v":1,"cred":C,"req":R} where R
 * is the request's JSON text and C a munge credential whose payload is
 * exactly R (auth.h), so a credential cannot be moved onto another request.
 * A reply is {"ok":true,…} or {"ok":false,"code":CODE,"error":TEXT}.
 * Messages above VC_RPC_MAX_MSG are refused from the length alone, before
 * a byte of the body is read.
 */
#ifndef VC_RPC_H
#define VC_RPC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define VC_RPC_VERSION 1
#define VC_RPC_MAX_MSG (1u << 20)

/* Error codes of replies; the CLI maps them to exit statuses. */
#define VC_ERR_BAD_REQUEST "bad-request"
#define VC_ERR_DENIED "denied"
#define VC_ERR_AUTH "auth"
#define VC_ERR_NOT_FOUND "not-found"
#define VC_ERR_EXHAUSTED "pool-exhausted"
#define VC_ERR_STEP_FAILED "step-failed"
#define VC_ERR_INTERNAL "internal"
/* Refused for load before anything was done: the caller may retry. */
#define VC_ERR_BUSY "busy"

/* The latest end time an acquire request may give (year 9999): far beyond
 * any Slurm time limit, and small enough that end + LeaseGrace cannot overflow. */
#define VC_END_MAX 253402300799LL

/* vc_rpc_send: send one framed message on a socket; 0 or -errno (-EPIPE, never SIGPIPE). */
int vc_rpc_send(int fd, const char *buf, size_t len);
/* vc_rpc_recv: read one framed message (NUL-terminated, malloc'd); 0, or
 * -EMSGSIZE (announced length > max, stored in *len), -EPROTO (connection
 * ended inside a message), -ENODATA (clean EOF before a message), -errno. */
int vc_rpc_recv(int fd, size_t max, char **buf, size_t *len);
/* vc_rpc_send_json: dump and send j; 0 or -errno (-EINVAL for a NULL j). */
int vc_rpc_send_json(int fd, const json_t *j);

/* The same three with one deadline (now_ms() clock) for the whole message,
 * not for each read or write: a peer trickling a byte at a time cannot hold
 * the connection past it. The fd may be blocking; -ETIMEDOUT at the deadline. */
/* vc_rpc_recv_until: vc_rpc_recv, finished by deadline or -ETIMEDOUT. */
int vc_rpc_recv_until(int fd, size_t max, uint64_t deadline, char **buf, size_t *len);
/* vc_rpc_send_until: vc_rpc_send, finished by deadline or -ETIMEDOUT. */
int vc_rpc_send_until(int fd, const char *buf, size_t len, uint64_t deadline);
/* vc_rpc_send_json_until: vc_rpc_send_json, finished by deadline or -ETIMEDOUT. */
int vc_rpc_send_json_until(int fd, const json_t *j, uint64_t deadline);

/* vc_rpc_envelope: the request envelope text for cred + req (malloc'd). */
char *vc_rpc_envelope(const char *cred, const char *req);
/* vc_rpc_unwrap: split an envelope into cred and request text (borrowed from
 * *root, which the caller frees); 0 or -EBADMSG with *err saying what is wrong. */
int vc_rpc_unwrap(const char *msg, size_t len, json_t **root, const char **cred,
                  const char **req, char **err);

/* vc_rpc_reply_envelope: a sealed reply {"v":1,"cred":C,"rep":R}, R the
 * reply's JSON text and C a credential of it (vc_auth_seal_reply) (malloc'd). */
char *vc_rpc_reply_envelope(const char *cred, const char *rep);
/* vc_rpc_reply_unwrap: cred and reply text of a sealed reply (borrowed from
 * *root, which the caller frees); -EBADMSG with *err when msg is not one
 * (an unsealed reply, or not JSON). */
int vc_rpc_reply_unwrap(const char *msg, size_t len, json_t **root, const char **cred, const char **rep,
                        char **err);

/* vc_rpc_ok: a new {"ok":true} reply. */
json_t *vc_rpc_ok(void);
/* vc_rpc_error: a new {"ok":false,"code":code,"error":…} reply, never NULL:
 * bytes of the text that are not UTF-8 (a peer's, or one cut mid-character)
 * become '?', so the reply always encodes. */
json_t *vc_rpc_error(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
