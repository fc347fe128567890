/* sshconfig.c — `vcluster ssh-config [JOB]` and `vcluster hostfile [JOB]`:
 * the job's guests as OpenSSH's config (one Host block each, for ssh -F,
 * scp -F, rsync -e 'ssh -F …') and as mpirun's --hostfile. */
#include <getopt.h>

#include "commands.h"
#include "util.h"

/* one_job: the optional JOB argument of ssh-config and hostfile; NULL (SLURM_JOB_ID) or it, else usage error. */
static int one_job(const struct vc_cli *cli, const char *cmd, int argc, char **argv, const char **job) {
        int o;
        optind = 1;
        opterr = 0;
        static const struct option none[] = {{NULL, 0, NULL, 0}};
        while ((o = getopt_long(argc, argv, "+", none, NULL)) != -1)
                return vc_cli_usage_error(cli, "%s: option '%s' is not valid here", cmd, argv[optind - 1]);
        if (argc - optind > 1)
                return vc_cli_usage_error(cli, "%s: expected at most JOB, got %d arguments", cmd, argc - optind);
        *job = argc > optind ? argv[optind] : NULL;
        return 0;
}

int vc_cmd_ssh_config(const struct vc_cli *cli, const struct vc_conf *c, const char *conf_path, int argc, char **argv) {
        const char *job;
        int r = one_job(cli, "ssh-config", argc, argv, &job);
        if (r)
                return r;
        _cleanup_(vc_job_access_clear) struct vc_job_access a;
        if ((r = vc_job_access_open(c, conf_path, job, true, &a)))
                return r;
        if (a.remote) {
                /* the key fetched through srun lives only as long as this command */
                fprintf(stderr, "vcluster: ssh-config: job %lld's key is on its nodes: run it there (srun --jobid=%lld "
                                "--overlap vcluster ssh-config), or use vcluster ssh -j %lld from here\n",
                        a.job, a.job, a.job);
                return VC_EXIT_UNREACHABLE;
        }
        _cleanup_free_ char *proxy = vc_job_access_proxy(&a), *user = NULL;
        struct vc_access_ssh s;
        if ((r = vc_job_access_ssh(&a, proxy, &s, &user)))
                return r;
        _cleanup_free_ char *text = vc_access_ssh_config(&s, a.guests, a.n);
        fputs(text, stdout);
        return 0;
}

int vc_cmd_hostfile(const struct vc_cli *cli, const struct vc_conf *c, const char *conf_path, int argc, char **argv) {
        const char *job;
        int r = one_job(cli, "hostfile", argc, argv, &job);
        if (r)
                return r;
        _cleanup_(vc_job_access_clear) struct vc_job_access a;
        if ((r = vc_job_access_open(c, conf_path, job, true, &a)))
                return r;
        _cleanup_free_ char *text = vc_access_hostfile(a.guests, a.n);
        fputs(text, stdout);
        return 0;
}
