// SPDX-License-Identifier: BSD-3-Clause
/* clustered_session: the PHP side. Only ext/ includes PHP headers. */
#ifndef PHP_CLUSTERED_SESSION_H
#define PHP_CLUSTERED_SESSION_H

extern "C" {
#include "php.h"
}

#define PHP_CLUSTERED_SESSION_VERSION "1.0.0"

extern zend_module_entry clustered_session_module_entry;
#define phpext_clustered_session_ptr &clustered_session_module_entry

ZEND_BEGIN_MODULE_GLOBALS(clustered_session)
char* route;
zend_long cache_size;
zend_long replicas;
bool locking;
zend_long lock_timeout;
zend_long connect_timeout;
zend_long io_timeout;
zend_long retry_interval;
zend_long touch_interval;
zend_long takeover_check_interval;
char* prefix;
char* secret_file;
char* seal;
bool accept_unsealed;
char* compression;
zend_long compression_threshold;
zend_long compression_level;
ZEND_END_MODULE_GLOBALS(clustered_session)

ZEND_EXTERN_MODULE_GLOBALS(clustered_session)
#define CSG(v) ZEND_MODULE_GLOBALS_ACCESSOR(clustered_session, v)

#endif
