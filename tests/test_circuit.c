/* Circuit validation: every bad field is named with its index and value. */
#include <math.h>
#include <string.h>

#include "xb_circuit.h"
#include "xb_graph.h"
#include "xb_test.h"

static void expect_bad(xb_circuit *c, const char *needle)
{
    xb_error err = {0};
    XB_CHECK(xb_circuit_validate(c, &err) == XB_EINVAL);
    XB_CHECK_MSG(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
}

int main(void)
{
    xb_error err = {0};
    XB_CHECK(xb_circuit_new(0, 3, &err) == NULL && err.code == XB_EINVAL);
    xb_circuit *c = xb_circuit_new(3, 4, &err);
    XB_CHECK(c && xb_circuit_validate(c, &err) == XB_OK);
    XB_CHECK(xb_circuit_is_ideal(c));

    c->g[1 * 4 + 2] = -1e-5;
    expect_bad(c, "g[1][2] = -1e-05");
    c->g[1 * 4 + 2] = NAN;
    expect_bad(c, "g[1][2] = nan");
    c->g[1 * 4 + 2] = 1e-5;
    c->r_col = INFINITY;
    expect_bad(c, "r_col = inf");
    c->r_col = 1;
    xb_circuit_use_row_segments(c, &err);
    c->r_row_seg[2 * 4 + 3] = -2;
    expect_bad(c, "r_row_seg[2][3] = -2");
    c->r_row_seg[2 * 4 + 3] = 0;
    xb_circuit_use_sense_cols(c, &err);
    c->r_sense_col[3] = NAN;
    expect_bad(c, "r_sense_col[3]");
    c->r_sense_col[3] = 5;
    XB_CHECK(xb_circuit_validate(c, &err) == XB_OK);
    XB_CHECK(!xb_circuit_is_ideal(c));
    /* gate-input refuses row resistances instead of ignoring them */
    c->topology = XB_TOPO_GATE_INPUT;
    c->r_row_seg[0] = 1;
    expect_bad(c, "r_row");
    c->r_row_seg[0] = 0;
    c->r_drv = 3;
    expect_bad(c, "r_drv");
    c->r_drv = 0;
    XB_CHECK(xb_circuit_validate(c, &err) == XB_OK);
    /* inputs */
    double bits[3] = {0, 1, 0.5};
    XB_CHECK(xb_circuit_check_inputs(c, bits, 1, &err) == XB_EINVAL);
    XB_CHECK_MSG(strstr(err.msg, "input[0][2] = 0.5") != NULL, "%s", err.msg);
    c->topology = XB_TOPO_INPUT_SOURCE;
    double volts[3] = {0, INFINITY, 1};
    XB_CHECK(xb_circuit_check_inputs(c, volts, 1, &err) == XB_EINVAL);

    /* the series access resistance folds into the cell */
    c->r_access = 1000;
    XB_CHECK(fabs(xb_circuit_cell_g(c, 1, 2) - 1.0 / (1e5 + 1000)) < 1e-20);

    /* ideal wires merge nodes; names are the documented ones */
    xb_circuit *d = xb_circuit_new(2, 2, &err);
    d->r_drv = 10;
    d->r_sense = 10;
    d->r_col = 1;
    xb_graph *g = xb_graph_new(d, &err);
    XB_CHECK(g != NULL);
    char name[32];
    /* r_row = 0: row nodes merge into the driver output d<i> */
    int r11 = xb_graph_node(g, XB_NODE_ROW, 1, 1);
    XB_CHECK(!strcmp(xb_graph_node_name(g, g->root[r11], name, sizeof name), "d1"));
    int c01 = xb_graph_node(g, XB_NODE_COL, 0, 1);
    XB_CHECK(!strcmp(xb_graph_node_name(g, g->root[c01], name, sizeof name), "c0_1"));
    xb_graph_free(g);
    xb_circuit_free(d);
    /* stripping the parasitics leaves an ideal, valid circuit with its cells */
    xb_circuit *w = xb_circuit_new(3, 4, &err);
    XB_CHECK(w != NULL);
    if (w) {
        w->g[5] = 2e-5;
        w->r_access = 100;
        w->r_row = 1;
        w->r_sense = 10;
        XB_CHECK(xb_circuit_use_col_segments(w, &err) == XB_OK && xb_circuit_use_driver_rows(w, &err) == XB_OK);
        w->r_drv_row[1] = 7;
        XB_CHECK(!xb_circuit_is_ideal(w));
        xb_circuit_strip_parasitics(w);
        XB_CHECK(xb_circuit_is_ideal(w) && xb_circuit_validate(w, &err) == XB_OK);
        XB_CHECK(!w->r_col_seg && !w->r_drv_row && w->r_row == 0 && w->r_sense == 0);
        XB_CHECK(w->g[5] == 2e-5 && w->r_access == 100);
        w->topology = XB_TOPO_GATE_INPUT;
        w->source_line = XB_SL_COLUMN;
        w->r_sl = 2;
        XB_CHECK(xb_circuit_use_sl_segments(w, &err) == XB_OK && !xb_circuit_is_ideal(w));
        xb_circuit_strip_parasitics(w);
        XB_CHECK(xb_circuit_is_ideal(w) && xb_circuit_validate(w, &err) == XB_OK && !w->r_sl_seg);
        xb_circuit_free(w);
    }
    xb_circuit_strip_parasitics(NULL);
    xb_circuit_free(c);
    XB_TEST_DONE();
}
