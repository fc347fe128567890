/* cpumap.h — Slurm's CPU ids of this node as the kernel's.
 *
 * Slurm numbers a node's CPUs in its own abstract order: socket by socket,
 * core by core, the threads of a core next to each other (what `scontrol
 * show job -d` prints as CPU_IDs=); slurmd translates them for its own task
 * plugins from the node's topology. The kernel may number otherwise: many
 * x86 nodes interleave hyperthread siblings (CPU n and n + N/2 share a
 * core). This makes the same translation from sysfs: the online CPUs
 * grouped by package (topology/physical_package_id) and core
 * (topology/thread_siblings_list), packages and cores in the order of their
 * lowest CPU, a core's threads in the kernel's order; Slurm's id i is the
 * i-th CPU of that order. On a node without SMT it is the identity.
 */
#ifndef VC_CPUMAP_H
#define VC_CPUMAP_H

/* Where the kernel describes its CPUs. */
#define VC_SYSFS_CPU "/sys/devices/system/cpu"

/* vc_cpus_to_kernel: slurm_ids ("0-1,4", Slurm's numbering) as the kernel's
 * CPU list (malloc'd, ascending ranges) read from sysfs_cpu (VC_SYSFS_CPU
 * or a test's copy); 0, or -EINVAL / -errno with *err naming the id or the
 * file. */
int vc_cpus_to_kernel(const char *sysfs_cpu, const char *slurm_ids, char **kernel_ids, char **err);

#endif
