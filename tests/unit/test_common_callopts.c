/*
 * test_common_callopts.c — nb__call_check: every rule, its message naming the
 * option, and the valid neighbours of each invalid form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "callopts.h"

static bool pred(const nb_result *r, void *arg)
{
    (void)r;
    (void)arg;
    return true;
}

static bool keep(const nb_node_info *n, void *arg)
{
    (void)n;
    (void)arg;
    return true;
}

static int pick(const nb_node_info *n, size_t count, void *arg)
{
    (void)n;
    (void)count;
    (void)arg;
    return 0;
}

/* Asserts c is refused with a message containing `names`. */
static void refused(nb_call c, const char *names)
{
    char why[256] = "";
    assert_int_equal(nb__call_check(&c, why, sizeof why), -1);
    if (!strstr(why, names))
        fail_msg("\"%s\" does not contain \"%s\"", why, names);
}

static void accepted(nb_call c)
{
    char why[256] = "";
    if (nb__call_check(&c, why, sizeof why) != 0)
        fail_msg("refused: %s", why);
}

static void test_one_target(void **state)
{
    (void)state;
    refused((nb_call){.node = "@a", .pick = pick}, ".node and .pick are both set");
    refused((nb_call){.node = "@a", .nodes = "@a"}, ".node and .nodes");
    refused((nb_call){.nodes = "@a", .filter = keep}, ".nodes and .filter");
    refused((nb_call){.filter = keep, .all = true}, ".filter and .all");
    refused((nb_call){.pick = pick, .all = true}, ".pick and .all");
    accepted((nb_call){0});
    accepted((nb_call){.node = "@a"});
    accepted((nb_call){.pick = pick});
    accepted((nb_call){.nodes = "@a"});
    accepted((nb_call){.filter = keep});
    accepted((nb_call){.all = true});
    accepted((nb_call){.timeout_ms = 10}); /* options alone: the block's target */
}

static void test_predicates(void **state)
{
    (void)state;
    refused((nb_call){.nodes = "@a", .strategy = NB_FIRST, .success = pred, .failure = pred},
            ".success and .failure are both set");
    refused((nb_call){.node = "@a", .success = pred}, ".success needs a multicast target");
    refused((nb_call){.pick = pick, .failure = pred}, ".failure needs a multicast target");
    refused((nb_call){.success = pred}, ".success needs a multicast target");
    refused((nb_call){.nodes = "@a", .success = pred}, "no effect with NB_ALL");
    refused((nb_call){.all = true, .failure = pred}, ".failure has no effect with NB_ALL");
    accepted((nb_call){.nodes = "@a", .strategy = NB_FIRST, .success = pred});
    accepted((nb_call){.all = true, .strategy = NB_QUORUM, .failure = pred});
}

static void test_strategy_and_quorum(void **state)
{
    (void)state;
    refused((nb_call){.node = "@a", .strategy = NB_FIRST}, ".strategy needs a multicast target");
    refused((nb_call){.strategy = NB_QUORUM}, ".strategy needs a multicast target");
    refused((nb_call){.node = "@a", .at_least = 2}, ".at_least needs a multicast target");
    refused((nb_call){.nodes = "@a", .at_least = 2}, ".at_least applies to NB_QUORUM only");
    refused((nb_call){.nodes = "@a", .strategy = NB_FIRST, .at_least = 1},
            ".at_least applies to NB_QUORUM only");
    refused((nb_call){.nodes = "@a", .strategy = NB_QUORUM, .at_least = -1}, ".at_least is -1");
    refused((nb_call){.filter = keep, .strategy = NB_QUORUM}, "NB_QUORUM over a .filter");
    refused((nb_call){.nodes = "@a", .strategy = (nb_strategy)7}, ".strategy is 7");
    refused((nb_call){.nodes = "@a", .quorum = (nb_quorum_set)3}, ".quorum is 3");
    accepted((nb_call){.nodes = "@a", .strategy = NB_QUORUM, .at_least = 2});
    accepted((nb_call){.filter = keep, .strategy = NB_QUORUM, .quorum = NB_QUORUM_AVAILABLE});
    accepted((nb_call){.filter = keep, .strategy = NB_QUORUM, .at_least = 1});
    accepted((nb_call){.all = true, .strategy = NB_QUORUM});
}

static void test_timeout(void **state)
{
    (void)state;
    refused((nb_call){.node = "@a", .timeout_ms = -1}, ".timeout_ms is -1");
    refused((nb_call){.timeout_ms = -100}, ".timeout_ms is -100");
    accepted((nb_call){.node = "@a", .timeout_ms = 0});
    accepted((nb_call){.node = "@a", .timeout_ms = 1});
}

static void test_max_time_extensions(void **state)
{
    (void)state;
    refused((nb_call){.node = "@a", .max_time_extensions = -2}, ".max_time_extensions is -2");
    accepted((nb_call){.node = "@a", .max_time_extensions = NB_NO_EXTENSIONS});
    accepted((nb_call){.nodes = "@a", .max_time_extensions = 0});
    accepted((nb_call){.max_time_extensions = 3});
}

static void test_message_fits_any_buffer(void **state)
{
    (void)state;
    nb_call c = {.node = "@a", .nodes = "@b"};
    char small[8];
    memset(small, 'x', sizeof small);
    assert_int_equal(nb__call_check(&c, small, sizeof small), -1);
    assert_int_equal(small[7], '\0');
    assert_int_equal(nb__call_check(&c, NULL, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_target),
        cmocka_unit_test(test_predicates),
        cmocka_unit_test(test_strategy_and_quorum),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_max_time_extensions),
        cmocka_unit_test(test_message_fits_any_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
