/* dataset_preproc.c: turning 8-bit images into network inputs.  The exact
 * conventions are documented in xb_dataset.h. */
#include "dataset_impl.h"

#include <stddef.h>
#include <stdlib.h>

const float xb_imagenet_mean[3] = {0.485f, 0.456f, 0.406f};
const float xb_imagenet_std[3] = {0.229f, 0.224f, 0.225f};

void xb_dataset_preprocess_fmnist(const unsigned char *img, float *out)
{
    xb_fmnist_preprocess(img, 1, XB_FMNIST_SIDE, XB_FMNIST_SIDE, out);
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

void xb_fmnist_preprocess(const unsigned char *img, int c, int h, int w, float *out)
{
    /* Same float32 operations as torchvision's ToTensor then Normalize. */
    float lut[256];
    for (int p = 0; p < 256; p++)
        lut[p] = ((float)p / 255.0f - XB_FMNIST_MEAN) / XB_FMNIST_STD;
    const int raw = XB_FMNIST_RAW;
    if (h >= raw && w >= raw && h <= raw + 2 * XB_FMNIST_PAD && w <= raw + 2 * XB_FMNIST_PAD) {
        /* centred on a canvas of raw zeros (32x32: the shipped model's pad) */
        const int top = (h - raw) / 2, left = (w - raw) / 2;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int iy = y - top, ix = x - left;
                int inside = iy >= 0 && iy < raw && ix >= 0 && ix < raw;
                out[y * w + x] = lut[inside ? img[iy * raw + ix] : 0];
            }
    } else { /* bilinear, half-pixel centres, as the ImageNet resize below */
        int y0[XB_DATASET_MAX_SIDE], y1[XB_DATASET_MAX_SIDE], x0[XB_DATASET_MAX_SIDE], x1[XB_DATASET_MAX_SIDE];
        float ly[XB_DATASET_MAX_SIDE], lx[XB_DATASET_MAX_SIDE];
        axis_weights(raw, h, 0, h, y0, y1, ly);
        axis_weights(raw, w, 0, w, x0, x1, lx);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float a0 = img[y0[y] * raw + x0[x]], a1 = img[y0[y] * raw + x1[x]];
                float b0 = img[y1[y] * raw + x0[x]], b1 = img[y1[y] * raw + x1[x]];
                float ta = a0 + lx[x] * (a1 - a0), tb = b0 + lx[x] * (b1 - b0);
                out[y * w + x] = ((ta + ly[y] * (tb - ta)) / 255.0f - XB_FMNIST_MEAN) / XB_FMNIST_STD;
            }
    }
    for (int k = 1; k < c; k++) /* a network that takes three channels sees gray */
        for (int i = 0; i < h * w; i++)
            out[(size_t)k * h * w + i] = out[i];
}

xb_status xb_dataset_preprocess_imagenet(const unsigned char *rgb, int width, int height,
                                         float *out, xb_error *err)
{
    return xb_imagenet_preprocess(rgb, width, height, XB_IMAGENET_CROP, XB_IMAGENET_CROP, out, err);
}

xb_status xb_imagenet_preprocess(const unsigned char *rgb, int width, int height, int ch, int cw, float *out,
                                 xb_error *err)
{
    if (!rgb || !out)
        return xb_error_set(err, XB_EINVAL, "xb_dataset_preprocess_imagenet: %s is NULL",
                            rgb ? "out" : "rgb");
    if (width <= 0 || height <= 0)
        return xb_error_set(err, XB_EINVAL, "xb_dataset_preprocess_imagenet: image size %dx%d "
                            "is not positive", width, height);
    /* torchvision's evaluation: shorter side to 256 for a 224 crop; for a crop
     * of side S (the longer of the two), to round(256 S / 224). */
    const int S = ch > cw ? ch : cw;
    const long long R = ((long long)XB_IMAGENET_RESIZE * S * 2 + XB_IMAGENET_CROP) / (2 * XB_IMAGENET_CROP);
    long long new_w, new_h;
    if (width <= height) {
        new_w = R;
        new_h = R * height / width;
    } else {
        new_h = R;
        new_w = R * width / height;
    }
    /* new_w, new_h >= R >= the crop, and the products fit: sides < 2^31. */
    int top = half_round_even((int)(new_h - ch));
    int left = half_round_even((int)(new_w - cw));
    int *y0 = malloc(sizeof(int) * 2 * ((size_t)ch + cw)), *x0 = y0 ? y0 + 2 * ch : NULL;
    float *ly = malloc(sizeof(float) * ((size_t)ch + cw)), *lx = ly ? ly + ch : NULL;
    if (!y0 || !ly) {
        free(y0);
        free(ly);
        return xb_error_set(err, XB_ENOMEM, "out of memory resizing an image");
    }
    int *y1 = y0 + ch, *x1 = x0 + cw;
    axis_weights(height, (int)new_h, top, ch, y0, y1, ly);
    axis_weights(width, (int)new_w, left, cw, x0, x1, lx);
    const size_t stride = (size_t)width * 3;
    for (int c = 0; c < 3; c++) {
        const float mean = xb_imagenet_mean[c], sd = xb_imagenet_std[c];
        float *o = out + (size_t)c * ch * cw;
        for (int y = 0; y < ch; y++) {
            const unsigned char *ra = rgb + (size_t)y0[y] * stride + c;
            const unsigned char *rb = rgb + (size_t)y1[y] * stride + c;
            for (int x = 0; x < cw; x++) {
                /* a + l*(b-a) keeps a constant region exactly constant */
                float a0 = ra[3 * (size_t)x0[x]], a1 = ra[3 * (size_t)x1[x]];
                float b0 = rb[3 * (size_t)x0[x]], b1 = rb[3 * (size_t)x1[x]];
                float ta = a0 + lx[x] * (a1 - a0);
                float tb = b0 + lx[x] * (b1 - b0);
                float v = ta + ly[y] * (tb - ta);
                o[(size_t)y * cw + x] = (v / 255.0f - mean) / sd;
            }
        }
    }
    free(y0);
    free(ly);
    return XB_OK;
}
