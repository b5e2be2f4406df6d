/*
 * transport.h — the event loop (transport.c): one epoll set, a bounded pool of
 * loop threads, the listening socket and the timers. The bottom of the runtime
 * above the ground floor: it knows descriptors, not connections, frames or
 * nodes. What happens on an event is the business of the callbacks the layers
 * above hand to nb__loop_start (the way Redis's ae and libuv hand events up);
 * transport.c calls nothing above it by name and includes none of its headers.
 *
 * Threads. There is no dedicated I/O thread. The loop threads all wait in
 * epoll_wait on one epoll set; every descriptor but the stop eventfd is
 * registered EPOLLONESHOT, so an event goes to exactly one thread, which then
 * owns it until it re-arms the registration. The kernel's wake-one on the shared
 * epoll set is the leader election of leader/followers: while one thread runs a
 * method body, the others are still waiting for the next event, and the pool
 * grows (bounded) when none is left waiting (nb__loop_before_body).
 *
 * Callback contract:
 *   - every callback runs on a loop thread, never on the thread that called
 *     nb__loop_start, and never after nb__loop_stop has returned;
 *   - when nb__loop_start returns -1, no callback has been called and none ever
 *     will be;
 *   - on_event gets the registration's own 64-bit data and the events; the
 *     registration is disarmed (one-shot) until the callee re-arms it;
 *   - on_accept owns the accepted socket (non-blocking, TCP_NODELAY set) and
 *     must close it if it does not keep it;
 *   - on_tick runs every NB__TICK_MS, one tick at a time.
 *
 * Accepting never spins: when accept() fails for want of descriptors or
 * memory, the connections waiting are accepted with a descriptor kept in
 * reserve and closed at once, and accepting pauses for a moment (the timer
 * resumes it); the warning is rate-limited (docs/security.md, "Limits").
 */
#ifndef NB_RUNTIME_TRANSPORT_H
#define NB_RUNTIME_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* epoll data values below this one are the loop's own descriptors; whoever
 * registers a descriptor with nb__loop_add uses values from here on. */
#define NB__LOOP_TAG_BASE 16u

typedef struct nb__loop_hooks {
    /* An event of a descriptor registered with nb__loop_add. */
    void (*on_event)(uint64_t data, uint32_t events);
    /* A connection accepted on the listening socket; addr is "ip:port". */
    void (*on_accept)(int fd, const char *addr);
    /* The periodic timer (heartbeats, silence checks, dialing). */
    void (*on_tick)(int64_t now_ms);
    /* A thread woken by nb__loop_kick_jobs: runs queued work. */
    void (*on_jobs)(void);
    /* The jobs timer fired (nb__loop_watch_jobs): returns true to set it again. */
    bool (*on_watch)(void);
} nb__loop_hooks;

/* Starts the epoll set, the listening socket (when listen_addr is not NULL), the
 * timer and the first loop threads; the pool may grow by up to extra_threads.
 * hooks is copied. Returns 0, or -1 after nb__fail (nothing left running). */
int nb__loop_start(const nb__loop_hooks *hooks, const char *listen_addr, size_t extra_threads);
/* Stops accepting connections. */
void nb__loop_stop_listening(void);
/* Stops and joins every loop thread and closes the loop's descriptors. */
void nb__loop_stop(void);

/* epoll control for descriptors of the layers above (data >= NB__LOOP_TAG_BASE). */
int nb__loop_add(int fd, uint64_t data, uint32_t events);
void nb__loop_mod(int fd, uint64_t data, uint32_t events);
void nb__loop_del(int fd);

/* Called by a loop thread before it runs a method body: keeps at least one
 * thread waiting for events, growing the pool up to its bound. */
void nb__loop_before_body(void);

/* Wakes n loop threads to run queued work (on_jobs). */
void nb__loop_kick_jobs(unsigned n);
/* Starts the jobs timer (one-shot, NB__JOBS_WATCH_MS) unless it runs already;
 * when it fires, on_watch says whether to start it again. */
void nb__loop_watch_jobs(void);
#define NB__JOBS_WATCH_MS 5

/* Period of the loop's timer: heartbeats, silence checks, dialing. */
#define NB__TICK_MS 25

/* Parses "host:port" and resolves it (numeric or by name). Returns 0 or -1. */
int nb__resolve(const char *hostport, struct sockaddr_storage *ss, socklen_t *len);

/* Sets TCP_NODELAY: frames are small and a round trip must not wait for Nagle. */
void nb__socket_nodelay(int fd);

#endif /* NB_RUNTIME_TRANSPORT_H */
