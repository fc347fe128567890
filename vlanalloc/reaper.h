/* reaper.h — closes every gap the Slurm hooks can leave. Every ReapInterval
 * it releases jobs whose lease (end time + LeaseGrace) ran out, retries
 * releases that failed, and — when a slurm.conf is reachable — releases
 * held jobs that slurmctld reports finished or does not know. Every action
 * is logged with its reason. */
#ifndef VC_REAPER_H
#define VC_REAPER_H

struct vc_alloc;

/* vc_reaper_start: run the reaper in its own thread; 0 or -errno. */
int vc_reaper_start(struct vc_alloc *a);
/* vc_reaper_stop: wake it and wait for it to finish its current pass. */
void vc_reaper_stop(void);

#endif
