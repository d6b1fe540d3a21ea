/* sweep_config.c: the JSON configuration of `xbar sweep` (docs/sweep.md). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sweep_internal.h"

#define CONFIG_MAX_BYTES (1L << 20) /* a configuration is a few hundred bytes */
#define MAX_IMAGES 1000000000L
#define MAX_BATCH 65536

static const char *const top_keys[] = {
    "description", "model", "dataset", "labels", "calibration_dataset", "calibration_labels",
    "images", "batch", "calibration_images", "cache_dir", "base", "baseline", "axes", "plots",
    "output", "title",
};

#define dup_str sw_strdup


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
            xb_format_double(text, sizeof text, v->valuedouble);
        return xb_error_set(err, XB_EINVAL, "%s: '%s' must be an integer from 1 to %ld%s%s%s",
                            path, key, max, text[0] ? ", got " : "", text,
                            cJSON_IsString(v) ? " (a string)" : "");
    }
    *out = (long)v->valuedouble;
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

/* The object itself: no key twice, no unknown key. */
static xb_status check_keys(const cJSON *root, const char *path, xb_error *err)
{
    if (!cJSON_IsObject(root))
        return xb_error_set(err, XB_EINVAL, "%s: the configuration must be a JSON object", path);
    const cJSON *dup = sw_json_duplicate(root);
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
    return XB_OK;
}

/* The calibration images: the given spec, else the training split of
 * Fashion-MNIST's test files; never the test images. */
static xb_status get_calib_dataset(const char *cal, const char *path, const char *dir,
                                   xb_sweep_config *c, xb_error *err)
{
    if (cal) {
        c->calib_dataset = resolve_spec(dir, cal);
    } else if (!strncmp(c->dataset_name, "fashion-mnist", 13)) {
        const char *colon = strchr(c->dataset, ':');
        size_t n = strlen(c->dataset) + 32;
        if ((c->calib_dataset = malloc(n)))
            snprintf(c->calib_dataset, n, "fashion-mnist-train%s", colon ? colon : "");
    } else {
        return xb_error_set(err, XB_EINVAL, "%s: 'calibration_dataset' is required with dataset "
                            "'%s' (calibrate on training images, never on the test images)",
                            path, c->dataset_name);
    }
    return c->calib_dataset ? XB_OK : nomem(err);
}

/* The files and names: model, datasets, labels, cache, output, title. */
static xb_status get_files(const cJSON *root, const char *path, const char *dir,
                           xb_sweep_config *c, xb_error *err)
{
    char *labels = NULL, *cal = NULL, *cal_labels = NULL;
    xb_status s = XB_OK;
    if ((s = get_string(root, "model", path, &c->model_name, err)) ||
        (s = get_string(root, "dataset", path, &c->dataset_name, err)) ||
        (s = get_string(root, "labels", path, &labels, err)) ||
        (s = get_string(root, "calibration_dataset", path, &cal, err)) ||
        (s = get_string(root, "calibration_labels", path, &cal_labels, err)) ||
        (s = get_string(root, "cache_dir", path, &c->cache_dir, err)) ||
        (s = get_string(root, "output", path, &c->output, err)) ||
        (s = get_string(root, "title", path, &c->title, err)))
        goto done;
    if (!c->model_name) {
        s = xb_error_set(err, XB_EINVAL, "%s: 'model' is required (an ONNX file)", path);
        goto done;
    }
    if (!c->dataset_name) {
        s = xb_error_set(err, XB_EINVAL, "%s: 'dataset' is required (fashion-mnist[:DIR] or "
                         "imagenet:DIR)", path);
        goto done;
    }
    if (!(c->model = resolve(dir, c->model_name)) ||
        !(c->dataset = resolve_spec(dir, c->dataset_name)) ||
        (labels && !(c->labels = resolve(dir, labels))) ||
        (cal_labels && !(c->calib_labels = resolve(dir, cal_labels))) ||
        (!c->cache_dir && !(c->cache_dir = dup_str(".xbar-cache")))) {
        s = nomem(err);
        goto done;
    }
    s = get_calib_dataset(cal, path, dir, c, err);
done:
    free(labels);
    free(cal);
    free(cal_labels);
    return s;
}

/* "base", with "calibration_images" in front of it as the calib_images parameter. */
static xb_status get_base(const cJSON *root, const char *path, long calib, xb_sweep_config *c,
                          xb_error *err)
{
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(root, "base");
    xb_status s;
    if (base) {
        if ((s = sw_params_get(base, "base", path, &c->base, &c->n_base, err)))
            return s;
    } else if (!(c->base = calloc(1, sizeof *c->base))) {
        return nomem(err);
    }
    if (!calib)
        return XB_OK;
    xb_sweep_param *b = realloc(c->base, ((size_t)c->n_base + 1) * sizeof *b);
    if (!b)
        return nomem(err);
    memmove(b + 1, b, (size_t)c->n_base * sizeof *b);
    char text[32];
    snprintf(text, sizeof text, "%ld", calib);
    b[0].key = dup_str("calib_images");
    b[0].value = dup_str(text);
    c->base = b;
    c->n_base++;
    if (!b[0].key || !b[0].value)
        return nomem(err);
    return sw_param_check("calib_images", text, NULL, 0, path, "calibration_images", err);
}

/* "baseline": false, true, or parameters (default mvm = digital). */
static xb_status get_baseline(const cJSON *root, const char *path, xb_sweep_config *c,
                              xb_error *err)
{
    const cJSON *bl = cJSON_GetObjectItemCaseSensitive(root, "baseline");
    c->baseline = !cJSON_IsFalse(bl);
    if (cJSON_IsFalse(bl))
        return XB_OK;
    if (bl && !cJSON_IsTrue(bl))
        return sw_params_get(bl, "baseline", path, &c->baseline_params, &c->n_baseline, err);
    c->baseline_params = calloc(1, sizeof *c->baseline_params);
    if (!c->baseline_params || !(c->baseline_params[0].key = dup_str("mvm")) ||
        !(c->baseline_params[0].value = dup_str("digital")))
        return nomem(err);
    c->n_baseline = 1;
    return XB_OK;
}

/* The folder of path ("." when it has none). */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? malloc((size_t)(slash - path) + 2) : dup_str(".");
    if (dir && slash)
        snprintf(dir, (size_t)(slash - path) + 2, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    return dir;
}

/* A device table is a file like the model: "table:FILE" resolved against dir. */
static int resolve_table(const char *dir, const char *key, char **value)
{
    if (strcmp(key, "device") || strncmp(*value, "table:", 6) || !(*value)[6])
        return 0;
    char *r = resolve_spec(dir, *value);
    if (!r)
        return -1;
    free(*value);
    *value = r;
    return 0;
}

static xb_status resolve_tables(const char *dir, xb_sweep_config *c, xb_error *err)
{
    for (int i = 0; i < c->n_base; i++)
        if (resolve_table(dir, c->base[i].key, &c->base[i].value))
            return nomem(err);
    for (int i = 0; i < c->n_baseline; i++)
        if (resolve_table(dir, c->baseline_params[i].key, &c->baseline_params[i].value))
            return nomem(err);
    for (int a = 0; a < c->n_axes; a++)
        for (int v = 0; v < c->axes[a].n; v++)
            if (resolve_table(dir, c->axes[a].key, &c->axes[a].values[v]))
                return nomem(err);
    return XB_OK;
}

static xb_status parse(const cJSON *root, const char *path, const char *dir, xb_sweep_config *c,
                       xb_error *err)
{
    xb_status s;
    if ((s = check_keys(root, path, err)) || (s = get_files(root, path, dir, c, err)))
        return s;
    const cJSON *images = cJSON_GetObjectItemCaseSensitive(root, "images");
    if (cJSON_IsString(images) && !strcmp(images->valuestring, "all"))
        c->images = 0;
    else if ((s = get_count(root, "images", MAX_IMAGES, path, &c->images, err)))
        return s;
    long batch = 0, calib = 0;
    if ((s = get_count(root, "batch", MAX_BATCH, path, &batch, err)) ||
        (s = get_count(root, "calibration_images", MAX_IMAGES, path, &calib, err)))
        return s;
    c->batch = (int)batch;
    if ((s = get_base(root, path, calib, c, err)) || (s = get_baseline(root, path, c, err)))
        return s;
    const cJSON *axes = cJSON_GetObjectItemCaseSensitive(root, "axes");
    c->n_points = 1;
    if ((axes && (s = sw_axes_get(axes, path, c, err))) || (s = resolve_tables(dir, c, err)))
        return s;
    return sw_plots_get(cJSON_GetObjectItemCaseSensitive(root, "plots"), path, c, err);
}

/* text as JSON, or NULL with a message that gives the line and column. */
static cJSON *parse_json(const char *text, const char *path, xb_error *err)
{
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
        return NULL;
    }
    return root;
}

xb_status xb_sweep_config_load(const char *path, xb_sweep_config *c, xb_error *err)
{
    xb_error local;
    if (!err)
        err = &local;
    if (!path || !c)
        return xb_error_set(err, XB_EINVAL, "sweep configuration: NULL path or configuration");
    memset(c, 0, sizeof *c);
    char *text = read_file(path, err);
    if (!text)
        return err->code;
    xb_status s = xb_sweep_config_parse(text, path, c, err);
    free(text);
    return s;
}

xb_status xb_sweep_config_parse(const char *text, const char *path, xb_sweep_config *c,
                                xb_error *err)
{
    xb_error local;
    if (!err)
        err = &local;
    if (!text || !path || !c)
        return xb_error_set(err, XB_EINVAL, "sweep configuration: NULL text, path or "
                            "configuration");
    memset(c, 0, sizeof *c);
    cJSON *root = parse_json(text, path, err);
    if (!root)
        return err->code;
    xb_status s = XB_ENOMEM;
    char *dir = dir_of(path);
    if (!dir || !(c->path = dup_str(path)))
        nomem(err);
    else
        s = parse(root, path, dir, c, err);
    free(dir);
    cJSON_Delete(root);
    if (s != XB_OK) {
        xb_sweep_config_free(c);
        return s;
    }
    /* Every point (and the baseline) must make a valid configuration. */
    for (long t = c->baseline ? XB_SWEEP_BASELINE : 0; t < c->n_points; t++) {
        xb_analog_config cfg;
        xb_error e;
        xb_error_clear(&e);
        if (xb_sweep_task_config(c, t, &cfg, &e) != XB_OK ||
            xb_analog_config_validate(&cfg, &e) != XB_OK) {
            char label[512];
            xb_sweep_task_label(c, t, label, sizeof label);
            if (t == XB_SWEEP_BASELINE)
                xb_error_set(err, XB_EINVAL, "%s: the digital baseline: %s", path, e.msg);
            else
                xb_error_set(err, XB_EINVAL, "%s: point %ld (%s): %s", path, t, label, e.msg);
            xb_sweep_config_free(c);
            return XB_EINVAL;
        }
    }
    return XB_OK;
}

static void free_params(xb_sweep_param *p, int n)
{
    for (int i = 0; p && i < n; i++) {
        free(p[i].key);
        free(p[i].value);
    }
    free(p);
}

void xb_sweep_config_free(xb_sweep_config *c)
{
    if (!c)
        return;
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


xb_status xb_sweep_params_load(const char *path, xb_analog_config *cfg, xb_error *err)
{
    xb_error local;
    if (!err)
        err = &local;
    if (!path || !cfg)
        return xb_error_set(err, XB_EINVAL, "analog parameters: NULL path or configuration");
    char *text = read_file(path, err);
    if (!text)
        return err->code;
    cJSON *root = parse_json(text, path, err);
    free(text);
    if (!root)
        return err->code;
    xb_sweep_param *p = NULL;
    int n = 0;
    xb_analog_config c;
    xb_analog_config_init(&c);
    xb_status s = sw_params_get(root, "parameters", path, &p, &n, err);
    char *dir = s == XB_OK ? dir_of(path) : NULL;
    if (s == XB_OK && !dir)
        s = nomem(err);
    for (int i = 0; s == XB_OK && i < n; i++)
        if (resolve_table(dir, p[i].key, &p[i].value))
            s = nomem(err);
    free(dir);
    for (int i = 0; s == XB_OK && i < n; i++)
        if ((s = xb_analog_config_set(&c, p[i].key, p[i].value, err)) != XB_OK)
            xb_error_prefix(err, "%s", path);
    if (s == XB_OK && (s = xb_analog_config_validate(&c, err)) != XB_OK)
        xb_error_prefix(err, "%s", path);
    if (s == XB_OK)
        *cfg = c;
    free_params(p, n);
    cJSON_Delete(root);
    return s;
}
