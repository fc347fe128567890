#include "failpoint.h"

#include <errno.h>
#include <time.h>

#include "log.h"
#include "util.h"

bool vc_failpoints_armed;

enum fp_action { FP_OFF, FP_ERROR, FP_CRASH, FP_DELAY };

/* The one list of points; code must only use names from here. */
static const char *const fp_table[][2] = {
        {"journal.add.before", "before a planned step is written to a journal"},
        {"journal.add.after", "after a planned step is written to a journal"},
        {"journal.mark.before", "before a step's state change is written"},
        {"journal.mark.after", "after a step's state change is written"},
        {"step.do.before", "before a step's action runs"},
        {"step.do.after", "after a step's action ran, before it is marked done"},
        {"step.undo.before", "before a step's undo runs"},
        {"step.undo.after", "after a step's undo ran, before it is marked undone"},
        {"acquire.commit.before", "before the job row and its VLAN holds are committed"},
        {"acquire.commit.after", "after the job row and its VLAN holds are committed"},
        {"acquire.done.before", "before the job is committed as held"},
        {"acquire.done.after", "after the job is committed as held, before the reply"},
        {"release.commit.before", "before the job is committed as releasing"},
        {"release.commit.after", "after the job is committed as releasing"},
        {"release.done.before", "before the ids are freed and the job committed released"},
        {"release.done.after", "after the job is committed released, before the reply"},
        {"node.guests.started", "node prolog: after this node's guests started, before they are up"},
        {"node.access", "node prolog: after this node's access path to its guests was made (net.access)"},
        {"storage.volume.created", "storage host: after each volume of a job is created"},
        {"storage.export.before", "storage host: before a job's target is exported"},
        {NULL, NULL},
};

#define FP_COUNT (ARRAY_SIZE(fp_table) - 1)
static enum fp_action fp_action[FP_COUNT];
static unsigned fp_delay_ms[FP_COUNT];

const char *const (*vc_failpoint_table(void))[2] { return fp_table; }

static int fp_index(const char *name) {
        for (size_t i = 0; i < FP_COUNT; i++)
                if (streq(fp_table[i][0], name))
                        return (int)i;
        return -1;
}

int vc_failpoint_setup(const char *spec, char **err) {
        for (size_t i = 0; i < FP_COUNT; i++)
                fp_action[i] = FP_OFF;
        vc_failpoints_armed = false;
        if (!spec || !*spec)
                return 0;
        _cleanup_free_ char *copy = xstrdup(spec);
        char *save = NULL;
        for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(item, '=');
                if (!eq) {
                        *err = xasprintf("VCLUSTER_FAILPOINTS: '%s': expected name=error|crash|delay:MS", item);
                        return -EINVAL;
                }
                *eq = 0;
                int i = fp_index(item);
                if (i < 0) {
                        *err = xasprintf("VCLUSTER_FAILPOINTS: unknown failpoint '%s' (see 'vlanalloc failpoints')", item);
                        return -EINVAL;
                }
                const char *act = eq + 1;
                unsigned long long ms;
                if (streq(act, "error"))
                        fp_action[i] = FP_ERROR;
                else if (streq(act, "crash"))
                        fp_action[i] = FP_CRASH;
                else if (strncmp(act, "delay:", 6) == 0 && parse_uint(act + 6, 0, 600000, &ms) == 0) {
                        fp_action[i] = FP_DELAY;
                        fp_delay_ms[i] = (unsigned)ms;
                } else {
                        *err = xasprintf("VCLUSTER_FAILPOINTS: %s=%s: action must be error, crash or delay:MS", item, act);
                        return -EINVAL;
                }
        }
        vc_failpoints_armed = true;
        return 0;
}

int vc_failpoint_hit(const char *name) {
        int i = fp_index(name);
        if (i < 0) {
                /* A point missing from the table is a programming error: make it loud. */
                log_error("failpoint '%s' is not declared in failpoint.c", name);
                abort();
        }
        switch (fp_action[i]) {
        case FP_OFF:
                return 0;
        case FP_ERROR:
                log_notice("failpoint %s: injecting error", name);
                return -EIO;
        case FP_CRASH:
                log_notice("failpoint %s: crashing", name);
                _exit(137);
        case FP_DELAY: {
                struct timespec ts = {fp_delay_ms[i] / 1000, (long)(fp_delay_ms[i] % 1000) * 1000000L};
                while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                        ;
                return 0;
        }
        }
        return 0;
}
