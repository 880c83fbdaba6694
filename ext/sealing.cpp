// SPDX-License-Identifier: BSD-3-Clause
#include "sealing.h"

#include "php_clustered_session.h"
#include "seal/secret_file.h"

namespace clustered::ext {
namespace {

std::shared_ptr<const Sealer> g_sealer;
std::string g_refusal;

}  // namespace

bool load_sealer(std::string* error) {
  g_sealer.reset();
  g_refusal.clear();
  const std::string path = CSG(secret_file) != nullptr ? CSG(secret_file) : "";
  if (path.empty()) return true;
  const auto mode = parse_seal_mode(CSG(seal) != nullptr ? CSG(seal) : "");
  auto secrets = read_secret_file(path);
  if (!secrets) {
    g_refusal = secrets.error();
  } else if (auto sealer = Sealer::with_secrets(
                 std::move(*secrets), mode.value_or(SealMode::kEncrypt), CSG(accept_unsealed))) {
    g_sealer = std::move(*sealer);
    return true;
  } else {
    g_refusal = "clustered_session.secret_file " + path + ": " + sealer.error();
  }
  *error = g_refusal;
  return false;
}

void drop_sealer() {
  g_sealer.reset();
  g_refusal.clear();
}

std::shared_ptr<const Sealer> current_sealer() { return g_sealer; }

const std::string& seal_refusal() { return g_refusal; }

}  // namespace clustered::ext
