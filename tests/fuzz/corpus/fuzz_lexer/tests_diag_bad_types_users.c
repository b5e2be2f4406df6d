#include <nebula.h>

struct plain { int x; };
union u { int a; float b; };
enum color { RED };

int main(void) { return nb_start(NULL); }

NB_API("&db")
int users_all(int *ids, char *name, struct plain p, union u v, enum color c,
              long double ld, char ch, void (*cb)(int), foo_t f, int arr[4], ...)
{
    return 0;
}

NB_API("&db")
const char *users_name(int64_t id) { (void)id; return "x"; }

NB_API("&db")
void *users_raw(void) { return 0; }

NB_STRUCT typedef struct rec {
    const char *label;
    int *ptr;
    char buf[16];
    int n[SIZE];
    struct plain inner;
} rec_t;

NB_API("&db")
rec_t *rec_get(rec_t r, const rec_t *ok, rec_t *bad, const rec_t **pp) { (void)r; (void)ok; (void)bad; (void)pp; return 0; }
