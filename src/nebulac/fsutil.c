#include "fsutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

char *nbc_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    nbc_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        nbc_buf_add(&b, chunk, n);
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        nbc_buf_free(&b);
        errno = EIO;
        return NULL;
    }
    *len = b.len;
    return nbc_buf_take(&b);
}

bool nbc_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *nbc_abs_path(const char *path) { return realpath(path, NULL); }

char *nbc_cwd(void)
{
    char *cwd = realpath(".", NULL);
    if (cwd == NULL)
        nbc_oom();
    return cwd;
}

/* A malloc'd copy; the caller frees. */
static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (p == NULL)
        nbc_oom();
    return p;
}

char *nbc_rel_path(const char *abs, const char *dir)
{
    size_t n = strlen(dir);
    if (strcmp(dir, "/") == 0)
        return abs[1] ? xstrdup(abs + 1) : NULL;
    if (strncmp(abs, dir, n) != 0 || abs[n] != '/' || abs[n + 1] == '\0')
        return NULL;
    return xstrdup(abs + n + 1);
}

char *nbc_display_path(const char *abs, const char *dir)
{
    size_t n = strlen(dir);
    if (strncmp(abs, dir, n) == 0 && abs[n] == '/')
        return xstrdup(abs + n + 1);
    /* The common leading directories end at the last '/' both share. */
    size_t common = 0;
    for (size_t i = 0; abs[i] && abs[i] == dir[i]; i++)
        if (abs[i] == '/')
            common = i + 1;
    nbc_buf b = {0};
    if (dir[common] != '\0') {
        nbc_buf_puts(&b, "../");
        for (const char *p = dir + common; *p; p++)
            if (*p == '/')
                nbc_buf_puts(&b, "../");
    }
    nbc_buf_puts(&b, abs + common);
    return nbc_buf_take(&b);
}

char *nbc_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    char *d = xstrdup(path);
    d[slash - path] = '\0';
    return d;
}

char *nbc_path_join(const char *dir, const char *name)
{
    if (name[0] == '/' || strcmp(dir, ".") == 0)
        return xstrdup(name);
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (p == NULL)
        nbc_oom();
    memcpy(p, dir, a);
    size_t k = a;
    if (a > 0 && dir[a - 1] != '/')
        p[k++] = '/';
    memcpy(p + k, name, b + 1);
    return p;
}

int nbc_mkdirs(const char *dir)
{
    char *p = xstrdup(dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(p, 0777);
    free(p);
    return rc != 0 && errno != EEXIST ? -1 : 0;
}

char *nbc_write_temp(const char *path, const char *data, size_t len)
{
    char *dir = nbc_dir_of(path);
    int rc = nbc_mkdirs(dir);
    free(dir);
    if (rc != 0)
        return NULL;
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (tmp == NULL)
        nbc_oom();
    snprintf(tmp, n + 16, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        return NULL;
    }
    /* mkstemp creates 0600; outputs are ordinary source files. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    FILE *f = fdopen(fd, "wb");
    bool ok = f != NULL && fwrite(data, 1, len, f) == len;
    int e = errno;
    if (f != NULL && fclose(f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        if (f == NULL)
            close(fd);
        unlink(tmp);
        free(tmp);
        errno = e;
        return NULL;
    }
    return tmp;
}

int nbc_commit(const char *tmp, const char *path)
{
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}
