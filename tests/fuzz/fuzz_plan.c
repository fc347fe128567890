/* fuzz_plan — a node's check of the plan vlanallocd sent (lib/plancheck.c),
 * the last gate before root configures what the plan names. */
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"
#include "plancheck.h"
#include "util.h"

static struct vc_conf *conf;

static void load_conf(void) {
        char dir[] = "/tmp/vc-fuzz-plan.XXXXXX";
        if (!mkdtemp(dir))
                abort();
        _cleanup_free_ char *path = xasprintf("%s/vcluster.conf", dir), *err = NULL;
        FILE *f = fopen(path, "w");
        if (!f)
                abort();
        fprintf(f, "ControllerAddr=127.0.0.1:7000 StateDir=%s SlurmUser=root VniRange=5000-5999\n"
                   "SiteName=a SiteId=1 VlanIds=100-199 Nodes=a[1-4] L2Ext=vxlan\n"
                   "SiteName=b SiteId=2 VlanIds=300-349 Nodes=b[1-4] L2Ext=vxlan\n"
                   "NodeName=a1 WanAddr=192.0.2.1\nNodeName=b1 WanAddr=192.0.2.2\n",
                dir);
        fclose(f);
        if (vc_conf_load(path, &conf, &err) < 0)
                abort();
        unlink(path);
        rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (!conf)
                load_conf();
        json_t *plan = json_loadb((const char *)data, size, 0, NULL);
        if (!plan)
                return 0;
        _cleanup_free_ char *err = NULL;
        if (vc_plan_check(conf, plan, 7, "a[1-2],b1", &err) < 0 && !err)
                abort(); /* a refusal always says why */
        json_decref(plan);
        return 0;
}
