/* sweep_config.c: the JSON configuration of `xbar sweep` (docs/sweep.md). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "xb_sweep.h"

#define CONFIG_MAX_BYTES (1L << 20) /* a configuration is a few hundred bytes */
#define MAX_IMAGES 1000000000L
#define MAX_BATCH 65536

static const char *const top_keys[] = {
    "description", "model", "dataset", "labels", "calibration_dataset", "calibration_labels",
    "images", "batch", "calibration_images", "cache_dir", "base", "baseline", "axes", "plots",
    "output", "title",
};

/* The axes plotted when the configuration says nothing. */
static const char *const default_plots[] = {"rp", "alpha", "adc_bits"};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static xb_status nomem(xb_error *err)
{
    return xb_error_set(err, XB_ENOMEM, "out of memory reading the configuration");
}

/* dir/p unless p is absolute (or dir is "."). */
static char *resolve(const char *dir, const char *p)
{
    if (p[0] == '/' || !strcmp(dir, "."))
        return dup_str(p);
    size_t n = strlen(dir) + strlen(p) + 2;
    char *r = malloc(n);
    if (r)
        snprintf(r, n, "%s/%s", dir, p);
    return r;
}

static char *read_file(const char *path, xb_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        xb_error_set(err, XB_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(CONFIG_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        nomem(err);
        return NULL;
    }
    size_t n = fread(buf, 1, CONFIG_MAX_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        xb_error_set(err, XB_EIO, "%s: read error", path);
        free(buf);
        return NULL;
    }
    if (n > CONFIG_MAX_BYTES) {
        xb_error_set(err, XB_EFORMAT, "%s: larger than %ld bytes; not a sweep configuration",
                     path, CONFIG_MAX_BYTES);
        free(buf);
        return NULL;
    }
    if (memchr(buf, '\0', n)) {
        xb_error_set(err, XB_EFORMAT, "%s: contains a NUL byte; not a JSON file", path);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* "line L, column C" of position pos in text. */
static void where(const char *text, const char *pos, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (const char *p = text; p < pos && *p; p++) {
        if (*p == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

/* The shortest text that reads back as v: integers without a point, others
 * with up to 17 significant digits. */
static void number_text(double v, char *buf, size_t len)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        snprintf(buf, len, "%.0f", v);
        return;
    }
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, len, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* A parameter value as text: a JSON number or string. */
static xb_status value_text(const cJSON *v, const char *path, const char *what, char *buf,
                            size_t len, xb_error *err)
{
    if (cJSON_IsNumber(v)) {
        number_text(v->valuedouble, buf, len);
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
static const cJSON *duplicate_member(const cJSON *obj)
{
    for (const cJSON *a = obj->child; a; a = a->next)
        for (const cJSON *b = a->next; b; b = b->next)
            if (a->string && b->string && !strcmp(a->string, b->string))
                return b;
    return NULL;
}

static xb_status get_string(const cJSON *root, const char *key, const char *path, char **out,
                            xb_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    *out = NULL;
    if (!v)
        return XB_OK;
    if (!cJSON_IsString(v) || !v->valuestring[0])
        return xb_error_set(err, XB_EINVAL, "%s: '%s' must be a non-empty string", path, key);
    *out = dup_str(v->valuestring);
    return *out ? XB_OK : nomem(err);
}

/* A positive integer no larger than max, or absent (out untouched). */
static xb_status get_count(const cJSON *root, const char *key, long max, const char *path,
                           long *out, xb_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v)
        return XB_OK;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 1 ||
        v->valuedouble > (double)max) {
        char text[64] = "";
        if (cJSON_IsNumber(v))
            number_text(v->valuedouble, text, sizeof text);
        return xb_error_set(err, XB_EINVAL, "%s: '%s' must be an integer from 1 to %ld%s%s%s",
                            path, key, max, text[0] ? ", got " : "", text,
                            cJSON_IsString(v) ? " (a string)" : "");
    }
    *out = (long)v->valuedouble;
    return XB_OK;
}

/* Check that key = value is accepted, and return its canonical text. */
static xb_status check_param(const char *key, const char *value, char *canon, size_t len,
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
static xb_status get_params(const cJSON *obj, const char *name, const char *path,
                            sweep_param **out, int *n, xb_error *err)
{
    *out = NULL;
    *n = 0;
    if (!cJSON_IsObject(obj))
        return xb_error_set(err, XB_EINVAL, "%s: '%s' must be an object of parameters, "
                            "e.g. {\"adc_bits\": 8}", path, name);
    const cJSON *dup = duplicate_member(obj);
    if (dup)
        return xb_error_set(err, XB_EINVAL, "%s: %s.%s: given twice", path, name, dup->string);
    int count = cJSON_GetArraySize(obj);
    *out = calloc((size_t)count + 1, sizeof **out);
    if (!*out)
        return nomem(err);
    for (const cJSON *m = obj->child; m; m = m->next) {
        char what[160], text[SWEEP_VALUE_LEN];
        snprintf(what, sizeof what, "%s.%s", name, m->string);
        if (value_text(m, path, what, text, sizeof text, err) != XB_OK ||
            check_param(m->string, text, NULL, 0, path, what, err) != XB_OK)
            return err->code;
        sweep_param *p = &(*out)[(*n)++];
        p->key = dup_str(m->string);
        p->value = dup_str(text);
        if (!p->key || !p->value)
            return nomem(err);
    }
    return XB_OK;
}

static xb_status get_axes(const cJSON *obj, const char *path, sweep_config *c, xb_error *err)
{
    if (!cJSON_IsObject(obj))
        return xb_error_set(err, XB_EINVAL, "%s: 'axes' must be an object whose members are "
                            "arrays of values, e.g. {\"rp\": [0, 1e-5]}", path);
    const cJSON *dup = duplicate_member(obj);
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
        sweep_axis *a = &c->axes[c->n_axes++];
        a->key = dup_str(m->string);
        int nv = cJSON_GetArraySize(m);
        a->values = calloc((size_t)nv, sizeof *a->values);
        char (*canon)[SWEEP_VALUE_LEN] = calloc((size_t)nv, sizeof *canon);
        if (!a->key || !a->values || !canon) {
            free(canon);
            return nomem(err);
        }
        for (const cJSON *v = m->child; v; v = v->next) {
            char what[160], text[SWEEP_VALUE_LEN];
            snprintf(what, sizeof what, "axes.%s[%d]", a->key, a->n);
            if (value_text(v, path, what, text, sizeof text, err) != XB_OK ||
                check_param(a->key, text, canon[a->n], sizeof canon[a->n], path, what, err)) {
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
            if (!(a->values[a->n++] = dup_str(text))) {
                free(canon);
                return nomem(err);
            }
        }
        free(canon);
        if (c->n_points > SWEEP_MAX_POINTS / a->n)
            return xb_error_set(err, XB_EINVAL, "%s: the axes make more than %ld points", path,
                                SWEEP_MAX_POINTS);
        c->n_points *= a->n;
    }
    return XB_OK;
}

static int axis_index(const sweep_config *c, const char *key)
{
    for (int a = 0; a < c->n_axes; a++)
        if (!strcmp(c->axes[a].key, key))
            return a;
    return -1;
}

static xb_status add_plot(sweep_config *c, const char *x, int log)
{
    sweep_plot_spec *p = &c->plots[c->n_plots];
    if (!(p->x = dup_str(x)))
        return XB_ENOMEM;
    p->log = log;
    c->n_plots++;
    return XB_OK;
}

/* Plots name any parameter; only those on an axis of this sweep are drawn. */
static xb_status get_plots(const cJSON *v, const char *path, sweep_config *c, xb_error *err)
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
        char buf[SWEEP_VALUE_LEN];
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

/* "fashion-mnist:DIR" with DIR resolved against dir. */
static char *resolve_spec(const char *dir, const char *spec)
{
    const char *colon = strchr(spec, ':');
    if (!colon || !colon[1])
        return dup_str(spec);
    char *folder = resolve(dir, colon + 1);
    if (!folder)
        return NULL;
    size_t n = (size_t)(colon - spec) + strlen(folder) + 2;
    char *r = malloc(n);
    if (r)
        snprintf(r, n, "%.*s:%s", (int)(colon - spec), spec, folder);
    free(folder);
    return r;
}

static xb_status parse(const cJSON *root, const char *path, const char *dir, sweep_config *c,
                       xb_error *err)
{
    if (!cJSON_IsObject(root))
        return xb_error_set(err, XB_EINVAL, "%s: the configuration must be a JSON object", path);
    const cJSON *dup = duplicate_member(root);
    if (dup)
        return xb_error_set(err, XB_EINVAL, "%s: '%s' is given twice", path, dup->string);
    for (const cJSON *m = root->child; m; m = m->next) {
        size_t k = 0, nk = sizeof top_keys / sizeof top_keys[0];
        while (k < nk && strcmp(m->string, top_keys[k]))
            k++;
        if (k == nk)
            return xb_error_set(err, XB_EINVAL, "%s: unknown key '%s' (known: model, dataset, "
                                "labels, calibration_dataset, calibration_labels, images, "
                                "batch, calibration_images, cache_dir, base, baseline, axes, "
                                "plots, output, title, description)", path, m->string);
    }
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(root, "description");
    if (desc && !cJSON_IsString(desc))
        return xb_error_set(err, XB_EINVAL, "%s: 'description' must be a string", path);

    char *model = NULL, *dataset = NULL, *labels = NULL, *cal = NULL, *cal_labels = NULL;
    xb_status s = XB_OK;
    if ((s = get_string(root, "model", path, &model, err)) ||
        (s = get_string(root, "dataset", path, &dataset, err)) ||
        (s = get_string(root, "labels", path, &labels, err)) ||
        (s = get_string(root, "calibration_dataset", path, &cal, err)) ||
        (s = get_string(root, "calibration_labels", path, &cal_labels, err)) ||
        (s = get_string(root, "cache_dir", path, &c->cache_dir, err)) ||
        (s = get_string(root, "output", path, &c->output, err)) ||
        (s = get_string(root, "title", path, &c->title, err)))
        goto done;
    if (!model) {
        s = xb_error_set(err, XB_EINVAL, "%s: 'model' is required (an ONNX file)", path);
        goto done;
    }
    if (!dataset) {
        s = xb_error_set(err, XB_EINVAL, "%s: 'dataset' is required (fashion-mnist[:DIR] or "
                         "imagenet:DIR)", path);
        goto done;
    }
    c->model_name = model;
    model = NULL;
    c->dataset_name = dataset;
    dataset = NULL;
    if (!(c->model = resolve(dir, c->model_name)) ||
        !(c->dataset = resolve_spec(dir, c->dataset_name)) ||
        (labels && !(c->labels = resolve(dir, labels))) ||
        (cal_labels && !(c->calib_labels = resolve(dir, cal_labels)))) {
        s = nomem(err);
        goto done;
    }
    if (cal) {
        c->calib_dataset = resolve_spec(dir, cal);
    } else if (!strncmp(c->dataset_name, "fashion-mnist", 13)) {
        /* The training split of the same files. */
        const char *colon = strchr(c->dataset, ':');
        size_t n = strlen(c->dataset) + 32;
        if ((c->calib_dataset = malloc(n)))
            snprintf(c->calib_dataset, n, "fashion-mnist-train%s", colon ? colon : "");
    } else {
        s = xb_error_set(err, XB_EINVAL, "%s: 'calibration_dataset' is required with dataset "
                         "'%s' (calibrate on training images, never on the test images)",
                         path, c->dataset_name);
        goto done;
    }
    if (!c->calib_dataset) {
        s = nomem(err);
        goto done;
    }

    const cJSON *images = cJSON_GetObjectItemCaseSensitive(root, "images");
    if (cJSON_IsString(images) && !strcmp(images->valuestring, "all"))
        c->images = 0;
    else if ((s = get_count(root, "images", MAX_IMAGES, path, &c->images, err)))
        goto done;
    long batch = 0, calib = 0;
    if ((s = get_count(root, "batch", MAX_BATCH, path, &batch, err)) ||
        (s = get_count(root, "calibration_images", MAX_IMAGES, path, &calib, err)))
        goto done;
    c->batch = (int)batch;
    if (!c->cache_dir && !(c->cache_dir = dup_str(".xbar-cache"))) {
        s = nomem(err);
        goto done;
    }

    /* "calibration_images" is the calib_images parameter, set before "base". */
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(root, "base");
    if (base) {
        if ((s = get_params(base, "base", path, &c->base, &c->n_base, err)))
            goto done;
    } else if (!(c->base = calloc(1, sizeof *c->base))) {
        s = nomem(err);
        goto done;
    }
    if (calib) {
        sweep_param *b = realloc(c->base, ((size_t)c->n_base + 1) * sizeof *b);
        if (!b) {
            s = nomem(err);
            goto done;
        }
        memmove(b + 1, b, (size_t)c->n_base * sizeof *b);
        char text[32];
        snprintf(text, sizeof text, "%ld", calib);
        b[0].key = dup_str("calib_images");
        b[0].value = dup_str(text);
        c->base = b;
        c->n_base++;
        if (!b[0].key || !b[0].value) {
            s = nomem(err);
            goto done;
        }
        if ((s = check_param("calib_images", text, NULL, 0, path, "calibration_images", err)))
            goto done;
    }

    const cJSON *bl = cJSON_GetObjectItemCaseSensitive(root, "baseline");
    c->baseline = 1;
    if (cJSON_IsFalse(bl)) {
        c->baseline = 0;
    } else if (bl && !cJSON_IsTrue(bl)) {
        if ((s = get_params(bl, "baseline", path, &c->baseline_params, &c->n_baseline, err)))
            goto done;
    } else {
        c->baseline_params = calloc(1, sizeof *c->baseline_params);
        if (!c->baseline_params || !(c->baseline_params[0].key = dup_str("mvm")) ||
            !(c->baseline_params[0].value = dup_str("digital"))) {
            s = nomem(err);
            goto done;
        }
        c->n_baseline = 1;
    }

    const cJSON *axes = cJSON_GetObjectItemCaseSensitive(root, "axes");
    if (axes) {
        if ((s = get_axes(axes, path, c, err)))
            goto done;
    } else {
        c->n_points = 1;
    }
    s = get_plots(cJSON_GetObjectItemCaseSensitive(root, "plots"), path, c, err);
done:
    free(model);
    free(dataset);
    free(labels);
    free(cal);
    free(cal_labels);
    return s;
}

xb_status sweep_config_load(const char *path, sweep_config *c, xb_error *err)
{
    memset(c, 0, sizeof *c);
    char *text = read_file(path, err);
    if (!text)
        return err->code;
    xb_status s = sweep_config_parse(text, path, c, err);
    free(text);
    return s;
}

xb_status sweep_config_parse(const char *text, const char *path, sweep_config *c, xb_error *err)
{
    memset(c, 0, sizeof *c);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root) {
        /* cJSON's error pointer marks where parsing stopped. */
        const char *at = cJSON_GetErrorPtr();
        if (!at || at < text || at > text + strlen(text))
            at = end;
        int line = 0, col = 0;
        if (at)
            where(text, at, &line, &col);
        char near[24] = "";
        if (at && *at) {
            size_t k = 0;
            for (; k < sizeof near - 1 && at[k] && at[k] != '\n'; k++)
                near[k] = at[k];
            near[k] = '\0';
        }
        xb_error_set(err, XB_EFORMAT, "%s:%d:%d: JSON syntax error%s%s%s", path, line, col,
                     near[0] ? " near '"
                     : (at && !*at ? " found at the end of the file (an unclosed bracket or "
                                     "string, or a comma before a closing bracket?)" : ""),
                     near, near[0] ? "'" : "");
        return XB_EFORMAT;
    }
    xb_status s = XB_ENOMEM;
    char *slash = strrchr(path, '/');
    char *dir = slash ? malloc((size_t)(slash - path) + 2) : dup_str(".");
    if (dir && slash)
        snprintf(dir, (size_t)(slash - path) + 2, "%.*s", slash == path ? 1 : (int)(slash - path),
                 path);
    if (!dir || !(c->path = dup_str(path)))
        nomem(err);
    else
        s = parse(root, path, dir, c, err);
    free(dir);
    cJSON_Delete(root);
    if (s != XB_OK) {
        sweep_config_free(c);
        return s;
    }
    /* Every point (and the baseline) must make a valid configuration. */
    for (long t = c->baseline ? SWEEP_BASELINE : 0; t < c->n_points; t++) {
        xb_analog_config cfg;
        xb_error e;
        xb_error_clear(&e);
        if (sweep_task_config(c, t, &cfg, &e) != XB_OK ||
            xb_analog_config_validate(&cfg, &e) != XB_OK) {
            char label[512];
            sweep_task_label(c, t, label, sizeof label);
            if (t == SWEEP_BASELINE)
                xb_error_set(err, XB_EINVAL, "%s: the digital baseline: %s", path, e.msg);
            else
                xb_error_set(err, XB_EINVAL, "%s: point %ld (%s): %s", path, t, label, e.msg);
            sweep_config_free(c);
            return XB_EINVAL;
        }
    }
    return XB_OK;
}

static void free_params(sweep_param *p, int n)
{
    for (int i = 0; p && i < n; i++) {
        free(p[i].key);
        free(p[i].value);
    }
    free(p);
}

void sweep_config_free(sweep_config *c)
{
    free(c->path);
    free(c->model);
    free(c->model_name);
    free(c->dataset);
    free(c->dataset_name);
    free(c->labels);
    free(c->calib_dataset);
    free(c->calib_labels);
    free(c->cache_dir);
    free(c->output);
    free(c->title);
    free_params(c->base, c->n_base);
    free_params(c->baseline_params, c->n_baseline);
    for (int a = 0; c->axes && a < c->n_axes; a++) {
        free(c->axes[a].key);
        for (int v = 0; v < c->axes[a].n; v++)
            free(c->axes[a].values[v]);
        free(c->axes[a].values);
    }
    free(c->axes);
    for (int p = 0; c->plots && p < c->n_plots; p++)
        free(c->plots[p].x);
    free(c->plots);
    memset(c, 0, sizeof *c);
}

int sweep_point_value(const sweep_config *c, long p, int a)
{
    for (int b = c->n_axes - 1; b > a; b--)
        p /= c->axes[b].n;
    return (int)(p % c->axes[a].n);
}

static xb_status apply(xb_analog_config *cfg, const sweep_param *p, int n, const char *where_,
                       xb_error *err)
{
    for (int i = 0; i < n; i++)
        if (xb_analog_config_set(cfg, p[i].key, p[i].value, err) != XB_OK)
            return xb_error_prefix(err, "%s", where_);
    return XB_OK;
}

xb_status sweep_task_config(const sweep_config *c, long t, xb_analog_config *cfg, xb_error *err)
{
    xb_analog_config_init(cfg);
    if (apply(cfg, c->base, c->n_base, "base", err))
        return err->code;
    if (t == SWEEP_BASELINE)
        return apply(cfg, c->baseline_params, c->n_baseline, "baseline", err);
    for (int a = 0; a < c->n_axes; a++) {
        const sweep_axis *ax = &c->axes[a];
        if (xb_analog_config_set(cfg, ax->key, ax->values[sweep_point_value(c, t, a)], err))
            return xb_error_prefix(err, "axes.%s", ax->key);
    }
    return XB_OK;
}

void sweep_task_label(const sweep_config *c, long t, char *buf, size_t len)
{
    if (t == SWEEP_BASELINE) {
        snprintf(buf, len, "digital baseline");
        return;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (int a = 0; a < c->n_axes && used < len; a++) {
        int n = snprintf(buf + used, len - used, "%s%s=%s", a ? " " : "", c->axes[a].key,
                         c->axes[a].values[sweep_point_value(c, t, a)]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (c->n_axes == 0)
        snprintf(buf, len, "base");
}
