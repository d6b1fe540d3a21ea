/* test_dataset_cli.c: `xbar infer` end to end: argument errors, the 224x224
 * path on a folder of synthetic JPEGs with tests/data/tiny224.onnx, a model /
 * dataset mismatch and, when the shipped model is present, a slice of
 * Fashion-MNIST. */
#define _POSIX_C_SOURCE 200809L
#include "xb_test.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <jpeglib.h>

static void write_solid_jpeg(const char *path, int w, int h, int comps, const unsigned char *v)
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
    c.in_color_space = comps == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 95, TRUE);
    jpeg_start_compress(&c, TRUE);
    unsigned char *row = malloc((size_t)w * comps);
    for (int x = 0; x < w; x++)
        memcpy(row + (size_t)x * comps, v, (size_t)comps);
    while (c.next_scanline < c.image_height)
        jpeg_write_scanlines(&c, &row, 1);
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    fclose(f);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

typedef struct {
    int status;
    char *out, *err;
} run_result;

/* Run `xbar <args>` with stdout and stderr captured. */
static run_result run(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s' </dev/null", xb_test_xbar(), args,
             xb_test_tmp("stdout"), xb_test_tmp("stderr"));
    int st = system(cmd);
    run_result r;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.out = xb_test_slurp(xb_test_tmp("stdout"));
    r.err = xb_test_slurp(xb_test_tmp("stderr"));
    printf("$ xbar %s\n-> exit %d\n%s%s", args, r.status, r.out, r.err);
    return r;
}

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

static const char *last_line(const char *s)
{
    static char buf[256];
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '\n')
        n--;
    size_t b = n;
    while (b > 0 && s[b - 1] != '\n')
        b--;
    snprintf(buf, sizeof buf, "%.*s", (int)(n - b), s + b);
    return buf;
}

/* A usage error: exit 2, nothing on stdout, one line on stderr naming what. */
static void expect_usage_error(const char *args, const char *what)
{
    run_result r = run(args);
    XB_CHECK(r.status == 2);
    XB_CHECK(r.out[0] == '\0');
    XB_CHECK_MSG(xb_test_count_lines(r.err) == 1, "stderr has %d lines", xb_test_count_lines(r.err));
    XB_CHECK_MSG(strstr(r.err, what) != NULL, "stderr lacks '%s'", what);
    run_free(&r);
}

static void test_arguments(void)
{
    run_result r = run("infer --help");
    XB_CHECK(r.status == 0);
    XB_CHECK(strstr(r.out, "Wilson") && strstr(r.out, "top1: <fraction>") &&
             strstr(r.out, "imagenet:DIR") && strstr(r.out, "fashion-mnist[:DIR]"));
    run_free(&r);
    const char *model = xb_test_src("tests/data/tiny224.onnx");
    char a[1200];
    expect_usage_error("infer", "--model");
    snprintf(a, sizeof a, "infer --model '%s'", model);
    expect_usage_error(a, "--dataset");
    snprintf(a, sizeof a, "infer --model '%s' --dataset fashion-mnist --batch 0", model);
    expect_usage_error(a, "--batch");
    snprintf(a, sizeof a, "infer --model '%s' --dataset fashion-mnist --limit ten", model);
    expect_usage_error(a, "'ten'");
    snprintf(a, sizeof a, "infer --model '%s' --dataset fashion-mnist --limit=-3", model);
    expect_usage_error(a, "'-3'");
    snprintf(a, sizeof a, "infer --model '%s' --dataset fashion-mnist --bogus", model);
    expect_usage_error(a, "--bogus");
    snprintf(a, sizeof a, "infer --model '%s' --dataset", model);
    expect_usage_error(a, "--dataset needs a value");

    /* Errors found when opening things: exit 1, one line. */
    snprintf(a, sizeof a, "infer --model '%s' --dataset imagenet", model);
    r = run(a);
    XB_CHECK(r.status == 1 && xb_test_count_lines(r.err) == 1 && strstr(r.err, "imagenet:DIR"));
    run_free(&r);
    r = run("infer --model /nonexistent/m.onnx --dataset fashion-mnist");
    XB_CHECK(r.status == 1 && xb_test_count_lines(r.err) == 1 && strstr(r.err, "/nonexistent/m.onnx"));
    run_free(&r);
}

/* Four solid images for tiny224.onnx, which ranks red as class 0, green 1,
 * blue 2 and mid-gray 2, 1, 0, 3, ... (tools/make_test_onnx_224.py). */
static void make_folder(void)
{
    mkdir(xb_test_tmp("val"), 0700);
    const unsigned char red[3] = {255, 0, 0}, green[3] = {0, 255, 0}, blue[3] = {0, 0, 255},
                        gray[1] = {128};
    write_solid_jpeg(xb_test_tmp("val/red.JPEG"), 400, 300, 3, red);
    write_solid_jpeg(xb_test_tmp("val/green.JPEG"), 300, 400, 3, green);
    write_solid_jpeg(xb_test_tmp("val/blue.JPEG"), 320, 240, 3, blue);
    write_solid_jpeg(xb_test_tmp("val/gray.JPEG"), 256, 256, 1, gray);
    /* red, green: top-1 hits.  blue labelled 5: rank 5 (after 2, 0, 1, 3, 4),
     * a miss even for top-5.  gray labelled 3: rank 3, a top-5 hit. */
    write_text(xb_test_tmp("val/labels.txt"),
               "# file class\nred.JPEG 0\ngreen.JPEG 1\nblue.JPEG 5\ngray.JPEG 3\n");
}

static void test_imagenet_path(void)
{
    make_folder();
    const char *model = xb_test_src("tests/data/tiny224.onnx");
    char a[1200];
    snprintf(a, sizeof a, "infer --model '%s' --dataset 'imagenet:%s' --batch 3", model,
             xb_test_tmp("val"));
    run_result r = run(a);
    XB_CHECK(r.status == 0);
    XB_CHECK_MSG(!strcmp(last_line(r.out), "top1: 0.5"), "last line '%s'", last_line(r.out));
    XB_CHECK(strstr(r.out, "top-1 accuracy: 0.5000 (2/4)") != NULL);
    XB_CHECK(strstr(r.out, "top-5 accuracy: 0.7500 (3/4)") != NULL);
    XB_CHECK(strstr(r.out, "95% CI") && strstr(r.out, "images/s"));
    XB_CHECK_MSG(r.err[0] == '\0', "stderr is not a terminal, so it stays empty");
    run_free(&r);

    snprintf(a, sizeof a, "infer --model='%s' --dataset='imagenet:%s' --limit 2", model,
             xb_test_tmp("val"));
    r = run(a);
    XB_CHECK(r.status == 0);
    XB_CHECK_MSG(!strcmp(last_line(r.out), "top1: 1"), "last line '%s'", last_line(r.out));
    run_free(&r);

    /* An explicit labels file; a label beyond the model's 10 classes. */
    write_text(xb_test_tmp("labels-12"), "red.JPEG 0\ngray.JPEG 12\n");
    snprintf(a, sizeof a, "infer --model '%s' --dataset 'imagenet:%s' --labels '%s'", model,
             xb_test_tmp("val"), xb_test_tmp("labels-12"));
    r = run(a);
    XB_CHECK(r.status == 1 && strstr(r.err, "labels up to 12") && xb_test_count_lines(r.err) == 1);
    run_free(&r);
    write_text(xb_test_tmp("labels-bad"), "red.JPEG 0\ngray.JPEG\n");
    snprintf(a, sizeof a, "infer --model '%s' --dataset 'imagenet:%s' --labels '%s'", model,
             xb_test_tmp("val"), xb_test_tmp("labels-bad"));
    r = run(a);
    XB_CHECK(r.status == 1 && strstr(r.err, "labels-bad:2:"));
    run_free(&r);

    /* A 1-channel model on an RGB folder: refused, and told what it needs; on
     * Fashion-MNIST at its own size (1x16x16: the 28x28 images resized). */
    const char *gray = xb_test_src("tests/data/onnx_tinyresnet.onnx");
    snprintf(a, sizeof a, "infer --model '%s' --dataset 'imagenet:%s'", gray, xb_test_tmp("val"));
    r = run(a);
    XB_CHECK(r.status == 1 && xb_test_count_lines(r.err) == 1);
    XB_CHECK_MSG(strstr(r.err, "1x16x16") && strstr(r.err, "fashion-mnist"), "%s", r.err);
    run_free(&r);
    snprintf(a, sizeof a, "infer --model '%s' --dataset fashion-mnist --limit 5", gray);
    r = run(a);
    XB_CHECK_MSG(r.status == 0 && strstr(r.out, "input 1x16x16") && strstr(r.out, "top1:"), "%s", r.err);
    run_free(&r);
}

/* The shipped Fashion-MNIST model (any .onnx file in models/), on the first 300
 * test images. */
static void test_shipped_model(void)
{
    DIR *dir = opendir(xb_test_src("models"));
    char model[1024] = "";
    if (dir) {
        struct dirent *e;
        while ((e = readdir(dir)))
            if (strlen(e->d_name) > 5 && !strcmp(e->d_name + strlen(e->d_name) - 5, ".onnx"))
                snprintf(model, sizeof model, "%s/%s", xb_test_src("models"), e->d_name);
        closedir(dir);
    }
    if (!model[0]) {
        printf("no models/*.onnx yet: shipped-model check skipped\n");
        return;
    }
    char a[1200];
    snprintf(a, sizeof a, "infer --model '%s' --dataset fashion-mnist --limit 300", model);
    run_result r = run(a);
    XB_CHECK(r.status == 0);
    double top1 = -1;
    XB_CHECK(sscanf(last_line(r.out), "top1: %lf", &top1) == 1);
    XB_CHECK_MSG(top1 >= 0.85, "top1 %g on 300 test images", top1);
    run_free(&r);
    snprintf(a, sizeof a, "infer --model '%s' --dataset 'imagenet:%s'", model, xb_test_tmp("val"));
    r = run(a);
    XB_CHECK(r.status == 1 && strstr(r.err, "1x32x32") && strstr(r.err, "fashion-mnist"));
    run_free(&r);
}

int main(void)
{
    test_arguments();
    test_imagenet_path();
    test_shipped_model();
    XB_TEST_DONE();
}
