/* accessinfo.c — `vcluster access-info [JOB]`, what a login node's
 * `vcluster ssh` fetches through srun from one of the job's nodes (remote.c):
 * the job's guest list (lib/access.h), then the job's private key and the
 * cluster's known_hosts, read with the caller's own rights (only the job's
 * user can). Not for people: its output is a private key. */
#include <errno.h>

#include "commands.h"
#include "log.h"
#include "util.h"

#define KEY_MAX (64u << 10)

int vc_cmd_access_info(const struct vc_cli *cli, const struct vc_conf *c, const char *conf_path, int argc, char **argv) {
        if (argc > 2)
                return vc_cli_usage_error(cli, "access-info: expected at most JOB, got %d arguments", argc - 1);
        _cleanup_(vc_job_access_clear) struct vc_job_access a;
        if (!getenv("SLURMD_NODENAME")) {
                log_error("access-info: only inside a step of the job (srun)");
                return VC_EXIT_USAGE;
        }
        int r = vc_job_access_open(c, conf_path, argc > 1 ? argv[1] : NULL, true, &a);
        if (r)
                return r;
        const char *const files[] = {a.key, a.known_hosts};
        _cleanup_free_ char *list = xasprintf("%s/" VC_ACCESS_GUESTS, a.dir), *text = NULL;
        size_t len;
        if ((r = read_file(list, &text, &len, KEY_MAX)) < 0 || write_all(STDOUT_FILENO, text, len) < 0) {
                log_error("job %lld: %s: %s", a.job, list, strerror(r < 0 ? -r : errno));
                return VC_EXIT_UNREACHABLE;
        }
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                _cleanup_(secret_freep) char *t = NULL;
                if ((r = read_file(files[i], &t, &len, KEY_MAX)) < 0 || write_all(STDOUT_FILENO, t, len) < 0) {
                        log_error("job %lld: %s: %s", a.job, files[i], strerror(r < 0 ? -r : errno));
                        return VC_EXIT_UNREACHABLE;
                }
        }
        return 0;
}
