/* Built outside the repository against an installed libropc, with only
 * `cc external_app.c $(pkg-config --cflags --libs ropc)`. */
#include <ropc.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    char *phc = NULL;
    if (ropc_hash_password("pw", 64, 1, 1, &phc, NULL) != ROPC_OK) return 1;
    int ok = strncmp(phc, "$argon2id$", 10) == 0;
    ropc_string_free(phc);
    printf("external app linked against libropc %s: %s\n", ropc_version(), ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
