/* run.h — run an external program: argv only (never a shell), optional
 * stdin text, a timeout, captured stdout and stderr, and its exit status.
 *
 * The child gets its own process group so a timeout kills everything it
 * started. Output beyond VC_RUN_MAX_OUTPUT bytes per stream is dropped
 * (and flagged) rather than growing without bound.
 */
#ifndef VC_RUN_H
#define VC_RUN_H

#include <stdbool.h>
#include <stddef.h>

#define VC_RUN_MAX_OUTPUT (1u << 20)

struct vc_run_result {
        int status;        /* exit code; 128+N when killed by signal N */
        bool timed_out;    /* killed because timeout_ms passed */
        bool truncated;    /* some output was dropped */
        char *out, *err;   /* NUL-terminated, malloc'd, never NULL after success */
        size_t out_len, err_len;
};

/* vc_run: run argv[0] (PATH searched) with argv; 0 when it ran (see res),
 * -errno when it could not be started (res->err then says why). timeout_ms<=0: none. */
int vc_run(const char *const argv[], const char *input, int timeout_ms,
           struct vc_run_result *res);
/* vc_run_result_free: release captured output. */
void vc_run_result_free(struct vc_run_result *res);
/* vc_argv_format: argv as one printable line for logs (malloc'd); never used to execute. */
char *vc_argv_format(const char *const argv[]);

#endif
