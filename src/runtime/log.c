/*
 * log.c — one timestamped line per event on stderr (log.h).
 *
 * A line is formatted whole into a stack buffer and written with one write(2):
 * stdio would split long lines and interleave threads. The node name is copied
 * under a mutex because nb_start sets it while application threads may log.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LINE_MAX_BYTES 2048
#define NODE_MAX 256

atomic_int nb__log_level = NB__LOG_WARN;

static pthread_mutex_t node_lock = PTHREAD_MUTEX_INITIALIZER;
static char node_name[NODE_MAX];

/* The level named by text (borrowed: "warn", "3", ...), or 0 when it names none. */
static int parse_level(const char *text)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (strcasecmp(text, names[i]) == 0)
            return i + 1;
    if (strcasecmp(text, "warning") == 0)
        return NB__LOG_WARN;
    if (text[0] >= '1' && text[0] <= '4' && text[1] == '\0')
        return text[0] - '0';
    return 0;
}

void nb__log_init(int level_or_0)
{
    int level = level_or_0;
    if (level <= 0) {
        const char *env = getenv("NEBULA_LOG");
        level = env != NULL ? parse_level(env) : 0;
        if (level == 0)
            level = NB__LOG_WARN;
    }
    if (level > NB__LOG_DEBUG)
        level = NB__LOG_DEBUG;
    atomic_store_explicit(&nb__log_level, level, memory_order_relaxed);
}

/* name is borrowed and copied. */
void nb__log_set_node(const char *name)
{
    pthread_mutex_lock(&node_lock);
    snprintf(node_name, sizeof node_name, "%s", name != NULL ? name : "");
    pthread_mutex_unlock(&node_lock);
}

static const char *level_name(int level)
{
    switch (level) {
    case NB__LOG_ERROR:
        return "ERROR";
    case NB__LOG_WARN:
        return "WARN ";
    case NB__LOG_INFO:
        return "INFO ";
    case NB__LOG_NOTE:
        return "NOTE ";
    default:
        return "DEBUG";
    }
}

/* Writes "<UTC time> <LEVEL> <node>: " into the caller's buf[size]; returns its
 * length. */
static size_t format_prefix(char *buf, size_t size, int level)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    pthread_mutex_lock(&node_lock);
    int k = snprintf(buf + n, size - n, ".%03ldZ %s %s%s", ts.tv_nsec / 1000000L, level_name(level),
                     node_name[0] ? node_name : "nebula", ": ");
    pthread_mutex_unlock(&node_lock);
    if (k < 0)
        return n;
    n += (size_t)k;
    return n < size ? n : size - 1;
}

/* Writes one line: prefix, fmt with ap, then note (or nothing). fmt and note
 * are borrowed. */
static void write_line(int level, const char *note, const char *fmt, va_list ap)
{
    int saved_errno = errno;
    char line[LINE_MAX_BYTES];
    size_t n = format_prefix(line, sizeof line - 1, level);
    int k = vsnprintf(line + n, sizeof line - 1 - n, fmt, ap);
    if (k < 0)
        k = 0;
    n += (size_t)k;
    if (n < sizeof line - 1 && note) {
        k = snprintf(line + n, sizeof line - 1 - n, "%s", note);
        n += k > 0 ? (size_t)k : 0;
    }
    if (n >= sizeof line - 1) {
        n = sizeof line - 1;
        memcpy(line + n - 3, "...", 3);
    }
    line[n++] = '\n';
    ssize_t w;
    do
        w = write(STDERR_FILENO, line, n);
    while (w < 0 && errno == EINTR);
    errno = saved_errno;
}

/* fmt is borrowed. Parenthesised: log.h defines a macro of the same name. */
void(nb__log)(int level, const char *fmt, ...)
{
    if (!nb__log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    write_line(level, NULL, fmt, ap);
    va_end(ap);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t key_hash(const char *key)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const char *p = key ? key : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h ? h : 1;
}

/* l, key and fmt are borrowed. */
void(nb__log_limited)(nb__log_limit *l, const char *key, int level, const char *fmt, ...)
{
    if (!nb__log_enabled(level))
        return;
    int64_t now = mono_ms();
    uint64_t h = key_hash(key);
    pthread_mutex_lock(&l->mu);
    size_t k = 0, oldest = 0;
    while (k < NB__LOG_LIMIT_KEYS && l->slot[k].key != h)
        k++;
    if (k == NB__LOG_LIMIT_KEYS) { /* new key: the least recent slot */
        for (size_t i = 1; i < NB__LOG_LIMIT_KEYS; i++)
            if (l->slot[i].window_start_ms < l->slot[oldest].window_start_ms)
                oldest = i;
        k = oldest;
        l->slot[k].key = h;
        l->slot[k].window_start_ms = 0;
        l->slot[k].suppressed = 0;
    }
    bool speak = l->slot[k].window_start_ms == 0 ||
                 now - l->slot[k].window_start_ms >= NB__LOG_LIMIT_WINDOW_MS;
    if (speak && (l->all_start_ms == 0 || now - l->all_start_ms >= NB__LOG_LIMIT_WINDOW_MS)) {
        l->all_start_ms = now;
        l->all_lines = 0;
    }
    unsigned held = l->slot[k].suppressed, others = 0;
    if (speak && l->all_lines >= NB__LOG_LIMIT_KEYS) {
        /* The key's own window is left as it was: it speaks once the
         * limiter-wide window has room again. */
        speak = false;
        l->all_held++;
    } else if (speak) {
        l->slot[k].window_start_ms = now;
        l->slot[k].suppressed = 0;
        l->all_lines++;
        others = l->all_held;
        l->all_held = 0;
    } else {
        l->slot[k].suppressed++;
    }
    pthread_mutex_unlock(&l->mu);
    if (!speak)
        return;
    char note[160] = "";
    size_t n = 0;
    if (held)
        n += (size_t)snprintf(note, sizeof note, " (and %u more like it in the last %d s)", held,
                              NB__LOG_LIMIT_WINDOW_MS / 1000);
    if (others)
        snprintf(note + n, sizeof note - n, " (%u other line(s) of this kind held back)", others);
    va_list ap;
    va_start(ap, fmt);
    write_line(level, note[0] ? note : NULL, fmt, ap);
    va_end(ap);
}

/* Bytes ch takes once escaped. */
static size_t escaped_len(unsigned char ch)
{
    return ch == '\\' ? 2 : ch >= 0x20 && ch < 0x7f ? 1 : 4;
}

char *nb__escape(const char *in, size_t n, char *out, size_t size)
{
    if (size == 0)
        return out;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += escaped_len((unsigned char)in[i]);
    /* Cut short: keep room for the "..." that says so. */
    size_t room = total < size ? size - 1 : size > 4 ? size - 4 : 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)in[i];
        size_t tl = escaped_len(ch);
        if (o + tl > room)
            break;
        if (tl == 2) {
            out[o] = out[o + 1] = '\\';
        } else if (tl == 1) {
            out[o] = (char)ch;
        } else {
            char tmp[5];
            snprintf(tmp, sizeof tmp, "\\x%02x", ch);
            memcpy(out + o, tmp, 4);
        }
        o += tl;
    }
    if (total >= size && size > 4) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

bool nb__is_plain_token(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= 0x20 || ch >= 0x7f || ch == '\\' || ch == '"' || ch == '\'')
            return false;
    }
    return n > 0;
}
