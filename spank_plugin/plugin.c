/* plugin.c — spank_vcluster.so's entry points: register --vcluster, read the
 * plugin arguments, and hand each SPANK context to its own file. Only the
 * slurm_spank_* functions and the plugin_* symbols Slurm's loader looks for
 * are exported (spank_vcluster.map). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

SPANK_PLUGIN(vcluster, 1)

struct vc_spank vc_spank;

static int option_cb(int val, const char *optarg, int remote);

static struct spank_option vcluster_option = {
        "vcluster",
        "SPEC",
        "run the job as a virtual cluster: SPEC is comma-separated key=value "
        "(image=NAME vms=N cpus=N mem=SIZE disk=SIZE name=NAME subnet=CIDR "
        "frontend=yes|no l2=auto|shared|stitched cache=on|off sudo=yes|no share=yes|no "
        "user-data=PATH); see vcluster(1)",
        1,
        0,
        option_cb,
};

static int option_cb(int val, const char *optarg, int remote) {
        free(vc_spank.optarg);
        vc_spank.optarg = strdup(optarg ? optarg : "");
        if (!vc_spank.optarg)
                return -1;
        /* slurmstepd gets the value sbatch already checked; the hooks and
         * vlanallocd check it again anyway, so only the user's side judges it. */
        return remote ? 0 : vc_spank_local_check(vc_spank.optarg);
}

/* parse_args: plugstack.conf's words after the plugin path. */
static int parse_args(int ac, char **av) {
        for (int i = 0; i < ac; i++) {
                if (!strncmp(av[i], "conf=", 5) && av[i][5]) {
                        free(vc_spank.conf_path);
                        vc_spank.conf_path = strdup(av[i] + 5);
                        if (!vc_spank.conf_path)
                                return -1;
                        continue;
                }
                slurm_error("spank_vcluster: plugstack.conf argument '%s' is not known (known: conf=PATH)", av[i]);
                return -1;
        }
        return 0;
}

const char *vc_spank_conf_path(void) {
        if (vc_spank.conf_path)
                return vc_spank.conf_path;
        const char *e = getenv("VCLUSTER_CONF");
        return e && *e ? e : "/etc/vcluster/vcluster.conf";
}

int slurm_spank_init(spank_t sp, int ac, char **av) {
        spank_context_t ctx = spank_context();
        if (ctx != S_CTX_ALLOCATOR && ctx != S_CTX_LOCAL && ctx != S_CTX_REMOTE)
                return 0;
        if (parse_args(ac, av) < 0)
                return -1;
        spank_err_t r = spank_option_register(sp, &vcluster_option);
        if (r != ESPANK_SUCCESS) {
                slurm_error("spank_vcluster: cannot register --vcluster: %s", spank_strerror(r));
                return -1;
        }
        return 0;
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av) {
        if (!vc_spank.optarg)
                return 0; /* no --vcluster: nothing to do, nothing read */
        switch (spank_context()) {
        case S_CTX_ALLOCATOR:
        case S_CTX_LOCAL:
                return vc_spank_local_post_opt(sp);
        case S_CTX_REMOTE:
                return vc_spank_remote_post_opt(sp);
        default:
                return 0;
        }
}

int slurm_spank_exit(spank_t sp, int ac, char **av) {
        free(vc_spank.conf_path);
        free(vc_spank.optarg);
        free(vc_spank.canonical);
        free(vc_spank.user_data);
        memset(&vc_spank, 0, sizeof(vc_spank));
        return 0;
}
