/* fuzz_conf — vcluster.conf (lib/conf*.c), which the SPANK plugin parses
 * inside every sbatch and srun. The input is written to a memfd and loaded
 * through /proc/self/fd, as a file on disk would be. */
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > 16384)
                return 0;
        int fd = memfd_create("vcluster.conf", MFD_CLOEXEC);
        if (fd < 0 || write(fd, data, size) != (ssize_t)size)
                abort();
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        struct vc_conf *c = NULL;
        _cleanup_free_ char *err = NULL;
        if (vc_conf_load(path, &c, &err) == 0)
                vc_conf_unref(c);
        else if (!err)
                abort(); /* a refusal always says why */
        close(fd);
        return 0;
}
