/*
 * fsutil.h — the few file-system operations nebulac needs: whole-file reads,
 * path arithmetic relative to the current directory, and writes that never
 * leave a half-written output behind (temporary file + rename).
 */
#ifndef NBC_FSUTIL_H
#define NBC_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* The whole file, NUL-terminated, malloc'd (caller frees); NULL with errno set. */
char *nbc_read_file(const char *path, size_t *len);

/* True for an existing regular file. */
bool nbc_is_file(const char *path);

/* Canonical absolute path (symlinks resolved), malloc'd; NULL with errno set. */
char *nbc_abs_path(const char *path);

/* The current directory, canonical, malloc'd. */
char *nbc_cwd(void);

/* abs relative to dir (both canonical), malloc'd; NULL when abs is not inside dir. */
char *nbc_rel_path(const char *abs, const char *dir);

/* abs as shown to users from dir: relative, climbing with "../" when abs lies
 * outside dir (both canonical); malloc'd. */
char *nbc_display_path(const char *abs, const char *dir);

/* The directory part of path ("." when none), malloc'd. */
char *nbc_dir_of(const char *path);

/* dir + "/" + name, or name alone when it is absolute or dir is "."; malloc'd. */
char *nbc_path_join(const char *dir, const char *name);

/* mkdir -p. Returns 0 or -1 with errno set. */
int nbc_mkdirs(const char *dir);

/*
 * Writes data to a temporary file beside path (creating missing directories).
 * Returns the temporary file's name, malloc'd, for nbc_commit to rename into
 * place, or NULL with errno set.
 */
char *nbc_write_temp(const char *path, const char *data, size_t len);

/* Renames tmp to path; returns 0 or -1 with errno set. */
int nbc_commit(const char *tmp, const char *path);

#endif /* NBC_FSUTIL_H */
