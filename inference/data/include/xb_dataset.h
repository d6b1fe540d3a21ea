/* xb_dataset.h: labelled image datasets, preprocessed for a network.
 *
 * A dataset yields float32 NCHW batches plus one integer class label per
 * image.  Two sources are supported, each with the preprocessing that the
 * network's input shape calls for:
 *
 *   Fashion-MNIST (IDX files, gzipped or not)     -> 1x32x32
 *     The 28x28 image is zero-padded by 2 pixels on every side (the pad is a
 *     raw pixel value of 0), then x = (p/255 - XB_FMNIST_MEAN) / XB_FMNIST_STD.
 *
 *   ImageNet-style folder (JPEG files + labels)    -> 3x224x224, RGB
 *     The shorter side is resized to 256 and the longer side to
 *     floor(256 * long / short) (torchvision's Resize(256) rule).  Resizing is
 *     bilinear with half-pixel centres and no antialiasing, i.e. the
 *     convention of torch.nn.functional.interpolate(mode="bilinear",
 *     align_corners=False, antialias=False): the output pixel d samples the
 *     input at s = (d + 0.5) * in/out - 0.5, clamped to [0, in-1] (s in
 *     double precision).  It interpolates the 0..255 values in single
 *     precision with no rounding back to 8 bits.  Then a centred 224x224 crop (offset round((size-224)/2), ties to
 *     even, as torchvision's CenterCrop), and x = (p/255 - mean[c]) / std[c]
 *     with the ImageNet mean and std below.  Grayscale JPEGs are replicated
 *     to three channels; CMYK/YCCK JPEGs are converted with
 *     R = (255-C)(255-K)/255 (likewise G, B), treating files with an Adobe
 *     marker as storing inverted CMYK, as Photoshop writes them.
 *
 * Labels file of an ImageNet-style folder: plain text, one image per line,
 *
 *     <filename> <class-index>
 *
 * where <filename> is relative to the folder (or absolute) and may contain
 * spaces (the class index is the last whitespace-separated field), and
 * <class-index> is a decimal integer >= 0 (0-based, in the model's output
 * order; for torchvision's ImageNet models, the sorted-synset order).  Blank
 * lines and lines whose first non-blank character is '#' are ignored; CRLF
 * line ends are accepted.  This is the format of the widely used Caffe
 * "val.txt".  By default the file is DIR/labels.txt, else DIR/val.txt.
 * Images are read in the order of the labels file.
 *
 * Other input sizes (xb_dataset_set_input_shape; xb_dataset_check_model
 * adopts the model's):
 *   Fashion-MNIST -> 1 or 3 (gray replicated) x H x W, sides up to
 *     XB_DATASET_MAX_SIDE: when both sides are 28 to 32 the 28x28 image is
 *     centred on an H x W canvas of raw zeros (offsets floor((H-28)/2),
 *     floor((W-28)/2); 32x32 is the 2-pixel pad above, 28x28 the image as it
 *     is), else it is resized to H x W with the bilinear rule above; then
 *     normalized as above.
 *   ImageNet-style -> 3 x H x W: the shorter side is resized to
 *     round(256 S / 224) for S = max(H, W) (256 for 224), the longer side as
 *     above, then the centred H x W crop and the normalization above.
 *
 * The network picks the preprocessing: xb_dataset_match_input() checks that
 * a dataset can produce the input shape a model expects and fails with a
 * clear message otherwise. */
#ifndef XB_DATASET_H
#define XB_DATASET_H

#include <stddef.h>

#include "xb_error.h"
#include "xb_model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fashion-MNIST normalization, matching the training script (models/README.md). */
#define XB_FMNIST_MEAN 0.2860f /* mean of the training pixels scaled to [0, 1] */
#define XB_FMNIST_STD 0.3530f  /* their standard deviation, same scale */
#define XB_FMNIST_RAW 28       /* side of the stored images, pixels */
#define XB_FMNIST_PAD 2        /* zero padding per side, pixels */
#define XB_FMNIST_SIDE 32      /* side of the network input, pixels */
#define XB_FMNIST_CLASSES 10

/* ImageNet preprocessing (torchvision's reference evaluation transform). */
#define XB_IMAGENET_RESIZE 256 /* shorter side after resizing, pixels */
#define XB_IMAGENET_CROP 224   /* side of the centre crop, pixels */
#define XB_DATASET_MAX_SIDE 1024 /* largest side of a network input a dataset feeds */
extern const float xb_imagenet_mean[3]; /* 0.485, 0.456, 0.406 (R, G, B) */
extern const float xb_imagenet_std[3];  /* 0.229, 0.224, 0.225 (R, G, B) */

/* Default location of the Fashion-MNIST files (Debian's dataset-fashion-mnist). */
#define XB_FMNIST_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"

typedef enum {
    XB_SPLIT_TEST = 0, /* t10k-*: 10,000 images */
    XB_SPLIT_TRAIN     /* train-*: 60,000 images */
} xb_split;

typedef enum {
    XB_DATASET_FMNIST = 0, /* Fashion-MNIST IDX files -> 1x32x32 */
    XB_DATASET_IMAGENET    /* folder of JPEG files + labels -> 3x224x224 */
} xb_dataset_kind;

typedef struct xb_dataset xb_dataset;

/* Open Fashion-MNIST from dir (NULL = XB_FMNIST_DEFAULT_DIR).  The files are
 * <prefix>-images-idx3-ubyte[.gz] and <prefix>-labels-idx1-ubyte[.gz] with
 * prefix t10k (test) or train; the .gz name is tried first.  Both files are
 * read and checked completely here (magic numbers, 28x28 images, matching
 * counts, no truncation or trailing bytes, labels 0..9). */
xb_status xb_dataset_open_fmnist(const char *dir, xb_split split, xb_dataset **out,
                                 xb_error *err);

/* Open an ImageNet-style folder.  labels_path NULL = dir/labels.txt, or
 * dir/val.txt when that does not exist.  The labels file is parsed and every
 * image it names is checked to exist; the JPEGs are decoded only when read. */
xb_status xb_dataset_open_imagenet(const char *dir, const char *labels_path, xb_dataset **out,
                                   xb_error *err);

/* Open from a specification string, as on the command line:
 *   "fashion-mnist[:DIR]"        Fashion-MNIST test split (also "fashion-mnist-test")
 *   "fashion-mnist-train[:DIR]"  Fashion-MNIST training split
 *   "imagenet:DIR"               ImageNet-style folder, default labels file */
xb_status xb_dataset_open(const char *spec, xb_dataset **out, xb_error *err);

/* xb_dataset_open(), or with labels_path (not NULL) the imagenet:DIR folder of
 * spec with that labels file; a labels file with any other spec is refused. */
xb_status xb_dataset_open_spec(const char *spec, const char *labels_path, xb_dataset **out,
                               xb_error *err);

void xb_dataset_free(xb_dataset *d);

xb_dataset_kind xb_dataset_get_kind(const xb_dataset *d);
/* Short description for reports, e.g. "fashion-mnist test (DIR)". */
const char *xb_dataset_describe(const xb_dataset *d);
size_t xb_dataset_count(const xb_dataset *d);
/* Shape of one preprocessed image (1x32x32 or 3x224x224 unless set). */
void xb_dataset_input_shape(const xb_dataset *d, int *c, int *h, int *w);
/* One more than the largest label (10 for Fashion-MNIST). */
int xb_dataset_num_classes(const xb_dataset *d);

/* Check that a network whose input is c x h x w can run on this dataset
 * (the sizes above).  A shape the dataset cannot feed gives XB_EINVAL with a
 * message that says what it needs. */
xb_status xb_dataset_match_input(const xb_dataset *d, int c, int h, int w, xb_error *err);

/* Check that model m (named path in messages) can be scored on d, and make
 * d feed its input shape: it has an input shape and outputs, d can feed the
 * shape (xb_dataset_match_input), the preprocessing constants recorded in its
 * metadata (preprocess.mean, .std, .pad) are the ones d applies, and it has
 * an output for every label of d. */
xb_status xb_dataset_check_model(xb_dataset *d, const xb_model *m, const char *path,
                                 xb_error *err);
/* Feed images of c x h x w from now on, with the preprocessing rules above
 * (xb_dataset_match_input says which shapes a dataset can feed). */
xb_status xb_dataset_set_input_shape(xb_dataset *d, int c, int h, int w, xb_error *err);

/* Read images first .. first+n-1 (0-based, first+n <= count) into x
 * (n * c*h*w floats, NCHW) and their labels into labels (n ints; may be NULL).
 * Errors name the image file (or IDX index) that failed. */
xb_status xb_dataset_read_batch(xb_dataset *d, size_t first, int n, float *x, int *labels,
                                xb_error *err);

/* The preprocessing on its own, for callers with images in memory. */

/* img: 28x28 row-major 8-bit pixels -> out: 1x32x32 floats. */
void xb_dataset_preprocess_fmnist(const unsigned char *img, float *out);

/* rgb: height x width x 3 interleaved 8-bit pixels -> out: 3x224x224 floats.
 * XB_EINVAL for a non-positive size. */
xb_status xb_dataset_preprocess_imagenet(const unsigned char *rgb, int width, int height,
                                         float *out, xb_error *err);

/* Scoring predictions against labels. */

/* Rank of the true class among n logits: how many classes beat it (a higher
 * logit, or an equal logit at a lower index, as a stable argmax would pick).
 * 0 is a top-1 hit, r < k a top-k hit.  A NaN or out-of-range label ranks n. */
int xb_dataset_label_rank(const float *logits, int n, int label);

/* Wilson score interval for a binomial proportion: k successes out of n
 * trials at z standard deviations (z = XB_Z95 for 95 %).  n == 0 gives
 * [0, 1]. */
void xb_dataset_wilson_interval(size_t k, size_t n, double z, double *lo, double *hi);
#define XB_Z95 1.959963984540054 /* two-sided 95 % quantile of the standard normal */

#ifdef __cplusplus
}
#endif
#endif
