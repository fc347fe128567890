/* cli.h — what the project's command-line tools share: a usage error reads
 * "PROG: why" followed by the usage text, and the global options before the
 * command (-c FILE, -h/--help) mean the same in every tool.
 */
#ifndef VC_CLI_H
#define VC_CLI_H

struct vc_cli {
        const char *prog;  /* "vlanalloc" */
        const char *usage; /* full usage text */
        int exit_usage;    /* exit status for bad usage */
};

/* vc_cli_usage_error: print "PROG: why" and the usage to stderr; returns exit_usage. */
int vc_cli_usage_error(const struct vc_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* vc_cli_globals: parse -c/--config FILE, -h/--help and -V/--version before the command; *next is
 * the command's index. -1 to go on, else the exit status to return now. */
int vc_cli_globals(const struct vc_cli *cli, int argc, char **argv, const char **conf_path, int *next);

#endif
