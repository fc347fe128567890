/* chap.h — how a compute node learns its job's CHAP secret: it asks
 * vlanallocd (op "chap", root and SlurmUser only) and gets a munge
 * credential that only root can open, so the secret crosses the network
 * encrypted and is never in a plan, a status or a log. */
#ifndef VC_CHAP_H
#define VC_CHAP_H

#include <stdbool.h>
#include <stdint.h>

struct vc_conf;

/* An OpenVPN static key: 256 random bytes as lowercase hex. */
#define VC_TUNNEL_KEY_LEN 512

/* What a gateway's steps find at the start of the journal's ctx (every
 * host's ctx, struct vc_node_ctx, begins with one, so a step of either role
 * reads it without knowing the rest): the job's tunnel key (hex) while the
 * l2.openvpn step runs, set by the prolog and wiped right after, never in
 * step args (which are journaled). */
struct vc_gateway_ctx {
        char *tunnel_key;
};

/* vc_chap_fetch: the CHAP secret of job (tunnel: its OpenVPN key as hex)
 * (malloc'd; explicit_bzero + free it); 0, or -errno with *err saying why
 * (daemon unreachable: that -errno; no such secret for the job: -ENOENT). */
int vc_chap_fetch(const struct vc_conf *c, int64_t job, bool tunnel, char **secret, char **err);
/* vc_job_secret_fetch: the same for any of op "chap"'s secrets, op_what being
 * its "what" ("chap", "tunnel", "ssh": the job's SSH seed, sshkey.h) and
 * what its name in messages. */
int vc_job_secret_fetch(const struct vc_conf *c, int64_t job, const char *op_what, const char *what,
                        char **secret, char **err);

#endif
