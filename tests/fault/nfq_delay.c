/*
 * nfq_delay.c — delays every packet of one NFQUEUE queue by a fixed time: the
 * fault suite's stand-in for `tc qdisc ... netem delay`, which this kernel lacks
 * (no sch_netem). Run it in the network namespace whose packets it delays, with
 * an iptables rule sending them to the queue:
 *
 *   nfq_delay QUEUE DELAY_MS &
 *   iptables -I OUTPUT -o eth0 -j NFQUEUE --queue-num QUEUE --queue-bypass
 *
 * It speaks nfnetlink_queue directly (linux/netfilter/nfnetlink_queue.h), with
 * no library: bind the queue, copy packet metadata only, then for each packet
 * the kernel hands over, accept it DELAY_MS after it arrived. The delay is the
 * same for every packet, so packets leave in the order they came, and one batch
 * verdict accepts every packet up to the newest one due. A queue overflowing
 * (more than 65536 packets held) lets packets through undelayed (fail-open)
 * rather than dropping them: this is a delay, not a loss. --queue-bypass on the
 * rule lets packets through when the program is gone.
 *
 * Prints "nfq_delay: queue Q bound, delay D ms" once it holds the queue, and
 * the packet count when it ends (SIGTERM or SIGINT). Exit status 0, or 1 when
 * the kernel refused the queue.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RING 131072 /* packets held at most; the kernel's queue is capped below it */
#define QUEUE_MAXLEN 65536

static volatile sig_atomic_t done;
static int fd;
static uint16_t queue;
static uint32_t seqno;

static void on_signal(int sig)
{
    (void)sig;
    done = 1;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Message building: a netlink header, an nfgenmsg for our queue, attributes. */
typedef struct msg {
    union {
        struct nlmsghdr nh;
        char buf[256];
    } u;
} msg;

static void msg_init(msg *m, uint16_t type, uint16_t flags)
{
    memset(m, 0, sizeof *m);
    m->u.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
    m->u.nh.nlmsg_type = (uint16_t)(NFNL_SUBSYS_QUEUE << 8 | type);
    m->u.nh.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
    m->u.nh.nlmsg_seq = ++seqno;
    struct nfgenmsg *g = NLMSG_DATA(&m->u.nh);
    g->nfgen_family = AF_UNSPEC;
    g->version = NFNETLINK_V0;
    g->res_id = htons(queue);
}

static void msg_attr(msg *m, uint16_t type, const void *data, size_t len)
{
    struct nlattr *a = (struct nlattr *)(m->u.buf + NLMSG_ALIGN(m->u.nh.nlmsg_len));
    a->nla_type = type;
    a->nla_len = (uint16_t)(NLA_HDRLEN + len);
    memcpy((char *)a + NLA_HDRLEN, data, len);
    m->u.nh.nlmsg_len = NLMSG_ALIGN(m->u.nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static int msg_send(msg *m)
{
    struct sockaddr_nl to = {.nl_family = AF_NETLINK};
    return sendto(fd, m->u.buf, m->u.nh.nlmsg_len, 0, (struct sockaddr *)&to, sizeof to) < 0
               ? -1 : 0;
}

/* Sends a configuration message and waits for its acknowledgement. */
static int configure(msg *m, const char *what)
{
    if (msg_send(m) < 0) {
        fprintf(stderr, "nfq_delay: %s: %s\n", what, strerror(errno));
        return -1;
    }
    char buf[1024];
    for (int tries = 0; tries < 16; tries++) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0) {
            fprintf(stderr, "nfq_delay: %s: %s\n", what, strerror(errno));
            return -1;
        }
        struct nlmsghdr *h = (struct nlmsghdr *)buf;
        if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == m->u.nh.nlmsg_seq) {
            const struct nlmsgerr *e = NLMSG_DATA(h);
            if (e->error == 0)
                return 0;
            fprintf(stderr, "nfq_delay: %s: %s\n", what, strerror(-e->error));
            return -1;
        }
    }
    fprintf(stderr, "nfq_delay: %s: no acknowledgement\n", what);
    return -1;
}

/* Accepts every packet up to and including `id`. */
static void accept_through(uint32_t id)
{
    msg m;
    msg_init(&m, NFQNL_MSG_VERDICT_BATCH, 0);
    struct nfqnl_msg_verdict_hdr v = {.verdict = htonl(NF_ACCEPT), .id = htonl(id)};
    msg_attr(&m, NFQA_VERDICT_HDR, &v, sizeof v);
    if (msg_send(&m) < 0)
        fprintf(stderr, "nfq_delay: verdict: %s\n", strerror(errno));
}

static struct held {
    uint32_t id;
    int64_t due_ns;
} ring[RING];
static size_t head, tail; /* held packets are ring[head..tail) modulo RING */

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: nfq_delay QUEUE DELAY_MS\n");
        return 2;
    }
    queue = (uint16_t)atoi(argv[1]);
    int64_t delay_ns = (int64_t)atoi(argv[2]) * 1000000;

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* Ends with the script that started it (its parent: ip netns exec execs). */
    pid_t parent = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
        return 1;

    fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    struct sockaddr_nl self = {.nl_family = AF_NETLINK};
    if (fd < 0 || bind(fd, (struct sockaddr *)&self, sizeof self) < 0) {
        fprintf(stderr, "nfq_delay: netlink socket: %s\n", strerror(errno));
        return 1;
    }
    int rcvbuf = 16 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);

    msg m;
    msg_init(&m, NFQNL_MSG_CONFIG, NLM_F_ACK);
    struct nfqnl_msg_config_cmd cmd = {.command = NFQNL_CFG_CMD_BIND, .pf = htons(AF_INET)};
    msg_attr(&m, NFQA_CFG_CMD, &cmd, sizeof cmd);
    if (configure(&m, "bind queue") < 0)
        return 1;
    msg_init(&m, NFQNL_MSG_CONFIG, NLM_F_ACK);
    struct nfqnl_msg_config_params params = {.copy_range = htonl(0),
                                             .copy_mode = NFQNL_COPY_META};
    msg_attr(&m, NFQA_CFG_PARAMS, &params, sizeof params);
    uint32_t maxlen = htonl(QUEUE_MAXLEN);
    msg_attr(&m, NFQA_CFG_QUEUE_MAXLEN, &maxlen, sizeof maxlen);
    uint32_t flags = htonl(NFQA_CFG_F_FAIL_OPEN);
    msg_attr(&m, NFQA_CFG_FLAGS, &flags, sizeof flags);
    msg_attr(&m, NFQA_CFG_MASK, &flags, sizeof flags);
    if (configure(&m, "configure queue") < 0)
        return 1;
    printf("nfq_delay: queue %u bound, delay %d ms\n", queue, atoi(argv[2]));
    fflush(stdout);

    static char buf[1 << 16];
    unsigned long long packets = 0, lost = 0;
    while (!done) {
        int wait_ms = -1;
        if (head != tail) {
            int64_t left = ring[head % RING].due_ns - now_ns();
            wait_ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, wait_ms);
        if (r < 0 && errno != EINTR)
            break;
        if (r > 0) {
            for (;;) {
                ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n < 0) {
                    if (errno == ENOBUFS) { /* the kernel dropped what did not fit */
                        lost++;
                        continue;
                    }
                    break;
                }
                int64_t due = now_ns() + delay_ns;
                int len = (int)n;
                for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
                     h = NLMSG_NEXT(h, len)) {
                    if (h->nlmsg_type != (NFNL_SUBSYS_QUEUE << 8 | NFQNL_MSG_PACKET))
                        continue;
                    struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(h) +
                                                         NLMSG_ALIGN(sizeof(struct nfgenmsg)));
                    int alen = (int)h->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct nfgenmsg)));
                    for (; alen >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
                           a->nla_len <= alen;
                         alen -= NLA_ALIGN(a->nla_len),
                         a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
                        if ((a->nla_type & NLA_TYPE_MASK) != NFQA_PACKET_HDR)
                            continue;
                        const struct nfqnl_msg_packet_hdr *ph =
                            (const void *)((char *)a + NLA_HDRLEN);
                        uint32_t id = ntohl(ph->packet_id);
                        packets++;
                        if (tail - head == RING) /* full: let the oldest go now */
                            accept_through(ring[head++ % RING].id);
                        ring[tail++ % RING] = (struct held){id, due};
                        break;
                    }
                }
            }
        }
        /* Every packet due now leaves, with one verdict for the newest of them. */
        int64_t now = now_ns();
        size_t last = head;
        while (last != tail && ring[last % RING].due_ns <= now)
            last++;
        if (last != head) {
            accept_through(ring[(last - 1) % RING].id);
            head = last;
        }
    }
    if (head != tail)
        accept_through(ring[(tail - 1) % RING].id);
    printf("nfq_delay: %llu packets delayed, %llu receive overflows\n", packets, lost);
    return 0;
}
