/* mpi_hello.c — test_cloudinit builds it on the host with mpicc and runs it
 * across the guests: one line per rank with its host name, an allreduce
 * (so the ranks really talk over the cluster's network), and a file rank 0
 * writes in the job's directory (the share). */
#include <mpi.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
        char host[256];
        int rank, size;
        MPI_Init(&argc, &argv);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        gethostname(host, sizeof(host));
        int sum = 0, one = 1;
        MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        printf("rank %d of %d on %s (allreduce %d)\n", rank, size, host, sum);
        if (rank == 0) {
                FILE *f = fopen("mpi-out", "w");
                if (f) {
                        fprintf(f, "%d ranks\n", sum);
                        fclose(f);
                }
        }
        MPI_Finalize();
        return 0;
}
