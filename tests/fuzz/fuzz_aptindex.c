/* fuzz_aptindex — a flat repository's Packages index and a package list
 * (gateway/aptindex.c), as the gateway reads them to preload a cache: the
 * index comes from the other site's repository, so it is not trusted. A
 * URL made is always inside the repository. */
#include "aptindex.h"
#include "fuzz.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = fuzz_str(data, size), *err = NULL, *err2 = NULL;
        _cleanup_strv_ char **urls = NULL, **missing = NULL, **names = NULL;
        if (vc_apt_names_parse("/fuzz", text, &names, &err2) < 0 && (!err2 || !*err2))
                abort();
        char *want[] = {"tcpdump", "libc6", "a0", "zz", NULL};
        if (vc_apt_index_urls("http://h/r/", text, names ? names : want, &urls, &missing, &err) < 0) {
                if (!err || !*err)
                        abort();
                return 0;
        }
        for (char **u = urls; *u; u++)
                if (strncmp(*u, "http://h/r/", 11) != 0 || strstr(*u + 11, "/../") || strncmp(*u + 11, "../", 3) == 0)
                        abort();
        return 0;
}
