/* cli.h — what the project's command-line tools share: a usage error reads
 * "PROG: why" followed by the usage text, and the global options (-c FILE
 * and --noheader anywhere, -h/--help and -V/--version before the command)
 * mean the same in every tool; JSON output carries a schema version.
 */
#ifndef VC_CLI_H
#define VC_CLI_H

#include <jansson.h>

/* The version of the --json output of vcluster and vlanalloc: its "schema"
 * member. Added members keep it; a member removed or changed in meaning
 * raises it (see vcluster(1), vlanalloc(8)). */
#define VC_JSON_SCHEMA 1

struct vc_cli {
        const char *prog;  /* "vlanalloc" */
        const char *usage; /* full usage text */
        int exit_usage;    /* exit status for bad usage */
};

/* vc_cli_usage_error: print "PROG: why" and the usage to stderr; returns exit_usage. */
int vc_cli_usage_error(const struct vc_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* vc_cli_globals: take -c/--config FILE from anywhere before "--" (argv is
 * compacted and *argc lowered), and -h/--help and -V/--version before the
 * command; *next is the command's index. -1 to go on, else the exit status
 * to return now. */
int vc_cli_globals(const struct vc_cli *cli, int *argc, char **argv, const char **conf_path, int *next);

/* vc_cli_print_json: print o (an object gets "schema": VC_JSON_SCHEMA)
 * indented, keys sorted, and a newline, on stdout. */
void vc_cli_print_json(json_t *o);
/* vc_cli_user: a uid as its user name on this host, else the number (malloc'd). */
char *vc_cli_user(const json_t *uid);

#endif
