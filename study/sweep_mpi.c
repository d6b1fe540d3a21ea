/* sweep_mpi.c: what a sweep needs of MPI: knowing it was started by a
 * launcher, starting and ending MPI, agreeing on failures, broadcasting the
 * scores, and passing units of work between rank 0 and the others
 * (sweep_schedule.c).  Without MPI a sweep has one rank, and only the
 * functions that hold for one rank do anything. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "sweep_internal.h"

int sw_mpi_launched(void)
{
    /* Open MPI's mpirun, and PMI/PMIx launchers (srun, hydra). */
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                       "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

#ifndef XB_HAVE_MPI

int sw_mpi_available(void) { return 0; }
xb_status sw_mpi_init(int *rank, int *size, xb_error *err)
{
    *rank = 0;
    *size = 1;
    return xb_error_set(err, XB_EUNSUPPORTED, "this xbar was built without MPI");
}
void sw_mpi_finalize(void) {}
void xb_sweep_mpi_abort(int code) { (void)code; }
int sw_mpi_first_failure(int failed) { return failed ? 0 : -1; }
xb_status sw_mpi_bcast(void *buf, size_t n, xb_error *err)
{
    (void)buf;
    (void)n;
    (void)err;
    return XB_OK;
}
xb_status sw_mpi_ask(const sw_unit_msg *m, long *next, xb_error *err)
{
    (void)m;
    *next = -1;
    return xb_error_set(err, XB_EUNSUPPORTED, "this xbar was built without MPI");
}
int sw_mpi_poll(sw_unit_msg *m, int *source)
{
    (void)m;
    (void)source;
    return 0;
}
void sw_mpi_answer(int source, long unit)
{
    (void)source;
    (void)unit;
}

#else

#include <limits.h>
#include <mpi.h>
#include <stdio.h>

#define TAG_ASK 11  /* rank -> 0: a finished unit (or none) and a request for the next */
#define TAG_UNIT 12 /* 0 -> rank: the next unit, or -1: no more */

int sw_mpi_available(void) { return 1; }

static int mpi_started; /* 1 when sw_mpi_init called MPI_Init (and so finalizes) */

xb_status sw_mpi_init(int *rank, int *size, xb_error *err)
{
    int provided = 0, ready = 0, done = 0;
    MPI_Initialized(&ready);
    MPI_Finalized(&done);
    if (done)
        return xb_error_set(err, XB_EUNSUPPORTED, "MPI was finalized already: one sweep per "
                            "MPI job");
    if (ready) {
        MPI_Query_thread(&provided);
    } else {
        if (MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
            return xb_error_set(err, XB_EIO, "MPI_Init_thread failed");
        mpi_started = 1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    if (provided < MPI_THREAD_SERIALIZED && *size > 1)
        return xb_error_set(err, XB_EUNSUPPORTED, "the MPI library gives thread level %d; "
                            "xbar sweep needs MPI_THREAD_SERIALIZED (%d)", provided,
                            MPI_THREAD_SERIALIZED);
    return XB_OK;
}

void sw_mpi_finalize(void)
{
    if (mpi_started)
        MPI_Finalize();
    mpi_started = 0;
}

void xb_sweep_mpi_abort(int code)
{
    int ready = 0, done = 0;
    MPI_Initialized(&ready);
    MPI_Finalized(&done);
    if (!ready || done)
        return;
    fflush(stdout);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
}

int sw_mpi_first_failure(int failed)
{
    int rank, size, mine, first;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    mine = failed ? rank : size;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return first < size ? first : -1;
}

xb_status sw_mpi_bcast(void *buf, size_t n, xb_error *err)
{
    for (size_t off = 0; off < n;) {
        int m = n - off > (size_t)INT_MAX ? INT_MAX : (int)(n - off);
        if (MPI_Bcast((char *)buf + off, m, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
            return xb_error_set(err, XB_EIO, "MPI_Bcast failed");
        off += (size_t)m;
    }
    return XB_OK;
}

xb_status sw_mpi_ask(const sw_unit_msg *m, long *next, xb_error *err)
{
    if (MPI_Send(m, (int)sizeof *m, MPI_BYTE, 0, TAG_ASK, MPI_COMM_WORLD) != MPI_SUCCESS ||
        MPI_Recv(next, 1, MPI_LONG, 0, TAG_UNIT, MPI_COMM_WORLD, MPI_STATUS_IGNORE) !=
            MPI_SUCCESS)
        return xb_error_set(err, XB_EIO, "lost contact with rank 0");
    return XB_OK;
}

int sw_mpi_poll(sw_unit_msg *m, int *source)
{
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, TAG_ASK, MPI_COMM_WORLD, &flag, &st);
    if (!flag)
        return 0;
    MPI_Recv(m, (int)sizeof *m, MPI_BYTE, st.MPI_SOURCE, TAG_ASK, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    *source = st.MPI_SOURCE;
    return 1;
}

void sw_mpi_answer(int source, long unit)
{
    MPI_Send(&unit, 1, MPI_LONG, source, TAG_UNIT, MPI_COMM_WORLD);
}

#endif
