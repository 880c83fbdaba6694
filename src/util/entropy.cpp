// SPDX-License-Identifier: BSD-3-Clause
#include "util/entropy.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace clustered {

Status SystemEntropy::fill(void* out, std::size_t size) {
  auto* bytes = static_cast<unsigned char*>(out);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = getrandom(bytes + done, size - done, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return Error{std::string("getrandom failed: ") + std::strerror(errno)};
    }
    done += static_cast<std::size_t>(got);
  }
  return success();
}

Entropy& system_entropy() {
  static SystemEntropy entropy;
  return entropy;
}

}  // namespace clustered
