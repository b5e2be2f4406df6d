#include "diag.h"

#include <stdarg.h>

static FILE *diag_stream;
static int errors;

static void diag_emit(nbc_loc loc, const char *kind, const char *fmt, va_list ap)
{
    FILE *out = diag_stream ? diag_stream : stderr;
    fprintf(out, "%s:%d:%d: %s: ", loc.file ? loc.file : "<unknown>", loc.line, loc.col, kind);
    vfprintf(out, fmt, ap);
    fputc('\n', out);
}

void nbc_error(nbc_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_emit(loc, "error", fmt, ap);
    va_end(ap);
    errors++;
}

void nbc_note(nbc_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_emit(loc, "note", fmt, ap);
    va_end(ap);
}

int nbc_error_count(void) { return errors; }

void nbc_diag_set_stream(FILE *f) { diag_stream = f; }
