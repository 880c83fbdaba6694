// SPDX-License-Identifier: BSD-3-Clause
// Secret-file keys, a session payload and a Sealer made from them, shared by the
// tests of sealing itself (tests/seal) and of the codec's sealing stage
// (tests/codec).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "seal/sealer.h"

namespace clustered::testing {

inline const std::string kKeyA = "first-key-of-the-secret-file-0123456789";
inline const std::string kKeyB = "second-key-of-the-secret-file-abcdefghij";
inline const std::string kData = "user|s:5:\"alice\";cart|a:1:{i:0;i:42;}";

// A Sealer holding `keys` (the first seals), as clustered_session.secret_file and
// clustered_session.seal would make it.
inline std::shared_ptr<const Sealer> test_sealer(std::vector<std::string> keys,
                                                 SealMode mode = SealMode::kEncrypt,
                                                 bool accept_unsealed = false) {
  auto made = Sealer::with_secrets(std::move(keys), mode, accept_unsealed);
  EXPECT_TRUE(made.ok()) << made.error();
  return made.ok() ? *made : nullptr;
}

}  // namespace clustered::testing
