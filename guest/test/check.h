/* The one assertion of the guest's C tests: report the failed expression with its place, go on,
 * and give up after 20 failures. Each test file defines `static int failures;` before including
 * this and returns non-zero when it is above 0. */
#ifndef BURROW_TEST_CHECK_H
#define BURROW_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
            failures++;                                                                \
            if (failures > 20)                                                         \
                exit(1);                                                               \
        }                                                                              \
    } while (0)

#endif
