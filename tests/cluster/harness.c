/*
 * harness.c — spawning, stopping and reaping node processes; see harness.h.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_CHILDREN 64

static pid_t children[MAX_CHILDREN];
static size_t n_children;
static char scratch[256];

long long h_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void forget(pid_t pid)
{
    for (size_t i = 0; i < n_children; i++)
        if (children[i] == pid)
            children[i] = children[--n_children];
}

/* Kills every child still running: the last word of a test that failed. */
static void kill_all(void)
{
    for (size_t i = 0; i < n_children; i++) {
        kill(children[i], SIGKILL);
        waitpid(children[i], NULL, 0);
    }
    n_children = 0;
}

static void on_abort(int sig)
{
    kill_all();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_cleanup(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    atexit(kill_all);
    signal(SIGABRT, on_abort);
    signal(SIGSEGV, on_abort);
}

int h_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof in;
    if (fd < 0 || bind(fd, (struct sockaddr *)&in, sizeof in) < 0 ||
        getsockname(fd, (struct sockaddr *)&in, &len) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(in.sin_port);
}

const char *h_scratch_dir(void)
{
    if (!scratch[0]) {
        snprintf(scratch, sizeof scratch, "/tmp/nebula-cluster-XXXXXX");
        if (!mkdtemp(scratch))
            snprintf(scratch, sizeof scratch, "/tmp");
    }
    return scratch;
}

void h_scratch_done(bool passed)
{
    if (!scratch[0] || strcmp(scratch, "/tmp") == 0)
        return;
    if (!passed) {
        fprintf(stderr, "logs of the node processes kept in %s\n", scratch);
        return;
    }
    DIR *d = opendir(scratch);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", scratch, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(scratch);
}

static void log_path(const char *log_name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s.log", h_scratch_dir(), log_name);
}

pid_t h_spawn(const char *exe, char *const argv[], char *const env[], const char *log_name)
{
    install_cleanup();
    size_t n_env = 0, n_extra = 0;
    while (environ[n_env])
        n_env++;
    while (env && env[n_extra])
        n_extra++;
    char **all = calloc(n_env + n_extra + 1, sizeof *all);
    if (!all || n_children == MAX_CHILDREN)
        return -1;
    /* The extra variables come first: the first definition of a name wins. */
    size_t k = 0;
    for (size_t i = 0; i < n_extra; i++)
        all[k++] = env[i];
    for (size_t i = 0; i < n_env; i++)
        all[k++] = environ[i];
    char path[512];
    log_path(log_name, path, sizeof path);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawn(&pid, exe, &fa, NULL, argv, all);
    posix_spawn_file_actions_destroy(&fa);
    free(all);
    if (rc != 0)
        return -1;
    children[n_children++] = pid;
    return pid;
}

static int status_of(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

int h_wait(pid_t pid, int timeout_ms)
{
    long long until = h_now_ms() + timeout_ms;
    int st;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            forget(pid);
            return status_of(st);
        }
        if (r < 0) {
            forget(pid);
            return -1;
        }
        if (h_now_ms() >= until)
            break;
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    forget(pid);
    return status_of(st);
}

int h_stop(pid_t pid, int timeout_ms)
{
    kill(pid, SIGTERM);
    return h_wait(pid, timeout_ms);
}

void h_kill(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    forget(pid);
}

bool h_log_contains(const char *log_name, const char *needle, int timeout_ms)
{
    char path[512];
    log_path(log_name, path, sizeof path);
    long long until = h_now_ms() + timeout_ms;
    do {
        FILE *f = fopen(path, "r");
        if (f) {
            char line[4096];
            bool found = false;
            while (!found && fgets(line, sizeof line, f))
                found = strstr(line, needle) != NULL;
            fclose(f);
            if (found)
                return true;
        }
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    } while (h_now_ms() < until);
    return false;
}

/* The state letter of /proc/PID/stat (the field after the parenthesised name). */
static char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return '?';
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *close = strrchr(buf, ')');
    return close && close[1] == ' ' ? close[2] : '?';
}

int h_sigstop(pid_t pid, int timeout_ms)
{
    kill(pid, SIGSTOP);
    for (long long until = h_now_ms() + timeout_ms; h_now_ms() < until;) {
        if (proc_state(pid) == 'T')
            return 0;
        usleep(1000);
    }
    return -1;
}
