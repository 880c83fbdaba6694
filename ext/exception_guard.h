// SPDX-License-Identifier: BSD-3-Clause
// Keeps C++ exceptions out of Zend: every entry point PHP calls (the save
// handler's hooks, the module callbacks, the PHP functions) runs its C++ inside
// guarded(). An exception reaching PHP's C frames is undefined behaviour; here it
// becomes one warning, "clustered_session: internal error in <where>: <what>",
// and the entry point's failure value (what mod_files.c returns when it fails).
//
// This header includes no PHP header, so tests/ext/exception_guard_test.cpp
// builds it with the core: guarded_with() takes the reporting function as a
// parameter; guarded() passes report_internal_error() (exception_guard.cpp,
// which raises the E_WARNING through php_error_docref).
//
// Zend bailouts: a fatal error (memory limit, or an error handler that raises
// one) leaves by longjmp, which skips C++ destructors and catch blocks alike.
//  - The guard's own frame holds nothing with a destructor: the message is copied
//    into a char array.
//  - The warning is raised after the catch block has ended, when the exception
//    object is already destroyed: php_error_docref() may run a user error handler
//    and bail out, and a longjmp out of a catch block would leave the exception
//    allocated and the C++ runtime's record of the exceptions being handled
//    wrong for the rest of the process.
//  - The bodies are the hooks' own code; they keep C++ objects (strings) across
//    PHP calls only where they did before (a bailout there leaks them, it does
//    not crash).
#pragma once

#include <cxxabi.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <exception>

namespace clustered::ext {

// Raises the warning for an exception that reached `where`; must not throw.
using InternalErrorReporter = void (*)(const char* where, const char* what);

// The extension's reporter: one E_WARNING (exception_guard.cpp).
void report_internal_error(const char* where, const char* what);

namespace guard_detail {

inline constexpr std::size_t kWhatBytes = 256;  // longer messages are cut

inline void copy_what(char (&out)[kWhatBytes], const char* what) {
  if (what == nullptr) what = "";
  const std::size_t length = std::min(std::strlen(what), kWhatBytes - 1);
  std::memcpy(out, what, length);
  out[length] = '\0';
}

}  // namespace guard_detail

// Returns body(), or `failure` after one report when body() throws anything.
// Failure is void for entry points without a result (then body() returns void).
template <class Failure, class Body>
Failure guarded_with(InternalErrorReporter report, const char* where, Body&& body,
                     Failure failure) {
  char what[guard_detail::kWhatBytes];
  try {
    return body();
  } catch (abi::__forced_unwind&) {
    throw;  // thread cancellation must go on unwinding; swallowing it aborts
  } catch (const std::exception& error) {
    guard_detail::copy_what(what, error.what());
  } catch (...) {
    guard_detail::copy_what(what, "unknown exception");
  }
  report(where, what);  // outside the catch block: see the top of this file
  return failure;
}

template <class Body>
void guarded_with(InternalErrorReporter report, const char* where, Body&& body) {
  char what[guard_detail::kWhatBytes];
  try {
    body();
    return;
  } catch (abi::__forced_unwind&) {
    throw;
  } catch (const std::exception& error) {
    guard_detail::copy_what(what, error.what());
  } catch (...) {
    guard_detail::copy_what(what, "unknown exception");
  }
  report(where, what);
}

template <class Failure, class Body>
Failure guarded(const char* where, Body&& body, Failure failure) {
  return guarded_with(report_internal_error, where, static_cast<Body&&>(body), failure);
}

template <class Body>
void guarded(const char* where, Body&& body) {
  guarded_with(report_internal_error, where, static_cast<Body&&>(body));
}

}  // namespace clustered::ext
