// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <string>

#include "php_clustered_session.h"

// The stats of this app node in Prometheus text format.
std::string clustered_session_metrics_text();
