#pragma once

#include "php_clustered_session.h"

void clustered_session_fill_stats(zval* result);
void clustered_session_print_info();
