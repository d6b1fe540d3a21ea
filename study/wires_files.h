/* wires_files.h: one file of the wire study's folder (study-internal). */
#ifndef XB_WIRES_FILES_H
#define XB_WIRES_FILES_H

#include "xb_study.h"

/* Writes the file at path from arg; the file appears complete or not at all. */
typedef xb_status (*study_writer)(const char *path, const void *arg, xb_error *err);

/* Write "<f->dir>/<name>" with w and list it in f.  err is never NULL here. */
xb_status study_files_write(xb_study_files *f, const char *name, study_writer w, const void *arg, xb_error *err);

#endif
