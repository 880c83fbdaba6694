dnl SPDX-License-Identifier: BSD-3-Clause
dnl phpize build of clustered_session.so: the ext/ glue plus the C++ core in src/.
PHP_ARG_ENABLE([clustered-session],
  [whether to enable the clustered session save handler],
  [AS_HELP_STRING([--enable-clustered-session], [Enable the clustered session save handler])],
  [yes])

if test "$PHP_CLUSTERED_SESSION" != "no"; then
  dnl Process-wide state and one shared-memory segment per forking parent (mapped in
  dnl MINIT, shared by the children): a thread-safe (ZTS) PHP runs requests in threads
  dnl of one process, which this extension does not support. phpize sets
  dnl PHP_THREAD_SAFETY from ZTS in the target PHP's main/php_config.h.
  AC_MSG_CHECKING([whether PHP is non-thread-safe (NTS)])
  if test "$PHP_THREAD_SAFETY" = "yes"; then
    AC_MSG_RESULT([no, ZTS])
    AC_MSG_ERROR([clustered_session supports only non-thread-safe (NTS) PHP builds, and this PHP is thread-safe (ZTS). Threaded SAPIs (Apache event/worker MPM with a ZTS PHP, FrankenPHP) are not supported: use an NTS PHP with Apache prefork (mod_php) or PHP-FPM (Debian's packaged PHP is NTS)])
  fi
  AC_MSG_RESULT([yes])

  PHP_REQUIRE_CXX()

  AC_PATH_PROG(PKG_CONFIG, pkg-config, no)
  if test "$PKG_CONFIG" = "no"; then
    AC_MSG_ERROR([pkg-config not found: apt-get install pkg-config])
  fi
  dnl Sealed values (clustered_session.secret_file): XChaCha20-Poly1305 and BLAKE2b.
  AC_MSG_CHECKING([for libsodium >= 1.0.18])
  if $PKG_CONFIG --atleast-version=1.0.18 libsodium; then
    AC_MSG_RESULT([`$PKG_CONFIG --modversion libsodium`])
  else
    AC_MSG_RESULT([no])
    AC_MSG_ERROR([libsodium >= 1.0.18 not found by pkg-config; install it with: apt-get install libsodium-dev])
  fi
  PHP_EVAL_INCLINE(`$PKG_CONFIG --cflags libsodium`)
  PHP_EVAL_LIBLINE(`$PKG_CONFIG --libs libsodium`, CLUSTERED_SESSION_SHARED_LIBADD)
  dnl Compressed values (src/codec/compression.cpp): lz4 blocks and zstd frames.
  AC_MSG_CHECKING([for liblz4])
  if $PKG_CONFIG --exists liblz4; then
    AC_MSG_RESULT([`$PKG_CONFIG --modversion liblz4`])
  else
    AC_MSG_RESULT([no])
    AC_MSG_ERROR([liblz4 not found by pkg-config; install it with: apt-get install liblz4-dev])
  fi
  PHP_EVAL_INCLINE(`$PKG_CONFIG --cflags liblz4`)
  PHP_EVAL_LIBLINE(`$PKG_CONFIG --libs liblz4`, CLUSTERED_SESSION_SHARED_LIBADD)
  AC_MSG_CHECKING([for libzstd])
  if $PKG_CONFIG --exists libzstd; then
    AC_MSG_RESULT([`$PKG_CONFIG --modversion libzstd`])
  else
    AC_MSG_RESULT([no])
    AC_MSG_ERROR([libzstd not found by pkg-config; install it with: apt-get install libzstd-dev])
  fi
  PHP_EVAL_INCLINE(`$PKG_CONFIG --cflags libzstd`)
  PHP_EVAL_LIBLINE(`$PKG_CONFIG --libs libzstd`, CLUSTERED_SESSION_SHARED_LIBADD)
  PHP_ADD_LIBRARY(stdc++, 1, CLUSTERED_SESSION_SHARED_LIBADD)
  PHP_SUBST(CLUSTERED_SESSION_SHARED_LIBADD)

  CORE_SOURCES=`cd $srcdir && ls src/*/*.cpp | tr '\n' ' '`
  EXT_SOURCES=`cd $srcdir && ls ext/*.cpp | tr '\n' ' '`
  PHP_NEW_EXTENSION(clustered_session, $EXT_SOURCES $CORE_SOURCES, $ext_shared,,
    [-std=c++20 -I@ext_srcdir@/src -Wall -fvisibility=hidden -fvisibility-inlines-hidden -fno-semantic-interposition -DZEND_ENABLE_STATIC_TSRMLS_CACHE=1], cxx)
  PHP_ADD_EXTENSION_DEP(clustered_session, session)
  for dir in ext `cd $srcdir && ls -d src/*/`; do
    PHP_ADD_BUILD_DIR([$ext_builddir/$dir], 1)
  done
fi
