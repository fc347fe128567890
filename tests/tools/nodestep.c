/* nodestep — run one host step (node/node.h and gateway/gateway.h kinds) by hand, for tests: the
 * same do and undo the prolog and epilog run, with the args a journal would
 * hold.
 *
 *   nodestep [-k KEYFILE] do|undo KIND ARGS.json
 *       KEYFILE (a 0600 file): the job's tunnel key, as the prolog hands it
 *       to the l2.openvpn step in the journal's ctx.
 *   nodestep names JOB NODE SITE_ID
 *       prints the names the product gives a gateway's pieces, from its own
 *       helpers (l2ext.h): "NETNS PORT", the cluster's namespace on NODE
 *       (vcl-JOB-NODE) and the site's veth end on the OVS side (vcgHEX.SITE),
 *       so tests never build them by hand.
 * Prints the step's error to stderr and exits 1 when it fails (an untouched
 * failure says so), 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>

#include "gateway.h"
#include "journal.h"
#include "l2ext.h"
#include "node.h"
#include "util.h"

static int usage(void) {
        fprintf(stderr, "usage: nodestep [-k KEYFILE] do|undo KIND ARGS.json\n"
                        "       nodestep names JOB NODE SITE_ID\n");
        return 2;
}

/* names: "NETNS PORT" for job on node at site (l2ext.h's helpers). */
static int names(const char *job_s, const char *node, const char *site_s) {
        char *end;
        errno = 0;
        long long job = strtoll(job_s, &end, 10);
        if (errno || *end || end == job_s)
                return usage();
        long site = strtol(site_s, &end, 10);
        if (*end || end == site_s)
                return usage();
        char port[16];
        if (!vc_l2_port_name(job, (int)site, port)) {
                fprintf(stderr, "nodestep: job %s at site %s has no port name\n", job_s, site_s);
                return 1;
        }
        _cleanup_free_ char *ns = vc_l2_netns_name(job, node);
        printf("%s %s\n", ns, port);
        return 0;
}

/* read_key: the key file's text (malloc'd); it must be a 0600 regular file. */
static char *read_key(const char *path) {
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
                fprintf(stderr, "nodestep: %s: must be a 0600 regular file\n", path);
                return NULL;
        }
        char *s = NULL;
        size_t len;
        int r = read_file(path, &s, &len, 65536);
        if (r < 0) {
                fprintf(stderr, "nodestep: %s: %s\n", path, strerror(-r));
                return NULL;
        }
        return s;
}

int main(int argc, char **argv) {
        const char *keyfile = NULL;
        int o;
        while ((o = getopt(argc, argv, "k:")) != -1) {
                if (o != 'k')
                        return usage();
                keyfile = optarg;
        }
        if (argc - optind == 4 && streq(argv[optind], "names"))
                return names(argv[optind + 1], argv[optind + 2], argv[optind + 3]);
        if (argc - optind != 3)
                return usage();
        const char *what = argv[optind], *kind = argv[optind + 1], *file = argv[optind + 2];
        bool undo = streq(what, "undo");
        if (!undo && !streq(what, "do"))
                return usage();
        _cleanup_free_ struct vc_step_kind *kinds = vc_step_kinds_join(vc_node_step_kinds, vc_gateway_step_kinds);
        const struct vc_step_kind *k = kinds;
        while (k->name && !streq(k->name, kind))
                k++;
        if (!k->name) {
                fprintf(stderr, "nodestep: no step kind '%s'\n", kind);
                return 2;
        }
        json_error_t je;
        _cleanup_(json_decrefp) json_t *args = json_load_file(file, 0, &je);
        if (!args) {
                fprintf(stderr, "nodestep: %s:%d: %s\n", file, je.line, je.text);
                return 2;
        }
        struct vc_node_ctx ctx;
        vc_node_ctx_init(&ctx);
        if (keyfile && !(ctx.gw.tunnel_key = read_key(keyfile))) {
                vc_node_ctx_done(&ctx);
                return 1;
        }
        _cleanup_free_ char *err = NULL;
        int r = undo ? k->undo(&ctx, args, &err) : k->do_(&ctx, args, &err);
        vc_node_ctx_done(&ctx);
        if (r < 0) {
                fprintf(stderr, "nodestep: %s %s: %s%s\n", what, kind, err ? err : "failed",
                        r < -VC_STEP_UNTOUCHED_BIAS ? " (untouched)" : "");
                return 1;
        }
        return 0;
}
