/* The controller's storage steps: run here, or sent to the storage agent. */
#include "storage_step.h"

#include <errno.h>
#include <string.h>

#include "auth.h"
#include "chap_file.h"
#include "client.h"
#include "journal.h"
#include "ops.h"
#include "util.h"

#define AGENT_TIMEOUT_S 600 /* 32 LVM volumes take a few seconds; a wedged tool is killed by run.h first */

static const char *munge_of(void *ctx) { return ctx ? ((struct vc_storage_ctx *)ctx)->munge_socket : NULL; }

/* split_agent: "HOST:PORT" into host and port (malloc'd). */
static int split_agent(const char *agent, char **host, char **port) {
        const char *colon = strrchr(agent, ':');
        if (!colon || colon == agent || !colon[1])
                return -EINVAL;
        *host = strndup(agent, (size_t)(colon - agent));
        *port = xstrdup(colon + 1);
        return 0;
}

/* remote: one request to the agent. Returns vc_step_untouched() when it never left. */
static int remote(const char *munge, const char *agent, const char *op, json_t *args, const char *secret,
                  char **err) {
        _cleanup_free_ char *host = NULL, *port = NULL;
        if (split_agent(agent, &host, &port) < 0) {
                *err = xasprintf("agent address '%s' is not HOST:PORT", agent);
                return -EINVAL;
        }
        _cleanup_(json_decrefp) json_t *req = json_pack("{s:s, s:s, s:O}", "op", "storage", "do", op, "args", args);
        if (secret) {
                _cleanup_free_ char *cred = NULL;
                int r = vc_auth_seal_secret(munge, secret, &cred, err);
                if (r < 0)
                        return vc_step_untouched(r);
                json_object_set_new(req, "secret", json_string(cred));
        }
        _cleanup_(json_decrefp) json_t *reply = NULL;
        int r = vc_client_call_at(munge, host, port, "its agent", req, AGENT_TIMEOUT_S, &reply, err);
        if (r < 0)
                /* nothing was sent when the connection itself failed */
                return r == -ECONNREFUSED || r == -ETIMEDOUT || r == -EHOSTUNREACH || r == -ENETUNREACH
                               ? vc_step_untouched(r)
                               : r;
        if (!json_is_true(json_object_get(reply, "ok"))) {
                const char *e = json_string_value(json_object_get(reply, "error"));
                *err = xstrdup(e ? e : "the agent refused without saying why");
                return json_is_true(json_object_get(reply, "untouched")) ? -ENOTCONN : -EIO;
        }
        return 0;
}

/* plain: an undo owes its caller a plain -errno, never the untouched bias. */
static int plain(int r) { return r <= -VC_STEP_UNTOUCHED_BIAS ? r + VC_STEP_UNTOUCHED_BIAS : r; }

/* run: op here or at the agent; every error gets "storage 'NAME' on HOST: ". */
static int run(void *ctx, const char *op, json_t *args, bool needs_secret, char **err) {
        const char *name = vc_step_arg(args, "storage"), *host = vc_step_arg(args, "host");
        const char *agent = vc_step_arg(args, "agent");
        _cleanup_free_ char *e = NULL, *secret = NULL;
        int r = 0;
        if (!name || !host) {
                *err = xstrdup("malformed storage step");
                return -EINVAL;
        }
        if (needs_secret) {
                const char *file = vc_step_arg(args, "secret_file");
                r = file ? vc_chap_file_read(file, &secret, &e) : -EINVAL;
                if (!file)
                        e = xstrdup("malformed storage step: no secret_file");
                if (r < 0)
                        r = vc_step_untouched(r);
        }
        if (r == 0)
                r = agent ? remote(munge_of(ctx), agent, op, args, secret, &e)
                          : vc_storage_op(op, args, secret, &e);
        if (secret)
                explicit_bzero(secret, strlen(secret));
        if (r == -ENOTCONN)
                r = vc_step_untouched(r); /* the exporter was never reached: nothing to undo */
        if (r < 0)
                *err = xasprintf("storage '%s' on %s: %s", name, host, e ? e : strerror(-plain(r)));
        return r;
}

int vc_storage_volumes_do(void *ctx, json_t *args, char **err) {
        return run(ctx, "volumes.create", args, false, err);
}

int vc_storage_volumes_undo(void *ctx, json_t *args, char **err) {
        return plain(run(ctx, "volumes.remove", args, false, err));
}

int vc_storage_export_do(void *ctx, json_t *args, char **err) { return run(ctx, "export.add", args, true, err); }

int vc_storage_export_undo(void *ctx, json_t *args, char **err) {
        return plain(run(ctx, "export.remove", args, false, err));
}
