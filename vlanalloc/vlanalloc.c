/* vlanalloc — the admin's (and the hooks') command line to vlanallocd.
 * Exit codes: 0 ok, 1 bad usage or input, 2 daemon unreachable or refused,
 * 3 no VLAN free, 4 a step failed (rolled back), 5 check found drift. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <time.h>

#include "client.h"
#include "conf.h"
#include "failpoint.h"
#include "hostlist.h"
#include "log.h"
#include "rpc.h"
#include "table.h"
#include "cli.h"
#include "util.h"

enum { EXIT_USAGE = 1, EXIT_UNREACHABLE = 2, EXIT_EXHAUSTED = 3, EXIT_STEP = 4, EXIT_DRIFT = 5 };

#define CALL_TIMEOUT_S 600

static const char usage_text[] =
        "usage: vlanalloc [-c FILE] COMMAND [ARGS]\n"
        "  acquire JOBID --nodes HOSTLIST [--spec SPEC] [--end EPOCH] [--user USER] [--json]\n"
        "  release JOBID [--reason TEXT]\n"
        "  show JOBID [--json]\n"
        "  list [--json]          held and drained VLANs\n"
        "  ranges [--json]        per site: ranges, free, held, drained\n"
        "  drain SITE ID [--reason TEXT]\n"
        "  undrain SITE ID\n"
        "  check [--json]         state vs journal vs switches\n"
        "  metrics [--check]      Prometheus text: VLANs per site and state, jobs by state and phase,\n"
        "                         the reaper's backlog (--check: also the drift check finds)\n"
        "  failpoints             names usable in VCLUSTER_FAILPOINTS\n";

static const struct vc_cli cli = {"vlanalloc", usage_text, EXIT_USAGE};
#define usage_error(...) vc_cli_usage_error(&cli, __VA_ARGS__)

struct opts {
        const char *nodes, *spec, *reason, *user;
        long long end;
        bool json, has_end;
};

/* parse_opts: the options after COMMAND; positional args left in argv[optind..]. */
static int parse_opts(int argc, char **argv, const char *allowed, struct opts *o) {
        static const struct option longopts[] = {
                {"nodes", required_argument, NULL, 'n'}, {"spec", required_argument, NULL, 's'},
                {"end", required_argument, NULL, 'e'},   {"user", required_argument, NULL, 'u'},
                {"reason", required_argument, NULL, 'r'}, {"json", no_argument, NULL, 'j'},
                {NULL, 0, NULL, 0},
        };
        optind = 1;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                if (c == '?' || !strchr(allowed, c)) {
                        return usage_error("%s: option '%s' is not valid here", argv[0],
                                           optind > 1 ? argv[optind - 1] : "?");
                }
                unsigned long long v;
                switch (c) {
                case 'n': o->nodes = optarg; break;
                case 's': o->spec = optarg; break;
                case 'u': o->user = optarg; break;
                case 'r': o->reason = optarg; break;
                case 'j': o->json = true; break;
                case 'e':
                        if (parse_uint(optarg, 0, VC_END_MAX, &v) < 0)
                                return usage_error("--end %s: not an epoch time in seconds (0..%lld)", optarg,
                                                   VC_END_MAX);
                        o->end = (long long)v;
                        o->has_end = true;
                        break;
                }
        }
        return 0;
}

static int parse_job(const char *s, long long *job) {
        unsigned long long v;
        /* Slurm job ids are 32-bit and never 0. */
        if (!s || parse_uint(s, 1, UINT32_MAX, &v) < 0)
                return usage_error("JOBID '%s': must be a whole number from 1 to %u", s ? s : "", UINT32_MAX);
        *job = (long long)v;
        return 0;
}

static int parse_user(const char *s, long long *uid) {
        unsigned long long v;
        if (parse_uint(s, 0, UINT32_MAX - 1, &v) == 0) {
                *uid = (long long)v;
                return 0;
        }
        struct passwd *pw = getpwnam(s);
        if (!pw)
                return usage_error("--user %s: no such user", s);
        *uid = pw->pw_uid;
        return 0;
}

static int exit_of(const char *code) {
        if (!code)
                return EXIT_UNREACHABLE;
        if (streq(code, VC_ERR_BAD_REQUEST) || streq(code, VC_ERR_NOT_FOUND))
                return EXIT_USAGE;
        if (streq(code, VC_ERR_EXHAUSTED))
                return EXIT_EXHAUSTED;
        if (streq(code, VC_ERR_STEP_FAILED))
                return EXIT_STEP;
        return EXIT_UNREACHABLE;
}

static void fmt_time(json_t *v, char *buf, size_t n) {
        if (!json_is_integer(v)) {
                snprintf(buf, n, "-");
                return;
        }
        time_t t = (time_t)json_integer_value(v);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
}

static char *int_or_dash(json_t *v) {
        return json_is_integer(v) ? xasprintf("%lld", (long long)json_integer_value(v)) : xstrdup("-");
}

static void print_sites(json_t *o) {
        static const char *const hdr[] = {"JOB", "USER", "STATE", "MODE", "VNI", "LEASE", "SITE", "VLAN", "NODES", NULL};
        struct vc_table *t = vc_table_new(hdr);
        _cleanup_free_ char *job = int_or_dash(json_object_get(o, "job"));
        _cleanup_free_ char *uid = vc_cli_user(json_object_get(o, "uid"));
        _cleanup_free_ char *vni = int_or_dash(json_object_get(o, "vni"));
        char lease[32];
        fmt_time(json_object_get(o, "lease"), lease, sizeof(lease));
        const char *state = json_string_value(json_object_get(o, "state"));
        const char *mode = json_string_value(json_object_get(o, "mode"));
        json_t *sites = json_object_get(o, "sites");
        if (json_array_size(sites) == 0) {
                const char *row[] = {job, uid, state, mode, vni, lease, "-", "-", json_string_value(json_object_get(o, "nodes"))};
                vc_table_add(t, row);
        }
        size_t i;
        json_t *s;
        json_array_foreach(sites, i, s) {
                _cleanup_free_ char *vlan = int_or_dash(json_object_get(s, "vlan"));
                _cleanup_free_ char *nodes = NULL;
                char **v = NULL;
                size_t k;
                json_t *n;
                json_array_foreach(json_object_get(s, "nodes"), k, n) strv_push(&v, json_string_value(n));
                nodes = v ? vc_hostlist_compress(v) : xstrdup("");
                strv_free(v);
                const char *row[] = {job, uid, state, mode, vni, lease, json_string_value(json_object_get(s, "name")),
                                     vlan, nodes};
                vc_table_add(t, row);
        }
        vc_table_print(t, stdout);
}

static void print_show(json_t *job) {
        print_sites(job);
        json_t *err = json_object_get(job, "error");
        if (json_is_string(err))
                printf("error: %s\n", json_string_value(err));
        static const char *const shdr[] = {"STEP", "KIND", "STATE", "TARGET", NULL};
        json_t *steps = json_object_get(job, "steps");
        if (json_array_size(steps)) {
                printf("\n");
                struct vc_table *t = vc_table_new(shdr);
                size_t i;
                json_t *s;
                json_array_foreach(steps, i, s) {
                        _cleanup_free_ char *seq = int_or_dash(json_object_get(s, "seq"));
                        json_t *args = json_object_get(s, "args");
                        _cleanup_free_ char *target = xasprintf("switch %s vlan %lld",
                                                                json_string_value(json_object_get(args, "switch")),
                                                                (long long)json_integer_value(json_object_get(args, "vlan")));
                        const char *row[] = {seq, json_string_value(json_object_get(s, "kind")),
                                             json_string_value(json_object_get(s, "state")), target};
                        vc_table_add(t, row);
                }
                vc_table_print(t, stdout);
        }
        static const char *const hhdr[] = {"TIME", "EVENT", "DETAIL", NULL};
        struct vc_table *t = vc_table_new(hhdr);
        size_t i;
        json_t *h;
        printf("\n");
        json_array_foreach(json_object_get(job, "history"), i, h) {
                char at[32];
                fmt_time(json_object_get(h, "at"), at, sizeof(at));
                const char *row[] = {at, json_string_value(json_object_get(h, "event")),
                                     json_string_value(json_object_get(h, "detail"))};
                vc_table_add(t, row);
        }
        vc_table_print(t, stdout);
}

static void print_list(json_t *reply) {
        static const char *const hdr[] = {"SITE", "VLAN", "STATE", "JOB", "SINCE", "LEASE", "REASON", NULL};
        struct vc_table *t = vc_table_new(hdr);
        size_t i;
        json_t *h;
        json_array_foreach(json_object_get(reply, "vlans"), i, h) {
                _cleanup_free_ char *vlan = int_or_dash(json_object_get(h, "vlan"));
                _cleanup_free_ char *job = int_or_dash(json_object_get(h, "job"));
                char since[32], lease[32];
                fmt_time(json_object_get(h, "since"), since, sizeof(since));
                fmt_time(json_object_get(h, "lease"), lease, sizeof(lease));
                bool drained = json_is_true(json_object_get(h, "drained"));
                bool held = json_object_get(h, "job") != NULL;
                const char *state = held && drained ? "held+drain" : held ? "held" : "drained";
                const char *row[] = {json_string_value(json_object_get(h, "site")), vlan, state, job, since, lease,
                                     json_string_value(json_object_get(h, "reason"))};
                vc_table_add(t, row);
        }
        vc_table_print(t, stdout);
}

static void print_ranges(json_t *reply) {
        static const char *const hdr[] = {"SITE", "ID", "RANGES", "SIZE", "FREE", "HELD", "DRAINED", "OUTSIDE", NULL};
        struct vc_table *t = vc_table_new(hdr);
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(reply, "sites"), i, s) {
                char *cell[5];
                static const char *const keys[] = {"id", "size", "free", "held", "drained"};
                for (size_t k = 0; k < 5; k++)
                        cell[k] = int_or_dash(json_object_get(s, keys[k]));
                _cleanup_free_ char *outside = xasprintf("%zu", json_array_size(json_object_get(s, "outside")));
                const char *row[] = {json_string_value(json_object_get(s, "site")), cell[0],
                                     json_string_value(json_object_get(s, "ranges")), cell[1], cell[2], cell[3],
                                     cell[4], outside};
                vc_table_add(t, row);
                for (size_t k = 0; k < 5; k++)
                        free(cell[k]);
        }
        vc_table_print(t, stdout);
}

static int print_check(json_t *reply) {
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(reply, "drift"), i, s) printf("DRIFT  %s\n", json_string_value(s));
        json_array_foreach(json_object_get(reply, "notes"), i, s) printf("note   %s\n", json_string_value(s));
        bool clean = json_is_true(json_object_get(reply, "clean"));
        if (clean)
                printf("clean: state, journal and switches agree\n");
        return clean ? 0 : EXIT_DRIFT;
}

/* ask: one admin request op; 0 with *reply, or the exit status (logged). */
static int ask(const struct vc_conf *c, const char *op, json_t **reply) {
        _cleanup_(json_decrefp) json_t *req = json_pack("{s:s}", "op", op);
        _cleanup_free_ char *err = NULL;
        if (vc_client_call(c, req, CALL_TIMEOUT_S, reply, &err) < 0) {
                log_error("%s", err);
                return EXIT_UNREACHABLE;
        }
        if (!json_is_true(json_object_get(*reply, "ok"))) {
                log_error("%s: %s", op, json_string_value(json_object_get(*reply, "error")));
                return exit_of(json_string_value(json_object_get(*reply, "code")));
        }
        return 0;
}

/* count_by: add 1 to counts[key] (a JSON object of integers). */
static void count_by(json_t *counts, const char *key) {
        json_t *n = json_object_get(counts, key ? key : "unknown");
        json_object_set_new(counts, key ? key : "unknown", json_integer(n ? json_integer_value(n) + 1 : 1));
}

static void print_family(const char *name, const char *help, const char *label, json_t *counts) {
        printf("# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
        const char *k;
        json_t *v;
        json_object_foreach(counts, k, v) printf("%s{%s=\"%s\"} %lld\n", name, label, k,
                                                (long long)json_integer_value(v));
}

/* cmd_metrics: what an admin scrapes (node-exporter's textfile collector, or
 * a timer), in Prometheus' text format, from the daemon's admin requests. */
static int cmd_metrics(const char *conf_path, bool check) {
        _cleanup_free_ char *err = NULL;
        _cleanup_conf_ struct vc_conf *c = NULL;
        if (vc_conf_load(conf_path, &c, &err) < 0) {
                log_error("%s", err);
                return EXIT_USAGE;
        }
        _cleanup_(json_decrefp) json_t *ranges = NULL, *status = NULL, *drift = NULL;
        int r = ask(c, "ranges", &ranges);
        if (r == 0)
                r = ask(c, "status", &status);
        if (r == 0 && check)
                r = ask(c, "check", &drift);
        if (r) {
                printf("# HELP vcluster_up Whether vlanallocd answered.\n# TYPE vcluster_up gauge\nvcluster_up 0\n");
                return r;
        }
        printf("# HELP vcluster_up Whether vlanallocd answered.\n# TYPE vcluster_up gauge\nvcluster_up 1\n");
        printf("# HELP vcluster_vlans VLAN ids of each site's ranges, by state.\n# TYPE vcluster_vlans gauge\n");
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(ranges, "sites"), i, s) {
                const char *site = json_string_value(json_object_get(s, "site"));
                static const char *const states[] = {"free", "held", "drained"};
                for (size_t k = 0; k < ARRAY_SIZE(states); k++)
                        printf("vcluster_vlans{site=\"%s\",state=\"%s\"} %lld\n", site, states[k],
                               (long long)json_integer_value(json_object_get(s, states[k])));
        }
        printf("# HELP vcluster_vlans_outside_ranges VLAN ids held outside the site's ranges (after a reload).\n"
               "# TYPE vcluster_vlans_outside_ranges gauge\n");
        json_array_foreach(json_object_get(ranges, "sites"), i, s)
                printf("vcluster_vlans_outside_ranges{site=\"%s\"} %zu\n", json_string_value(json_object_get(s, "site")),
                       json_array_size(json_object_get(s, "outside")));
        _cleanup_(json_decrefp) json_t *by_state = json_object(), *by_phase = json_object();
        long long releasing = 0;
        json_array_foreach(json_object_get(status, "clusters"), i, s) {
                const char *st = json_string_value(json_object_get(s, "state"));
                count_by(by_state, st);
                count_by(by_phase, json_string_value(json_object_get(s, "phase")));
                releasing += st && streq(st, "releasing");
        }
        print_family("vcluster_jobs", "Jobs vlanallocd holds something for, by transaction state.", "state", by_state);
        print_family("vcluster_clusters", "Virtual clusters by the phase their users see.", "phase", by_phase);
        printf("# HELP vcluster_reaper_backlog Jobs whose release the reaper still owes.\n"
               "# TYPE vcluster_reaper_backlog gauge\nvcluster_reaper_backlog %lld\n", releasing);
        if (drift) {
                json_t *items = json_object_get(drift, "drift");
                printf("# HELP vcluster_check_drift What vlanalloc check found differing (state, journal, switches).\n"
                       "# TYPE vcluster_check_drift gauge\nvcluster_check_drift %zu\n",
                       json_is_array(items) ? json_array_size(items) : (size_t)!json_is_true(json_object_get(drift, "clean")));
        }
        return 0;
}

static int cmd_failpoints(void) {
        for (const char *const(*p)[2] = vc_failpoint_table(); (*p)[0]; p++)
                printf("%-24s %s\n", (*p)[0], (*p)[1]);
        return 0;
}

int main(int argc, char **argv) {
        const char *conf_path = vc_conf_path();
        vc_log_open("vlanalloc", true);
        int i = 0, done = vc_cli_globals(&cli, &argc, argv, &conf_path, &i);
        if (done >= 0)
                return done;
        const char *cmd = argv[i];
        int sub_argc = argc - i;
        char **sub_argv = argv + i;
        if (streq(cmd, "failpoints"))
                return sub_argc == 1 ? cmd_failpoints() : usage_error("failpoints takes no arguments");
        if (streq(cmd, "metrics")) {
                bool check = sub_argc == 2 && streq(sub_argv[1], "--check");
                if (sub_argc > 2 || (sub_argc == 2 && !check))
                        return usage_error("metrics takes only --check");
                return cmd_metrics(conf_path, check);
        }

        static const struct {
                const char *name, *opts;
                int npos;
        } cmds[] = {
                {"acquire", "nseuj", 1}, {"release", "r", 1}, {"show", "j", 1},    {"list", "j", 0},
                {"ranges", "j", 0},      {"drain", "r", 2},   {"undrain", "", 2}, {"check", "j", 0},
        };
        int which = -1;
        for (size_t k = 0; k < ARRAY_SIZE(cmds); k++)
                if (streq(cmds[k].name, cmd))
                        which = (int)k;
        if (which < 0)
                return usage_error("unknown command '%s'", cmd);
        struct opts o = {0};
        int r = parse_opts(sub_argc, sub_argv, cmds[which].opts, &o);
        if (r)
                return r;
        int npos = sub_argc - optind;
        if (npos != cmds[which].npos)
                return usage_error("%s: expected %d argument%s, got %d", cmd, cmds[which].npos,
                                   cmds[which].npos == 1 ? "" : "s", npos);
        char **pos = sub_argv + optind;

        _cleanup_(json_decrefp) json_t *req = json_pack("{s:s}", "op", cmd);
        long long job = 0;
        if (streq(cmd, "acquire") || streq(cmd, "release") || streq(cmd, "show")) {
                if ((r = parse_job(pos[0], &job)))
                        return r;
                json_object_set_new(req, "job", json_integer(job));
        }
        if (streq(cmd, "acquire")) {
                if (!o.nodes)
                        return usage_error("acquire: --nodes HOSTLIST is required");
                json_object_set_new(req, "nodes", json_string(o.nodes));
                if (o.spec)
                        json_object_set_new(req, "spec", json_string(o.spec));
                if (o.has_end)
                        json_object_set_new(req, "end", json_integer(o.end));
                if (o.user) {
                        long long uid = 0;
                        if ((r = parse_user(o.user, &uid)))
                                return r;
                        json_object_set_new(req, "uid", json_integer(uid));
                }
        }
        if (streq(cmd, "drain") || streq(cmd, "undrain")) {
                unsigned long long vlan;
                if (parse_uint(pos[1], VC_VLAN_MIN, VC_VLAN_MAX, &vlan) < 0)
                        return usage_error("%s: VLAN id '%s' must be a whole number from 1 to 4094", cmd, pos[1]);
                json_object_set_new(req, "site", json_string(pos[0]));
                json_object_set_new(req, "vlan", json_integer((json_int_t)vlan));
        }
        if (o.reason)
                json_object_set_new(req, "reason", json_string(o.reason));

        _cleanup_free_ char *err = NULL;
        struct vc_conf *c = NULL;
        if (vc_conf_load(conf_path, &c, &err) < 0) {
                log_error("%s", err);
                return EXIT_USAGE;
        }
        _cleanup_(json_decrefp) json_t *reply = NULL;
        r = vc_client_call(c, req, CALL_TIMEOUT_S, &reply, &err);
        vc_conf_unref(c);
        if (r < 0) {
                log_error("%s", err);
                return EXIT_UNREACHABLE;
        }
        if (!json_is_true(json_object_get(reply, "ok"))) {
                log_error("%s", json_string_value(json_object_get(reply, "error")));
                return exit_of(json_string_value(json_object_get(reply, "code")));
        }
        if (o.json) {
                json_object_del(reply, "ok");
                vc_cli_print_json(json_object_get(reply, "plan") ? json_object_get(reply, "plan")
                                  : json_object_get(reply, "job") ? json_object_get(reply, "job")
                                                                  : reply);
                return streq(cmd, "check") && !json_is_true(json_object_get(reply, "clean")) ? EXIT_DRIFT : 0;
        }
        if (streq(cmd, "acquire"))
                print_sites(json_object_get(reply, "plan"));
        else if (streq(cmd, "show"))
                print_show(json_object_get(reply, "job"));
        else if (streq(cmd, "list"))
                print_list(reply);
        else if (streq(cmd, "ranges"))
                print_ranges(reply);
        else if (streq(cmd, "check"))
                return print_check(reply);
        else if (streq(cmd, "release"))
                printf("%s\n", json_is_true(json_object_get(reply, "released"))
                                       ? "released"
                                       : json_string_value(json_object_get(reply, "note")));
        return 0;
}
