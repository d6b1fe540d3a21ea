/* test_dataset_idx.c: Fashion-MNIST IDX reading and its preprocessing, on the
 * real files and on small corrupt files written here. */
#define _POSIX_C_SOURCE 200809L
#include "xb_test.h"

#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "xb_dataset.h"

#define SIDE 32
#define RAW 28

static float norm(int p) { return ((float)p / 255.0f - 0.2860f) / 0.3530f; }

/* ---- the real dataset -------------------------------------------------------- */

/* Read n bytes at offset off of a gzipped file, independently of the library. */
static int gz_peek(const char *path, long off, unsigned char *buf, unsigned n)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return -1;
    int ok = gzseek(f, off, SEEK_SET) == off && gzread(f, buf, n) == (int)n;
    gzclose(f);
    return ok ? 0 : -1;
}

static void test_real(void)
{
    const char *dir = XB_FMNIST_DEFAULT_DIR;
    char ipath[512], lpath[512];
    snprintf(ipath, sizeof ipath, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(lpath, sizeof lpath, "%s/t10k-labels-idx1-ubyte.gz", dir);

    xb_error err;
    xb_dataset *d = NULL;
    xb_status st = xb_dataset_open("fashion-mnist", &d, &err);
    XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
    if (st != XB_OK)
        return;
    XB_CHECK(xb_dataset_get_kind(d) == XB_DATASET_FMNIST);
    XB_CHECK(xb_dataset_count(d) == 10000);
    XB_CHECK(xb_dataset_num_classes(d) == 10);
    int c, h, w;
    xb_dataset_input_shape(d, &c, &h, &w);
    XB_CHECK(c == 1 && h == SIDE && w == SIDE);
    XB_CHECK(xb_dataset_match_input(d, 1, 32, 32, &err) == XB_OK);

    /* All labels, in batches of 1000: each class appears 1000 times. */
    float *x = malloc(sizeof(float) * 1000 * SIDE * SIDE);
    int labels[1000], hist[10] = {0};
    for (size_t first = 0; first < 10000; first += 1000) {
        st = xb_dataset_read_batch(d, first, 1000, x, labels, &err);
        XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
        for (int i = 0; i < 1000; i++) {
            XB_CHECK(labels[i] >= 0 && labels[i] < 10);
            if (labels[i] >= 0 && labels[i] < 10)
                hist[labels[i]]++;
        }
    }
    for (int k = 0; k < 10; k++)
        XB_CHECK_MSG(hist[k] == 1000, "class %d appears %d times", k, hist[k]);

    /* The first and the last image against the bytes of the gzip file. */
    const long idx[2] = {0, 9999};
    for (int t = 0; t < 2; t++) {
        unsigned char raw[RAW * RAW], lab;
        XB_CHECK(gz_peek(ipath, 16 + idx[t] * RAW * RAW, raw, sizeof raw) == 0);
        XB_CHECK(gz_peek(lpath, 8 + idx[t], &lab, 1) == 0);
        st = xb_dataset_read_batch(d, (size_t)idx[t], 1, x, labels, &err);
        XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
        XB_CHECK(labels[0] == lab);
        double raw_mean = 0, got_mean = 0;
        int exact = 1;
        for (int y = 0; y < SIDE; y++)
            for (int xx = 0; xx < SIDE; xx++) {
                int iy = y - 2, ix = xx - 2;
                int in = iy >= 0 && iy < RAW && ix >= 0 && ix < RAW;
                int p = in ? raw[iy * RAW + ix] : 0;
                float v = x[y * SIDE + xx];
                if (v != norm(p))
                    exact = 0;
                if (in) {
                    raw_mean += p;
                    got_mean += (v * 0.3530 + 0.2860) * 255.0;
                }
            }
        XB_CHECK_MSG(exact, "image %ld differs from (p/255-0.2860)/0.3530 with 2 px zero pad", idx[t]);
        raw_mean /= RAW * RAW;
        got_mean /= RAW * RAW;
        XB_CHECK_REL(got_mean, raw_mean, raw_mean, 1e-5);
    }
    /* The first test image is an ankle boot (class 9). */
    st = xb_dataset_read_batch(d, 0, 1, x, labels, &err);
    XB_CHECK(st == XB_OK && labels[0] == 9);

    /* Out of range. */
    st = xb_dataset_read_batch(d, 9990, 11, x, labels, &err);
    XB_CHECK(st == XB_EINVAL);
    XB_CHECK(strstr(err.msg, "out of range") != NULL);
    st = xb_dataset_read_batch(d, 9990, 10, x, NULL, &err);
    XB_CHECK_MSG(st == XB_OK, "%s", err.msg);

    /* Other input sizes: 28x28 is the image itself, 14x14 the mean of each
     * 2x2 block (half-pixel bilinear at scale 1/2), 3 channels three copies. */
    {
        float *p32 = malloc(sizeof(float) * 3 * 32 * 32), *p28 = malloc(sizeof(float) * 28 * 28);
        float *p14 = malloc(sizeof(float) * 14 * 14);
        XB_CHECK(xb_dataset_read_batch(d, 0, 1, p32, NULL, &err) == XB_OK);
        XB_CHECK(xb_dataset_set_input_shape(d, 1, 28, 28, &err) == XB_OK);
        XB_CHECK(xb_dataset_read_batch(d, 0, 1, p28, NULL, &err) == XB_OK);
        int same28 = 1;
        for (int y = 0; y < 28; y++)
            for (int q = 0; q < 28; q++)
                same28 &= p28[y * 28 + q] == p32[(y + 2) * 32 + q + 2];
        XB_CHECK_MSG(same28, "28x28 is not the 32x32 image without its pad");
        XB_CHECK(xb_dataset_set_input_shape(d, 1, 14, 14, &err) == XB_OK);
        XB_CHECK(xb_dataset_read_batch(d, 0, 1, p14, NULL, &err) == XB_OK);
        double worst = 0;
        for (int y = 0; y < 14; y++)
            for (int q = 0; q < 14; q++) {
                double raw = 0;
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 2; b++)
                        raw += (p28[(2 * y + a) * 28 + 2 * q + b] * XB_FMNIST_STD + XB_FMNIST_MEAN) / 4;
                worst = fmax(worst, fabs(p14[y * 14 + q] - (raw - XB_FMNIST_MEAN) / XB_FMNIST_STD));
            }
        printf("14x14 against the 2x2 means: %.3g\n", worst);
        XB_CHECK(worst < 1e-5);
        XB_CHECK(xb_dataset_set_input_shape(d, 3, 32, 32, &err) == XB_OK);
        XB_CHECK(xb_dataset_read_batch(d, 0, 1, p32, NULL, &err) == XB_OK);
        XB_CHECK(!memcmp(p32, p32 + 1024, 1024 * sizeof(float)) && !memcmp(p32, p32 + 2048, 1024 * sizeof(float)));
        free(p32);
        free(p28);
        free(p14);
    }
    /* The wrong network. */
    st = xb_dataset_match_input(d, 2, 32, 32, &err);
    XB_CHECK(st == XB_EINVAL);
    XB_CHECK_MSG(strstr(err.msg, "gray") && strstr(err.msg, "2x32x32"), "%s", err.msg);
    st = xb_dataset_match_input(d, 1, 2000, 28, &err);
    XB_CHECK(st == XB_EINVAL);
    XB_CHECK_MSG(strstr(err.msg, "1x2000x28") != NULL, "%s", err.msg);
    XB_CHECK(xb_dataset_set_input_shape(d, 1, 32, 32, &err) == XB_OK);
    free(x);
    xb_dataset_free(d);

    /* The training split. */
    st = xb_dataset_open_fmnist(NULL, XB_SPLIT_TRAIN, &d, &err);
    XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
    if (st == XB_OK) {
        XB_CHECK(xb_dataset_count(d) == 60000);
        XB_CHECK(strstr(xb_dataset_describe(d), "train") != NULL);
        xb_dataset_free(d);
    }
    st = xb_dataset_open("fashion-mnist-train:" XB_FMNIST_DEFAULT_DIR, &d, &err);
    XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
    if (st == XB_OK)
        xb_dataset_free(d);
}

/* ---- small files written here ------------------------------------------------ */

static void put_be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24);
    b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
}

/* Write an IDX file: magic, dims, then data_len bytes of data (which may be
 * shorter or longer than the dims say).  gz: gzip it. */
static void write_idx(const char *dir, const char *name, int gz, uint32_t magic, int ndims,
                      const uint32_t *dims, const unsigned char *data, size_t data_len)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, gz ? ".gz" : "");
    unsigned char head[16];
    put_be32(head, magic);
    for (int i = 0; i < ndims; i++)
        put_be32(head + 4 + 4 * i, dims[i]);
    if (gz) {
        gzFile f = gzopen(path, "wb");
        gzwrite(f, head, 4 + 4 * (unsigned)ndims);
        if (data_len)
            gzwrite(f, data, (unsigned)data_len);
        gzclose(f);
    } else {
        FILE *f = fopen(path, "wb");
        fwrite(head, 1, 4 + 4 * (size_t)ndims, f);
        fwrite(data, 1, data_len, f);
        fclose(f);
    }
}

static const char *mkdir_in_tmp(const char *name)
{
    static char buf[8][600];
    static int slot;
    char *p = buf[slot++ % 8];
    snprintf(p, 600, "%s/%s", xb_test_tmpdir(), name);
    mkdir(p, 0700);
    return p;
}

#define N_IMG 3
static unsigned char pixels[N_IMG * RAW * RAW];
static unsigned char small_labels[N_IMG + 1] = {3, 0, 9, 1};

/* A directory with a consistent test split, possibly with one thing broken. */
static const char *make_split(const char *name, int gz, uint32_t img_magic, uint32_t n_img_hdr,
                              size_t img_bytes, uint32_t rows, uint32_t n_lab, int bad_label)
{
    const char *dir = mkdir_in_tmp(name);
    uint32_t idims[3] = {n_img_hdr, rows, RAW}, ldims[1] = {n_lab};
    unsigned char *data = calloc(img_bytes + 1, 1);
    memcpy(data, pixels, img_bytes < sizeof pixels ? img_bytes : sizeof pixels);
    write_idx(dir, "t10k-images-idx3-ubyte", gz, img_magic, 3, idims, data, img_bytes);
    free(data);
    unsigned char l[N_IMG + 1];
    memcpy(l, small_labels, sizeof l);
    if (bad_label)
        l[1] = 10;
    write_idx(dir, "t10k-labels-idx1-ubyte", gz, 0x00000801, 1, ldims, l, n_lab);
    return dir;
}

static void expect_fail(const char *dir, xb_status code, const char *s1, const char *s2)
{
    xb_error err;
    xb_dataset *d = (xb_dataset *)&err; /* must be reset to NULL */
    xb_status st = xb_dataset_open_fmnist(dir, XB_SPLIT_TEST, &d, &err);
    XB_CHECK_MSG(st == code, "%s: status %d (%s), expected %d", dir, st, err.msg, code);
    XB_CHECK(d == NULL);
    printf("expected failure: %s\n", err.msg);
    XB_CHECK_MSG(s1 == NULL || strstr(err.msg, s1), "'%s' lacks '%s'", err.msg, s1);
    XB_CHECK_MSG(s2 == NULL || strstr(err.msg, s2), "'%s' lacks '%s'", err.msg, s2);
    xb_dataset_free(st == XB_OK ? d : NULL);
}

static void test_small(void)
{
    for (size_t i = 0; i < sizeof pixels; i++)
        pixels[i] = (unsigned char)((i * 37 + 11) % 256);
    const size_t full = sizeof pixels;

    /* Good files, plain and gzipped, give back the pixels. */
    for (int gz = 0; gz < 2; gz++) {
        const char *dir = make_split(gz ? "good_gz" : "good_plain", gz, 0x00000803, N_IMG, full,
                                     RAW, N_IMG, 0);
        xb_error err;
        xb_dataset *d = NULL;
        xb_status st = xb_dataset_open_fmnist(dir, XB_SPLIT_TEST, &d, &err);
        XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
        if (st != XB_OK)
            continue;
        XB_CHECK(xb_dataset_count(d) == N_IMG);
        float x[N_IMG * SIDE * SIDE];
        int l[N_IMG];
        st = xb_dataset_read_batch(d, 0, N_IMG, x, l, &err);
        XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
        int same = 1;
        for (int i = 0; i < N_IMG; i++) {
            XB_CHECK(l[i] == small_labels[i]);
            for (int y = 0; y < RAW; y++)
                for (int xx = 0; xx < RAW; xx++)
                    if (x[i * SIDE * SIDE + (y + 2) * SIDE + xx + 2] !=
                        norm(pixels[i * RAW * RAW + y * RAW + xx]))
                        same = 0;
            for (int k = 0; k < SIDE; k++) /* the pad */
                if (x[i * SIDE * SIDE + k] != norm(0) || x[i * SIDE * SIDE + k * SIDE] != norm(0) ||
                    x[i * SIDE * SIDE + 31 * SIDE + k] != norm(0))
                    same = 0;
        }
        XB_CHECK_MSG(same, "gz=%d: preprocessed pixels differ", gz);
        xb_dataset_free(d);

        /* The same via a specification string. */
        char spec[700];
        snprintf(spec, sizeof spec, "fashion-mnist:%s", dir);
        st = xb_dataset_open(spec, &d, &err);
        XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
        if (st == XB_OK) {
            XB_CHECK(strstr(xb_dataset_describe(d), dir) != NULL);
            xb_dataset_free(d);
        }
    }

    /* Broken files. */
    for (int gz = 0; gz < 2; gz++) {
        char name[64];
#define DIRNAME(s) (snprintf(name, sizeof name, "%s_%d", s, gz), name)
        expect_fail(make_split(DIRNAME("magic"), gz, 0x00000804, N_IMG, full, RAW, N_IMG, 0),
                    XB_EFORMAT, "bad magic number 0x00000804", "t10k-images-idx3-ubyte");
        expect_fail(make_split(DIRNAME("magic2"), gz, 0x08030000, N_IMG, full, RAW, N_IMG, 0),
                    XB_EFORMAT, "bad magic", NULL);
        expect_fail(make_split(DIRNAME("trunc_data"), gz, 0x00000803, N_IMG, full - 500, RAW,
                               N_IMG, 0), XB_EFORMAT, "truncated", "2 complete items");
        expect_fail(make_split(DIRNAME("no_data"), gz, 0x00000803, N_IMG, 0, RAW, N_IMG, 0),
                    XB_EFORMAT, "truncated", "0 complete items");
        expect_fail(make_split(DIRNAME("more_hdr"), gz, 0x00000803, N_IMG + 1, full, RAW, N_IMG, 0),
                    XB_EFORMAT, "truncated", NULL);
        /* a count that would need 78 GB: refused without allocating it */
        expect_fail(make_split(DIRNAME("huge"), gz, 0x00000803, 99999999, full, RAW, N_IMG, 0),
                    XB_EFORMAT, "truncated", "99999999 items");
        expect_fail(make_split(DIRNAME("trailing"), gz, 0x00000803, N_IMG - 1, full, RAW, N_IMG - 1, 0),
                    XB_EFORMAT, "trailing bytes", NULL);
        expect_fail(make_split(DIRNAME("count"), gz, 0x00000803, N_IMG, full, RAW, N_IMG + 1, 0),
                    XB_EFORMAT, "3 images", "4 labels");
        expect_fail(make_split(DIRNAME("label"), gz, 0x00000803, N_IMG, full, RAW, N_IMG, 1),
                    XB_EFORMAT, "label 10 of item 1", "t10k-labels");
        expect_fail(make_split(DIRNAME("dims"), gz, 0x00000803, N_IMG, full, 27, N_IMG, 0),
                    XB_EFORMAT, "27x28", NULL);
#undef DIRNAME
    }

    /* A header cut short. */
    const char *hdir = make_split("trunc_head", 0, 0x00000803, N_IMG, full, RAW, N_IMG, 0);
    char hpath[700];
    snprintf(hpath, sizeof hpath, "%s/t10k-labels-idx1-ubyte", hdir);
    XB_CHECK(truncate(hpath, 6) == 0);
    expect_fail(hdir, XB_EFORMAT, "the IDX header needs 8 bytes, the file has 6",
                "t10k-labels-idx1-ubyte");

    /* A gzip file cut short, and one with a damaged trailer. */
    const char *dir = make_split("gzcut", 1, 0x00000803, N_IMG, full, RAW, N_IMG, 0);
    char path[700];
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte.gz", dir);
    struct stat sb;
    stat(path, &sb);
    XB_CHECK(truncate(path, sb.st_size / 2) == 0);
    expect_fail(dir, XB_EFORMAT, "truncated", "gzip stream ends early");

    dir = make_split("gzcrc", 1, 0x00000803, N_IMG, full, RAW, N_IMG, 0);
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte.gz", dir);
    FILE *f = fopen(path, "r+b");
    fseek(f, -6, SEEK_END); /* inside the CRC32 of the trailer */
    int ch = fgetc(f);
    fseek(f, -6, SEEK_END);
    fputc(ch ^ 0x55, f);
    fclose(f);
    expect_fail(dir, XB_EFORMAT, "t10k-labels-idx1-ubyte.gz: corrupt gzip data", NULL);

    /* Missing files and folders. */
    dir = mkdir_in_tmp("empty");
    expect_fail(dir, XB_EIO, "t10k-images-idx3-ubyte.gz", "neither");
    expect_fail("/nonexistent/fmnist", XB_EIO, "/nonexistent/fmnist", NULL);

    /* Specification strings. */
    xb_error err;
    xb_dataset *d = NULL;
    XB_CHECK(xb_dataset_open("mnist", &d, &err) == XB_EINVAL && d == NULL);
    XB_CHECK(strstr(err.msg, "unknown") != NULL);
    XB_CHECK(xb_dataset_open("fashion-mnist:", &d, &err) == XB_EINVAL);
    XB_CHECK(xb_dataset_open("", &d, &err) == XB_EINVAL);
    XB_CHECK(xb_dataset_open("fashion-mnistx", &d, &err) == XB_EINVAL);
    XB_CHECK(xb_dataset_open("fashion-mnist:/nonexistent/x", &d, &err) == XB_EIO);
    XB_CHECK(strstr(err.msg, "/nonexistent/x") != NULL);
}

/* Damaged copies of a good plain split: every outcome is XB_OK or a failure
 * with a message, never a crash (the sanitizers watch). */
static void test_mutations(void)
{
    const char *dir = make_split("mut", 0, 0x00000803, N_IMG, sizeof pixels, RAW, N_IMG, 0);
    char ipath[700], lpath[700];
    snprintf(ipath, sizeof ipath, "%s/t10k-images-idx3-ubyte", dir);
    snprintf(lpath, sizeof lpath, "%s/t10k-labels-idx1-ubyte", dir);
    const size_t ilen = 16 + sizeof pixels, llen = 8 + N_IMG;
    unsigned char *img = malloc(ilen), lab[8 + N_IMG];
    FILE *f = fopen(ipath, "rb");
    XB_CHECK(fread(img, 1, ilen, f) == ilen);
    fclose(f);
    f = fopen(lpath, "rb");
    XB_CHECK(fread(lab, 1, llen, f) == llen);
    fclose(f);
    unsigned long long rng = 12345;
    int ok = 0, failed = 0;
    for (int t = 0; t < 300; t++) {
        unsigned char *buf = malloc(ilen);
        memcpy(buf, img, ilen);
        unsigned char lbuf[8 + N_IMG];
        memcpy(lbuf, lab, llen);
        size_t ilen_t = ilen, llen_t = llen;
        for (int k = 0; k < 2; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            unsigned r = (unsigned)(rng >> 33);
            switch (r % 6) {
            case 0: ilen_t = r % ilen; break;
            case 1: llen_t = (r >> 3) % llen; break;
            case 2: buf[(r >> 3) % 16] ^= (unsigned char)(1u << (r % 8)); break; /* header */
            case 3: lbuf[8 + (r >> 3) % N_IMG] = (unsigned char)((r >> 8) % 12); break;
            default: buf[16 + (r >> 3) % sizeof pixels] = (unsigned char)(r >> 16); break;
            }
        }
        f = fopen(ipath, "wb");
        fwrite(buf, 1, ilen_t, f);
        fclose(f);
        f = fopen(lpath, "wb");
        fwrite(lbuf, 1, llen_t, f);
        fclose(f);
        free(buf);
        xb_error err;
        xb_dataset *d = NULL;
        xb_status st = xb_dataset_open_fmnist(dir, XB_SPLIT_TEST, &d, &err);
        if (st == XB_OK) {
            float x[N_IMG * SIDE * SIDE];
            XB_CHECK(xb_dataset_read_batch(d, 0, (int)xb_dataset_count(d), x, NULL, &err) == XB_OK);
            xb_dataset_free(d);
            ok++;
        } else {
            XB_CHECK(d == NULL && err.msg[0] != '\0');
            failed++;
        }
    }
    printf("mutations: %d opened, %d refused\n", ok, failed);
    free(img);
}

int main(void)
{
    test_real();
    test_small();
    test_mutations();
    XB_TEST_DONE();
}
