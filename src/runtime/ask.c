/*
 * ask.c — one question to a configured node and its answer; see ask.h. What
 * the STATS and DESCRIBE frames share: the question is matched to its answer
 * by the header's call id through pending.c, as a call is.
 */
#include "ask.h"

#include "config.h"
#include "membership.h"
#include "pending.h"
#include "status.h"

int nb__ask_node(int idx, nb__frame_type type, const char *what, int timeout_ms,
                 nb__answer_fn take, void *arg)
{
    if (!nb__lease_enter()) {
        nb__fail(NB_E_NOT_STARTED, "%s: asked before nb_start()", what);
        return -1;
    }
    const nb__cluster_def *def = nb__cfg.def;
    const char *name = idx >= 0 && (size_t)idx < def->n_nodes ? def->nodes[idx].name : "?";
    nb__conn *c = nb__members_conn_up(idx);
    if (!c) {
        nb__fail(NB_E_NO_WORKER, "%s: %s is not connected", what, name);
        nb__lease_leave();
        return -1;
    }
    int rc = -1;
    nb__waiter w;
    nb__pcall p;
    nb__waiter_init(&w);
    if (nb__pcall_register(c, &p, &w) < 0) {
        nb__fail(NB_E_NODE_DOWN, "%s: %s went down before it was asked", what, name);
    } else {
        msgpack_sbuffer sb;
        msgpack_packer pk;
        nb__frame_begin(&sb, &pk);
        nb__frame_end(&sb, type, p.id);
        nb__conn_send(c, &sb); /* a failed send closes c, which resolves p */
        nb__pcall_wait(&p, nb__mono_ms() + timeout_ms, what, name);
        if (p.code != NB_OK) {
            nb__fail(p.code, "%s: %s", what, p.msg ? p.msg : nb_code_name(p.code));
        } else if (take(p.reply, p.reply_len, name, arg) == 0) {
            rc = 0;
            nb__set_code(NB_OK);
        }
        nb__pcall_release(&p);
    }
    nb__waiter_destroy(&w);
    nb__conn_unref(c);
    nb__lease_leave();
    return rc;
}

int nb__ask_answer(nb__conn *c, nb__frame_type type, uint64_t id,
                   void (*pack)(msgpack_packer *pk))
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nb__frame_begin(&sb, &pk);
    pack(&pk);
    nb__frame_end(&sb, type, id);
    if (!sb.data)
        return -1;
    return nb__conn_send(c, &sb);
}
