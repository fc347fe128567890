/* bench/hooks — what vcluster-prolog and vcluster-epilog cost a job WITHOUT
 * --vcluster: each program is started N times the way Slurm starts a hook
 * (fork, exec, wait; Slurm's hook environment, no SPANK_VCLUSTER), next to
 * /bin/true started the same way in the same run, which is the floor any
 * hook program pays. Prints figures and ratios; never judges them.
 * Usage: hooks N PROLOG EPILOG */
#include <errno.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>

#include "util.h"

extern char **environ;

static double now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* per_run_us: mean wall time of n fork+exec+wait of prog; -1 when it fails. */
static double per_run_us(const char *prog, int n) {
        char *argv[] = {(char *)prog, NULL};
        double t0 = now_us();
        for (int i = 0; i < n; i++) {
                pid_t pid;
                int st;
                if (posix_spawn(&pid, prog, NULL, NULL, argv, environ) != 0 || waitpid(pid, &st, 0) < 0 ||
                    !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                        fprintf(stderr, "bench: %s did not run and exit 0\n", prog);
                        return -1;
                }
        }
        return (now_us() - t0) / n;
}

int main(int argc, char **argv) {
        unsigned long long n;
        if (argc != 4 || parse_uint(argv[1], 1, 1000000, &n) < 0) {
                fprintf(stderr, "usage: hooks N PROLOG EPILOG\n");
                return 1;
        }
        /* What Slurm gives a node prolog, minus SPANK_VCLUSTER. */
        unsetenv("SPANK_VCLUSTER");
        setenv("SLURM_JOB_ID", "4242", 1);
        setenv("SLURM_JOB_UID", "1000", 1);
        setenv("SLURMD_NODENAME", "a001", 1);
        static const struct {
                const char *ctx;
                int which; /* 2 prolog, 3 epilog */
        } runs[] = {{"prolog_slurmctld", 2}, {"prolog_slurmd", 2}, {"epilog_slurmd", 3}, {"epilog_slurmctld", 3}};
        /* warm the page cache for all three programs */
        (void)per_run_us("/bin/true", 10);
        (void)per_run_us(argv[2], 10);
        (void)per_run_us(argv[3], 10);
        printf("hooks: a job without --vcluster, %llu runs each (fork+exec+wait, mean)\n", n);
        for (size_t i = 0; i < ARRAY_SIZE(runs); i++) {
                setenv("SLURM_SCRIPT_CONTEXT", runs[i].ctx, 1);
                double base = per_run_us("/bin/true", (int)n);
                double hook = per_run_us(argv[runs[i].which], (int)n);
                if (base < 0 || hook < 0)
                        return 1;
                printf("  %-17s %-16s %7.0f us   /bin/true %7.0f us   ratio %.2f\n", runs[i].ctx,
                       runs[i].which == 2 ? "vcluster-prolog" : "vcluster-epilog", hook, base, hook / base);
        }
        return 0;
}
