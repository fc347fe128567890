/* swctl — drive any switch driver directly, for tests and benchmarks.
 *
 *   swctl [-v] [--name SW] [--secret FILE] [--owner JOB] DRIVER OPTS CMD ARGS [-- CMD ARGS]…
 *   swctl [--name SW] [--secret FILE] DRIVER OPTS read ID
 *   swctl [--name SW] [--secret FILE] DRIVER OPTS list
 *
 * OPTS is KEY=VAL[,KEY=VAL…] — the driver's keys of a SwitchName= line
 * ("-" or "" for none). CMD is one of
 *   create ID NAME | delete ID | add ID tagged|untagged PORT… | remove ID PORT…
 * and all of them run in one session with one commit at the end, exactly as
 * the "switch.vlan" journal step does. `read ID` prints the VLAN as the
 * switch has it, {"exists":…,"name":…,"tagged":[…],"untagged":[…]}; `list`
 * prints the VLAN ids as a JSON array. SW (default "swctl") names the switch
 * in messages; -v shows the driver's debug messages (e.g. commit retries).
 *
 * Exit 0 on success, 1 with the driver's error on stderr, 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>

#include "log.h"
#include "switch.h"
#include "util.h"

#define EXIT_DRIVER 1
#define EXIT_USAGE 2

static int usage(const char *why) {
        if (why)
                fprintf(stderr, "swctl: %s\n", why);
        fputs("usage: swctl [-v] [--name SW] [--secret FILE] [--owner JOB] DRIVER KEY=VAL[,KEY=VAL...] CMD ARGS [-- CMD ARGS]...\n"
              "  CMD: create ID NAME | delete ID | add ID tagged|untagged PORT... | remove ID PORT...\n"
              "  or alone: read ID | list\n",
              stderr);
        return EXIT_USAGE;
}

static int driver_error(const char *err, int r) {
        fprintf(stderr, "swctl: %s\n", err ? err : strerror(-r));
        return EXIT_DRIVER;
}

/* "K=V,K=V" → {"K":"V",…}; NULL when a pair has no '='. */
static json_t *parse_opts(const char *s) {
        json_t *o = json_object();
        if (streq(s, "-") || !*s)
                return o;
        _cleanup_free_ char *copy = xstrdup(s);
        char *save = NULL;
        for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(kv, '=');
                if (!eq || eq == kv) {
                        json_decref(o);
                        return NULL;
                }
                *eq = '\0';
                json_object_set_new(o, kv, json_string(eq + 1));
        }
        return o;
}

static int parse_id(const char *s, int *id) {
        unsigned long long v;
        if (!s || parse_uint(s, 1, 4094, &v) < 0)
                return -EINVAL;
        *id = (int)v;
        return 0;
}

/* Whether one CMD (argv up to the next "--") is well formed. */
static bool cmd_ok(int argc, char **argv) {
        int id;
        if (argc < 2 || parse_id(argv[1], &id) < 0)
                return false;
        const char *cmd = argv[0];
        return (streq(cmd, "create") && argc == 3) || (streq(cmd, "delete") && argc == 2) ||
               (streq(cmd, "add") && argc >= 4 && (streq(argv[2], "tagged") || streq(argv[2], "untagged"))) ||
               (streq(cmd, "remove") && argc >= 3);
}

/* Record one well-formed CMD in the session. */
static int run_cmd(const struct vc_switch_driver *d, void *sess, int argc, char **argv, char **err) {
        int id = 0;
        (void)parse_id(argv[1], &id);
        if (streq(argv[0], "create"))
                return d->vlan_create(sess, id, argv[2], err);
        if (streq(argv[0], "delete"))
                return d->vlan_delete(sess, id, err);
        bool add = streq(argv[0], "add");
        _cleanup_strv_ char **ports = xcalloc(1, sizeof(char *));
        for (int i = add ? 3 : 2; i < argc; i++)
                strv_push(&ports, argv[i]);
        if (add)
                return d->ports_add(sess, id, ports, streq(argv[2], "tagged") ? VC_PORT_TAGGED : VC_PORT_UNTAGGED, err);
        return d->ports_remove(sess, id, ports, err);
}

/* Call fn on each CMD of argv (split at "--"); stops at the first failure. */
static int each_cmd(int argc, char **argv, int (*fn)(int argc, char **argv, void *ctx), void *ctx) {
        int start = 0;
        for (int i = 0; i <= argc; i++) {
                if (i < argc && !streq(argv[i], "--"))
                        continue;
                int r = fn(i - start, argv + start, ctx);
                if (r < 0)
                        return r;
                start = i + 1;
        }
        return 0;
}

static int check_one(int argc, char **argv, void *ctx) { return cmd_ok(argc, argv) ? 0 : -EINVAL; }

struct batch {
        const struct vc_switch_driver *d;
        void *sess;
        char **err;
};

static int record_one(int argc, char **argv, void *ctx) {
        struct batch *b = ctx;
        return run_cmd(b->d, b->sess, argc, argv, b->err);
}

static void print_strv(char **v) {
        json_auto_t *a = json_array();
        for (; v && *v; v++)
                json_array_append_new(a, json_string(*v));
        _cleanup_free_ char *s = json_dumps(a, JSON_COMPACT);
        fputs(s, stdout);
}

static int do_read(const struct vc_switch_driver *d, void *sess, int id, char **err) {
        if (!d->can_read || !d->vlan_read) {
                *err = xasprintf("driver %s cannot read VLANs back", d->name);
                return -EOPNOTSUPP;
        }
        struct vc_vlan_state st = {0};
        int r = d->vlan_read(sess, id, &st, err);
        if (r == 0) {
                json_auto_t *name = st.name ? json_string(st.name) : json_null();
                _cleanup_free_ char *n = json_dumps(name, JSON_ENCODE_ANY);
                printf("{\"exists\":%s,\"name\":%s,\"tagged\":", st.exists ? "true" : "false", n);
                print_strv(st.tagged);
                fputs(",\"untagged\":", stdout);
                print_strv(st.untagged);
                puts("}");
        }
        vc_vlan_state_clear(&st);
        return r;
}

static int do_list(const struct vc_switch_driver *d, void *sess, char **err) {
        if (!d->vlan_list) {
                *err = xasprintf("driver %s cannot list VLANs", d->name);
                return -EOPNOTSUPP;
        }
        _cleanup_free_ int *ids = NULL;
        size_t n = 0;
        int r = d->vlan_list(sess, &ids, &n, err);
        if (r == 0) {
                putchar('[');
                for (size_t i = 0; i < n; i++)
                        printf("%s%d", i ? "," : "", ids[i]);
                puts("]");
        }
        return r;
}

/* Every CMD into the open session, then one commit. */
static int do_batch(const struct vc_switch_driver *d, void *sess, int argc, char **argv, char **err) {
        struct batch b = {d, sess, err};
        int r = each_cmd(argc, argv, record_one, &b);
        return r < 0 ? r : d->commit(sess, err);
}

int main(int argc, char **argv) {
        static const struct option longopts[] = {{"name", required_argument, NULL, 'n'},
                                                 {"secret", required_argument, NULL, 's'},
                                                 {"owner", required_argument, NULL, 'o'},
                                                 {"verbose", no_argument, NULL, 'v'},
                                                 {"help", no_argument, NULL, 'h'},
                                                 {NULL, 0, NULL, 0}};
        struct vc_switch_target t = {.name = "swctl"};
        int c;
        vc_log_open("swctl", true);
        /* "+": stop at the first non-option, so "--" stays a CMD separator. */
        while ((c = getopt_long(argc, argv, "+n:s:o:vh", longopts, NULL)) != -1) {
                switch (c) {
                case 'n': t.name = optarg; break;
                case 's': t.secret_file = optarg; break;
                case 'o': t.owner = optarg; break;
                case 'v': vc_log_set_level(LOG_DEBUG); break;
                case 'h': usage(NULL); return 0;
                default: return usage(NULL);
                }
        }
        if (argc - optind < 3)
                return usage("missing DRIVER, OPTS or CMD");
        t.driver = argv[optind];
        const struct vc_switch_driver *d = vc_switch_driver_find(t.driver);
        if (!d) {
                _cleanup_free_ char *why = xasprintf("unknown driver '%s' (known: %s)", t.driver, vc_switch_driver_names());
                return usage(why);
        }
        json_auto_t *opts = parse_opts(argv[optind + 1]);
        if (!opts)
                return usage("OPTS must be KEY=VAL[,KEY=VAL...]");
        t.opts = opts;
        char **cmd = argv + optind + 2;
        int ncmd = argc - optind - 2, id = 0;
        bool is_read = streq(cmd[0], "read"), is_list = streq(cmd[0], "list");
        if (is_read && (ncmd != 2 || parse_id(cmd[1], &id) < 0))
                return usage("read takes one VLAN id (1-4094)");
        if (is_list && ncmd != 1)
                return usage("list takes no arguments");
        if (!is_read && !is_list && each_cmd(ncmd, cmd, check_one, NULL) < 0)
                return usage("bad CMD: create ID NAME | delete ID | add ID tagged|untagged PORT... | remove ID PORT...");

        _cleanup_free_ char *err = NULL;
        void *sess = NULL;
        int r = d->open(&t, &sess, &err);
        if (r < 0)
                return driver_error(err, r);
        if (is_read)
                r = do_read(d, sess, id, &err);
        else if (is_list)
                r = do_list(d, sess, &err);
        else
                r = do_batch(d, sess, ncmd, cmd, &err);
        d->close(sess);
        return r < 0 ? driver_error(err, r) : 0;
}
