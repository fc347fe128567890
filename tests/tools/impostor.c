/* impostor — a fake vlanallocd: what any unprivileged user can run on the
 * controller's TCP port while the real daemon is down (issue 15, item 3).
 *
 *   impostor HOST PORT REPLYFILE N [MUNGESOCKET]
 *
 * Listens on HOST:PORT, prints "listening" once it does, then answers each
 * of the next N connections' first request with REPLYFILE's JSON (framed as
 * vlanallocd frames its replies) and logs the request's op to stderr. With
 * MUNGESOCKET it seals each reply for the request it answers exactly as
 * vlanallocd does (auth.h), with the only identity it has: its own uid.
 */
#include <errno.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <jansson.h>

#include "auth.h"
#include "rpc.h"
#include "sock.h"
#include "util.h"

int main(int argc, char **argv) {
        if (argc != 5 && argc != 6) {
                fputs("usage: impostor HOST PORT REPLYFILE N [MUNGESOCKET]\n", stderr);
                return 2;
        }
        json_error_t je;
        json_t *reply = json_load_file(argv[3], 0, &je);
        if (!reply) {
                fprintf(stderr, "impostor: %s:%d: %s\n", argv[3], je.line, je.text);
                return 2;
        }
        _cleanup_free_ char *why = NULL;
        int lfd = vc_tcp_listen(argv[1], argv[2], &why);
        if (lfd < 0) {
                fprintf(stderr, "impostor: %s\n", why);
                return 2;
        }
        puts("listening");
        fflush(stdout);
        for (long n = strtol(argv[4], NULL, 10); n > 0; n--) {
                int fd = accept(lfd, NULL, NULL);
                if (fd < 0)
                        return 2;
                struct timeval tv = {.tv_sec = 10};
                (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                _cleanup_free_ char *req = NULL;
                size_t len = 0;
                if (vc_rpc_recv(fd, VC_RPC_MAX_MSG, &req, &len) == 0) {
                        json_t *env = json_loads(req, 0, NULL);
                        json_t *inner = env ? json_loads(json_string_value(json_object_get(env, "req")), 0, NULL) : NULL;
                        fprintf(stderr, "impostor: answered op %s\n",
                                inner ? json_string_value(json_object_get(inner, "op")) : "?");
                        json_decref(inner);
                        const char *rcred = json_string_value(json_object_get(env, "cred"));
                        _cleanup_free_ char *text = json_dumps(reply, JSON_COMPACT), *cred = NULL, *serr = NULL;
                        if (argc == 6 && rcred && vc_auth_seal_reply(argv[5], rcred, text, &cred, &serr) == 0) {
                                _cleanup_free_ char *msg = vc_rpc_reply_envelope(cred, text);
                                (void)vc_rpc_send(fd, msg, strlen(msg));
                        } else
                                (void)vc_rpc_send_json(fd, reply);
                        json_decref(env);
                }
                close(fd);
        }
        json_decref(reply);
        return 0;
}
