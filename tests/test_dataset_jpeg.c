/* test_dataset_jpeg.c: ImageNet-style folders: labels files, JPEG decoding
 * and the resize / centre-crop / normalize pipeline, on JPEGs written here. */
#define _POSIX_C_SOURCE 200809L
#include "xb_test.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>

#include "xb_dataset.h"

#define CROP 224
#define PLANE (3 * CROP * CROP)

static const float MEAN[3] = {0.485f, 0.456f, 0.406f};
static const float STD[3] = {0.229f, 0.224f, 0.225f};

static float norm(float v, int c) { return (v / 255.0f - MEAN[c]) / STD[c]; }

/* ---- JPEG files, written and read back with libjpeg directly ----------------- */

static void write_jpeg(const char *path, int w, int h, int comps, J_COLOR_SPACE cs,
                       const unsigned char *pix, int quality)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(2);
    }
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = comps;
    c.in_color_space = cs;
    jpeg_set_defaults(&c);
    if (cs == JCS_CMYK)
        jpeg_set_colorspace(&c, JCS_CMYK); /* store CMYK as given, with an Adobe marker */
    jpeg_set_quality(&c, quality, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(pix + (size_t)c.next_scanline * w * comps);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);
}

/* Decode without colour conversion beyond YCbCr -> RGB; returns malloc'ed
 * pixels with *comps components (1 gray, 3 RGB, 4 CMYK). */
static unsigned char *read_jpeg(const char *path, int *w, int *h, int *comps, int *adobe)
{
    struct jpeg_decompress_struct d;
    struct jpeg_error_mgr e;
    d.err = jpeg_std_error(&e);
    jpeg_create_decompress(&d);
    FILE *f = fopen(path, "rb");
    jpeg_stdio_src(&d, f);
    jpeg_read_header(&d, TRUE);
    if (d.jpeg_color_space == JCS_YCbCr)
        d.out_color_space = JCS_RGB;
    jpeg_start_decompress(&d);
    *w = (int)d.output_width;
    *h = (int)d.output_height;
    *comps = d.output_components;
    *adobe = d.saw_Adobe_marker;
    unsigned char *p = malloc((size_t)*w * *h * *comps);
    while (d.output_scanline < d.output_height) {
        JSAMPROW row = p + (size_t)d.output_scanline * *w * *comps;
        jpeg_read_scanlines(&d, &row, 1);
    }
    jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
    fclose(f);
    return p;
}

static unsigned char *solid(int w, int h, int comps, const unsigned char *v)
{
    unsigned char *p = malloc((size_t)w * h * comps);
    for (size_t i = 0; i < (size_t)w * h; i++)
        memcpy(p + i * comps, v, (size_t)comps);
    return p;
}

/* The colour (as RGB) a solid JPEG decodes to, checked to be uniform. */
static void decoded_colour(const char *path, float rgb[3])
{
    int w, h, comps, adobe;
    unsigned char *p = read_jpeg(path, &w, &h, &comps, &adobe);
    int uniform = 1;
    for (size_t i = 1; i < (size_t)w * h; i++)
        if (memcmp(p + i * comps, p, (size_t)comps))
            uniform = 0;
    XB_CHECK_MSG(uniform, "%s does not decode to a solid colour", path);
    for (int c = 0; c < 3; c++) {
        if (comps == 1)
            rgb[c] = p[0];
        else if (comps == 3)
            rgb[c] = p[c];
        else { /* Adobe CMYK is stored inverted: R = C' * K' / 255 */
            XB_CHECK(adobe);
            rgb[c] = (float)((p[c] * p[3] + 127) / 255);
        }
    }
    free(p);
}

static const char *tmp_path(const char *rel)
{
    static char buf[8][700];
    static int slot;
    char *p = buf[slot++ % 8];
    snprintf(p, 700, "%s/%s", xb_test_tmpdir(), rel);
    return p;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

/* Every value of channel c of a 3x224x224 image equals norm(rgb[c], c). */
static void check_solid(const float *x, const float rgb[3], const char *what)
{
    for (int c = 0; c < 3; c++) {
        float want = norm(rgb[c], c);
        int bad = 0;
        for (int i = 0; i < CROP * CROP; i++)
            if (x[c * CROP * CROP + i] != want)
                bad++;
        XB_CHECK_MSG(bad == 0, "%s: channel %d: %d values differ from (%g/255-mean)/std = %.9g",
                     what, c, bad, rgb[c], want);
    }
}

/* ---- the resize/crop arithmetic on gradients --------------------------------- */

/* A w x h image with R = x, G = y, B = 77 (w, h <= 256 so the gradients are
 * exact bytes).  Bilinear interpolation reproduces a linear function exactly,
 * so output pixel (Y, X) must hold R = sx, G = sy where sx = (X + left + 0.5)
 * * w / new_w - 0.5 and likewise sy, as long as no sample is clamped. */
static void check_gradient(int w, int h, int new_w, int new_h, int left, int top)
{
    unsigned char *img = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            img[(y * w + x) * 3 + 0] = (unsigned char)x;
            img[(y * w + x) * 3 + 1] = (unsigned char)y;
            img[(y * w + x) * 3 + 2] = 77;
        }
    float *out = malloc(sizeof(float) * PLANE);
    xb_error err;
    xb_status st = xb_dataset_preprocess_imagenet(img, w, h, out, &err);
    XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
    double worst = 0;
    for (int Y = 0; Y < CROP; Y++)
        for (int X = 0; X < CROP; X++) {
            double sx = (X + left + 0.5) * w / new_w - 0.5;
            double sy = (Y + top + 0.5) * h / new_h - 0.5;
            double want[3] = {sx, sy, 77};
            for (int c = 0; c < 3; c++) {
                double e = fabs(out[(c * CROP + Y) * CROP + X] -
                                ((want[c] / 255.0 - MEAN[c]) / STD[c]));
                if (e > worst)
                    worst = e;
            }
        }
    /* One pixel of offset would be ~0.016 here; float rounding is ~1e-6. */
    XB_CHECK_MSG(worst < 5e-6, "%dx%d: largest deviation from the linear gradient %g", w, h,
                 worst);
    free(img);
    free(out);
}

static void test_preprocess(void)
{
    /* 240 wide, 249 tall: the width becomes 256, the height floor(256*249/240)
     * = 265; the crop starts at x = 16 and at y = round(41/2) = 20 (Python
     * rounds 20.5 to the even 20). */
    check_gradient(240, 249, 256, 265, 16, 20);
    /* 240 x 251: height floor(267.73) = 267, y offset round(21.5) = 22. */
    check_gradient(240, 251, 256, 267, 16, 22);
    /* Landscape: 250 x 240 -> 266 x 256, offsets x = 21, y = 16. */
    check_gradient(250, 240, 266, 256, 21, 16);
    /* Upscaling a small square: 200 x 200 -> 256 x 256, offsets 16, 16. */
    check_gradient(200, 200, 256, 256, 16, 16);

    xb_error err;
    float out[1];
    unsigned char px[3] = {0, 0, 0};
    XB_CHECK(xb_dataset_preprocess_imagenet(px, 0, 5, out, &err) == XB_EINVAL);
    XB_CHECK(strstr(err.msg, "0x5") != NULL);

    /* A single pixel still fills the whole crop with its colour. */
    float *x = malloc(sizeof(float) * PLANE);
    unsigned char one[3] = {12, 34, 56};
    XB_CHECK(xb_dataset_preprocess_imagenet(one, 1, 1, x, &err) == XB_OK);
    const float f[3] = {12, 34, 56};
    check_solid(x, f, "1x1 image");
    free(x);
}

/* ---- folders ----------------------------------------------------------------- */

static void test_folder(void)
{
    mkdir(tmp_path("folder"), 0700);
    mkdir(tmp_path("folder/sub"), 0700);
    const unsigned char rgb[3] = {200, 100, 50}, gray[1] = {77}, cmyk[4] = {10, 200, 120, 60};
    unsigned char *p = solid(400, 300, 3, rgb);
    write_jpeg(tmp_path("folder/a.jpg"), 400, 300, 3, JCS_RGB, p, 95);
    free(p);
    p = solid(300, 400, 1, gray);
    write_jpeg(tmp_path("folder/b c.jpg"), 300, 400, 1, JCS_GRAYSCALE, p, 95);
    free(p);
    p = solid(320, 240, 4, cmyk);
    write_jpeg(tmp_path("folder/sub/d.jpeg"), 320, 240, 4, JCS_CMYK, p, 100);
    free(p);
    write_text(tmp_path("folder/labels.txt"),
               "# file class\n"
               "a.jpg 3\r\n"
               "\n"
               "  b c.jpg \t 0  \n"
               "sub/d.jpeg 7");
    float want[3][3];
    decoded_colour(tmp_path("folder/a.jpg"), want[0]);
    decoded_colour(tmp_path("folder/b c.jpg"), want[1]);
    decoded_colour(tmp_path("folder/sub/d.jpeg"), want[2]);
    XB_CHECK(want[1][0] == 77 && want[1][1] == 77 && want[1][2] == 77);
    /* stored (10, 200, 120, 60) inverted CMYK -> (10*60, 200*60, 120*60)/255 */
    XB_CHECK(want[2][0] == 2 && want[2][1] == 47 && want[2][2] == 28);

    char spec[800];
    snprintf(spec, sizeof spec, "imagenet:%s", tmp_path("folder"));
    xb_error err;
    xb_dataset *d = NULL;
    xb_status st = xb_dataset_open(spec, &d, &err);
    XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
    if (st != XB_OK)
        return;
    XB_CHECK(xb_dataset_get_kind(d) == XB_DATASET_IMAGENET);
    XB_CHECK(xb_dataset_count(d) == 3);
    XB_CHECK(xb_dataset_num_classes(d) == 8);
    int c, h, w;
    xb_dataset_input_shape(d, &c, &h, &w);
    XB_CHECK(c == 3 && h == CROP && w == CROP);
    XB_CHECK(xb_dataset_match_input(d, 3, 224, 224, &err) == XB_OK);
    XB_CHECK(xb_dataset_match_input(d, 1, 32, 32, &err) == XB_EINVAL);
    XB_CHECK_MSG(strstr(err.msg, "fashion-mnist") && strstr(err.msg, "1x32x32"), "%s", err.msg);
    XB_CHECK(xb_dataset_match_input(d, 3, 64, 48, &err) == XB_OK);

    float *x = malloc(sizeof(float) * 3 * PLANE);
    int labels[3] = {-1, -1, -1};
    st = xb_dataset_read_batch(d, 0, 3, x, labels, &err);
    XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
    XB_CHECK(labels[0] == 3 && labels[1] == 0 && labels[2] == 7);
    check_solid(x, want[0], "RGB 400x300");
    check_solid(x + PLANE, want[1], "gray 300x400");
    check_solid(x + 2 * PLANE, want[2], "CMYK 320x240");
    st = xb_dataset_read_batch(d, 1, 2, x, labels, &err);
    XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
    XB_CHECK(labels[0] == 0 && labels[1] == 7);
    check_solid(x, want[1], "gray 300x400, second read");
    XB_CHECK(xb_dataset_read_batch(d, 2, 2, x, labels, &err) == XB_EINVAL);
    free(x);
    xb_dataset_free(d);

    /* val.txt, an explicit labels file, absolute names. */
    mkdir(tmp_path("folder2"), 0700);
    char line[800];
    snprintf(line, sizeof line, "%s 1\n", tmp_path("folder/a.jpg"));
    write_text(tmp_path("folder2/val.txt"), line);
    st = xb_dataset_open_imagenet(tmp_path("folder2"), NULL, &d, &err);
    XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
    if (st == XB_OK) {
        XB_CHECK(xb_dataset_count(d) == 1 && xb_dataset_num_classes(d) == 2);
        XB_CHECK(strstr(xb_dataset_describe(d), "val.txt") != NULL);
        xb_dataset_free(d);
    }
    write_text(tmp_path("other-labels"), "b c.jpg 5\n");
    st = xb_dataset_open_imagenet(tmp_path("folder"), tmp_path("other-labels"), &d, &err);
    XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
    if (st == XB_OK) {
        XB_CHECK(xb_dataset_count(d) == 1 && xb_dataset_num_classes(d) == 6);
        xb_dataset_free(d);
    }
}

static void expect_open_fail(const char *dir, const char *labels, xb_status code, const char *s1,
                             const char *s2)
{
    xb_error err;
    xb_dataset *d = NULL;
    xb_status st = xb_dataset_open_imagenet(dir, labels, &d, &err);
    printf("expected failure: %s\n", err.msg);
    XB_CHECK_MSG(st == code, "status %d (%s), expected %d", st, err.msg, code);
    XB_CHECK(d == NULL);
    XB_CHECK_MSG(!s1 || strstr(err.msg, s1), "'%s' lacks '%s'", err.msg, s1);
    XB_CHECK_MSG(!s2 || strstr(err.msg, s2), "'%s' lacks '%s'", err.msg, s2);
    if (st == XB_OK)
        xb_dataset_free(d);
}

static void test_bad_labels(void)
{
    const char *dir = tmp_path("folder");
    const char *lab = tmp_path("bad-labels");
    write_text(lab, "a.jpg 1\n# fine\nb c.jpg three\n");
    expect_open_fail(dir, lab, XB_EFORMAT, "bad-labels:3:", "'three'");
    write_text(lab, "a.jpg 1\na.jpg\n");
    expect_open_fail(dir, lab, XB_EFORMAT, "bad-labels:2:", "expected '<filename> <class-index>'");
    write_text(lab, "a.jpg -1\n");
    expect_open_fail(dir, lab, XB_EFORMAT, "bad-labels:1:", "'-1'");
    write_text(lab, "a.jpg 99999999999999999999\n");
    expect_open_fail(dir, lab, XB_EFORMAT, "bad-labels:1:", NULL);
    write_text(lab, "\n\na.jpg 2\nnothere.jpg 4\n");
    expect_open_fail(dir, lab, XB_EIO, "bad-labels:4:", "nothere.jpg");
    write_text(lab, "sub 4\n");
    expect_open_fail(dir, lab, XB_EIO, "bad-labels:1:", "not a regular file");
    write_text(lab, "# nothing\n\n");
    expect_open_fail(dir, lab, XB_EFORMAT, "lists no images", NULL);
    expect_open_fail(dir, tmp_path("no-such-labels"), XB_EIO, "no-such-labels", NULL);
    mkdir(tmp_path("nolabels"), 0700);
    expect_open_fail(tmp_path("nolabels"), NULL, XB_EIO, "labels.txt", "val.txt");
    expect_open_fail(tmp_path("folder/a.jpg"), NULL, XB_EIO, "not a directory", NULL);
    expect_open_fail("/nonexistent/imagenet", NULL, XB_EIO, "/nonexistent/imagenet", NULL);

    xb_error err;
    xb_dataset *d = NULL;
    XB_CHECK(xb_dataset_open("imagenet", &d, &err) == XB_EINVAL && d == NULL);
    XB_CHECK(xb_dataset_open("imagenet:", &d, &err) == XB_EINVAL && d == NULL);
}

static void test_bad_jpegs(void)
{
    mkdir(tmp_path("broken"), 0700);
    unsigned char *p = malloc(300 * 400 * 3);
    for (int i = 0; i < 300 * 400 * 3; i++)
        p[i] = (unsigned char)((unsigned)i * 7919u % 251u);
    write_jpeg(tmp_path("broken/good.jpg"), 400, 300, 3, JCS_RGB, p, 90);
    write_jpeg(tmp_path("broken/cut.jpg"), 400, 300, 3, JCS_RGB, p, 90);
    free(p);
    struct stat sb;
    stat(tmp_path("broken/cut.jpg"), &sb);
    XB_CHECK(truncate(tmp_path("broken/cut.jpg"), sb.st_size * 2 / 5) == 0);
    write_text(tmp_path("broken/junk.jpg"), "\x89PNG\r\n\x1a\n this is not a JPEG file");
    write_text(tmp_path("broken/empty.jpg"), "");
    write_text(tmp_path("broken/labels.txt"), "good.jpg 0\njunk.jpg 1\ncut.jpg 2\nempty.jpg 3\n");

    xb_error err;
    xb_dataset *d = NULL;
    xb_status st = xb_dataset_open_imagenet(tmp_path("broken"), NULL, &d, &err);
    XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
    if (st != XB_OK)
        return;
    float *x = malloc(sizeof(float) * 4 * PLANE);
    XB_CHECK(xb_dataset_read_batch(d, 0, 1, x, NULL, &err) == XB_OK);
    static const char *names[3] = {"junk.jpg", "cut.jpg", "empty.jpg"};
    static const char *why[3] = {"Not a JPEG file", "truncated", "empty"};
    for (int i = 0; i < 3; i++) {
        st = xb_dataset_read_batch(d, (size_t)i + 1, 1, x, NULL, &err);
        printf("expected failure: %s\n", err.msg);
        XB_CHECK(st == XB_EFORMAT);
        XB_CHECK_MSG(strstr(err.msg, names[i]) && strstr(err.msg, why[i]), "%s", err.msg);
    }
    /* A batch fails at its first bad image; the dataset stays usable. */
    st = xb_dataset_read_batch(d, 0, 4, x, NULL, &err);
    XB_CHECK(st == XB_EFORMAT && strstr(err.msg, "junk.jpg"));
    XB_CHECK(xb_dataset_read_batch(d, 0, 1, x, NULL, &err) == XB_OK);
    free(x);
    xb_dataset_free(d);
}

/* Damaged copies of a good JPEG and random labels lines: every outcome is
 * XB_OK or a failure with a message, never a crash (the sanitizers watch). */
static void test_mutations(void)
{
    mkdir(tmp_path("mut"), 0700);
    unsigned char *p = malloc(64 * 48 * 3);
    for (int i = 0; i < 64 * 48 * 3; i++)
        p[i] = (unsigned char)((unsigned)i * 2654435761u >> 24);
    write_jpeg(tmp_path("mut/good.jpg"), 64, 48, 3, JCS_RGB, p, 80);
    free(p);
    FILE *f = fopen(tmp_path("mut/good.jpg"), "rb");
    fseek(f, 0, SEEK_END);
    size_t len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *good = malloc(len), *bad = malloc(len);
    XB_CHECK(fread(good, 1, len, f) == len);
    fclose(f);
    write_text(tmp_path("mut/labels.txt"), "bad.jpg 0\n");
    unsigned long long rng = 777;
    float *x = malloc(sizeof(float) * PLANE);
    int ok = 0, failed = 0;
    for (int t = 0; t < 200; t++) {
        memcpy(bad, good, len);
        size_t n = len;
        for (int k = 0; k < 4; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            unsigned r = (unsigned)(rng >> 33);
            if (k == 0 && r % 5 == 0)
                n = r % len;
            else
                bad[r % len] = (unsigned char)(r >> 11);
        }
        f = fopen(tmp_path("mut/bad.jpg"), "wb");
        fwrite(bad, 1, n, f);
        fclose(f);
        xb_error err;
        xb_dataset *d = NULL;
        XB_CHECK(xb_dataset_open_imagenet(tmp_path("mut"), NULL, &d, &err) == XB_OK);
        if (!d)
            continue;
        xb_status st = xb_dataset_read_batch(d, 0, 1, x, NULL, &err);
        if (st == XB_OK)
            ok++;
        else {
            failed++;
            XB_CHECK(strstr(err.msg, "bad.jpg") != NULL);
        }
        xb_dataset_free(d);
    }
    printf("JPEG mutations: %d decoded, %d refused\n", ok, failed);
    free(good);
    free(bad);
    free(x);

    /* Random bytes as a labels file. */
    write_text(tmp_path("mut/x.jpg"), "");
    for (int t = 0; t < 200; t++) {
        char text[64];
        for (size_t i = 0; i + 1 < sizeof text; i++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            static const char alphabet[] = "x.jpg 0123456789-#\n\r\t /\x01\xff";
            text[i] = alphabet[(rng >> 33) % (sizeof alphabet - 1)];
        }
        text[sizeof text - 1] = '\0';
        write_text(tmp_path("mut/rand-labels"), text);
        xb_error err;
        xb_dataset *d = NULL;
        xb_status st = xb_dataset_open_imagenet(tmp_path("mut"), tmp_path("mut/rand-labels"), &d,
                                                &err);
        if (st == XB_OK)
            xb_dataset_free(d);
        else
            XB_CHECK(d == NULL && err.msg[0] != '\0');
    }
}

int main(void)
{
    test_preprocess();
    test_mutations();
    test_folder();
    test_bad_labels();
    test_bad_jpegs();
    XB_TEST_DONE();
}
