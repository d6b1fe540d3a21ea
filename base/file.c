/* file.c: files written whole (temporary name, then rename) and mkdir -p. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xb_base.h"

char *xb_temp_name(const char *path, int keep_ext)
{
    char host[64] = "host";
    if (gethostname(host, sizeof host) != 0)
        strcpy(host, "host");
    host[sizeof host - 1] = '\0';
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    size_t stem = strlen(path);
    const char *ext = "";
    if (keep_ext && dot && (!slash || dot > slash + 1)) {
        stem = (size_t)(dot - path);
        ext = dot;
    }
    size_t len = strlen(path) + strlen(host) + 40;
    char *t = malloc(len);
    if (t)
        snprintf(t, len, "%.*s.tmp.%s.%ld%s", (int)stem, path, host, (long)getpid(), ext);
    return t;
}

xb_status xb_replace_file(const char *tmp, const char *path, xb_error *err)
{
    if (rename(tmp, path) == 0)
        return XB_OK;
    int e = errno;
    unlink(tmp);
    return xb_error_set(err, XB_EIO, "%s: cannot replace it with %s: %s", path, tmp, strerror(e));
}

xb_status xb_atomic_open(xb_atomic_file *a, const char *path, const char *mode, xb_error *err)
{
    a->f = NULL;
    a->path = strdup(path);
    a->tmp = xb_temp_name(path, 0);
    if (!a->path || !a->tmp) {
        free(a->path);
        free(a->tmp);
        a->path = a->tmp = NULL;
        return xb_error_set(err, XB_ENOMEM, "%s: out of memory", path);
    }
    a->f = fopen(a->tmp, mode);
    if (!a->f) {
        xb_status s = xb_error_set(err, XB_EIO, "%s: cannot create: %s", path, strerror(errno));
        free(a->path);
        free(a->tmp);
        a->path = a->tmp = NULL;
        return s;
    }
    return XB_OK;
}

static void release(xb_atomic_file *a)
{
    free(a->path);
    free(a->tmp);
    a->f = NULL;
    a->path = a->tmp = NULL;
}

xb_status xb_atomic_commit(xb_atomic_file *a, xb_error *err)
{
    if (!a->f)
        return xb_error_set(err, XB_EINVAL, "xb_atomic_commit: the file is not open");
    int bad = ferror(a->f) | fflush(a->f);
    int e = errno;
    if (fclose(a->f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    a->f = NULL;
    xb_status s = XB_OK;
    if (bad) {
        unlink(a->tmp);
        s = xb_error_set(err, XB_EIO, "%s: write failed: %s", a->path, strerror(e));
    } else {
        s = xb_replace_file(a->tmp, a->path, err);
    }
    release(a);
    return s;
}

void xb_atomic_discard(xb_atomic_file *a)
{
    if (a->f)
        fclose(a->f);
    if (a->tmp)
        unlink(a->tmp);
    release(a);
}

xb_status xb_mkdir_p(const char *path, int *created, xb_error *err)
{
    if (created)
        *created = 0;
    if (!path || !*path)
        return xb_error_set(err, XB_EINVAL, "mkdir: empty folder name");
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return XB_OK;
        return xb_error_set(err, XB_EIO, "%s: exists and is not a folder", path);
    }
    char *p = strdup(path);
    if (!p)
        return xb_error_set(err, XB_ENOMEM, "%s: out of memory", path);
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            xb_status r = xb_error_set(err, XB_EIO, "%s: cannot create folder %s: %s", path, p,
                                       strerror(errno));
            free(p);
            return r;
        }
        if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
            xb_status r = xb_error_set(err, XB_EIO, "%s: %s is not a folder", path, p);
            free(p);
            return r;
        }
        *s = c;
        if (!c)
            break;
    }
    free(p);
    if (created)
        *created = 1;
    return XB_OK;
}
