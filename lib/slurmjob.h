/* slurmjob.h — what the controller hooks ask slurmctld, through libslurm:
 * a job's end time (the lease vlanallocd keeps), a note on a job that
 * could not get its VLAN, and waking the jobs that wait for one.
 *
 * A job that could not get its VLAN carries the reason in its AdminComment,
 * which `scontrol show job` prints and only root/SlurmUser can set (so a
 * user can neither forge nor erase it). Jobs waiting for a free VLAN carry
 * VC_WAIT_NOTE at its start; the epilog of a job that gave VLANs back wakes
 * them (their begin time becomes now) instead of leaving them to Slurm's
 * requeue delay.
 */
#ifndef VC_SLURMJOB_H
#define VC_SLURMJOB_H

#include <stdbool.h>
#include <stdint.h>

/* Every note we write starts with this, so we only ever clear our own. */
#define VC_NOTE_PREFIX "vcluster: "
#define VC_WAIT_NOTE VC_NOTE_PREFIX "waiting for a free VLAN"

struct vc_slurm_job {
        int64_t end;         /* epoch seconds the job must end by; 0: no time limit */
        bool pending;
        char *admin_comment; /* malloc'd, may be NULL */
        char *work_dir;      /* the job's working directory (sbatch -D), malloc'd, may be NULL */
};

/* vc_slurm_available: whether libslurm can find a configuration (SLURM_CONF
 * or its default file); libslurm exits the process when it cannot, so every
 * call below is made only when this is true. */
bool vc_slurm_available(void);
/* vc_slurm_state_name: "PENDING", "RUNNING", … for a base job state (job_state & JOB_STATE_BASE). */
const char *vc_slurm_state_name(uint32_t base);
/* vc_slurm_job_get: what slurmctld says of job; 0 or -errno with *err. */
int vc_slurm_job_get(int64_t job, struct vc_slurm_job *out, char **err);
/* vc_slurm_job_clear: free the strings of a vc_slurm_job (cleanup-attribute compatible). */
void vc_slurm_job_clear(struct vc_slurm_job *j);
/* vc_slurm_job_note: set job's AdminComment to text ("" clears it) and, when
 * hold, hold the job (priority 0); 0 or -errno with *err. */
int vc_slurm_job_note(int64_t job, const char *text, bool hold, char **err);
/* vc_slurm_job_note_best_effort: tell the job's owner why it cannot start
 * (vc_slurm_job_note), logging what happened; the hook's exit status is what
 * counts, so a note that cannot be set is only a warning. */
void vc_slurm_job_note_best_effort(int64_t job, const char *note, bool hold);
/* vc_slurm_wake_waiting: every pending job whose AdminComment starts with
 * VC_WAIT_NOTE may start now; 0 with *woken counted, or -errno with *err. */
int vc_slurm_wake_waiting(unsigned *woken, char **err);

#endif
