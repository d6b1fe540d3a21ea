/* sweep_params.c: the parameters of a sweep configuration: "base",
 * "baseline", "axes" and "plots".  Every value is checked through
 * xb_analog_config_set() as it is read. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sweep_internal.h"

/* The axes plotted when the configuration says nothing. */
static const char *const default_plots[] = {"rp", "alpha", "adc_bits"};

static xb_status nomem(xb_error *err)
{
    return xb_error_set(err, XB_ENOMEM, "out of memory reading the configuration");
}

/* A parameter value as text: a JSON number or string. */
static xb_status value_text(const cJSON *v, const char *path, const char *what, char *buf,
                            size_t len, xb_error *err)
{
    if (cJSON_IsNumber(v)) {
        xb_format_double(buf, len, v->valuedouble);
        return XB_OK;
    }
    if (cJSON_IsString(v)) {
        if (strlen(v->valuestring) >= len)
            return xb_error_set(err, XB_EINVAL, "%s: %s: value longer than %zu characters",
                                path, what, len - 1);
        if (strpbrk(v->valuestring, "\n\r"))
            return xb_error_set(err, XB_EINVAL, "%s: %s: a value cannot contain a line break",
                                path, what);
        snprintf(buf, len, "%s", v->valuestring);
        return XB_OK;
    }
    return xb_error_set(err, XB_EINVAL, "%s: %s: expected a number or a string, got %s", path,
                        what, cJSON_IsArray(v) ? "an array" : cJSON_IsObject(v) ? "an object"
                        : cJSON_IsBool(v) ? "a boolean" : cJSON_IsNull(v) ? "null"
                        : "something else");
}

/* A second member with the same name (cJSON keeps both). */
const cJSON *sw_json_duplicate(const cJSON *obj)
{
    for (const cJSON *a = obj->child; a; a = a->next)
        for (const cJSON *b = a->next; b; b = b->next)
            if (a->string && b->string && !strcmp(a->string, b->string))
                return b;
    return NULL;
}

/* Check that key = value is accepted, and return its canonical text. */
xb_status sw_param_check(const char *key, const char *value, char *canon, size_t len,
                             const char *path, const char *what, xb_error *err)
{
    xb_analog_config cfg;
    xb_analog_config_init(&cfg);
    xb_error e;
    xb_error_clear(&e);
    if (xb_analog_config_set(&cfg, key, value, &e) != XB_OK)
        return xb_error_set(err, XB_EINVAL, "%s: %s: %s", path, what, e.msg);
    if (canon && xb_analog_config_get(&cfg, key, canon, len, &e) != XB_OK)
        return xb_error_set(err, XB_EINVAL, "%s: %s: %s", path, what, e.msg);
    return XB_OK;
}

/* An object of parameters ("base", "baseline"). */
xb_status sw_params_get(const cJSON *obj, const char *name, const char *path,
                            xb_sweep_param **out, int *n, xb_error *err)
{
    *out = NULL;
    *n = 0;
    if (!cJSON_IsObject(obj))
        return xb_error_set(err, XB_EINVAL, "%s: '%s' must be an object of parameters, "
                            "e.g. {\"adc_bits\": 8}", path, name);
    const cJSON *dup = sw_json_duplicate(obj);
    if (dup)
        return xb_error_set(err, XB_EINVAL, "%s: %s.%s: given twice", path, name, dup->string);
    int count = cJSON_GetArraySize(obj);
    *out = calloc((size_t)count + 1, sizeof **out);
    if (!*out)
        return nomem(err);
    for (const cJSON *m = obj->child; m; m = m->next) {
        char what[160], text[XB_SWEEP_VALUE_LEN];
        snprintf(what, sizeof what, "%s.%s", name, m->string);
        if (value_text(m, path, what, text, sizeof text, err) != XB_OK ||
            sw_param_check(m->string, text, NULL, 0, path, what, err) != XB_OK)
            return err->code;
        xb_sweep_param *p = &(*out)[(*n)++];
        p->key = sw_strdup(m->string);
        p->value = sw_strdup(text);
        if (!p->key || !p->value)
            return nomem(err);
    }
    return XB_OK;
}

xb_status sw_axes_get(const cJSON *obj, const char *path, xb_sweep_config *c, xb_error *err)
{
    if (!cJSON_IsObject(obj))
        return xb_error_set(err, XB_EINVAL, "%s: 'axes' must be an object whose members are "
                            "arrays of values, e.g. {\"rp\": [0, 1e-5]}", path);
    const cJSON *dup = sw_json_duplicate(obj);
    if (dup)
        return xb_error_set(err, XB_EINVAL, "%s: axes.%s: given twice", path, dup->string);
    int count = cJSON_GetArraySize(obj);
    c->axes = calloc((size_t)count + 1, sizeof *c->axes);
    if (!c->axes)
        return nomem(err);
    c->n_points = 1;
    for (const cJSON *m = obj->child; m; m = m->next) {
        if (!cJSON_IsArray(m) || cJSON_GetArraySize(m) < 1)
            return xb_error_set(err, XB_EINVAL, "%s: axes.%s: expected a non-empty array of "
                                "values, e.g. [1, 2]", path, m->string);
        xb_sweep_axis *a = &c->axes[c->n_axes++];
        a->key = sw_strdup(m->string);
        int nv = cJSON_GetArraySize(m);
        a->values = calloc((size_t)nv, sizeof *a->values);
        char (*canon)[XB_SWEEP_VALUE_LEN] = calloc((size_t)nv, sizeof *canon);
        if (!a->key || !a->values || !canon) {
            free(canon);
            return nomem(err);
        }
        for (const cJSON *v = m->child; v; v = v->next) {
            char what[160], text[XB_SWEEP_VALUE_LEN];
            snprintf(what, sizeof what, "axes.%s[%d]", a->key, a->n);
            if (value_text(v, path, what, text, sizeof text, err) != XB_OK ||
                sw_param_check(a->key, text, canon[a->n], sizeof canon[a->n], path, what, err)) {
                free(canon);
                return err->code;
            }
            for (int k = 0; k < a->n; k++)
                if (!strcmp(canon[k], canon[a->n])) {
                    xb_error_set(err, XB_EINVAL, "%s: %s: the same value as axes.%s[%d] (%s)",
                                 path, what, a->key, k, a->values[k]);
                    free(canon);
                    return XB_EINVAL;
                }
            if (!(a->values[a->n++] = sw_strdup(text))) {
                free(canon);
                return nomem(err);
            }
        }
        free(canon);
        if (c->n_points > XB_SWEEP_MAX_POINTS / a->n)
            return xb_error_set(err, XB_EINVAL, "%s: the axes make more than %ld points", path,
                                XB_SWEEP_MAX_POINTS);
        c->n_points *= a->n;
    }
    return XB_OK;
}

static int axis_index(const xb_sweep_config *c, const char *key)
{
    for (int a = 0; a < c->n_axes; a++)
        if (!strcmp(c->axes[a].key, key))
            return a;
    return -1;
}

static xb_status add_plot(xb_sweep_config *c, const char *x, int log)
{
    xb_sweep_plot_spec *p = &c->plots[c->n_plots];
    if (!(p->x = sw_strdup(x)))
        return XB_ENOMEM;
    p->log = log;
    c->n_plots++;
    return XB_OK;
}

/* Plots name any parameter; only those on an axis of this sweep are drawn. */
xb_status sw_plots_get(const cJSON *v, const char *path, xb_sweep_config *c, xb_error *err)
{
    if (!v) {
        c->plots = calloc(sizeof default_plots / sizeof default_plots[0] + 1, sizeof *c->plots);
        if (!c->plots)
            return nomem(err);
        for (size_t i = 0; i < sizeof default_plots / sizeof default_plots[0]; i++)
            if (axis_index(c, default_plots[i]) >= 0 && add_plot(c, default_plots[i], -1))
                return nomem(err);
        if (c->n_plots == 0 && c->n_axes > 0 && add_plot(c, c->axes[0].key, -1))
            return nomem(err);
        return XB_OK;
    }
    if (!cJSON_IsArray(v))
        return xb_error_set(err, XB_EINVAL, "%s: 'plots' must be an array, e.g. [\"rp\"] or "
                            "[{\"x\": \"rp\", \"log\": true}]", path);
    c->plots = calloc((size_t)cJSON_GetArraySize(v) + 1, sizeof *c->plots);
    if (!c->plots)
        return nomem(err);
    int i = 0;
    for (const cJSON *p = v->child; p; p = p->next, i++) {
        const char *x = NULL;
        int log = -1;
        if (cJSON_IsString(p)) {
            x = p->valuestring;
        } else if (cJSON_IsObject(p)) {
            for (const cJSON *m = p->child; m; m = m->next) {
                if (!strcmp(m->string, "x") && cJSON_IsString(m)) {
                    x = m->valuestring;
                } else if (!strcmp(m->string, "log") && cJSON_IsBool(m)) {
                    log = cJSON_IsTrue(m);
                } else {
                    return xb_error_set(err, XB_EINVAL, "%s: plots[%d].%s: unknown or mistyped "
                                        "(a plot is {\"x\": \"<axis>\", \"log\": true|false})",
                                        path, i, m->string);
                }
            }
        }
        if (!x)
            return xb_error_set(err, XB_EINVAL, "%s: plots[%d]: expected an axis name or "
                                "{\"x\": \"<axis>\", \"log\": true|false}", path, i);
        char buf[XB_SWEEP_VALUE_LEN];
        xb_analog_config cfg;
        xb_analog_config_init(&cfg);
        xb_error e;
        if (xb_analog_config_get(&cfg, x, buf, sizeof buf, &e) != XB_OK)
            return xb_error_set(err, XB_EINVAL, "%s: plots[%d]: %s", path, i, e.msg);
        if (axis_index(c, x) >= 0 && add_plot(c, x, log))
            return nomem(err);
    }
    return XB_OK;
}

