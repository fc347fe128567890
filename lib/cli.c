#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

int vc_cli_globals(const struct vc_cli *cli, int argc, char **argv, const char **conf_path, int *next) {
        int i = 1;
        while (i < argc && argv[i][0] == '-') {
                if (streq(argv[i], "-c") || streq(argv[i], "--config")) {
                        if (i + 1 >= argc)
                                return vc_cli_usage_error(cli, "%s needs a FILE", argv[i]);
                        *conf_path = argv[i + 1];
                        i += 2;
                } else if (!strncmp(argv[i], "--config=", 9)) {
                        *conf_path = argv[i] + 9;
                        i++;
                } else if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
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
