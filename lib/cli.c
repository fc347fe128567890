#include "cli.h"

#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "table.h"
#include "util.h"

int vc_cli_usage_error(const struct vc_cli *cli, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "%s: ", cli->prog);
        vfprintf(stderr, fmt, ap);
        fputs("\n", stderr);
        va_end(ap);
        fputs(cli->usage, stderr);
        return cli->exit_usage;
}

/* take_config: pull -c FILE / --config FILE / --config=FILE and --noheader out of argv
 * wherever it stands before "--" (`vcluster status 41 -c f` works as
 * `vcluster -c f status 41`), compacting argv; returns the new argc, or -1
 * after a usage error (printed, *status set). */
static int take_config(const struct vc_cli *cli, int argc, char **argv, const char **conf_path, int *status) {
        int out = 1;
        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "--")) {
                        while (i < argc)
                                argv[out++] = argv[i++];
                        break;
                }
                if (streq(argv[i], "-c") || streq(argv[i], "--config")) {
                        if (i + 1 >= argc) {
                                *status = vc_cli_usage_error(cli, "%s needs a FILE", argv[i]);
                                return -1;
                        }
                        *conf_path = argv[++i];
                } else if (!strncmp(argv[i], "--config=", 9))
                        *conf_path = argv[i] + 9;
                else if (streq(argv[i], "--noheader"))
                        vc_table_headers(false);
                else
                        argv[out++] = argv[i];
        }
        argv[out] = NULL;
        return out;
}

int vc_cli_globals(const struct vc_cli *cli, int *argcp, char **argv, const char **conf_path, int *next) {
        int status = 0;
        int argc = take_config(cli, *argcp, argv, conf_path, &status);
        if (argc < 0)
                return status;
        *argcp = argc;
        int i = 1;
        while (i < argc && argv[i][0] == '-') {
                if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
                        fputs(cli->usage, stdout);
                        return 0;
                } else if (streq(argv[i], "-V") || streq(argv[i], "--version")) {
                        printf("%s %s\n", cli->prog, VC_VERSION);
                        return 0;
                } else
                        return vc_cli_usage_error(cli, "unknown option '%s'", argv[i]);
        }
        if (i >= argc)
                return vc_cli_usage_error(cli, "no command given");
        *next = i;
        return -1;
}

void vc_cli_print_json(json_t *o) {
        if (json_is_object(o))
                json_object_set_new(o, "schema", json_integer(VC_JSON_SCHEMA));
        json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        fputc('\n', stdout);
}

char *vc_cli_user(const json_t *uid) {
        if (!json_is_integer(uid))
                return xstrdup("-");
        struct passwd *pw = getpwuid((uid_t)json_integer_value(uid));
        return pw ? xstrdup(pw->pw_name) : xasprintf("%lld", (long long)json_integer_value(uid));
}
