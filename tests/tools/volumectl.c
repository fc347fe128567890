/* volumectl — drive a volume backend directly, for tests and by hand.
 *
 *   volumectl create BACKEND VG|DIR [THINPOOL] NAME SIZE   prints the path
 *   volumectl remove BACKEND VG|DIR [THINPOOL] NAME
 *   volumectl list   BACKEND VG|DIR [PREFIX]               prints "NAME BYTES" lines
 *
 * BACKEND is "lvm" (VG, optional THINPOOL) or "file" (DIR; no THINPOOL).
 * SIZE is bytes or 512K, 4M, 4G, 1T (powers of 1024). -t prints how long
 * the backend call took on stderr ("took N ms").
 *
 * Exit 0 on success, 1 with the backend's error on stderr, 2 on bad usage.
 */
#include <errno.h>
#include <inttypes.h>

#include "volume.h"
#include "util.h"

#define EXIT_BACKEND 1
#define EXIT_USAGE 2

static int usage(const char *why) {
        if (why)
                fprintf(stderr, "volumectl: %s\n", why);
        fputs("usage: volumectl [-t] create BACKEND VG|DIR [THINPOOL] NAME SIZE\n"
              "       volumectl [-t] remove BACKEND VG|DIR [THINPOOL] NAME\n"
              "       volumectl [-t] list BACKEND VG|DIR [PREFIX]\n"
              "  BACKEND: lvm (volume group, optional thin pool) or file (directory)\n",
              stderr);
        return EXIT_USAGE;
}

static int backend_error(const char *err, int r) {
        fprintf(stderr, "volumectl: %s\n", err ? err : strerror(-r));
        return EXIT_BACKEND;
}

int main(int argc, char **argv) {
        bool timing = argc > 1 && streq(argv[1], "-t");
        if (timing) {
                argv++;
                argc--;
        }
        if (argc < 4)
                return usage(NULL);
        const char *cmd = argv[1];
        const struct vc_volume_backend *b = vc_volume_backend_find(argv[2]);
        if (!b) {
                _cleanup_free_ char *why =
                        xasprintf("unknown backend '%s' (one of %s)", argv[2], vc_volume_backend_names());
                return usage(why);
        }
        bool lvm = streq(b->name, "lvm");
        struct vc_volume_place place = {.backend = b->name};
        if (lvm)
                place.vg = argv[3];
        else
                place.dir = argv[3];
        /* argv[4…]: the operation's arguments; a thin pool is there when one more is given. */
        char **args = argv + 4;
        int nargs = argc - 4;
        int want = streq(cmd, "create") ? 2 : streq(cmd, "remove") ? 1 : -1;
        if (want > 0 && nargs == want + 1 && lvm) {
                place.thin_pool = args[0];
                args++;
                nargs--;
        }
        if (want > 0 && nargs != want)
                return usage("wrong number of arguments");

        _cleanup_free_ char *err = NULL;
        uint64_t t0 = now_ms();
        int r;
        if (streq(cmd, "create")) {
                uint64_t bytes;
                if (parse_size(args[1], &bytes) < 0)
                        return usage("SIZE is bytes or a number with K, M, G or T");
                _cleanup_free_ char *path = NULL;
                r = b->create(&place, args[0], bytes, &path, &err);
                if (r == 0)
                        printf("%s\n", path);
        } else if (streq(cmd, "remove")) {
                r = b->remove(&place, args[0], &err);
        } else if (streq(cmd, "list")) {
                if (nargs > 1)
                        return usage("list takes at most a PREFIX");
                struct vc_volume_info *v = NULL;
                size_t n = 0;
                r = b->list(&place, nargs ? args[0] : NULL, &v, &n, &err);
                for (size_t i = 0; r == 0 && i < n; i++)
                        printf("%s %" PRIu64 "\n", v[i].name, v[i].bytes);
                vc_volume_infos_free(v, n);
        } else {
                return usage("unknown command");
        }
        if (timing)
                fprintf(stderr, "took %" PRIu64 " ms\n", now_ms() - t0);
        return r < 0 ? backend_error(err, r) : 0;
}
