/* ciseed — run the node step guest.seed (or, with -u, user.keys) alone, for
 * tests and the bench: a guest's NoCloud volume made exactly as a node
 * prolog makes it, without Slurm or vlanallocd.
 *
 *   ciseed [-u] [-d USER_DATA] SEED_FILE ARGS_JSON     do the step
 *   ciseed -r [-u] ARGS_JSON                            undo it
 *
 * SEED_FILE holds the job's SSH seed (64 hex digits, sshkey.h); ARGS_JSON
 * the step's args (seed.c). Exit 0, or 1 with the step's error. */
#include <errno.h>
#include <getopt.h>

#include "node.h"
#include "seed.h"
#include "util.h"

int main(int argc, char **argv) {
        bool undo = false, keys = false;
        const char *ud = NULL;
        int o;
        while ((o = getopt(argc, argv, "rud:")) != -1) {
                if (o == 'r')
                        undo = true;
                else if (o == 'u')
                        keys = true;
                else if (o == 'd')
                        ud = optarg;
                else
                        return 2;
        }
        if (argc - optind != (undo ? 1 : 2)) {
                fprintf(stderr, "usage: ciseed [-u] [-d USER_DATA] SEED_FILE ARGS_JSON | ciseed -r [-u] ARGS_JSON\n");
                return 2;
        }
        json_error_t je;
        json_t *args = json_load_file(argv[argc - 1], 0, &je);
        if (!args) {
                fprintf(stderr, "ciseed: %s: %s\n", argv[argc - 1], je.text);
                return 1;
        }
        struct vc_node_ctx ctx;
        vc_node_ctx_init(&ctx);
        _cleanup_free_ char *err = NULL;
        int r;
        if (undo) {
                r = keys ? vc_user_keys_undo(&ctx, args, &err) : vc_guest_seed_undo(&ctx, args, &err);
        } else {
                size_t len = 0;
                if ((r = read_file(argv[optind], &ctx.ssh_seed, &len, 4096)) < 0) {
                        fprintf(stderr, "ciseed: %s: %s\n", argv[optind], strerror(-r));
                        return 1;
                }
                ctx.ssh_seed[strcspn(ctx.ssh_seed, "\n")] = 0;
                if (ud && (r = read_file(ud, &ctx.user_data, &ctx.user_data_len, 1 << 20)) < 0) {
                        fprintf(stderr, "ciseed: %s: %s\n", ud, strerror(-r));
                        return 1;
                }
                r = keys ? vc_user_keys_do(&ctx, args, &err) : vc_guest_seed_do(&ctx, args, &err);
        }
        vc_node_ctx_done(&ctx);
        json_decref(args);
        if (r < 0) {
                fprintf(stderr, "ciseed: %s\n", err ? err : strerror(-r));
                return 1;
        }
        return 0;
}
