// SPDX-License-Identifier: BSD-3-Clause
// A value or an error message: how the core reports failures, since exceptions
// must not cross into PHP (its bailout longjmp would skip C++ destructors).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace clustered {

struct Error {
  std::string message;
};

// E is Error or another failure type with a `message` (store/store_error.h adds
// the store's reply code).
template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(E error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(state_); }
  const T& value() const { return std::get<T>(state_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const std::string& error() const { return std::get<E>(state_).message; }
  const E& failure() const { return std::get<E>(state_); }

 private:
  std::variant<T, E> state_;
};

// For operations that return nothing but may fail.
struct Done {};
using Status = Result<Done>;
inline Status success() { return Done{}; }

}  // namespace clustered
