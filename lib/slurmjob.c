#include "slurmjob.h"

#include <errno.h>
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <time.h>

#include "escape.h"
#include "log.h"
#include "util.h"

bool vc_slurm_available(void) {
        const char *p = getenv("SLURM_CONF");
        return access(p && *p ? p : "/etc/slurm/slurm.conf", R_OK) == 0;
}

const char *vc_slurm_state_name(uint32_t base) {
        static const char *const names[] = {"PENDING", "RUNNING", "SUSPENDED", "COMPLETED", "CANCELLED", "FAILED",
                                            "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY"};
        return base < ARRAY_SIZE(names) ? names[base] : "finished";
}

static int slurm_fail(char **err, const char *what, int64_t job) {
        int e = slurm_get_errno();
        *err = xasprintf("slurmctld: %s of job %lld: %s", what, (long long)job, slurm_strerror(e));
        return e == ESLURM_INVALID_JOB_ID ? -ENOENT : -EIO;
}

int vc_slurm_job_get(int64_t job, struct vc_slurm_job *out, char **err) {
        *out = (struct vc_slurm_job){0};
        job_info_msg_t *msg = NULL;
        if (slurm_load_job(&msg, (uint32_t)job, SHOW_ALL) != SLURM_SUCCESS)
                return slurm_fail(err, "loading", job);
        int r = 0;
        if (msg->record_count < 1) {
                *err = xasprintf("slurmctld does not know job %lld", (long long)job);
                r = -ENOENT;
        } else {
                const slurm_job_info_t *j = &msg->job_array[0];
                /* end_time of a job without a limit is a year away: no lease at all says it better */
                out->end = j->time_limit == INFINITE || j->end_time <= 0 ? 0 : (int64_t)j->end_time;
                out->pending = (j->job_state & JOB_STATE_BASE) == JOB_PENDING;
                out->admin_comment = j->admin_comment ? xstrdup(j->admin_comment) : NULL;
                out->work_dir = j->work_dir ? xstrdup(j->work_dir) : NULL;
        }
        slurm_free_job_info_msg(msg);
        return r;
}

void vc_slurm_job_clear(struct vc_slurm_job *j) {
        free(j->admin_comment);
        free(j->work_dir);
        j->admin_comment = NULL;
        j->work_dir = NULL;
}

int vc_slurm_job_note(int64_t job, const char *text, bool hold, char **err) {
        job_desc_msg_t d;
        slurm_init_job_desc_msg(&d);
        d.job_id = (uint32_t)job;
        /* squeue and scontrol print it raw to other people's terminals; it
         * quotes specs and vlanallocd's errors */
        _cleanup_free_ char *safe = vc_escape(text);
        d.admin_comment = safe;
        if (hold)
                d.priority = 0;
        if (slurm_update_job(&d) != SLURM_SUCCESS)
                return slurm_fail(err, hold ? "holding" : "annotating", job);
        return 0;
}

int vc_slurm_wake_waiting(unsigned *woken, char **err) {
        *woken = 0;
        job_info_msg_t *msg = NULL;
        if (slurm_load_jobs(0, &msg, SHOW_ALL) != SLURM_SUCCESS) {
                *err = xasprintf("slurmctld: loading jobs: %s", slurm_strerror(slurm_get_errno()));
                return -EIO;
        }
        int r = 0;
        for (uint32_t i = 0; i < msg->record_count; i++) {
                const slurm_job_info_t *j = &msg->job_array[i];
                if ((j->job_state & JOB_STATE_BASE) != JOB_PENDING || !j->admin_comment ||
                    strncmp(j->admin_comment, VC_WAIT_NOTE, strlen(VC_WAIT_NOTE)) != 0)
                        continue;
                job_desc_msg_t d;
                slurm_init_job_desc_msg(&d);
                d.job_id = j->job_id;
                d.begin_time = time(NULL);
                if (slurm_update_job(&d) != SLURM_SUCCESS) {
                        /* It may have started or ended since we looked: the others still deserve a try. */
                        log_warning("job %u: cannot move its begin time to now: %s", j->job_id,
                                    slurm_strerror(slurm_get_errno()));
                        r = -EIO;
                        continue;
                }
                log_info("job %u: woken, a VLAN was given back", j->job_id);
                (*woken)++;
        }
        slurm_free_job_info_msg(msg);
        if (r < 0)
                *err = xstrdup("some waiting jobs could not be woken (see above)");
        return r;
}
