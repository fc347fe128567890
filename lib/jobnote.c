/* jobnote.c — a note on a job for its owner, best effort (slurmjob.h). */
#include "log.h"
#include "slurmjob.h"
#include "util.h"

void vc_slurm_job_note_best_effort(int64_t job, const char *note, bool hold) {
        if (!vc_slurm_available()) {
                log_warning("job %lld: no slurm.conf (SLURM_CONF or /etc/slurm/slurm.conf): cannot note \"%s\" on it",
                            (long long)job, note);
                return;
        }
        _cleanup_free_ char *err = NULL;
        if (vc_slurm_job_note(job, note, hold, &err) < 0)
                log_warning("job %lld: %s", (long long)job, err);
        else
                log_info("job %lld: %s\"%s\"", (long long)job, hold ? "held: " : "noted: ", note);
}
