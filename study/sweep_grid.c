/* sweep_grid.c: the points of a sweep and the tasks that run them: the
 * configuration of each, and a label for messages. */
#include <stdio.h>
#include <string.h>

#include "sweep_internal.h"

int xb_sweep_point_value(const xb_sweep_config *c, long p, int a)
{
    for (int b = c->n_axes - 1; b > a; b--)
        p /= c->axes[b].n;
    return (int)(p % c->axes[a].n);
}

static xb_status apply(xb_analog_config *cfg, const xb_sweep_param *p, int n, const char *what,
                       xb_error *err)
{
    for (int i = 0; i < n; i++)
        if (xb_analog_config_set(cfg, p[i].key, p[i].value, err) != XB_OK)
            return xb_error_prefix(err, "%s", what);
    return XB_OK;
}

xb_status xb_sweep_task_config(const xb_sweep_config *c, long t, xb_analog_config *cfg,
                               xb_error *err)
{
    xb_error local;
    if (!err)
        err = &local;
    if (!c || !cfg)
        return xb_error_set(err, XB_EINVAL, "sweep task: NULL configuration");
    if (t < XB_SWEEP_BASELINE || t >= c->n_points || (t == XB_SWEEP_BASELINE && !c->baseline))
        return xb_error_set(err, XB_EINVAL, "sweep task %ld: not a task of %s (%ld points%s)",
                            t, c->path ? c->path : "the configuration", c->n_points,
                            c->baseline ? " and the baseline" : "");
    xb_analog_config_init(cfg);
    if (apply(cfg, c->base, c->n_base, "base", err))
        return err->code;
    if (t == XB_SWEEP_BASELINE)
        return apply(cfg, c->baseline_params, c->n_baseline, "baseline", err);
    for (int a = 0; a < c->n_axes; a++) {
        const xb_sweep_axis *ax = &c->axes[a];
        if (xb_analog_config_set(cfg, ax->key, ax->values[xb_sweep_point_value(c, t, a)], err))
            return xb_error_prefix(err, "axes.%s", ax->key);
    }
    return XB_OK;
}

void xb_sweep_task_label(const xb_sweep_config *c, long t, char *buf, size_t len)
{
    if (t == XB_SWEEP_BASELINE) {
        snprintf(buf, len, "digital baseline");
        return;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (int a = 0; a < c->n_axes && used < len; a++) {
        int n = snprintf(buf + used, len - used, "%s%s=%s", a ? " " : "", c->axes[a].key,
                         c->axes[a].values[xb_sweep_point_value(c, t, a)]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (c->n_axes == 0)
        snprintf(buf, len, "base");
}
