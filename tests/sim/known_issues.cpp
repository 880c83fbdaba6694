#include "sim/known_issues.h"

#include <algorithm>

namespace clustered::sim {
namespace {

bool trace_has(const HistoryResult& result, const std::string& text) {
  return std::any_of(result.trace.begin(), result.trace.end(),
                     [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

bool about_old_cookie(const Violation& violation) {
  return violation.detail.find("(old cookie)") != std::string::npos;
}

std::optional<std::string> explain(const HistoryResult& result, const Violation& violation) {
  // The handler warns "... moved to X, but the forward under its old ID could
  // not be written"; an old cookie then opens the copy left under the old key.
  if ((violation.kind == "stale" || violation.kind == "resurrected") && about_old_cookie(violation) &&
      trace_has(result, "the forward under its old ID could not be written")) {
    return "issue 14, item 6: Relocation while the old store is frozen. The forward under the old "
           "key is skipped when that node is down and never retried, so when it resumes the old "
           "cookie opens the old copy.";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> known_issue(const HistoryResult& result) {
  if (result.clean()) return std::nullopt;
  std::optional<std::string> first;
  for (const Violation& violation : result.violations) {
    auto reason = explain(result, violation);
    if (!reason) return std::nullopt;
    if (!first) first = std::move(reason);
  }
  return first;
}

}  // namespace clustered::sim
