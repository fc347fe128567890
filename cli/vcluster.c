/* vcluster — the user's command: how far the user's virtual clusters have
 * come, and waiting until one is up. It asks vlanallocd with the caller's
 * own munge identity, so a user sees only their own clusters; for a job
 * vlanallocd does not know yet it asks slurmctld (only about the caller's
 * own jobs) whether the job is still pending, and why.
 * Exit codes: 0 ok (wait: the cluster is ready), 1 bad usage or no such
 * cluster, 2 vlanallocd unreachable or refused, 3 the cluster failed or
 * ended, 4 wait timed out. */
#include <errno.h>
#include <getopt.h>
#include <unistd.h>
#include <pwd.h>
#include <stdarg.h>
#include <time.h>

#include <slurm/slurm.h>

#include "client.h"
#include "conf.h"
#include "escape.h"
#include "hostlist.h"
#include "jobplan.h"
#include "log.h"
#include "phase.h"
#include "rpc.h"
#include "slurmjob.h"
#include "table.h"
#include "cli.h"
#include "commands.h"
#include "util.h"

enum { EXIT_USAGE = 1, EXIT_UNREACHABLE = 2, EXIT_FAILED = 3, EXIT_TIMEOUT = 4 };

#define CALL_TIMEOUT_S 30
#define POLL_MS 500

static const char usage_text[] =
        "usage: vcluster [-c FILE] COMMAND [ARGS]\n"
        "  status [JOBID] [--json]             your virtual clusters: VLAN per site, nodes, guests, phases\n"
        "  wait JOBID [--timeout SECONDS] [-v] until the cluster is ready (0) or failed/ended (3); -v (or a\n"
        "                                      terminal): each phase on stderr as it comes\n"
        "  ssh [-j JOB] [GUEST] [-- CMD...]    ssh to GUEST (default: the frontend) as you, with the job's key and\n"
        "                                      known_hosts; CMD's exit status is returned (JOB: SLURM_JOB_ID)\n"
        "  ssh-config [JOB]                    an OpenSSH config, a Host per guest (ssh -F, scp -F, rsync -e)\n"
        "  hostfile [JOB]                      'GUEST slots=CPUS' per guest, for mpirun --hostfile\n"
        "  console [-j JOB] GUEST [-f]         GUEST's console log (-f: follow it)\n"
        "  proxy [-j JOB] GUEST                stdin/stdout to GUEST's sshd (ssh's ProxyCommand)\n";

static const struct vc_cli cli = {"vcluster", usage_text, EXIT_USAGE};
#define usage_error(...) vc_cli_usage_error(&cli, __VA_ARGS__)

/* call: one request; 0 with *reply ok, else the exit status (error printed). */
static int call(const struct vc_conf *c, json_t *req, json_t **reply, const char **code) {
        _cleanup_free_ char *err = NULL;
        *code = NULL;
        if (vc_client_call(c, req, CALL_TIMEOUT_S, reply, &err) < 0) {
                log_error("%s", err);
                return EXIT_UNREACHABLE;
        }
        if (json_is_true(json_object_get(*reply, "ok")))
                return 0;
        *code = json_string_value(json_object_get(*reply, "code"));
        return *code && streq(*code, VC_ERR_NOT_FOUND) ? EXIT_USAGE
               : *code && streq(*code, VC_ERR_BAD_REQUEST) ? EXIT_USAGE
                                                          : EXIT_UNREACHABLE;
}

/* The caller's own Slurm job that vlanallocd does not know (yet). */
struct slurm_view {
        bool known;   /* slurmctld knows it and it is the caller's */
        bool pending; /* still waiting to start */
        char state[32];
        char *reason; /* malloc'd: Slurm's reason and our note */
};

static void slurm_view_clear(struct slurm_view *v) { free(v->reason); }

static void slurm_look(long long job, struct slurm_view *v) {
        *v = (struct slurm_view){0};
        if (!vc_slurm_available())
                return;
        job_info_msg_t *msg = NULL;
        if (slurm_load_job(&msg, (uint32_t)job, SHOW_ALL) != SLURM_SUCCESS)
                return;
        if (msg->record_count > 0) {
                const slurm_job_info_t *j = &msg->job_array[0];
                /* Another user's job stays as invisible here as at vlanallocd. */
                if (getuid() == 0 || j->user_id == getuid()) {
                        uint32_t base = j->job_state & JOB_STATE_BASE;
                        v->known = true;
                        v->pending = base == JOB_PENDING || (base == JOB_RUNNING && (j->job_state & JOB_CONFIGURING));
                        snprintf(v->state, sizeof(v->state), "%s", vc_slurm_state_name(base));
                        /* Our note (AdminComment) is the readable reason; a held job says so first. */
                        const char *held = j->priority == 0 && base == JOB_PENDING ? "held" : NULL;
                        _cleanup_free_ char *note = vc_escape(j->admin_comment);
                        v->reason = xasprintf("%s%s%s", held ? held : "", held && note ? "; " : "", note ? note : "");
                }
        }
        slurm_free_job_info_msg(msg);
}

/* fmt_nodes: a site's nodes as one hostlist (malloc'd). */
static char *fmt_nodes(const struct vc_jobplan_site *s) {
        return s->n_nodes ? vc_hostlist_compress(s->nodes) : xstrdup("");
}

static void print_cluster(json_t *o) {
        _cleanup_free_ char *user = vc_cli_user(json_object_get(o, "uid"));
        json_t *vni = json_object_get(o, "vni");
        printf("job %lld  user %s  phase %s  (VLANs %s, %s", (long long)json_integer_value(json_object_get(o, "job")),
               user, json_string_value(json_object_get(o, "phase")), json_string_value(json_object_get(o, "state")),
               json_string_value(json_object_get(o, "mode")));
        if (json_is_integer(vni))
                printf(", VNI %lld", (long long)json_integer_value(vni));
        if (json_is_string(json_object_get(o, "l2ext")))
                printf(", tunnels: %s", json_string_value(json_object_get(o, "l2ext")));
        printf(")\nspec %s\n", json_string_value(json_object_get(o, "spec")));
        if (json_is_string(json_object_get(o, "error")))
                printf("error: %s\n", json_string_value(json_object_get(o, "error")));
        static const char *const shdr[] = {"SITE", "ID", "VLAN", "GATEWAY", "WAN", "CACHE", "NODES", NULL};
        struct vc_table *t = vc_table_new(shdr);
        size_t i;
        json_t *s;
        _cleanup_(vc_jobplan_clear) struct vc_jobplan plan = {0};
        _cleanup_free_ char *err = NULL;
        if (vc_jobplan_sites_from_json(json_object_get(o, "sites"), &plan, &err) < 0)
                log_warning("%s", err);
        for (i = 0; i < plan.n_sites; i++) {
                const struct vc_jobplan_site *ps = &plan.sites[i];
                _cleanup_free_ char *id = xasprintf("%d", ps->id);
                _cleanup_free_ char *vlan = xasprintf("%d", ps->vlan);
                _cleanup_free_ char *nodes = fmt_nodes(ps);
                const char *row[] = {ps->name, id, vlan, ps->gateway, ps->wan ? ps->wan : "-",
                                     ps->cache ? ps->cache->address : "-", nodes};
                vc_table_add(t, row);
        }
        printf("\n");
        vc_table_print(t, stdout);
        static const char *const nhdr[] = {"NODE", "SITE", "PHASE", "DETAIL", NULL};
        t = vc_table_new(nhdr);
        json_array_foreach(json_object_get(o, "nodes"), i, s) {
                const char *row[] = {json_string_value(json_object_get(s, "node")),
                                     json_string_value(json_object_get(s, "site")),
                                     json_string_value(json_object_get(s, "phase")),
                                     json_string_value(json_object_get(s, "detail"))};
                vc_table_add(t, row);
        }
        printf("\n");
        vc_table_print(t, stdout);
        json_t *guests = json_object_get(o, "guests");
        if (json_array_size(guests) == 0)
                return;
        /* grouped by site: the plan lists them site by site */
        static const char *const ghdr[] = {"GUEST", "SITE", "NODE", "ADDRESS", "MAC", "PHASE", "CPUS", NULL};
        t = vc_table_new(ghdr);
        json_array_foreach(guests, i, s) {
                _cleanup_free_ char *addr = xasprintf("%s/%lld%s", json_string_value(json_object_get(s, "ip")),
                                                      (long long)json_integer_value(json_object_get(s, "prefix")),
                                                      json_is_true(json_object_get(s, "frontend")) ? " (frontend)" : "");
                const char *row[] = {json_string_value(json_object_get(s, "name")),
                                     json_string_value(json_object_get(s, "site")),
                                     json_string_value(json_object_get(s, "node")), addr,
                                     json_string_value(json_object_get(s, "mac")),
                                     json_string_value(json_object_get(s, "phase")),
                                     /* the CPU ids of its node it is pinned to */
                                     json_is_string(json_object_get(s, "cpus"))
                                             ? json_string_value(json_object_get(s, "cpus"))
                                             : "-"};
                vc_table_add(t, row);
        }
        printf("\n");
        vc_table_print(t, stdout);
}

static void print_list(json_t *clusters) {
        static const char *const hdr[] = {"JOB", "USER", "PHASE", "MODE", "VLANS", "NODES", NULL};
        struct vc_table *t = vc_table_new(hdr);
        size_t i, k;
        json_t *o;
        json_array_foreach(clusters, i, o) {
                _cleanup_free_ char *job = xasprintf("%lld", (long long)json_integer_value(json_object_get(o, "job")));
                _cleanup_free_ char *user = vc_cli_user(json_object_get(o, "uid"));
                _cleanup_free_ char *vlans = xstrdup("");
                char **all = NULL;
                _cleanup_(vc_jobplan_clear) struct vc_jobplan plan = {0};
                _cleanup_free_ char *err = NULL;
                if (vc_jobplan_sites_from_json(json_object_get(o, "sites"), &plan, &err) < 0)
                        log_warning("job %s: %s", job, err);
                for (k = 0; k < plan.n_sites; k++) {
                        char *v = xasprintf("%s%s%s:%d", vlans, k ? "," : "", plan.sites[k].name, plan.sites[k].vlan);
                        free(vlans);
                        vlans = v;
                        for (size_t m = 0; m < plan.sites[k].n_nodes; m++)
                                strv_push(&all, plan.sites[k].nodes[m]);
                }
                _cleanup_free_ char *nodes = all ? vc_hostlist_compress(all) : xstrdup("");
                strv_free(all);
                const char *row[] = {job, user, json_string_value(json_object_get(o, "phase")),
                                     json_string_value(json_object_get(o, "mode")), vlans, nodes};
                vc_table_add(t, row);
        }
        vc_table_print(t, stdout);
}

static int parse_job(const char *s, long long *job) {
        unsigned long long v;
        if (!s || parse_uint(s, 1, UINT32_MAX, &v) < 0)
                return usage_error("JOBID '%s': must be a whole number from 1 to %u", s ? s : "", UINT32_MAX);
        *job = (long long)v;
        return 0;
}

static int cmd_status(const struct vc_conf *c, const char *job_arg, bool json) {
        long long job = 0;
        int r;
        if (job_arg && (r = parse_job(job_arg, &job)))
                return r;
        _cleanup_(json_decrefp) json_t *req = json_pack("{s:s}", "op", "status");
        if (job_arg)
                json_object_set_new(req, "job", json_integer(job));
        _cleanup_(json_decrefp) json_t *reply = NULL;
        const char *code;
        r = call(c, req, &reply, &code);
        if (r && code && streq(code, VC_ERR_NOT_FOUND) && job_arg) {
                /* Not at vlanallocd: maybe the caller's job has not started yet. */
                _cleanup_(slurm_view_clear) struct slurm_view v;
                slurm_look(job, &v);
                if (v.known && v.pending) {
                        if (json) {
                                _cleanup_(json_decrefp) json_t *o =
                                        json_pack("{s:I, s:s, s:s, s:s}", "job", (json_int_t)job, "phase", "pending",
                                                  "slurm_state", v.state, "reason", v.reason);
                                vc_cli_print_json(o);
                        } else
                                printf("job %lld  phase pending  (Slurm: %s%s%s)\n", job, v.state, *v.reason ? ", " : "",
                                       v.reason);
                        return 0;
                }
        }
        if (r) {
                if (reply) /* else call() said why: the daemon could not be asked */
                        log_error("%s", json_string_value(json_object_get(reply, "error")));
                return r;
        }
        /* Specs, details and errors quote users and guests: whatever is
         * printed below goes to a terminal, and `jq -r` of --json too. */
        vc_escape_json(reply);
        if (json) {
                json_t *out = job_arg ? json_object_get(reply, "cluster") : reply;
                json_object_del(reply, "ok");
                vc_cli_print_json(out);
                return 0;
        }
        if (job_arg)
                print_cluster(json_object_get(reply, "cluster"));
        else
                print_list(json_object_get(reply, "clusters"));
        return 0;
}

/* progress: on a phase change, "job N: PHASE (after S s)" on stderr. */
static void progress(bool on, long long job, const char *phase, char *shown, size_t n, uint64_t t0) {
        if (!on || !phase || !strcmp(shown, phase))
                return;
        snprintf(shown, n, "%s", phase);
        fprintf(stderr, "job %lld: %s (after %.1f s)\n", job, phase, (double)(now_ms() - t0) / 1000.0);
}

static int cmd_wait(const struct vc_conf *c, const char *job_arg, long long timeout_s, bool verbose) {
        long long job;
        int r = parse_job(job_arg, &job);
        if (r)
                return r;
        uint64_t t0 = now_ms(), deadline = timeout_s > 0 ? t0 + (uint64_t)timeout_s * 1000 : 0;
        const char *last = NULL;
        char shown[64] = "";
        /* Someone watching a terminal sees the phases go by; a script does not, unless it asks (-v). */
        verbose = verbose || isatty(STDERR_FILENO);
        for (;;) {
                _cleanup_(json_decrefp) json_t *req = json_pack("{s:s, s:I}", "op", "status", "job", (json_int_t)job);
                _cleanup_(json_decrefp) json_t *reply = NULL;
                const char *code;
                r = call(c, req, &reply, &code);
                if (r == 0) {
                        json_t *o = json_object_get(reply, "cluster");
                        const char *phase = json_string_value(json_object_get(o, "phase"));
                        progress(verbose, job, phase, shown, sizeof(shown), t0);
                        if (phase && vc_cluster_phase_final(phase)) {
                                printf("job %lld: %s\n", job, phase);
                                return streq(phase, "ready") ? 0 : EXIT_FAILED;
                        }
                        last = "starting";
                } else if (code && streq(code, VC_ERR_NOT_FOUND)) {
                        /* Not acquired yet. If Slurm says the job is gone (or was
                         * never the caller's), waiting cannot end well. */
                        _cleanup_(slurm_view_clear) struct slurm_view v;
                        slurm_look(job, &v);
                        if (vc_slurm_available() && !v.known) {
                                log_error("%s", json_string_value(json_object_get(reply, "error")));
                                return EXIT_USAGE;
                        }
                        if (v.known && !v.pending) {
                                log_error("job %lld is %s and has no virtual cluster", job, v.state);
                                return EXIT_FAILED;
                        }
                        last = "pending";
                        progress(verbose, job, last, shown, sizeof(shown), t0);
                } else {
                        if (reply) /* else call() said why */
                                log_error("%s", json_string_value(json_object_get(reply, "error")));
                        return r;
                }
                if (deadline && now_ms() >= deadline) {
                        log_error("job %lld: still %s after %lld s", job, last, timeout_s);
                        return EXIT_TIMEOUT;
                }
                struct timespec ts = {.tv_sec = 0, .tv_nsec = POLL_MS * 1000000L};
                nanosleep(&ts, NULL);
        }
}

int main(int argc, char **argv) {
        const char *conf_path = vc_conf_path();
        vc_log_open("vcluster", true);
        int i = 0, done = vc_cli_globals(&cli, &argc, argv, &conf_path, &i);
        if (done >= 0)
                return done;
        const char *cmd = argv[i];
        static const struct {
                const char *name;
                int (*run)(const struct vc_cli *, const struct vc_conf *, const char *, int, char **);
        } access_cmds[] = {{"ssh", vc_cmd_ssh},
                           {"ssh-config", vc_cmd_ssh_config},
                           {"hostfile", vc_cmd_hostfile},
                           {"console", vc_cmd_console},
                           {"proxy", vc_cmd_proxy},
                           {"access-info", vc_cmd_access_info}};
        for (size_t k = 0; k < ARRAY_SIZE(access_cmds); k++) {
                if (!streq(cmd, access_cmds[k].name))
                        continue;
                _cleanup_free_ char *err = NULL;
                _cleanup_conf_ struct vc_conf *c = NULL;
                if (vc_conf_load(conf_path, &c, &err) < 0) {
                        log_error("%s", err);
                        return EXIT_USAGE;
                }
                return access_cmds[k].run(&cli, c, conf_path, argc - i, argv + i);
        }
        bool is_status = streq(cmd, "status"), is_wait = streq(cmd, "wait");
        if (!is_status && !is_wait)
                return usage_error("unknown command '%s'", cmd);
        static const struct option longopts[] = {
                {"json", no_argument, NULL, 'j'},
                {"timeout", required_argument, NULL, 't'},
                {"verbose", no_argument, NULL, 'v'},
                {NULL, 0, NULL, 0}};
        bool json = false, verbose = false;
        long long timeout = 0;
        int sub_argc = argc - i, o;
        char **sub_argv = argv + i;
        optind = 1;
        opterr = 0;
        while ((o = getopt_long(sub_argc, sub_argv, "v", longopts, NULL)) != -1) {
                unsigned long long v;
                if (o == 'j' && is_status)
                        json = true;
                else if (o == 'v' && is_wait)
                        verbose = true;
                else if (o == 't' && is_wait) {
                        if (parse_duration(optarg, &v) < 0 || v == 0)
                                return usage_error("--timeout %s: not a duration (examples: 90, 10m)", optarg);
                        timeout = (long long)v;
                } else
                        return usage_error("%s: option '%s' is not valid here", cmd,
                                           optind > 1 ? sub_argv[optind - 1] : "?");
        }
        int npos = sub_argc - optind;
        if (is_wait ? npos != 1 : npos > 1)
                return usage_error("%s: expected %s, got %d argument%s", cmd, is_wait ? "JOBID" : "at most JOBID", npos,
                                   npos == 1 ? "" : "s");
        const char *job = npos ? sub_argv[optind] : NULL;
        _cleanup_free_ char *err = NULL;
        _cleanup_conf_ struct vc_conf *c = NULL;
        if (vc_conf_load(conf_path, &c, &err) < 0) {
                log_error("%s", err);
                return EXIT_USAGE;
        }
        return is_status ? cmd_status(c, job, json) : cmd_wait(c, job, timeout, verbose);
}
