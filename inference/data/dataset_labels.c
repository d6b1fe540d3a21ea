/* dataset_labels.c: the labels file of an ImageNet-style folder
 * ("<filename> <class-index>" per line; the format is documented in
 * xb_dataset.h). */
#define _POSIX_C_SOURCE 200809L
#include "dataset_labels.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SHOW_MAX 60 /* characters of an offending line quoted in a message */
#define LABEL_MAX 1000000 /* largest class index accepted; far above any real label set */
#define LABEL_MAX_STR "1000000"

void xb_labels_free(xb_labels *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        free(l->paths[i]);
    free(l->paths);
    free(l->labels);
    l->paths = NULL;
    l->labels = NULL;
    l->count = 0;
}

static xb_status bad_line(xb_error *err, const char *file, long line, const char *why,
                          const char *text)
{
    size_t n = strlen(text);
    return xb_error_set(err, XB_EFORMAT, "%s:%ld: %s, got '%.*s%s'", file, line, why,
                        (int)(n > SHOW_MAX ? SHOW_MAX : n), text, n > SHOW_MAX ? "..." : "");
}

static xb_status push(xb_labels *l, size_t *cap, char *path, int label, xb_error *err)
{
    if (l->count == *cap) {
        size_t nc = *cap ? 2 * *cap : 1024;
        char **p = realloc(l->paths, nc * sizeof *p);
        if (!p)
            return xb_error_set(err, XB_ENOMEM, "labels: out of memory");
        l->paths = p;
        int *q = realloc(l->labels, nc * sizeof *q);
        if (!q)
            return xb_error_set(err, XB_ENOMEM, "labels: out of memory");
        l->labels = q;
        *cap = nc;
    }
    l->paths[l->count] = path;
    l->labels[l->count] = label;
    l->count++;
    return XB_OK;
}

/* Parse one non-blank, non-comment line (already stripped of its end of
 * line and surrounding blanks) into a path under dir and a label. */
static xb_status parse_line(const char *file, long lineno, char *s, const char *dir,
                            char **path, int *label, xb_error *err)
{
    static const char *want = "expected '<filename> <class-index>'";
    char *sp = s + strlen(s);
    while (sp > s && !isspace((unsigned char)sp[-1]))
        sp--;
    if (sp == s)
        return bad_line(err, file, lineno, want, s);
    const char *tok = sp;
    char *name_end = sp;
    while (name_end > s && isspace((unsigned char)name_end[-1]))
        name_end--;
    for (const char *t = tok; *t; t++)
        if (!isdigit((unsigned char)*t))
            return bad_line(err, file, lineno, "the class index must be a non-negative "
                            "integer", tok);
    errno = 0;
    long v = strtol(tok, NULL, 10);
    if (errno || v > LABEL_MAX)
        return bad_line(err, file, lineno, "class index above " LABEL_MAX_STR, tok);
    *name_end = '\0';
    size_t need = (s[0] == '/' ? 0 : strlen(dir) + 1) + strlen(s) + 1;
    char *p = malloc(need);
    if (!p)
        return xb_error_set(err, XB_ENOMEM, "labels: out of memory");
    if (s[0] == '/')
        memcpy(p, s, need);
    else
        snprintf(p, need, "%s/%s", dir, s);
    struct stat st;
    const char *why = NULL;
    if (stat(p, &st) != 0)
        why = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    if (why) {
        xb_status r = xb_error_set(err, XB_EIO, "%s:%ld: image %s: %s", file, lineno, p, why);
        free(p);
        return r;
    }
    *path = p;
    *label = (int)v;
    return XB_OK;
}

xb_status xb_labels_read(const char *file, const char *dir, xb_labels *out, xb_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(file, "r");
    if (!f)
        return xb_error_set(err, XB_EIO, "labels file %s: %s", file, strerror(errno));
    char *buf = NULL;
    size_t bufcap = 0, cap = 0;
    long lineno = 0;
    xb_status st = XB_OK;
    ssize_t len;
    while ((len = getline(&buf, &bufcap, f)) >= 0) {
        lineno++;
        if (memchr(buf, '\0', (size_t)len)) {
            st = xb_error_set(err, XB_EFORMAT, "%s:%ld: NUL byte in a text line (is this a "
                              "labels file?)", file, lineno);
            break;
        }
        char *s = buf;
        while (len > 0 && isspace((unsigned char)s[len - 1]))
            s[--len] = '\0';
        while (isspace((unsigned char)*s))
            s++;
        if (!*s || *s == '#')
            continue;
        char *path = NULL;
        int label = 0;
        if ((st = parse_line(file, lineno, s, dir, &path, &label, err)) != XB_OK)
            break;
        if ((st = push(out, &cap, path, label, err)) != XB_OK) {
            free(path);
            break;
        }
        if (label + 1 > out->num_classes)
            out->num_classes = label + 1;
    }
    if (st == XB_OK && ferror(f))
        st = xb_error_set(err, XB_EIO, "labels file %s: read error after line %ld", file, lineno);
    if (st == XB_OK && out->count == 0)
        st = xb_error_set(err, XB_EFORMAT, "labels file %s lists no images (expected lines "
                          "'<filename> <class-index>')", file);
    free(buf);
    fclose(f);
    if (st != XB_OK)
        xb_labels_free(out);
    return st;
}
