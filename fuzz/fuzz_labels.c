/* fuzz_labels.c: the labels file of an ImageNet-style folder
 * (xb_dataset_open_imagenet with an explicit labels file).
 *
 * The folder holds a few (empty) image files, with names the seed corpus uses,
 * among them one with spaces, one in a subfolder and a folder with an image
 * name; the input is the labels file, in a memfd.  Images are not decoded:
 * the target is the text format.  Properties: an opened dataset lists at least
 * one image, its shape is 3x224x224, and its class count is one more than a
 * label in 0..1000000; a refused file leaves a message and no dataset. */
#include "fuzz_util.h"

#include "xb_dataset.h"

static fuzz_memfile labels;
static char dir[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_memfile_open(&labels, "labels");
    snprintf(dir, sizeof dir, "%s/images", fuzz_tmpdir());
    FUZZ_CHECK(mkdir(dir, 0700) == 0);
    static const char *const names[] = {"a.JPEG", "b.jpg", "with space.JPEG", "n01/c.JPEG",
                                        "ILSVRC2012_val_00000001.JPEG"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        fuzz_write_file(dir, names[i], "", 0);
    char sub[4300];
    snprintf(sub, sizeof sub, "%s/folder.JPEG", dir);
    FUZZ_CHECK(mkdir(sub, 0700) == 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_memfile_set(&labels, data, size);
    xb_dataset *d = NULL;
    xb_error err;
    xb_error_clear(&err);
    xb_status st = xb_dataset_open_imagenet(dir, labels.path, &d, &err);
    if (st != XB_OK) {
        FUZZ_CHECK(d == NULL && err.code == st && err.msg[0]);
        return 0;
    }
    int c, h, w;
    xb_dataset_input_shape(d, &c, &h, &w);
    FUZZ_CHECK(c == 3 && h == XB_IMAGENET_CROP && w == XB_IMAGENET_CROP);
    FUZZ_CHECK(xb_dataset_count(d) >= 1);
    int classes = xb_dataset_num_classes(d);
    FUZZ_CHECK(classes >= 1 && classes <= 1000001);
    FUZZ_CHECK(xb_dataset_describe(d) != NULL);
    xb_dataset_free(d);
    return 0;
}
