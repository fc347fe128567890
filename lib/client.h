/* client.h — call vlanallocd.
 *
 * The request is sealed with the caller's munge identity and sent over the
 * Unix socket in StateDir when this host has one (the controller host), else
 * over TCP to ControllerAddr (compute nodes). One request, one reply, one
 * connection: the daemon keeps no per-client session state.
 */
#ifndef VC_CLIENT_H
#define VC_CLIENT_H

#include <jansson.h>
#include <stdint.h>

struct vc_conf;

#define VC_SOCKET_NAME "vlanallocd.sock"

/* vc_client_call: send req, wait up to timeout_s for the reply; 0 with
 * *reply (which may itself say ok:false), or -errno when the daemon could not
 * be reached or the exchange failed (*err says which address and why);
 * -EBUSY when the daemon refused for load before doing anything. */
int vc_client_call(const struct vc_conf *c, const json_t *req, int timeout_s, json_t **reply,
                   char **err);
/* vc_client_call_at: the same exchange with another daemon speaking this
 * RPC (a storage agent) at host:port; who names it in errors. A connection
 * that could not be made returns -ECONNREFUSED, -ETIMEDOUT, … before any
 * request left: the caller may take it that nothing was done. */
int vc_client_call_at(const char *munge_socket, const char *host, const char *port, const char *who,
                      const json_t *req, int timeout_s, json_t **reply, char **err);
/* vc_client_call_patiently: vc_client_call, tried again with backoff while
 * it fails (unreachable, busy, no reply) for up to patience_s, logging each
 * failure as "what: why; retrying": for the hooks, where failing at once
 * drains a node or requeues a job. A reply, even a refusal, ends it; the
 * requests retried must be safe to repeat (every hook's are). */
int vc_client_call_patiently(const struct vc_conf *c, const json_t *req, int timeout_s, int patience_s,
                             const char *what, json_t **reply, char **err);
/* vc_backoff_sleep: sleep about *delay_ms (first 100 ms, jittered, never past
 * until), then double *delay_ms up to 2 s; start with *delay_ms = 0. */
void vc_backoff_sleep(unsigned *delay_ms, uint64_t until);
/* vc_socket_path: StateDir/vlanallocd.sock (malloc'd). */
char *vc_socket_path(const struct vc_conf *c);

#endif
