/* fuzz_util.h: helpers shared by the libFuzzer targets.
 *
 * Some parsers only read named files (the ONNX loader, the IDX reader, the
 * labels file).  Their input goes into a memfd, an anonymous in-memory file
 * that the parser opens by name through /proc/self/fd/N, so no run touches
 * the disk.  Folders the readers need (fixed file names, image files listed in
 * a labels file) are created once per process under $TMPDIR (or /dev/shm) and
 * removed at exit. */
#ifndef XB_FUZZ_UTIL_H
#define XB_FUZZ_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A sanitizer-visible failure: abort() gives libFuzzer a crash report and a
 * reproducer, which is what a broken property should give. */
#define FUZZ_CHECK(cond)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);    \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

/* Bit-identical doubles, any NaN equal to any NaN (a round trip may keep a
 * NaN's payload or not). */
static inline int fuzz_same_values(const double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(a[i]) && isnan(b[i]))
            continue;
        if (memcmp(&a[i], &b[i], sizeof a[i]) != 0)
            return 0;
    }
    return 1;
}

typedef struct {
    int fd;         /* the memfd, or -1 */
    char path[64];  /* "/proc/self/fd/N": opens a fresh description at offset 0 */
} fuzz_memfile;

static inline void fuzz_memfile_open(fuzz_memfile *f, const char *name)
{
    f->fd = memfd_create(name, MFD_CLOEXEC);
    if (f->fd < 0) {
        perror("memfd_create");
        abort();
    }
    snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
}

/* Replace the file's content with len bytes. */
static inline void fuzz_memfile_set(fuzz_memfile *f, const void *data, size_t len)
{
    if (ftruncate(f->fd, 0) != 0) {
        perror("ftruncate");
        abort();
    }
    const char *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t w = pwrite(f->fd, p + done, len - done, (off_t)done);
        if (w <= 0) {
            perror("pwrite");
            abort();
        }
        done += (size_t)w;
    }
}

/* A private folder for this process, removed (with everything in it) at exit. */
static char fuzz_tmpdir_path[4096];

static void fuzz_tmpdir_cleanup(void)
{
    if (!fuzz_tmpdir_path[0])
        return;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_tmpdir_path);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", fuzz_tmpdir_path);
    fuzz_tmpdir_path[0] = '\0';
}

static inline const char *fuzz_tmpdir(void)
{
    if (fuzz_tmpdir_path[0])
        return fuzz_tmpdir_path;
    /* $TMPDIR, else /dev/shm (memory), else /tmp */
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fuzz_tmpdir_path, sizeof fuzz_tmpdir_path, "%s/xbar-fuzz-XXXXXX", base);
    if (!mkdtemp(fuzz_tmpdir_path)) {
        perror("mkdtemp");
        abort();
    }
    atexit(fuzz_tmpdir_cleanup);
    return fuzz_tmpdir_path;
}

/* Create dir/name (and its parent folders) with the given content. */
static inline void fuzz_write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    for (char *s = path + strlen(dir) + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(path, 0700);
            *s = '/';
        }
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* dir/name as a symbolic link to target. */
static inline void fuzz_symlink(const char *dir, const char *name, const char *target)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
    if (symlink(target, path) != 0) {
        perror(path);
        abort();
    }
}

/* OpenBLAS starts a thread pool sized for the machine; fuzzing wants one thread. */
void openblas_set_num_threads(int n);

#endif
