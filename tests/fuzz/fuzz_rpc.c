/* fuzz_rpc — the request envelope (lib/rpc.c), the first thing vlanallocd
 * and the storage agent parse of what any peer sends, before munge; and the
 * reply envelope, the first thing every client parses of what answers it. */
#include "fuzz.h"
#include "rpc.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        json_t *root = NULL;
        const char *cred = NULL, *req = NULL;
        _cleanup_free_ char *err = NULL;
        if (vc_rpc_unwrap((const char *)data, size, &root, &cred, &req, &err) == 0 && (!cred || !req))
                abort(); /* success promises both */
        json_decref(root);
        root = NULL;
        _cleanup_free_ char *rerr = NULL;
        const char *rcred = NULL, *rep = NULL;
        if (vc_rpc_reply_unwrap((const char *)data, size, &root, &rcred, &rep, &rerr) == 0 && (!rcred || !rep))
                abort();
        if (!root && !rerr)
                abort(); /* a refusal always says why */
        json_decref(root);
        return 0;
}
