// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include "php_clustered_session.h"

void clustered_session_register_ini(int type, int module_number);
void clustered_session_unregister_ini(int type, int module_number);
void clustered_session_display_ini(zend_module_entry* zend_module);
void clustered_session_init_globals(zend_clustered_session_globals* globals);
