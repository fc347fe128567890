#include "reaper.h"

#include <errno.h>
#include <pthread.h>
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <time.h>

#include "alloc.h"
#include "conf.h"
#include "log.h"
#include "rpc.h"
#include "slurmjob.h"
#include "state.h"
#include "util.h"

static pthread_t reaper_thread;
static pthread_mutex_t reaper_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reaper_cond = PTHREAD_COND_INITIALIZER;
static bool reaper_stop, reaper_running;

static bool release_logged(struct vc_alloc *a, int64_t job, const char *reason) {
        log_notice("reaper: releasing job %lld: %s", (long long)job, reason);
        json_t *reply = vc_alloc_release(a, job, reason);
        bool ok = json_is_true(json_object_get(reply, "ok"));
        if (!ok)
                log_error("reaper: job %lld: %s", (long long)job, json_string_value(json_object_get(reply, "error")));
        json_decref(reply);
        return ok;
}

/* What slurmctld says about a job: 1 finished or unknown (reason set), 0 still
 * alive, -errno when slurmctld cannot be asked. */
static int slurm_job_gone(int64_t job, char *reason, size_t n) {
        job_info_msg_t *msg = NULL;
        if (slurm_load_job(&msg, (uint32_t)job, SHOW_ALL) != SLURM_SUCCESS) {
                int e = slurm_get_errno();
                if (e == ESLURM_INVALID_JOB_ID) {
                        snprintf(reason, n, "slurmctld does not know job %lld", (long long)job);
                        return 1;
                }
                return -EHOSTUNREACH;
        }
        int r = 0;
        if (msg->record_count > 0) {
                uint32_t st = msg->job_array[0].job_state & JOB_STATE_BASE;
                if (st != JOB_PENDING && st != JOB_RUNNING && st != JOB_SUSPENDED) {
                        snprintf(reason, n, "slurmctld reports job %lld %s", (long long)job,
                                 vc_slurm_state_name(st));
                        r = 1;
                }
        }
        slurm_free_job_info_msg(msg);
        return r;
}

static int reaper_pass(struct vc_alloc *a, int64_t now) {
        int released = 0;
        size_t i;
        json_t *v;
        vc_state_lock(a->st);
        json_t *expired = vc_state_jobs_expired(a->st, now);
        json_t *stuck = vc_state_jobs_in(a->st, JS_RELEASING);
        json_t *held = vc_state_jobs_in(a->st, JS_HELD);
        vc_state_unlock(a->st);
        json_array_foreach(expired, i, v) {
                char reason[96];
                snprintf(reason, sizeof(reason), "lease expired (end time + LeaseGrace passed)");
                released += release_logged(a, json_integer_value(v), reason);
        }
        json_array_foreach(stuck, i, v) released += release_logged(a, json_integer_value(v), "retrying a failed release");
        /* libslurm exits the process when it finds no configuration. */
        if (vc_slurm_available()) {
                json_array_foreach(held, i, v) {
                        char reason[128];
                        int r = slurm_job_gone(json_integer_value(v), reason, sizeof(reason));
                        if (r < 0) {
                                log_debug("reaper: slurmctld unreachable; only leases are checked this pass");
                                break;
                        }
                        if (r == 1)
                                released += release_logged(a, json_integer_value(v), reason);
                }
        }
        json_decref(expired);
        json_decref(stuck);
        json_decref(held);
        return released;
}

static void *reaper_main(void *arg) {
        struct vc_alloc *a = arg;
        pthread_mutex_lock(&reaper_lock);
        while (!reaper_stop) {
                unsigned interval;
                {
                        _cleanup_conf_ struct vc_conf *c = vc_alloc_conf(a);
                        interval = c->reap_interval;
                }
                struct timespec until;
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_sec += interval;
                while (!reaper_stop && pthread_cond_timedwait(&reaper_cond, &reaper_lock, &until) != ETIMEDOUT)
                        ;
                if (reaper_stop)
                        break;
                pthread_mutex_unlock(&reaper_lock);
                reaper_pass(a, (int64_t)time(NULL));
                pthread_mutex_lock(&reaper_lock);
        }
        pthread_mutex_unlock(&reaper_lock);
        return NULL;
}

int vc_reaper_start(struct vc_alloc *a) {
        reaper_stop = false;
        int r = pthread_create(&reaper_thread, NULL, reaper_main, a);
        if (r != 0)
                return -r;
        reaper_running = true;
        return 0;
}

void vc_reaper_stop(void) {
        if (!reaper_running)
                return;
        pthread_mutex_lock(&reaper_lock);
        reaper_stop = true;
        pthread_cond_broadcast(&reaper_cond);
        pthread_mutex_unlock(&reaper_lock);
        pthread_join(reaper_thread, NULL);
        reaper_running = false;
}
