/* sweep_csv.c: the results file of `xbar sweep`, written so that a sweep
 * killed at any moment loses no finished point and repeats none.
 *
 * Every row is appended with one write() of the whole line followed by
 * fsync().  A crash can therefore leave at most one incomplete last line
 * (or, after a power cut, a tail of zero bytes), which opening the file cuts
 * off at the last newline.  The rows already there say which tasks are done:
 * a row is identified by its parameter columns. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sweep_internal.h"

/* Split one line (no newline) into fields; returns the count, or -1 for a
 * malformed quote.  fields[] point into line, which is modified. */
static int split_line(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return max + 1;
        if (*p == '"') {
            char *o = ++p;
            fields[n++] = o;
            for (;;) {
                if (!*p)
                    return -1;
                if (*p == '"') {
                    if (p[1] == '"') {
                        *o++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *o++ = *p++;
            }
            *o = '\0';
            if (*p != ',' && *p != '\0')
                return -1;
        } else {
            fields[n++] = p;
            p += strcspn(p, ",");
        }
        if (*p == '\0')
            return n;
        *p++ = '\0';
    }
}

typedef struct {
    const char *id;
    long task;
} id_entry;

static int id_cmp(const void *a, const void *b)
{
    return strcmp(((const id_entry *)a)->id, ((const id_entry *)b)->id);
}

static xb_status read_all(int fd, const char *path, char **out, size_t *len, xb_error *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return xb_error_set(err, XB_EIO, "%s: %s", path, strerror(errno));
    size_t n = (size_t)st.st_size, got = 0;
    char *buf = malloc(n + 1);
    if (!buf)
        return xb_error_set(err, XB_ENOMEM, "%s: out of memory reading %zu bytes", path, n);
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            free(buf);
            return xb_error_set(err, XB_EIO, "%s: read error: %s", path,
                                r < 0 ? strerror(errno) : "unexpected end of file");
        }
        got += (size_t)r;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return XB_OK;
}

static xb_status write_all(int fd, const char *path, const char *s, size_t n, xb_error *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return xb_error_set(err, XB_EIO, "%s: %s", path, strerror(errno));
    ssize_t w;
    do
        w = write(fd, s, n);
    while (w < 0 && errno == EINTR);
    if (w != (ssize_t)n) {
        int e = w < 0 ? errno : ENOSPC;
        /* Take back a short write so the file still ends with a whole line. */
        if (w > 0 && ftruncate(fd, st.st_size) != 0)
            e = errno;
        return xb_error_set(err, XB_EIO, "%s: write failed: %s", path, strerror(e));
    }
    if (fsync(fd) != 0)
        return xb_error_set(err, XB_EIO, "%s: fsync failed: %s", path, strerror(errno));
    return XB_OK;
}

/* Make the directory entry of a new file durable too. */
static void sync_parent(const char *path)
{
    char *dir = sw_strdup(path);
    if (!dir)
        return;
    char *slash = strrchr(dir, '/');
    if (slash)
        slash == dir ? (void)(slash[1] = '\0') : (void)(*slash = '\0');
    int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

static xb_status check_header(const char *line, const sw_columns *cols, const char *path,
                              xb_error *err)
{
    char *copy = sw_strdup(line);
    char **f = calloc((size_t)cols->n + 2, sizeof *f);
    if (!copy || !f) {
        free(copy);
        free(f);
        return xb_error_set(err, XB_ENOMEM, "out of memory");
    }
    int n = split_line(copy, f, cols->n + 1);
    xb_status s = XB_OK;
    for (int i = 0; i < cols->n && s == XB_OK; i++) {
        if (i >= n || n < 0)
            s = xb_error_set(err, XB_EFORMAT, "%s: the file has %d columns where this sweep "
                             "writes %d (the first missing is '%s'): it was written for another "
                             "configuration or xbar version; use another --out folder, or "
                             "remove the file to start over", path, n < 0 ? 0 : n, cols->n,
                             cols->names[i]);
        else if (strcmp(f[i], cols->names[i]))
            s = xb_error_set(err, XB_EFORMAT, "%s: column %d is '%s' in the file but '%s' for "
                             "this configuration: it was written for another configuration "
                             "(other axes) or by another xbar version; use another --out "
                             "folder, or remove the file to start over", path, i + 1, f[i],
                             cols->names[i]);
    }
    if (s == XB_OK && n > cols->n)
        s = xb_error_set(err, XB_EFORMAT, "%s: the file has more columns than this sweep writes "
                         "(column %d is '%s'); use another --out folder, or remove the file",
                         path, cols->n + 1, f[cols->n]);
    free(copy);
    free(f);
    return s;
}

static int parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-')
        return 0;
    *out = (size_t)v;
    return 1;
}

static int parse_num(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno)
        return 0;
    *out = v;
    return 1;
}

/* Where a data row is in the file, and its task. */
typedef struct {
    long task;
    size_t off, len; /* the line, without its newline */
} sw_row_ref;

/* Match every data row to a task; fill scores, and refs[] (one per row, in
 * file order, room for every task) when it is not NULL. */
static xb_status read_rows(char *text, const xb_sweep_config *c, const sw_columns *cols,
                           long images, xb_sweep_score *scores, size_t *rows, sw_row_ref *refs,
                           const char *path, xb_error *err)
{
    const long first = c->baseline ? XB_SWEEP_BASELINE : 0, n_tasks = c->n_points - first;
    id_entry *ids = calloc((size_t)n_tasks, sizeof *ids);
    char **f = calloc((size_t)cols->n + 2, sizeof *f);
    xb_status s = XB_OK;
    if (!ids || !f) {
        s = xb_error_set(err, XB_ENOMEM, "out of memory");
        goto done;
    }
    for (long t = first; t < c->n_points; t++) {
        char *id;
        if ((s = sw_task_id(c, cols, t, images, &id, err)))
            goto done;
        ids[t - first].id = id;
        ids[t - first].task = t;
    }
    qsort(ids, (size_t)n_tasks, sizeof *ids, id_cmp);

    long lineno = 1;
    char *line = strchr(text, '\n') + 1; /* after the header */
    while (*line) {
        char *nl = strchr(line, '\n');
        *nl = '\0';
        lineno++;
        if (!*line) {
            line = nl + 1;
            continue;
        }
        int n = split_line(line, f, cols->n + 1);
        if (n != cols->n) {
            s = xb_error_set(err, XB_EFORMAT, "%s:%ld: %s; the file was changed by something "
                             "other than xbar sweep (remove that line to go on)", path, lineno,
                             n < 0 ? "a malformed quoted field" : "wrong number of fields");
            goto done;
        }
        sw_buf b = {0};
        for (int i = 0; i < cols->n_id; i++)
            sw_buf_field(&b, f[i]);
        if (b.failed) {
            s = xb_error_set(err, XB_ENOMEM, "out of memory");
            goto done;
        }
        id_entry key = {b.s, 0};
        id_entry *hit = bsearch(&key, ids, (size_t)n_tasks, sizeof *ids, id_cmp);
        free(b.s);
        if (!hit) {
            s = xb_error_set(err, XB_EFORMAT, "%s:%ld: a row that is not a point of this "
                             "configuration (kind %s, images %s): the configuration changed "
                             "since the file was written; use another --out folder, or "
                             "remove the file to start over", path, lineno, f[0],
                             f[cols->n_id - 1]);
            goto done;
        }
        xb_sweep_score *sc = &scores[hit->task + 1];
        if (sc->done) {
            s = xb_error_set(err, XB_EFORMAT, "%s:%ld: a second row for the same point; remove "
                             "one of them", path, lineno);
            goto done;
        }
        const char *const *r = (const char *const *)f + cols->n_id;
        if (!parse_size(f[cols->n_id - 1], &sc->images) || !parse_size(r[0], &sc->correct) ||
            !parse_num(r[1], &sc->top1) || !parse_num(r[2], &sc->ci_low) ||
            !parse_num(r[3], &sc->ci_high)) {
            s = xb_error_set(err, XB_EFORMAT, "%s:%ld: unreadable results (correct '%s', top1 "
                             "'%s', ci '%s', '%s')", path, lineno, r[0], r[1], r[2], r[3]);
            goto done;
        }
        sc->done = 1;
        if (refs) {
            refs[*rows].task = hit->task;
            refs[*rows].off = (size_t)(line - text);
            refs[*rows].len = (size_t)(nl - line);
        }
        ++*rows;
        line = nl + 1;
    }
done:
    for (long i = 0; ids && i < n_tasks; i++)
        free((char *)ids[i].id);
    free(ids);
    free(f);
    return s;
}

xb_status sw_csv_open(sw_csv *f, const char *path, const xb_sweep_config *c,
                         const sw_columns *cols, long images, xb_sweep_score *scores,
                         xb_error *err)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    if (!(f->path = sw_strdup(path)))
        return xb_error_set(err, XB_ENOMEM, "out of memory");
    struct stat st;
    int created = stat(path, &st) != 0;
    f->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        xb_error_set(err, XB_EIO, "%s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    /* A file system without locks (some network mounts) runs unguarded. */
    if (flock(f->fd, LOCK_EX | LOCK_NB) != 0 && errno != ENOLCK && errno != EOPNOTSUPP) {
        xb_error_set(err, XB_EIO, "%s: %s", path, errno == EWOULDBLOCK
                     ? "another xbar sweep is writing this file (wait for it, or use another "
                       "--out folder)" : strerror(errno));
        goto fail;
    }
    if (created)
        sync_parent(path);
    char *text = NULL;
    size_t len = 0;
    if (read_all(f->fd, path, &text, &len, err) != XB_OK)
        goto fail;
    /* Cut an incomplete last line (and any zero bytes a power cut left). */
    size_t keep = len;
    while (keep > 0 && text[keep - 1] != '\n')
        keep--;
    size_t nul = strlen(text);
    if (nul < keep) {
        keep = nul;
        while (keep > 0 && text[keep - 1] != '\n')
            keep--;
    }
    if (keep < len) {
        if (ftruncate(f->fd, (off_t)keep) != 0 || fsync(f->fd) != 0) {
            xb_error_set(err, XB_EIO, "%s: cannot cut the incomplete last line: %s", path,
                         strerror(errno));
            free(text);
            goto fail;
        }
        f->dropped = len - keep;
        text[keep] = '\0';
    }
    if (keep == 0) {
        free(text);
        char *h = sw_header_line(cols);
        if (!h) {
            xb_error_set(err, XB_ENOMEM, "out of memory");
            goto fail;
        }
        xb_status s = write_all(f->fd, path, h, strlen(h), err);
        free(h);
        if (s != XB_OK)
            goto fail;
        return XB_OK;
    }
    char *nl = strchr(text, '\n');
    *nl = '\0';
    xb_status s = check_header(text, cols, path, err);
    *nl = '\n';
    if (s == XB_OK)
        s = read_rows(text, c, cols, images, scores, &f->rows, NULL, path, err);
    free(text);
    if (s != XB_OK)
        goto fail;
    return XB_OK;
fail:
    sw_csv_close(f);
    return err->code;
}

xb_status sw_csv_append(sw_csv *f, const char *id, const xb_sweep_result *r,
                           const char *git_version, xb_sweep_score *score, xb_error *err)
{
    double top1 = r->images ? (double)r->correct / (double)r->images : 0, lo, hi;
    xb_dataset_wilson_interval(r->correct, r->images, XB_Z95, &lo, &hi);
    char v[SW_N_RESULT][64];
    snprintf(v[0], sizeof v[0], "%zu", r->correct);
    snprintf(v[1], sizeof v[1], "%.10g", top1);
    snprintf(v[2], sizeof v[2], "%.10g", lo);
    snprintf(v[3], sizeof v[3], "%.10g", hi);
    snprintf(v[4], sizeof v[4], "%.3f", r->seconds);
    snprintf(v[5], sizeof v[5], "%.3f", r->cpu_seconds);
    snprintf(v[6], sizeof v[6], "%.3f", r->calib_seconds);
    snprintf(v[7], sizeof v[7], "%.3f", r->stats.t_program);
    snprintf(v[8], sizeof v[8], "%.3f", r->stats.t_solve);
    snprintf(v[9], sizeof v[9], "%.3f", r->stats.t_adc);
    snprintf(v[10], sizeof v[10], "%.3f", r->stats.t_digital);
    snprintf(v[11], sizeof v[11], "%ld", r->stats.tiles);
    snprintf(v[12], sizeof v[12], "%ld", r->stats.mvm_vectors);
    snprintf(v[13], sizeof v[13], "%016llx", r->hash);
    snprintf(v[14], sizeof v[14], "%s", git_version);
    sw_buf b = {0};
    sw_buf_add(&b, id, strlen(id));
    for (int i = 0; i < SW_N_RESULT; i++)
        sw_buf_field(&b, v[i]);
    sw_buf_add(&b, "\n", 1);
    if (b.failed) {
        free(b.s);
        return xb_error_set(err, XB_ENOMEM, "out of memory");
    }
    xb_status s = write_all(f->fd, f->path, b.s, b.len, err);
    free(b.s);
    if (s != XB_OK)
        return s;
    f->rows++;
    score->done = 1;
    score->images = r->images;
    score->correct = r->correct;
    score->top1 = top1;
    score->ci_low = lo;
    score->ci_high = hi;
    return XB_OK;
}

void sw_csv_close(sw_csv *f)
{
    if (f->fd >= 0)
        close(f->fd); /* releases the lock */
    free(f->path);
    f->fd = -1;
    f->path = NULL;
}

static int ref_cmp(const void *a, const void *b)
{
    long x = ((const sw_row_ref *)a)->task, y = ((const sw_row_ref *)b)->task;
    return (x > y) - (x < y);
}

xb_status sw_csv_sort(sw_csv *f, const xb_sweep_config *c, const sw_columns *cols,
                         long images, xb_error *err)
{
    char *text = NULL, *copy = NULL, *tmp = NULL;
    size_t len = 0, rows = 0;
    const long n_tasks = c->n_points + (c->baseline ? 1 : 0);
    xb_sweep_score *scores = calloc((size_t)c->n_points + 1, sizeof *scores);
    sw_row_ref *refs = calloc((size_t)n_tasks + 1, sizeof *refs);
    int fd = -1;
    xb_status s = XB_OK;
    if (!scores || !refs) {
        s = xb_error_set(err, XB_ENOMEM, "out of memory");
        goto done;
    }
    if ((s = read_all(f->fd, f->path, &text, &len, err)))
        goto done;
    char *nl = strchr(text, '\n');
    if (!nl || !(copy = sw_strdup(text))) {
        s = nl ? xb_error_set(err, XB_ENOMEM, "out of memory") : XB_OK;
        goto done;
    }
    if ((s = read_rows(copy, c, cols, images, scores, &rows, refs, f->path, err)))
        goto done;
    int sorted = 1;
    for (size_t i = 1; i < rows; i++)
        sorted &= refs[i - 1].task < refs[i].task;
    if (sorted)
        goto done;
    qsort(refs, rows, sizeof *refs, ref_cmp);
    sw_buf b = {0};
    sw_buf_add(&b, text, (size_t)(nl - text) + 1);
    for (size_t i = 0; i < rows; i++) {
        sw_buf_add(&b, text + refs[i].off, refs[i].len);
        sw_buf_add(&b, "\n", 1);
    }
    if (b.failed || b.len != len) { /* blank lines: leave the file as it is */
        free(b.s);
        s = b.failed ? xb_error_set(err, XB_ENOMEM, "out of memory") : XB_OK;
        goto done;
    }
    if (!(tmp = xb_temp_name(f->path, 0))) {
        free(b.s);
        s = xb_error_set(err, XB_ENOMEM, "out of memory");
        goto done;
    }
    /* Not xb_atomic_file: the new file keeps its descriptor, to hold the lock. */
    fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        free(b.s);
        s = xb_error_set(err, XB_EIO, "%s: cannot create: %s", tmp, strerror(errno));
        goto done;
    }
    s = write_all(fd, tmp, b.s, b.len, err);
    free(b.s);
    if (s != XB_OK)
        goto done;
    /* The lock moves with the name: lock the new file before it replaces the old. */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno != ENOLCK && errno != EOPNOTSUPP) {
        s = xb_error_set(err, XB_EIO, "%s: cannot lock: %s", tmp, strerror(errno));
        goto done;
    }
    if ((s = xb_replace_file(tmp, f->path, err)) != XB_OK) {
        close(fd);
        fd = -1;
        goto done;
    }
    sync_parent(f->path);
    close(f->fd);
    f->fd = fd;
    fd = -1;
done:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    free(tmp);
    free(text);
    free(copy);
    free(refs);
    free(scores);
    return s;
}
