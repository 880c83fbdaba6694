// SPDX-License-Identifier: BSD-3-Clause
#include "util/result.h"

namespace clustered {

std::string_view describe(Cause cause) {
  switch (cause) {
    case Cause::kOk:
      return "ok";
    case Cause::kNotFound:
      return "not found";
    case Cause::kNotStored:
      return "not stored";
    case Cause::kExists:
      return "changed since it was read";
    case Cause::kTooLarge:
      return "too large";
    case Cause::kOutOfMemory:
      return "out of memory";
    case Cause::kRefused:
      return "refused";
    case Cause::kDown:
      return "down";
    case Cause::kTimeout:
      return "timed out";
    case Cause::kBadReply:
      return "bad reply";
    case Cause::kNoCas:
      return "no CAS tokens (memcached -C)";
    case Cause::kUnreadable:
      return "not a value of ours";
    case Cause::kRejected:
      return "does not open";
    case Cause::kConflict:
      return "changed on another node";
    case Cause::kLocked:
      return "locked";
    case Cause::kInvalid:
      return "invalid";
    case Cause::kFailed:
      return "failed";
  }
  return "unknown";
}

}  // namespace clustered
