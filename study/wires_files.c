/* wires_files.c: the wire study's output folder: the CSV, the IR-drop maps and
 * the list of files a run wrote, so that a failure can take them back
 * (xb_study.h). */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wires_files.h"
#include "xb_base.h"
#include "xb_matrix_io.h"

xb_status xb_study_files_open(xb_study_files *f, const char *dir, xb_error *err)
{
    if (!f || !dir || !*dir)
        return xb_error_set(err, XB_EINVAL, "study: no output folder");
    memset(f, 0, sizeof *f);
    xb_status st = xb_mkdir_p(dir, &f->dir_created, err);
    if (st)
        return st;
    f->dir = strdup(dir);
    if (!f->dir)
        st = xb_error_set(err, XB_ENOMEM, "%s: out of memory", dir);
    else if (access(dir, W_OK))
        st = xb_error_set(err, XB_EIO, "%s: the folder is not writable", dir);
    if (st)
        xb_study_files_undo(f);
    return st;
}

void xb_study_files_close(xb_study_files *f)
{
    if (!f)
        return;
    for (int k = 0; k < f->n; k++)
        free(f->path[k]);
    free(f->dir);
    memset(f, 0, sizeof *f);
}

void xb_study_files_undo(xb_study_files *f)
{
    if (!f)
        return;
    for (int k = 0; k < f->n; k++)
        unlink(f->path[k]);
    if (f->dir_created && f->dir)
        rmdir(f->dir);
    xb_study_files_close(f);
}

xb_status study_files_write(xb_study_files *f, const char *name, study_writer w, const void *arg, xb_error *err)
{
    if (f->n == XB_STUDY_MAX_FILES)
        return xb_error_set(err, XB_EINTERNAL, "study: more than %d files to write", XB_STUDY_MAX_FILES);
    size_t n = strlen(f->dir) + strlen(name) + 2;
    char *path = malloc(n);
    if (!path)
        return xb_error_set(err, XB_ENOMEM, "%s/%s: out of memory", f->dir, name);
    snprintf(path, n, "%s/%s", f->dir, name);
    xb_status st = w(path, arg, err);
    if (st)
        free(path);
    else
        f->path[f->n++] = path;
    return st;
}

static xb_status write_csv(const char *path, const void *r, xb_error *err)
{
    return xb_study_write_csv(r, path, err);
}

static xb_status write_map(const char *path, const void *map, xb_error *err)
{
    const xb_study_map *m = map;
    size_t shape[2] = {(size_t)m->size, (size_t)m->size};
    return xb_matrix_write(path, m->drop, 2, shape, err);
}

xb_status xb_study_write_outputs(const xb_study_result *r, int plots, xb_study_files *f, xb_error *err)
{
    if (!r || !f || !f->dir)
        return xb_error_set(err, XB_EINVAL, "study: write outputs: NULL result or folder not open");
    xb_error local = {0}, *e = err ? err : &local;
    xb_status st = study_files_write(f, "wires.csv", write_csv, r, e);
    for (int k = 0; k < r->n_maps && !st; k++) {
        char name[64];
        snprintf(name, sizeof name, "wires_ir_map_%s.npy", xb_topology_name(r->maps[k].topology));
        st = study_files_write(f, name, write_map, &r->maps[k], e);
    }
    if (!st && plots)
        st = xb_study_write_figures(r, f, e);
    return st;
}

/* ---- the CSV -------------------------------------------------------------------------- */

const char xb_study_csv_header[] =
    "topology,size,rp,r_wire_ohm,rel_rms_err,worst_ir_drop,worst_cell_i,worst_cell_j,t_setup_s,"
    "t_per_vector_s,backend,mem_estimate_bytes,peak_rss_bytes,vectors,seed,on_off,g_max_s,v_applied_v,"
    "r_drv_ohm,r_sense_ohm";

xb_status xb_study_write_csv(const xb_study_result *r, const char *path, xb_error *err)
{
    if (!r || !path)
        return xb_error_set(err, XB_EINVAL, "write csv: NULL argument");
    xb_atomic_file a;
    xb_status st = xb_atomic_open(&a, path, "w", err);
    if (st)
        return st;
    const xb_study_options *o = &r->opt;
    fprintf(a.f, "%s\n", xb_study_csv_header);
    for (int k = 0; k < r->n_points; k++) {
        const xb_study_point *p = &r->points[k];
        double v = p->topology == XB_TOPO_GATE_INPUT ? o->v_read : o->v_in;
        double r_drv = p->topology == XB_TOPO_INPUT_SOURCE ? o->r_drv : 0.0;
        char num[9][32];
        xb_format_double(num[0], sizeof num[0], p->rp);
        xb_format_double(num[1], sizeof num[1], p->r_wire);
        xb_format_double(num[2], sizeof num[2], p->rel_rms_err);
        xb_format_double(num[3], sizeof num[3], p->worst_ir_drop);
        xb_format_double(num[4], sizeof num[4], o->on_off);
        xb_format_double(num[5], sizeof num[5], o->g_max);
        xb_format_double(num[6], sizeof num[6], v);
        xb_format_double(num[7], sizeof num[7], r_drv);
        xb_format_double(num[8], sizeof num[8], o->r_sense);
        fprintf(a.f, "%s,%d,%s,%s,%s,%s,%d,%d,%.6g,%.6g,%s,%zu,%zu,%d,%lu,%s,%s,%s,%s,%s\n",
                xb_topology_name(p->topology), p->size, num[0], num[1], num[2], num[3], p->worst_i, p->worst_j,
                p->t_setup, p->t_per_vector, p->backend, p->mem_estimate, p->peak_rss, p->vectors, p->seed, num[4],
                num[5], num[6], num[7], num[8]);
    }
    return xb_atomic_commit(&a, err);
}
