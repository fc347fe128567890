/* commands.h — the subcommands of `vcluster` that reach a job's guests
 * (lib/access.h), each in its own file, called by the dispatcher
 * (vcluster.c) with the config loaded and argv starting at the command's
 * name; each returns the process's exit status. Where the job's access
 * path is found (jobaccess.c) they share. */
#ifndef VC_CLI_COMMANDS_H
#define VC_CLI_COMMANDS_H

#include <stdbool.h>

#include "access.h"
#include "cli.h"
#include "conf.h"

enum { VC_EXIT_USAGE = 1, VC_EXIT_UNREACHABLE = 2 };

/* A job's access path as seen from here. */
struct vc_job_access {
        long long job;
        char *node;     /* the node whose access path is used: this one, or the job's first (login node) */
        char *dir;      /* StateDir/access/NODE/JOB */
        char *keys;     /* StateDir/keys/NODE/JOB */
        char *key, *known_hosts; /* in keys: the job's private key, the guests' host keys */
        char *self;     /* this program's path, for ProxyCommand */
        const char *conf_path;
        bool remote;    /* not one of the job's nodes: through srun */
        char *tmp;      /* remote: the private dir holding key and known_hosts while this runs */
        struct vc_access_guest *guests;
        size_t n;
};

/* vc_cli_job_opt: cmd's only option, -j/--job JOB, into *job (left as is
 * without it), optind after it; 0, or the usage error's exit status. */
int vc_cli_job_opt(const struct vc_cli *cli, const char *cmd, int argc, char **argv, const char **job);
/* vc_job_access_open: the caller's job job_arg (NULL: SLURM_JOB_ID) as
 * reached from here; from a login node, with fetch, its guest list and key
 * fetched through srun, else only the node to go through (no guests); 0,
 * or the exit status with the reason printed. */
int vc_job_access_open(const struct vc_conf *c, const char *conf_path, const char *job_arg, bool fetch,
                       struct vc_job_access *a);
/* vc_job_access_clear: free it. */
void vc_job_access_clear(struct vc_job_access *a);
/* vc_job_access_guest: guest's index, or -1 after printing that the job has no such guest. */
int vc_job_access_guest(const struct vc_job_access *a, const char *guest);
/* vc_job_access_proxy: the ProxyCommand for a (with "%h" for the guest; malloc'd). */
char *vc_job_access_proxy(const struct vc_job_access *a);
/* vc_job_access_ssh: *s from a (borrowed), proxy and *user (malloc'd: this uid's name); 0 or the exit status. */
int vc_job_access_ssh(const struct vc_job_access *a, const char *proxy, struct vc_access_ssh *s, char **user);

/* vc_remote_open: a (job set) reached through srun on the job's first node,
 * the caller's running job's guest list and key fetched; 0 or the exit
 * status with the reason printed (not the caller's job, not running). */
int vc_remote_open(struct vc_job_access *a);
/* vc_remote_route: a (job set) is to be reached through srun on the job's
 * first node, the caller's running job's; 0 or the exit status, said why. */
int vc_remote_route(struct vc_job_access *a);
/* vc_remote_clear: the private dir of a remote access removed. */
void vc_remote_clear(struct vc_job_access *a);
/* vc_remote_argv: "srun --jobid=JOB --overlap -N1 -n1 -wNODE --quiet --unbuffered
 * VCLUSTER -c CONF" and words (NULL-terminated, may be NULL), for a's node (malloc'd). */
char **vc_remote_argv(const struct vc_job_access *a, char *const *words);
/* vc_run_wait: run argv (stdio inherited) and wait; its exit status (128+N when killed by N). */
int vc_run_wait(char *const *argv);

int vc_cmd_access_info(const struct vc_cli *cli, const struct vc_conf *c, const char *conf_path, int argc, char **argv);
int vc_cmd_proxy(const struct vc_cli *cli, const struct vc_conf *c, const char *conf_path, int argc, char **argv);
int vc_cmd_ssh(const struct vc_cli *cli, const struct vc_conf *c, const char *conf_path, int argc, char **argv);
int vc_cmd_ssh_config(const struct vc_cli *cli, const struct vc_conf *c, const char *conf_path, int argc, char **argv);
int vc_cmd_console(const struct vc_cli *cli, const struct vc_conf *c, const char *conf_path, int argc, char **argv);
int vc_cmd_hostfile(const struct vc_cli *cli, const struct vc_conf *c, const char *conf_path, int argc, char **argv);

#endif
