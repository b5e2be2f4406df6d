#include <nebula.h>

NB_MODULE(.default_timeout = 100, .retries = 3);

NB_STRUCT typedef struct bits {
    unsigned flag : 1;
    struct { int x; } inner;
} bits_t;

NB_STRUCT union nope { int a; };

static int helper(void)
{
    NB_API("&db") int inner(void);
    return 0;
}

NB_API("&db")
static int hidden(void) { return helper(); }

int main(void) { return nb_start(NULL); }
