// SPDX-License-Identifier: BSD-3-Clause
#pragma once

extern "C" {
#include "php.h"
#include "ext/session/php_session.h"
}

// The save handler "clustered", registered with ext/session in MINIT.
const ps_module* clustered_session_module();
