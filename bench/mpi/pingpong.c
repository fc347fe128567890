/* pingpong — MPI latency and bandwidth between ranks 0 and 1.
 *
 * Built by bench/mpi.sh with the host's mpicc (the guests run the same
 * Debian 12 Open MPI), run once between two processes on the host and once
 * between two guests of one virtual cluster, so the two lines compare the
 * same program. Prints one line: "latency_us=… bandwidth_MBps=… host0=…
 * host1=…". Exits 1 with a message when it cannot measure (fewer than two
 * ranks, a message that came back changed). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SMALL = 8, BIG = 1 << 20, LAT_ITERS = 200, BW_ITERS = 20 };

/* bounce: ITERS round trips of LEN bytes between ranks 0 and 1; returns seconds on rank 0. */
static double bounce(int rank, char *buf, int len, int iters) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        for (int i = 0; i < iters; i++) {
                if (rank == 0) {
                        MPI_Send(buf, len, MPI_CHAR, 1, 0, MPI_COMM_WORLD);
                        MPI_Recv(buf, len, MPI_CHAR, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                } else if (rank == 1) {
                        MPI_Recv(buf, len, MPI_CHAR, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                        MPI_Send(buf, len, MPI_CHAR, 0, 0, MPI_COMM_WORLD);
                }
        }
        return MPI_Wtime() - t0;
}

int main(int argc, char **argv) {
        int rank, size, len;
        char name[MPI_MAX_PROCESSOR_NAME], peer[MPI_MAX_PROCESSOR_NAME] = "";
        MPI_Init(&argc, &argv);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        if (size < 2) {
                fprintf(stderr, "pingpong: needs 2 ranks, has %d\n", size);
                MPI_Abort(MPI_COMM_WORLD, 1);
        }
        MPI_Get_processor_name(name, &len);
        if (rank == 1)
                MPI_Send(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0, 1, MPI_COMM_WORLD);
        else if (rank == 0)
                MPI_Recv(peer, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);

        char *buf = malloc(BIG);
        if (!buf)
                MPI_Abort(MPI_COMM_WORLD, 1);
        for (int i = 0; i < BIG; i++)
                buf[i] = (char)(i * 7);
        bounce(rank, buf, SMALL, 10); /* warm the connection up */
        double lat = bounce(rank, buf, SMALL, LAT_ITERS);
        double bw = bounce(rank, buf, BIG, BW_ITERS);
        int bad = 0;
        for (int i = 0; i < BIG; i++)
                bad |= buf[i] != (char)(i * 7);
        if (rank == 0) {
                if (bad) {
                        fprintf(stderr, "pingpong: a message came back changed\n");
                        MPI_Abort(MPI_COMM_WORLD, 1);
                }
                printf("latency_us=%.1f bandwidth_MBps=%.1f host0=%s host1=%s\n",
                       lat / LAT_ITERS / 2 * 1e6, 2.0 * BW_ITERS * BIG / bw / 1e6, name, peer);
        }
        free(buf);
        MPI_Finalize();
        return 0;
}
