/* launch.c — the program Slurm runs as Prolog, Epilog, PrologSlurmctld and
 * EpilogSlurmctld (built twice: vcluster-prolog and vcluster-epilog).
 *
 * Slurm runs these hooks for every job on every node, and almost every job
 * is not a virtual cluster. The hooks proper link libvirt, libnl, libslurm
 * and munge, whose dozens of shared libraries the dynamic loader maps
 * before main() could look at the job (about 9 ms a run against 0.75 ms for
 * /bin/true). This launcher links nothing but libc: for a job without
 * --vcluster (no SPANK_VCLUSTER) it exits 0 at once; for a virtual-cluster
 * job it execs the hook proper, VC_HOOK_NAME in ../libexec/vcluster/
 * relative to its own directory (the build tree and `make install` lay them
 * out so), with the same argv and environment.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef VC_HOOK_NAME
#error "VC_HOOK_NAME (vcluster-prolog or vcluster-epilog) must be defined"
#endif

int main(int argc, char **argv) {
        if (argc == 2 && !strcmp(argv[1], "--version")) {
                puts(VC_HOOK_NAME " " VC_VERSION);
                return 0;
        }
        if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
                printf("usage: %s (Slurm runs vcluster-prolog as Prolog and PrologSlurmctld,\n"
                       "  vcluster-epilog as Epilog and EpilogSlurmctld)\n"
                       "  takes no arguments: Slurm's environment says which job and context;\n"
                       "  a job without --vcluster (no SPANK_VCLUSTER) costs nothing. See vcluster-prolog(8).\n"
                       "  --version  the version\n",
                       VC_HOOK_NAME);
                return 0;
        }
        const char *spec = getenv("SPANK_VCLUSTER");
        if (!spec || !*spec)
                return 0;
        char self[PATH_MAX], hook[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0) {
                fprintf(stderr, "%s: cannot find its own path (/proc/self/exe): %s\n", VC_HOOK_NAME,
                        strerror(n < 0 ? errno : ENOENT));
                return 1;
        }
        self[n] = '\0';
        *strrchr(self, '/') = '\0';
        if (snprintf(hook, sizeof(hook), "%s/../libexec/vcluster/%s", self, VC_HOOK_NAME) >= (int)sizeof(hook)) {
                fprintf(stderr, "%s: path too long: %s\n", VC_HOOK_NAME, self);
                return 1;
        }
        execv(hook, argv);
        fprintf(stderr, "%s: cannot run the hook %s: %s\n", VC_HOOK_NAME, hook, strerror(errno));
        return 1;
}
