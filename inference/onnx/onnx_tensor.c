/* onnx_tensor.c: ONNX TensorProto and AttributeProto decoding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_impl.h"

size_t xb_dtype_size(xb_dtype t)
{
    switch (t) {
    case XB_DT_FLOAT:
        return 4;
    case XB_DT_INT8:
        return 1;
    case XB_DT_UINT8:
        return 1;
    case XB_DT_INT32:
        return 4;
    case XB_DT_INT64:
        return 8;
    }
    return 0;
}

const char *xb_dtype_name(xb_dtype t)
{
    switch (t) {
    case XB_DT_FLOAT:
        return "float32";
    case XB_DT_INT8:
        return "int8";
    case XB_DT_UINT8:
        return "uint8";
    case XB_DT_INT32:
        return "int32";
    case XB_DT_INT64:
        return "int64";
    }
    return "?";
}

xb_const *xb_const_new(xb_dtype dtype, int rank, const int64_t *dims)
{
    if (rank < 0 || rank > XB_MAX_RANK) return NULL;
    xb_const *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->dtype = dtype;
    c->rank = rank;
    c->count = 1;
    c->q_axis = -1;
    for (int i = 0; i < rank; i++) {
        c->dims[i] = dims[i];
        c->count *= dims[i];
    }
    /* one extra element so that empty tensors still get a valid pointer */
    c->data = calloc((size_t)c->count + 1, xb_dtype_size(dtype));
    if (!c->data) {
        free(c);
        return NULL;
    }
    return c;
}

void xb_const_free(xb_const *c)
{
    if (!c) return;
    free(c->data);
    free(c->q);
    free(c->q_scale);
    free(c->q_zero);
    free(c);
}

xb_const *xb_const_copy(const xb_const *c)
{
    xb_const *d = xb_const_new(c->dtype, c->rank, c->dims);
    if (!d) return NULL;
    memcpy(d->data, c->data, (size_t)c->count * xb_dtype_size(c->dtype));
    if (c->q) {
        d->q = malloc((size_t)c->count + 1);
        d->q_scale = malloc(sizeof(float) * (size_t)c->q_nscale);
        d->q_zero = malloc((size_t)c->q_nscale);
        if (!d->q || !d->q_scale || !d->q_zero) {
            xb_const_free(d);
            return NULL;
        }
        memcpy(d->q, c->q, (size_t)c->count);
        memcpy(d->q_scale, c->q_scale, sizeof(float) * (size_t)c->q_nscale);
        memcpy(d->q_zero, c->q_zero, (size_t)c->q_nscale);
        d->q_nscale = c->q_nscale;
        d->q_axis = c->q_axis;
    }
    return d;
}

double xb_const_get(const xb_const *c, int64_t i)
{
    switch (c->dtype) {
    case XB_DT_FLOAT:
        return ((const float *)c->data)[i];
    case XB_DT_INT8:
        return ((const int8_t *)c->data)[i];
    case XB_DT_UINT8:
        return ((const uint8_t *)c->data)[i];
    case XB_DT_INT32:
        return ((const int32_t *)c->data)[i];
    case XB_DT_INT64:
        return (double)((const int64_t *)c->data)[i];
    }
    return 0;
}

static const char *onnx_type_name(int32_t t)
{
    static const char *names[] = {"UNDEFINED",  "FLOAT",   "UINT8",  "INT8",   "UINT16",
                                  "INT16",      "INT32",   "INT64",  "STRING", "BOOL",
                                  "FLOAT16",    "DOUBLE",  "UINT32", "UINT64", "COMPLEX64",
                                  "COMPLEX128", "BFLOAT16"};
    if (t >= 0 && t < (int32_t)(sizeof names / sizeof names[0])) return names[t];
    return "unknown";
}

/* Little-endian loads: raw_data is little-endian whatever the host. */
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The layout checks: data inside the file, not segmented, a supported rank,
 * dimensions that are not negative and whose product stays bounded. */
static xb_status check_layout(const Onnx__TensorProto *t, const char *what, int64_t *count,
                              xb_error *err)
{
    if ((t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
        t->n_external_data > 0) {
        const char *loc = "?";
        for (size_t i = 0; i < t->n_external_data; i++)
            if (t->external_data[i]->key && !strcmp(t->external_data[i]->key, "location") &&
                t->external_data[i]->value)
                loc = t->external_data[i]->value;
        return xb_error_set(err, XB_EUNSUPPORTED,
                            "%s keeps its data in an external file ('%s'): external data is "
                            "not supported; save the model with all tensors inside the .onnx file",
                            what, loc);
    }
    if (t->segment)
        return xb_error_set(err, XB_EUNSUPPORTED, "%s is segmented: not supported", what);
    if (t->n_dims > XB_MAX_RANK)
        return xb_error_set(err, XB_EUNSUPPORTED, "%s has rank %zu (at most %d supported)", what,
                            t->n_dims, XB_MAX_RANK);
    *count = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0)
            return xb_error_set(err, XB_EFORMAT, "%s: dimension %zu is negative (%lld)", what, i,
                                (long long)t->dims[i]);
        if (t->dims[i] > 0 && *count > XB_MAX_ELEMS / t->dims[i])
            return xb_error_set(err, XB_ETOOBIG, "%s: too many elements", what);
        *count *= t->dims[i];
    }
    return XB_OK;
}

/* How an ONNX element type is held: the xbar type, the bytes per element in
 * raw_data, and the typed field (and its length) that holds it otherwise. */
typedef struct {
    xb_dtype dt;
    size_t src_size;
    const char *field;
    size_t have;
} elem_layout;

static xb_status elem_of(const Onnx__TensorProto *t, int32_t ot, const char *what, elem_layout *e,
                         xb_error *err)
{
    e->field = "int32_data";
    e->have = t->n_int32_data;
    switch (ot) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
        *e = (elem_layout){XB_DT_FLOAT, 4, "float_data", t->n_float_data};
        return XB_OK;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
        *e = (elem_layout){XB_DT_FLOAT, 8, "double_data", t->n_double_data};
        return XB_OK;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
        e->dt = XB_DT_INT8;
        e->src_size = 1;
        return XB_OK;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
        e->dt = XB_DT_UINT8;
        e->src_size = 1;
        return XB_OK;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
        e->dt = XB_DT_INT32;
        e->src_size = 4;
        return XB_OK;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        *e = (elem_layout){XB_DT_INT64, 8, "int64_data", t->n_int64_data};
        return XB_OK;
    default:
        return xb_error_set(err, XB_EUNSUPPORTED,
                            "%s has data type %s (%d): not supported "
                            "(float, double, int8, uint8, int32, int64 are)",
                            what, onnx_type_name(ot), (int)ot);
    }
}

/* n elements of type ot from little-endian raw_data into c. */
static void decode_raw(const Onnx__TensorProto *t, int32_t ot, size_t n, xb_const *c)
{
    const uint8_t *p = t->raw_data.data;
    for (size_t i = 0; i < n; i++) {
        switch (ot) {
        case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: {
            uint32_t u = le32(p + 4 * i);
            memcpy((float *)c->data + i, &u, 4);
            break;
        }
        case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: {
            uint64_t u = le64(p + 8 * i);
            double d;
            memcpy(&d, &u, 8);
            ((float *)c->data)[i] = (float)d;
            break;
        }
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
            ((int8_t *)c->data)[i] = (int8_t)p[i];
            break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
            ((uint8_t *)c->data)[i] = p[i];
            break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
            ((int32_t *)c->data)[i] = (int32_t)le32(p + 4 * i);
            break;
        default: /* INT64 */
            ((int64_t *)c->data)[i] = (int64_t)le64(p + 8 * i);
            break;
        }
    }
}

/* n elements of type ot from the typed fields into c; 8-bit values arrive in
 * int32_data and must fit their type. */
static xb_status decode_typed(const Onnx__TensorProto *t, int32_t ot, size_t n, xb_const *c,
                              const char *what, xb_error *err)
{
    for (size_t i = 0; i < n; i++) {
        switch (ot) {
        case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
            ((float *)c->data)[i] = t->float_data[i];
            break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
            ((float *)c->data)[i] = (float)t->double_data[i];
            break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
            ((int64_t *)c->data)[i] = t->int64_data[i];
            break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
            ((int32_t *)c->data)[i] = t->int32_data[i];
            break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
            if (t->int32_data[i] < -128 || t->int32_data[i] > 127)
                goto range;
            ((int8_t *)c->data)[i] = (int8_t)t->int32_data[i];
            break;
        default: /* UINT8 */
            if (t->int32_data[i] < 0 || t->int32_data[i] > 255)
                goto range;
            ((uint8_t *)c->data)[i] = (uint8_t)t->int32_data[i];
            break;
        }
        continue;
    range:
        return xb_error_set(err, XB_EFORMAT, "%s: int32_data[%zu] = %d is out of range for %s",
                            what, i, (int)t->int32_data[i], onnx_type_name(ot));
    }
    return XB_OK;
}

xb_status xb_onnx_tensor(const Onnx__TensorProto *t, const char *what, xb_const **out,
                         xb_error *err)
{
    *out = NULL;
    int64_t count = 0;
    xb_status s = check_layout(t, what, &count, err);
    if (s != XB_OK)
        return s;
    int32_t ot = t->has_data_type ? t->data_type : 0;
    elem_layout e = {XB_DT_FLOAT, 0, "", 0};
    if ((s = elem_of(t, ot, what, &e, err)) != XB_OK)
        return s;
    size_t n = (size_t)count;
    int raw = t->has_raw_data && (t->raw_data.len > 0 || count == 0);
    /* Check the payload size before allocating: a corrupt shape must not
     * turn into a huge allocation. */
    if (raw && t->raw_data.len != n * e.src_size)
        return xb_error_set(err, XB_EFORMAT,
                            "%s: raw_data has %zu bytes, its shape and type need %zu", what,
                            t->raw_data.len, n * e.src_size);
    if (!raw && e.have != n)
        return xb_error_set(err, XB_EFORMAT, "%s: %s has %zu values, its shape needs %zu", what,
                            e.field, e.have, n);
    int64_t dims[XB_MAX_RANK];
    for (size_t i = 0; i < t->n_dims; i++)
        dims[i] = t->dims[i];
    xb_const *c = xb_const_new(e.dt, (int)t->n_dims, dims);
    if (!c)
        return xb_error_set(err, XB_ENOMEM, "%s: out of memory (%lld elements)", what,
                            (long long)count);
    if (raw) {
        decode_raw(t, ot, n, c);
    } else if ((s = decode_typed(t, ot, n, c, what, err)) != XB_OK) {
        xb_const_free(c);
        return s;
    }
    *out = c;
    return XB_OK;
}

/* ---- attributes -------------------------------------------------------------- */

const Onnx__AttributeProto *xb_onnx_attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name)) return n->attribute[i];
    return NULL;
}

static int attr_type_is(const Onnx__AttributeProto *a, Onnx__AttributeProto__AttributeType t)
{
    /* IR < 3 files may omit the type field; accept the value that is present. */
    return !a->has_type || a->type == t;
}

xb_status xb_onnx_attr_int(const Onnx__NodeProto *n, const char *name, int64_t def, int64_t *out,
                           xb_error *err)
{
    const Onnx__AttributeProto *a = xb_onnx_attr(n, name);
    *out = def;
    if (!a) return XB_OK;
    if (!attr_type_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT) || (!a->has_type && !a->has_i))
        return xb_error_set(err, XB_EFORMAT, "attribute '%s' should be an int", name);
    *out = a->i;
    return XB_OK;
}

xb_status xb_onnx_attr_float(const Onnx__NodeProto *n, const char *name, float def, float *out,
                             xb_error *err)
{
    const Onnx__AttributeProto *a = xb_onnx_attr(n, name);
    *out = def;
    if (!a) return XB_OK;
    if (!attr_type_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT) ||
        (!a->has_type && !a->has_f))
        return xb_error_set(err, XB_EFORMAT, "attribute '%s' should be a float", name);
    if (!isfinite(a->f)) return xb_error_set(err, XB_EFORMAT, "attribute '%s' is not finite", name);
    *out = a->f;
    return XB_OK;
}

xb_status xb_onnx_attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, int max,
                            int *count, xb_error *err)
{
    const Onnx__AttributeProto *a = xb_onnx_attr(n, name);
    *count = -1;
    if (!a) return XB_OK;
    if (!attr_type_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS))
        return xb_error_set(err, XB_EFORMAT, "attribute '%s' should be a list of ints", name);
    if (a->n_ints > (size_t)max)
        return xb_error_set(err, XB_EUNSUPPORTED,
                            "attribute '%s' has %zu values (at most %d "
                            "supported)",
                            name, a->n_ints, max);
    for (size_t i = 0; i < a->n_ints; i++)
        out[i] = a->ints[i];
    *count = (int)a->n_ints;
    return XB_OK;
}

xb_status xb_onnx_attr_string(const Onnx__NodeProto *n, const char *name, char *buf, size_t size,
                              xb_error *err)
{
    const Onnx__AttributeProto *a = xb_onnx_attr(n, name);
    buf[0] = '\0';
    if (!a) return XB_OK;
    if (!attr_type_is(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING) ||
        (!a->has_type && !a->has_s))
        return xb_error_set(err, XB_EFORMAT, "attribute '%s' should be a string", name);
    size_t len = a->s.len < size - 1 ? a->s.len : size - 1;
    if (len) memcpy(buf, a->s.data, len);
    buf[len] = '\0';
    return XB_OK;
}
