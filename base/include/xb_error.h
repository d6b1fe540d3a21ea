/* xb_error.h: status codes and error messages shared by every xbar module.
 *
 * Every public function returns an xb_status (or NULL) and, on failure, fills
 * an xb_error with a message that says what was wrong and where (file, field,
 * index, value).  Library code never prints and never exits. */
#ifndef XB_ERROR_H
#define XB_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    XB_OK = 0,
    XB_EINVAL,       /* an argument or field has a bad value */
    XB_ENOMEM,       /* an allocation failed */
    XB_ETOOBIG,      /* the problem would exceed the memory budget */
    XB_EIO,          /* a file could not be opened, read or written */
    XB_EFORMAT,      /* a file is malformed or truncated */
    XB_EUNSUPPORTED, /* valid input that xbar does not handle (dtype, op, ...) */
    XB_ESINGULAR,    /* a matrix could not be factorized */
    XB_ECONVERGE,    /* an iteration did not converge */
    XB_ESPICE,       /* ngspice reported an error */
    XB_EINTERNAL     /* a bug: an invariant did not hold */
} xb_status;

#define XB_ERROR_MSG_LEN 512

typedef struct {
    xb_status code;              /* XB_OK when nothing failed */
    char msg[XB_ERROR_MSG_LEN];  /* human-readable, one line, no trailing newline */
} xb_error;

/* Set err (which may be NULL) and return code.  printf-style message. */
xb_status xb_error_set(xb_error *err, xb_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix an existing message with context ("reading G.npy: ..."). */
xb_status xb_error_prefix(xb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reset err to XB_OK with an empty message. */
void xb_error_clear(xb_error *err);

/* Short name of a status code ("invalid argument", ...). */
const char *xb_status_str(xb_status code);

#ifdef __cplusplus
}
#endif
#endif
