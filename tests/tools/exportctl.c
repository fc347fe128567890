/* exportctl — drive an iSCSI export backend directly, for tests.
 *
 *   exportctl [-v] [--backend NAME] add CONTROL IQN USER INITIATOR[,INITIATOR…] PATH…
 *   exportctl [-v] [--backend NAME] remove CONTROL IQN USER
 *   exportctl [-v] [--backend NAME] read CONTROL IQN
 *   exportctl [-v] [--backend NAME] list CONTROL PREFIX
 *
 * NAME defaults to "tgt"; CONTROL is the place's control port (tgtd -C N).
 * add serves PATH… as LUNs 1, 2, … of target IQN to the initiators, behind
 * CHAP account USER whose secret is the first line of stdin — never an
 * argument, which every process could read in /proc. read prints four
 * lines: "exists yes|no", "luns N", "accounts USER…", "initiators IQN…";
 * list prints one IQN per line. -v shows the backend's debug messages.
 *
 * Exit 0 on success, 1 with the backend's error on stderr, 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>

#include "export.h"
#include "log.h"
#include "util.h"

#define EXIT_BACKEND 1
#define EXIT_USAGE 2
#define SECRET_MAX 1024

static int usage(const char *why) {
        if (why)
                fprintf(stderr, "exportctl: %s\n", why);
        fputs("usage: exportctl [-v] [--backend NAME] add CONTROL IQN USER INITIATOR[,INITIATOR...] PATH... <SECRET\n"
              "       exportctl [-v] [--backend NAME] remove CONTROL IQN USER\n"
              "       exportctl [-v] [--backend NAME] read CONTROL IQN\n"
              "       exportctl [-v] [--backend NAME] list CONTROL PREFIX\n",
              stderr);
        return EXIT_USAGE;
}

static int backend_error(const char *err, int r) {
        fprintf(stderr, "exportctl: %s\n", err ? err : strerror(-r));
        return EXIT_BACKEND;
}

/* The first line of stdin (wiped by the caller), or NULL when there is none. */
static char *read_secret(void) {
        char *buf = NULL;
        size_t len = 0;
        if (read_fd(STDIN_FILENO, SECRET_MAX, &buf, &len) < 0)
                return NULL;
        buf[strcspn(buf, "\n")] = '\0';
        if (!*buf) {
                free(buf);
                return NULL;
        }
        return buf;
}

static char **split_initiators(const char *list) {
        char **v = xcalloc(1, sizeof(char *));
        _cleanup_free_ char *copy = xstrdup(list);
        char *save = NULL;
        for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save))
                strv_push(&v, s);
        return v;
}

static int do_add(const struct vc_export_backend *b, const struct vc_export_place *p, int argc, char **argv,
                  char **err) {
        _cleanup_strv_ char **inits = split_initiators(argv[3]);
        size_t n = (size_t)argc - 4;
        _cleanup_free_ struct vc_export_lun *luns = xcalloc(n, sizeof(*luns));
        for (size_t i = 0; i < n; i++)
                luns[i] = (struct vc_export_lun){.lun = (int)i + 1, .path = argv[4 + i]};
        char *secret = read_secret();
        if (!secret) {
                *err = xstrdup("no CHAP secret on stdin");
                return -EINVAL;
        }
        struct vc_export_target t = {.iqn = argv[1], .luns = luns, .n_luns = n, .user = argv[2],
                                     .secret = secret, .initiators = inits};
        int r = b->target_add(p, &t, err);
        explicit_bzero(secret, strlen(secret));
        free(secret);
        return r;
}

static void print_list(const char *key, char **v) {
        fputs(key, stdout);
        for (; v && *v; v++)
                printf(" %s", *v);
        putchar('\n');
}

static int do_read(const struct vc_export_backend *b, const struct vc_export_place *p, const char *iqn, char **err) {
        struct vc_export_state st = {0};
        int r = b->target_read(p, iqn, &st, err);
        if (r == 0) {
                printf("exists %s\nluns %d\n", st.exists ? "yes" : "no", st.n_luns);
                print_list("accounts", st.accounts);
                print_list("initiators", st.initiators);
        }
        vc_export_state_clear(&st);
        return r;
}

static int do_list(const struct vc_export_backend *b, const struct vc_export_place *p, const char *prefix,
                   char **err) {
        _cleanup_strv_ char **iqns = NULL;
        int r = b->target_list(p, prefix, &iqns, err);
        for (char **i = iqns; r == 0 && *i; i++)
                puts(*i);
        return r;
}

int main(int argc, char **argv) {
        static const struct option longopts[] = {{"backend", required_argument, NULL, 'b'},
                                                 {"verbose", no_argument, NULL, 'v'},
                                                 {"help", no_argument, NULL, 'h'},
                                                 {NULL, 0, NULL, 0}};
        const char *name = "tgt";
        int c;
        vc_log_open("exportctl", true);
        while ((c = getopt_long(argc, argv, "+b:vh", longopts, NULL)) != -1) {
                switch (c) {
                case 'b': name = optarg; break;
                case 'v': vc_log_set_level(LOG_DEBUG); break;
                case 'h': usage(NULL); return 0;
                default: return usage(NULL);
                }
        }
        const struct vc_export_backend *b = vc_export_backend_find(name);
        if (!b) {
                _cleanup_free_ char *why = xasprintf("unknown backend '%s' (known: %s)", name, vc_export_backend_names());
                return usage(why);
        }
        int n = argc - optind;
        char **cmd = argv + optind;
        if (n < 2)
                return usage("missing CMD or CONTROL");
        struct vc_export_place p = {.backend = name, .control = cmd[1]};
        _cleanup_free_ char *err = NULL;
        int r;
        if (streq(cmd[0], "add") && n >= 6)
                r = do_add(b, &p, n - 1, cmd + 1, &err);
        else if (streq(cmd[0], "remove") && n == 4)
                r = b->target_remove(&p, cmd[2], cmd[3], &err);
        else if (streq(cmd[0], "read") && n == 3)
                r = do_read(b, &p, cmd[2], &err);
        else if (streq(cmd[0], "list") && n == 3)
                r = do_list(b, &p, cmd[2], &err);
        else
                return usage("bad command or wrong number of arguments");
        return r < 0 ? backend_error(err, r) : 0;
}
