// SPDX-License-Identifier: BSD-3-Clause
// A value or a Failure: how every layer of the core reports what went wrong
// (docs/design.md, "Who hears what"). Exceptions must not cross into PHP (its
// bailout longjmp would skip C++ destructors), so failures are values, and there
// is one kind of them: a Cause that code can branch on and a message in plain
// words for the one warning or log line that may come of it.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace clustered {

// Why something failed. The first group is what a memcached node answers (a
// store call's outcome, kOk included); the rest are the handler's own.
enum class Cause : std::uint8_t {
  kOk,           // no failure: a store call that succeeded
  kNotFound,     // get, touch, delete, cas of a missing key
  kNotStored,    // add of a key that exists; append to a missing one
  kExists,       // cas: the item changed since it was read
  kTooLarge,     // over the node's item size limit (memcached -I)
  kOutOfMemory,  // "SERVER_ERROR out of memory storing object": memcached unlinked the item
  kRefused,      // another error reply for this item (CLIENT_ERROR, SERVER_ERROR ...)
  kDown,         // no connection: refused, reset, closed
  kTimeout,      // no answer within io_timeout
  kBadReply,     // a reply that does not fit the request; the connection was dropped
  kNoCas,        // the server gives no CAS tokens (memcached -C): a conditional store was not sent
  kUnreadable,   // stored bytes that are not a value of ours, or are damaged
  kRejected,     // a value that does not open (sealing): absent, never data
  kConflict,     // another node wrote the session while this request ran
  kLocked,       // the session's lock could not be taken
  kInvalid,      // an ID, a key or a setting that can never work
  kFailed,       // anything else
};

// A short name for messages and counters ("too large", "out of memory", ...).
std::string_view describe(Cause cause);

// The node itself is suspect (not just this item): it is marked down for the
// retry interval.
constexpr bool node_failed(Cause cause) {
  return cause == Cause::kDown || cause == Cause::kTimeout || cause == Cause::kBadReply;
}

struct Failure {
  std::string message;
  Cause cause = Cause::kFailed;
  // A SET the node could not store (too large, out of memory) made memcached
  // unlink what it held under the key: the stored copy is gone, not unchanged.
  bool stored_copy_dropped = false;

  static Failure of(Cause cause, std::string message = {}) {
    return Failure{std::move(message), cause};
  }
  static Failure dropped(Cause cause, std::string message) {
    return Failure{std::move(message), cause, true};
  }
};
// The name most code writes: Error{"what went wrong"}.
using Error = Failure;

template <class T>
class [[nodiscard]] Result {
 public:
  // A default-made Result holds a default-made value (a store call that
  // succeeded with nothing to return: `return {};`).
  Result() requires std::default_initializable<T> : state_(T{}) {}
  Result(T value) : state_(std::move(value)) {}            // NOLINT(google-explicit-constructor)
  Result(Failure failure) : state_(std::move(failure)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(state_); }
  const T& value() const { return std::get<T>(state_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Failure& failure() const { return std::get<Failure>(state_); }
  // Safe on a value too: kOk and "".
  Cause cause() const { return ok() ? Cause::kOk : failure().cause; }
  const std::string& error() const {
    static const std::string kNone;
    return ok() ? kNone : failure().message;
  }

 private:
  std::variant<T, Failure> state_;
};

// For operations that return nothing but may fail.
struct Done {};
using Status = Result<Done>;
inline Status success() { return Done{}; }

}  // namespace clustered
