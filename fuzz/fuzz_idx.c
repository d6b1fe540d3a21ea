/* fuzz_idx.c: the Fashion-MNIST IDX reader (xb_dataset_open_fmnist).
 *
 * The reader takes a folder with fixed file names, so the input is split into
 * the labels file and the images file, each placed in a memfd that the folder
 * links to:
 *
 *   byte 0..1   n, little-endian: the labels file is the next min(n, rest) bytes
 *   the rest    the images file
 *
 * Either file may be plain or gzip (zlib reads both).  When the pair opens, every
 * image (up to 64, and the last ones) is read and preprocessed, and the labels
 * must lie in 0..9. */
#include "fuzz_util.h"

#include <math.h>

#include "xb_dataset.h"

static fuzz_memfile images, labels;
static char dir[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_memfile_open(&images, "images");
    fuzz_memfile_open(&labels, "labels");
    snprintf(dir, sizeof dir, "%s/fmnist", fuzz_tmpdir());
    FUZZ_CHECK(mkdir(dir, 0700) == 0);
    fuzz_symlink(dir, "t10k-images-idx3-ubyte", images.path);
    fuzz_symlink(dir, "t10k-labels-idx1-ubyte", labels.path);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t n = (size_t)data[0] | (size_t)data[1] << 8;
    data += 2;
    size -= 2;
    if (n > size)
        n = size;
    fuzz_memfile_set(&labels, data, n);
    fuzz_memfile_set(&images, data + n, size - n);

    xb_dataset *d = NULL;
    xb_error err;
    xb_error_clear(&err);
    xb_status st = xb_dataset_open_fmnist(dir, XB_SPLIT_TEST, &d, &err);
    if (st != XB_OK) {
        FUZZ_CHECK(d == NULL && err.code == st && err.msg[0]);
        return 0;
    }
    size_t count = xb_dataset_count(d);
    int c, h, w;
    xb_dataset_input_shape(d, &c, &h, &w);
    FUZZ_CHECK(count >= 1 && c == 1 && h == XB_FMNIST_SIDE && w == XB_FMNIST_SIDE);
    FUZZ_CHECK(xb_dataset_num_classes(d) == XB_FMNIST_CLASSES);
    float *x = malloc(sizeof(float) * (size_t)c * h * w * 4);
    int lab[4];
    /* the first images and the last one (gzip can make a short input hold many) */
    size_t starts[17], ns = 0;
    for (size_t first = 0; first < count && first < 64; first += 4)
        starts[ns++] = first;
    if (count > 64)
        starts[ns++] = count - 4;
    for (size_t b = 0; b < ns; b++) {
        size_t first = starts[b];
        int k = count - first < 4 ? (int)(count - first) : 4;
        FUZZ_CHECK(xb_dataset_read_batch(d, first, k, x, lab, &err) == XB_OK);
        for (int i = 0; i < k; i++)
            FUZZ_CHECK(lab[i] >= 0 && lab[i] < XB_FMNIST_CLASSES);
        for (int i = 0; i < k * c * h * w; i++)
            FUZZ_CHECK(isfinite(x[i]));
    }
    free(x);
    xb_dataset_free(d);
    return 0;
}
