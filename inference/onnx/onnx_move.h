/* onnx_move.h: index maps for the ops that move elements, and the helpers
 * the element-wise importers share (private to inference/onnx). */
#ifndef XB_ONNX_MOVE_H
#define XB_ONNX_MOVE_H

#include "onnx_node.h"

/* Rank and dimensions of a value, activation or constant. */
static inline int xb_onnx_rank_of(const xb_model *m, int id)
{
    return m->vals[id].kind == XB_VAL_ACT ? m->vals[id].rank : m->vals[id].c->rank;
}

static inline const int64_t *xb_onnx_dims_of(const xb_model *m, int id)
{
    return m->vals[id].kind == XB_VAL_ACT ? m->vals[id].dims : m->vals[id].c->dims;
}

/* The next index after o over dims (dimensions first .. rank-1, the last
 * fastest); 0 after the last one (o back at zeros). */
static inline int xb_onnx_next_index(int64_t *o, const int64_t *dims, int rank, int first)
{
    for (int d = rank - 1; d >= first; d--) {
        if (++o[d] < dims[d]) return 1;
        o[d] = 0;
    }
    return 0;
}

/* The flat index (dimensions first .. r-1) into a tensor of rank r, dims d,
 * of output index o of rank ro, the tensor aligned at the right (NumPy
 * broadcasting): its dimensions of 1 are read at 0. */
static inline int64_t xb_onnx_bcast_index(const int64_t *o, int ro, const int64_t *d, int r, int first)
{
    int64_t f = 0;
    for (int q = first; q < r; q++)
        f = f * d[q] + (d[q] == 1 ? 0 : o[q + ro - r]);
    return f;
}

/* NumPy broadcasting of shapes a (rank ra) and b (rank rb), aligned at the
 * right, into o (rank *ro); skip0: dimension 0 is the batch, left at 0. */
xb_status xb_onnx_bcast_shape(xb_onnx_node *x, int ra, const int64_t *a, int rb, const int64_t *b, int skip0,
                              int *ro, int64_t *o);

/* Where output element o (a full-rank index) comes from: input *k at index
 * i (full rank; i[0] is ignored for activations).  0: the fill value. */
typedef int (*xb_move_fn)(const void *ctx, const int64_t *o, int *k, int64_t *i);

/* Output k of the node (rank/odims; odims[0] ignored for activations) made
 * by f from inputs in_ids: a MOVE step for activations, a folded constant
 * for constants. */
xb_status xb_onnx_move(xb_onnx_node *x, size_t k, const int *in_ids, int nin, int orank, const int64_t *odims,
                       xb_move_fn f, const void *ctx, float fill);
/* The same into the value `name` (an intermediate of the node). */
xb_status xb_onnx_move_to(xb_onnx_node *x, const char *name, const int *in_ids, int nin, int orank,
                          const int64_t *odims, xb_move_fn f, const void *ctx, float fill);
/* Value `name` = activation or constant xi with its dimensions permuted
 * (output dimension d is input dimension perm[d]). */
xb_status xb_onnx_permute_to(xb_onnx_node *x, const char *name, int xi, const int *perm);
/* Output k as a new activation. */
xb_status xb_onnx_out_act_k(xb_onnx_node *x, size_t k, int rank, const int64_t *dims, int *id);
/* axis normalized against rank (negative counts from the end); refused when
 * out of range, or 0 on an activation (the batch). */
xb_status xb_onnx_axis(xb_onnx_node *x, int64_t axis, int rank, int act, const char *what, int *out);
/* Constant integer input k (int64 or int32, rank <= 1) into out; *n = -1
 * when the input is absent. */
xb_status xb_onnx_const_ints(xb_onnx_node *x, size_t k, const char *role, int64_t *out, int max, int *n);
/* The view (or relayout) of activation xi reshaped to rank/odims. */
xb_status xb_onnx_reshape_act(xb_onnx_node *x, int xi, int rank, const int64_t *odims);
/* Constant ci with its dims replaced (the same elements). */
xb_status xb_onnx_reshape_const(xb_onnx_node *x, int ci, int rank, const int64_t *dims);

xb_status xb_onnx_import_concat(xb_onnx_node *x);
xb_status xb_onnx_import_slice(xb_onnx_node *x);
xb_status xb_onnx_import_split(xb_onnx_node *x);
xb_status xb_onnx_import_transpose(xb_onnx_node *x);
xb_status xb_onnx_import_pad(xb_onnx_node *x);
xb_status xb_onnx_import_expand(xb_onnx_node *x);
xb_status xb_onnx_import_gather(xb_onnx_node *x);
/* onnx_op_elem.c */
xb_status xb_onnx_import_squeeze(xb_onnx_node *x, int unsqueeze);
xb_status xb_onnx_import_dropout(xb_onnx_node *x);
xb_status xb_onnx_import_cast(xb_onnx_node *x);
xb_status xb_onnx_import_shape(xb_onnx_node *x);
xb_status xb_onnx_import_unary(xb_onnx_node *x);
xb_status xb_onnx_import_binary(xb_onnx_node *x);
xb_status xb_onnx_import_reduce_mean(xb_onnx_node *x);
/* onnx_op_attn.c */
xb_status xb_onnx_import_softmax(xb_onnx_node *x);
xb_status xb_onnx_import_layernorm(xb_onnx_node *x);
xb_status xb_onnx_import_matmul_act(xb_onnx_node *x, int ai, int bi);
xb_status xb_onnx_import_select(xb_onnx_node *x);

#endif
