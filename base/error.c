/* error.c: formatting of xb_error messages. */
#define _POSIX_C_SOURCE 200809L
#include "xb_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

xb_status xb_error_set(xb_error *err, xb_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

xb_status xb_error_prefix(xb_error *err, const char *fmt, ...)
{
    if (!err)
        return XB_EINTERNAL;
    char prefix[XB_ERROR_MSG_LEN], old[XB_ERROR_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t pl = strnlen(prefix, sizeof prefix - 1);
    if (pl > sizeof err->msg - 3)
        pl = sizeof err->msg - 3;
    memcpy(err->msg, prefix, pl);
    memcpy(err->msg + pl, ": ", 2);
    size_t room = sizeof err->msg - pl - 3;
    size_t ol = strnlen(old, room);
    memcpy(err->msg + pl + 2, old, ol);
    err->msg[pl + 2 + ol] = '\0';
    return err->code;
}

void xb_error_clear(xb_error *err)
{
    if (err) {
        err->code = XB_OK;
        err->msg[0] = '\0';
    }
}

const char *xb_status_str(xb_status code)
{
    switch (code) {
    case XB_OK: return "ok";
    case XB_EINVAL: return "invalid argument";
    case XB_ENOMEM: return "out of memory";
    case XB_ETOOBIG: return "too large for the memory budget";
    case XB_EIO: return "i/o error";
    case XB_EFORMAT: return "malformed file";
    case XB_EUNSUPPORTED: return "unsupported";
    case XB_ESINGULAR: return "singular matrix";
    case XB_ECONVERGE: return "no convergence";
    case XB_ESPICE: return "ngspice error";
    case XB_EINTERNAL: return "internal error";
    }
    return "unknown status";
}
