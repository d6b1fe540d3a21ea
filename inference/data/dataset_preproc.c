/* dataset_preproc.c: turning 8-bit images into network inputs.  The exact
 * conventions are documented in xb_dataset.h. */
#include "xb_dataset.h"

#include <stddef.h>

const float xb_imagenet_mean[3] = {0.485f, 0.456f, 0.406f};
const float xb_imagenet_std[3] = {0.229f, 0.224f, 0.225f};

void xb_dataset_preprocess_fmnist(const unsigned char *img, float *out)
{
    /* Same float32 operations as torchvision's ToTensor then Normalize. */
    float lut[256];
    for (int p = 0; p < 256; p++)
        lut[p] = ((float)p / 255.0f - XB_FMNIST_MEAN) / XB_FMNIST_STD;
    const int side = XB_FMNIST_SIDE, pad = XB_FMNIST_PAD, raw = XB_FMNIST_RAW;
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++) {
            int iy = y - pad, ix = x - pad;
            int inside = iy >= 0 && iy < raw && ix >= 0 && ix < raw;
            out[y * side + x] = lut[inside ? img[iy * raw + ix] : 0];
        }
}

/* Python's round() of d/2 for d >= 0: halves go to the even neighbour. */
static int half_round_even(int d)
{
    int h = d / 2;
    if ((d & 1) && (h & 1))
        h++;
    return h;
}

/* Source sampling for one axis: output pixels off..off+n-1 of a resize from
 * in to out pixels.  i0/i1 are the two neighbours, l the weight of i1.  The
 * positions are computed in double precision: in float, a coordinate near
 * 1000 is off by up to 6e-5 pixel. */
static void axis_weights(int in, int out, int off, int n, int *i0, int *i1, float *l)
{
    const double scale = (double)in / (double)out;
    for (int k = 0; k < n; k++) {
        double s = scale * ((double)(off + k) + 0.5) - 0.5;
        if (s < 0.0)
            s = 0.0;
        int a = (int)s;
        if (a > in - 1)
            a = in - 1;
        double lam = s - (double)a;
        if (lam > 1.0)
            lam = 1.0;
        i0[k] = a;
        i1[k] = a < in - 1 ? a + 1 : a;
        l[k] = (float)lam;
    }
}

xb_status xb_dataset_preprocess_imagenet(const unsigned char *rgb, int width, int height,
                                         float *out, xb_error *err)
{
    if (!rgb || !out)
        return xb_error_set(err, XB_EINVAL, "xb_dataset_preprocess_imagenet: %s is NULL",
                            rgb ? "out" : "rgb");
    if (width <= 0 || height <= 0)
        return xb_error_set(err, XB_EINVAL, "xb_dataset_preprocess_imagenet: image size %dx%d "
                            "is not positive", width, height);
    enum { R = XB_IMAGENET_RESIZE, C = XB_IMAGENET_CROP };
    /* torchvision Resize(256): shorter side to 256, longer to floor(256*long/short). */
    long long new_w, new_h;
    if (width <= height) {
        new_w = R;
        new_h = (long long)R * height / width;
    } else {
        new_h = R;
        new_w = (long long)R * width / height;
    }
    /* new_w, new_h >= R > C, and the products above fit easily: sides < 2^31. */
    int top = half_round_even((int)(new_h - C));
    int left = half_round_even((int)(new_w - C));
    int y0[C], y1[C], x0[C], x1[C];
    float ly[C], lx[C];
    axis_weights(height, (int)new_h, top, C, y0, y1, ly);
    axis_weights(width, (int)new_w, left, C, x0, x1, lx);
    const size_t stride = (size_t)width * 3;
    for (int c = 0; c < 3; c++) {
        const float mean = xb_imagenet_mean[c], sd = xb_imagenet_std[c];
        float *o = out + (size_t)c * C * C;
        for (int y = 0; y < C; y++) {
            const unsigned char *ra = rgb + (size_t)y0[y] * stride + c;
            const unsigned char *rb = rgb + (size_t)y1[y] * stride + c;
            for (int x = 0; x < C; x++) {
                /* a + l*(b-a) keeps a constant region exactly constant */
                float a0 = ra[3 * (size_t)x0[x]], a1 = ra[3 * (size_t)x1[x]];
                float b0 = rb[3 * (size_t)x0[x]], b1 = rb[3 * (size_t)x1[x]];
                float ta = a0 + lx[x] * (a1 - a0);
                float tb = b0 + lx[x] * (b1 - b0);
                float v = ta + ly[y] * (tb - ta);
                o[(size_t)y * C + x] = (v / 255.0f - mean) / sd;
            }
        }
    }
    return XB_OK;
}
