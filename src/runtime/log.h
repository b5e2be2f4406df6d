/*
 * log.h — the runtime's diagnostics: one line per event on stderr,
 *
 *   2024-05-01T12:34:56.789Z WARN  db@db.example: node api@api.example down: ...
 *
 * filtered by level ($NEBULA_LOG or nb_options.log_level; warnings by default).
 * A filtered-out call costs one relaxed atomic load and evaluates none of its
 * arguments, so logging may stay in the calling paths.
 */
#ifndef NB_RUNTIME_LOG_H
#define NB_RUNTIME_LOG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { NB__LOG_ERROR = 1, NB__LOG_WARN, NB__LOG_INFO, NB__LOG_DEBUG,
       /* A rare line every operator should see (a node's start): printed at the
        * default threshold (warn) but labelled NOTE, since nothing is wrong. */
       NB__LOG_NOTE = 16 };

/* The current level; read it through nb__log_enabled. */
extern atomic_int nb__log_level;

/* Sets the level: 1 (errors) .. 4 (debug), or 0 to read $NEBULA_LOG ("error",
 * "warn", "info", "debug" or 1-4; anything else means the default, warn). */
void nb__log_init(int level_or_0);

/* Names this node in every later line (NULL: no name). name is copied. */
void nb__log_set_node(const char *name);

static inline bool nb__log_enabled(int level)
{
    if (level == NB__LOG_NOTE)
        level = NB__LOG_WARN;
    return level <= atomic_load_explicit(&nb__log_level, memory_order_relaxed);
}

/* Writes one line at `level` (fmt is printf's; no trailing newline needed) with a
 * single write(2), so lines of concurrent threads never interleave. errno is
 * preserved. Use the macro below, which skips filtered-out calls entirely. */
void nb__log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies n bytes of peer-supplied text into out[0..size) so that it is safe in a
 * log line or a message: printable ASCII is kept, a backslash becomes "\\",
 * every other byte (control characters, newlines, escape sequences, non-ASCII)
 * "\xNN". Always NUL-terminates; a text cut short ends with "...". Returns out. */
char *nb__escape(const char *in, size_t n, char *out, size_t size);

/* True when s[0..n) is a plausible node name or other identifier: printable
 * ASCII without blanks, quotes or backslashes, nothing to escape. */
bool nb__is_plain_token(const char *s, size_t n);

#define nb__log(level, ...) (nb__log_enabled(level) ? (nb__log)((level), __VA_ARGS__) : (void)0)

/* A repeated event's log line (a refused connection, a failing dial): at most
 * one line per window of NB__LOG_LIMIT_WINDOW_MS for each key of a limiter;
 * the first line of a window says how many like it were held back in the
 * previous one. The key names what repeats (the peer and the reason, not the
 * source port that changes every time); a limiter tracks NB__LOG_LIMIT_KEYS
 * keys, the least recent making way. A peer can vary the key at will (a new
 * name in every handshake), so a limiter as a whole also speaks at most
 * NB__LOG_LIMIT_KEYS lines per window: the lines of other keys beyond that are
 * counted and the next line spoken says how many. Declare one static limiter
 * per kind of event: static nb__log_limit l = NB__LOG_LIMIT_INIT; */
#define NB__LOG_LIMIT_KEYS 8
#define NB__LOG_LIMIT_WINDOW_MS 10000
typedef struct nb__log_limit {
    pthread_mutex_t mu;
    struct {
        uint64_t key;            /* hash of the key text; 0 = free */
        int64_t window_start_ms; /* monotonic */
        unsigned suppressed;     /* lines held back in the current window */
    } slot[NB__LOG_LIMIT_KEYS];
    int64_t all_start_ms;        /* the limiter-wide window (monotonic) */
    unsigned all_lines;          /* lines spoken in it */
    unsigned all_held;           /* lines of keys held back by the limiter-wide cap */
} nb__log_limit;
#define NB__LOG_LIMIT_INIT {.mu = PTHREAD_MUTEX_INITIALIZER}

/* key is borrowed (any text; NULL = one key for the whole limiter). */
void nb__log_limited(nb__log_limit *l, const char *key, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif /* NB_RUNTIME_LOG_H */
