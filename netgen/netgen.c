/* netgen.c: SPICE netlist writer for the canonical crossbar. */
#define _POSIX_C_SOURCE 200809L
#include "xb_netgen.h"

#include "xb_base.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xb_graph.h"

/* Values are written with 17 significant digits so a double survives the trip. */
#define XB_NUM "%.17g"

void xb_netgen_options_init(xb_netgen_options *opt)
{
    opt->control = 1;
    opt->title = NULL;
}

typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t ncap = 2 * b->cap + (size_t)n + 1;
        char *nb = realloc(b->buf, ncap);
        if (!nb) {
            b->oom = 1;
            return;
        }
        b->buf = nb;
        b->cap = ncap;
    }
}

static const char *name_of(const xb_graph *g, int raw, char *buf)
{
    return xb_graph_node_name(g, g->root[raw], buf, 32);
}

char *xb_netgen_string(const xb_circuit *c, const double *v, const xb_netgen_options *opt, xb_error *err)
{
    xb_netgen_options defaults;
    if (!opt) {
        xb_netgen_options_init(&defaults);
        opt = &defaults;
    }
    if (!v) {
        xb_error_set(err, XB_EINVAL, "netlist: NULL input vector");
        return NULL;
    }
    xb_graph *g = xb_graph_new(c, err);
    if (!g)
        return NULL;
    if (xb_circuit_check_inputs(c, v, 1, err)) {
        xb_graph_free(g);
        return NULL;
    }
    const int M = c->rows, N = c->cols;
    sbuf b = {malloc(1 << 16), 0, 1 << 16, 0};
    if (!b.buf) {
        xb_graph_free(g);
        xb_error_set(err, XB_ENOMEM, "netlist: out of memory");
        return NULL;
    }
    char n1[32], n2[32];
    if (opt->title)
        sb_printf(&b, "%s\n", opt->title);
    else
        sb_printf(&b, "* xbar crossbar %d x %d, %s topology\n", M, N, xb_topology_name(c->topology));
    if (xb_circuit_is_nonlinear(c))
        sb_printf(&b, "%s\n", XB_NETGEN_NONLINEAR_OPTIONS);
    if (c->access == XB_ACCESS_NMOS) {
        /* LEVEL=1 with IS=0: no junction leakage, so the transistor is only its channel */
        sb_printf(&b, ".model XBNMOS NMOS (LEVEL=1 KP=" XB_NUM " VTO=" XB_NUM " LAMBDA=" XB_NUM " IS=0)\n",
                  c->nmos.kp, c->nmos.vto, c->nmos.lambda);
        sb_printf(&b, "VGATE vgate 0 DC " XB_NUM "\n", c->nmos.v_gate);
    }
    if (c->topology == XB_TOPO_INPUT_SOURCE) {
        for (int i = 0; i < M; i++)
            sb_printf(&b, "VIN%d %s 0 DC " XB_NUM "\n", i, name_of(g, xb_graph_node(g, XB_NODE_IN, i, 0), n1), v[i]);
    } else {
        sb_printf(&b, "VREAD vread 0 DC " XB_NUM "\n", c->v_read);
    }
    for (int k = 0; k < g->n_elem; k++) {
        const xb_elem *e = &g->elem[k];
        name_of(g, e->a, n1);
        name_of(g, e->b, n2);
        switch (e->kind) {
        case XB_ELEM_DRIVER:
            if (e->r > 0)
                sb_printf(&b, "RD%d %s %s " XB_NUM "\n", e->i, n1, n2, e->r);
            break;
        case XB_ELEM_ROW:
            if (e->r > 0)
                sb_printf(&b, "RR%d_%d %s %s " XB_NUM "\n", e->i, e->j, n1, n2, e->r);
            break;
        case XB_ELEM_CELL: {
            if (e->g == 0.0 || (c->topology == XB_TOPO_GATE_INPUT && v[e->i] == 0.0))
                break;
            const char *from = n1;
            char mid[32];
            snprintf(mid, sizeof mid, "a%d_%d", e->i, e->j);
            if (c->access == XB_ACCESS_NMOS) {
                /* drain on the row side, bulk tied to the source: no body effect */
                sb_printf(&b, "M%d_%d %s vgate %s %s XBNMOS W=" XB_NUM " L=" XB_NUM "\n", e->i, e->j, n1, mid, mid,
                          c->nmos.w, c->nmos.l);
                from = mid;
            } else if (e->r_access > 0) {
                sb_printf(&b, "RA%d_%d %s %s " XB_NUM "\n", e->i, e->j, n1, mid, e->r_access);
                from = mid;
            }
            if (c->cell == XB_CELL_SINH)
                sb_printf(&b, "BG%d_%d %s %s I=" XB_NUM "*sinh(V(%s,%s)/" XB_NUM ")\n", e->i, e->j, from, n2,
                          e->g * c->sinh_v0, from, n2, c->sinh_v0);
            else
                sb_printf(&b, "RG%d_%d %s %s " XB_NUM "\n", e->i, e->j, from, n2, 1.0 / e->g);
            break;
        }
        case XB_ELEM_COL:
            if (e->r > 0)
                sb_printf(&b, "RC%d_%d %s %s " XB_NUM "\n", e->i, e->j, n1, n2, e->r);
            break;
        case XB_ELEM_SENSE:
            if (e->r > 0)
                sb_printf(&b, "RS%d %s %s " XB_NUM "\n", e->j, n1, n2, e->r);
            break;
        case XB_ELEM_SL:
            if (e->r > 0)
                sb_printf(&b, "RL%d_%d %s %s " XB_NUM "\n", e->i, e->j, n1, n2, e->r);
            break;
        }
    }
    for (int j = 0; j < N; j++)
        sb_printf(&b, "VOUT%d vg%d 0 DC 0\n", j, j);
    if (opt->control) {
        sb_printf(&b, ".control\nset numdgt=17\nop\n");
        for (int j = 0; j < N; j++)
            sb_printf(&b, "print i(VOUT%d)\n", j);
        /* quit 0: without it a batch run with no .print line exits with status 1 */
        sb_printf(&b, "quit 0\n.endc\n");
    } else {
        sb_printf(&b, ".op\n");
    }
    sb_printf(&b, ".end\n");
    xb_graph_free(g);
    if (b.oom) {
        free(b.buf);
        xb_error_set(err, XB_ENOMEM, "netlist: out of memory");
        return NULL;
    }
    return b.buf;
}

xb_status xb_netgen_write_file(const char *path, const xb_circuit *c, const double *v,
                               const xb_netgen_options *opt, xb_error *err)
{
    xb_error local;
    xb_error *e = err ? err : &local;
    char *text = xb_netgen_string(c, v, opt, e);
    if (!text)
        return e->code;
    xb_atomic_file a;
    xb_status st = xb_atomic_open(&a, path, "w", err);
    if (st == XB_OK) {
        size_t n = strlen(text);
        fwrite(text, 1, n, a.f);
        st = xb_atomic_commit(&a, err);
    }
    free(text);
    return st;
}

xb_status xb_netgen_write_dir(const char *dir, const xb_circuit *c, const double *v, size_t k,
                              const xb_netgen_options *opt, xb_error *err)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return xb_error_set(err, XB_EIO, "%s: cannot create directory: %s", dir, strerror(errno));
    struct stat sbf;
    if (stat(dir, &sbf) != 0 || !S_ISDIR(sbf.st_mode))
        return xb_error_set(err, XB_EIO, "%s: not a directory", dir);
    size_t pl = strlen(dir) + 32;
    char *path = malloc(pl);
    if (!path)
        return xb_error_set(err, XB_ENOMEM, "%s: out of memory", dir);
    xb_status st = XB_OK;
    for (size_t q = 0; q < k && !st; q++) {
        snprintf(path, pl, "%s/vec%04zu.cir", dir, q);
        st = xb_netgen_write_file(path, c, v + q * (size_t)c->rows, opt, err);
    }
    free(path);
    return st;
}
