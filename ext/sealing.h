// SPDX-License-Identifier: BSD-3-Clause
// clustered_session.secret_file, .seal and .accept_unsealed: the keys are read
// once per MINIT (as root, before the server forks; a graceful reload reads them
// again) and shared by every handler of the process.
#pragma once

#include <memory>
#include <string>

#include "seal/sealer.h"

namespace clustered::ext {

// Reads the key file when one is set. False (with `error`) when it cannot be
// used: the handler then refuses every session (seal_refusal()) rather than run
// unsealed by surprise.
bool load_sealer(std::string* error);
void drop_sealer();

// Null without a secret_file: values are plain.
std::shared_ptr<const Sealer> current_sealer();
// Why sessions are refused (empty: they are not).
const std::string& seal_refusal();

}  // namespace clustered::ext
