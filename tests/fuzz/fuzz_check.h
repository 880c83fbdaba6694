// SPDX-License-Identifier: BSD-3-Clause
// What the fuzz targets share: a check that fails loudly. abort() is a crash to
// libFuzzer, which saves the input as crash-<sha1> and stops.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_REQUIRE(condition, what)                                                              \
  do {                                                                                             \
    if (!(condition)) {                                                                            \
      std::fprintf(stderr, "%s:%d: FUZZ_REQUIRE(%s) failed: %s\n", __FILE__, __LINE__, #condition, \
                   what);                                                                          \
      std::abort();                                                                                \
    }                                                                                              \
  } while (0)
