/* sweep_columns.c: the columns of a sweep's results file, and the text that
 * identifies a task's row: its kind, every parameter, the model, the dataset
 * and the image count. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep_internal.h"

/* Columns after the parameters: the first three identify a row too. */
static const char *const id_tail[] = {"model", "dataset", "images"};
const char *const sw_result_cols[SW_N_RESULT] = {
    "correct", "top1", "ci_low", "ci_high", "seconds", "cpu_seconds", "calib_seconds",
    "program_s", "solve_s", "adc_s", "digital_s", "tiles", "mvm_vectors", "config_hash",
    "git_version",
};

char *sw_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}
#define dup_str sw_strdup

void sw_buf_add(sw_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sw_buf_field(sw_buf *b, const char *s)
{
    char *f = sw_csv_field(s);
    if (!f) {
        b->failed = 1;
        return;
    }
    if (b->len)
        sw_buf_add(b, ",", 1);
    sw_buf_add(b, f, strlen(f));
    free(f);
}

static int has_key(char **keys, int n, const char *k)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(keys[i], k))
            return 1;
    return 0;
}

/* The parameter columns follow the axes: every key of xb_analog_config_key(),
 * in its order, then any other key of "base". */
xb_status sw_columns_make(const xb_sweep_config *c, sw_columns *cols, xb_error *err)
{
    memset(cols, 0, sizeof *cols);
    int n_table = 0;
    while (xb_analog_config_key(n_table))
        n_table++;
    int cap = c->n_axes + c->n_base + n_table;
    cols->keys = calloc((size_t)cap, sizeof *cols->keys);
    cols->names = calloc((size_t)cap + 4 + SW_N_RESULT, sizeof *cols->names);
    if (!cols->keys || !cols->names)
        goto nomem;
    xb_analog_config cfg;
    xb_analog_config_init(&cfg);
    char buf[XB_SWEEP_VALUE_LEN];
    for (int a = 0; a < c->n_axes; a++)
        if (!(cols->keys[cols->n_keys++] = dup_str(c->axes[a].key)))
            goto nomem;
    for (int k = 0; k < n_table; k++) {
        const char *key = xb_analog_config_key(k)->key;
        if (!has_key(cols->keys, cols->n_keys, key) &&
            xb_analog_config_get(&cfg, key, buf, sizeof buf, NULL) == XB_OK)
            if (!(cols->keys[cols->n_keys++] = dup_str(key)))
                goto nomem;
    }
    for (int b = 0; b < c->n_base; b++)
        if (!has_key(cols->keys, cols->n_keys, c->base[b].key))
            if (!(cols->keys[cols->n_keys++] = dup_str(c->base[b].key)))
                goto nomem;
    if (!(cols->names[cols->n++] = dup_str("kind")))
        goto nomem;
    for (int k = 0; k < cols->n_keys; k++)
        if (!(cols->names[cols->n++] = dup_str(cols->keys[k])))
            goto nomem;
    for (int k = 0; k < 3; k++)
        if (!(cols->names[cols->n++] = dup_str(id_tail[k])))
            goto nomem;
    cols->n_id = cols->n;
    for (int k = 0; k < SW_N_RESULT; k++)
        if (!(cols->names[cols->n++] = dup_str(sw_result_cols[k])))
            goto nomem;
    return XB_OK;
nomem:
    sw_columns_free(cols);
    return xb_error_set(err, XB_ENOMEM, "out of memory");
}

void sw_columns_free(sw_columns *cols)
{
    for (int i = 0; cols->names && i < cols->n; i++)
        free(cols->names[i]);
    for (int i = 0; cols->keys && i < cols->n_keys; i++)
        free(cols->keys[i]);
    free(cols->names);
    free(cols->keys);
    memset(cols, 0, sizeof *cols);
}

char *sw_csv_field(const char *s)
{
    int quote = strpbrk(s, ",\"\n\r") != NULL;
    size_t n = strlen(s);
    char *out = malloc(2 * n + 3), *o = out;
    if (!out)
        return NULL;
    if (quote)
        *o++ = '"';
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            *o++ = '"';
        *o++ = (*p == '\n' || *p == '\r') ? ' ' : *p;
    }
    if (quote)
        *o++ = '"';
    *o = '\0';
    return out;
}

/* The library prints numbers with 17 digits ("1.0000000000000001e-05"); the
 * file holds the shortest text that reads back as the same double ("1e-05"). */
static void shorten(char *v, size_t len)
{
    double d;
    char buf[64];
    if (!xb_parse_double(v, &d))
        return;
    xb_format_double(buf, sizeof buf, d);
    if (strlen(buf) < len)
        memcpy(v, buf, strlen(buf) + 1);
}

xb_status sw_task_id(const xb_sweep_config *c, const sw_columns *cols, long t, long images,
                        char **id, xb_error *err)
{
    *id = NULL;
    xb_analog_config cfg;
    if (xb_sweep_task_config(c, t, &cfg, err) != XB_OK)
        return err->code;
    sw_buf b = {0};
    sw_buf_field(&b, t == XB_SWEEP_BASELINE ? "baseline" : "point");
    for (int k = 0; k < cols->n_keys; k++) {
        char v[XB_SWEEP_VALUE_LEN];
        if (xb_analog_config_get(&cfg, cols->keys[k], v, sizeof v, err) != XB_OK) {
            free(b.s);
            return err->code;
        }
        shorten(v, sizeof v);
        sw_buf_field(&b, v);
    }
    char n[32];
    snprintf(n, sizeof n, "%ld", images);
    sw_buf_field(&b, c->model_name);
    sw_buf_field(&b, c->dataset_name);
    sw_buf_field(&b, n);
    if (b.failed) {
        free(b.s);
        return xb_error_set(err, XB_ENOMEM, "out of memory");
    }
    *id = b.s;
    return XB_OK;
}

char *sw_header_line(const sw_columns *cols)
{
    sw_buf b = {0};
    for (int i = 0; i < cols->n; i++)
        sw_buf_field(&b, cols->names[i]);
    sw_buf_add(&b, "\n", 1);
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

