// SPDX-License-Identifier: BSD-3-Clause
// The simulator's long-run command (docs/design.md, "Simulation"):
//
//   build-cmake/cluster_sim [--seeds N] [--from S] [--length L] [--mix tolerated|everything]
//                           [--seal [encrypt|authenticate]] [--outsiders] [--keep-going]
//   build-cmake/cluster_sim --replay history.txt
//
// --seal: every app node seals with one shared key (the same histories as
// without it). --outsiders: the histories also hold outsiders' writes to
// memcached (forged, copied, damaged values; poisoned notice lists); without
// --seal what they cause is counted as the unsealed cluster's expected failure.
//
// Runs N seeded histories (0 = without end), reports histories per minute, and
// on the first violation prints its seed, the violation, the shortest history
// found that fails the same way (a file --replay takes) and its trace.
// Histories whose violations are all known classes (sim/known_issues.h)
// are counted per class and listed at the end with their seeds; they do not stop
// the run unless --strict is given. --no-shrink prints the whole failing history.
// --keep-going does not stop at an unexplained violation either: it prints its
// seed and first violation, runs on, and lists those seeds at the end (exit 1).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sim/history.h"
#include "sim/known_issues.h"

using namespace clustered::sim;

namespace {

int replay(const char* path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  std::string error;
  const auto history = History::parse(text.str(), &error);
  if (!history) {
    std::fprintf(stderr, "cluster_sim: %s: %s\n", path, error.c_str());
    return 2;
  }
  const HistoryResult result = run_history(*history);
  for (const auto& line : result.trace) std::printf("%s\n", line.c_str());
  std::printf("%d requests, %d acknowledged, %zu violations\n", result.requests,
              result.acknowledged, result.violations.size());
  for (const auto& violation : result.violations) {
    std::printf("%s: %s\n", violation.kind.c_str(), violation.detail.c_str());
  }
  return result.clean() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t seeds = 1000;
  std::uint64_t from = 1;
  int length = 120;
  FaultMix mix;
  bool strict = false;
  bool no_shrink = false;
  bool keep_going = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (arg == "--replay" && value != nullptr) return replay(value);
    if (arg == "--strict" || arg == "--no-shrink") {
      (arg == "--strict" ? strict : no_shrink) = true;
      continue;
    }
    if (arg == "--keep-going") {
      keep_going = true;
      continue;
    }
    if (arg == "--outsiders") {
      mix.outsiders = true;
      continue;
    }
    if (arg == "--seal") {
      mix.seal = clustered::SealMode::kEncrypt;
      if (value != nullptr && value[0] != '-') {
        mix.seal = clustered::parse_seal_mode(value);
        if (!mix.seal || *mix.seal == clustered::SealMode::kOff) {
          std::fprintf(stderr, "cluster_sim: --seal [encrypt|authenticate]\n");
          return 2;
        }
        ++i;
      }
      continue;
    }
    if (arg == "--seeds" && value != nullptr) {
      seeds = std::strtoull(value, nullptr, 10);
    } else if (arg == "--from" && value != nullptr) {
      from = std::strtoull(value, nullptr, 10);
    } else if (arg == "--length" && value != nullptr) {
      length = std::atoi(value);
    } else if (arg == "--mix" && value != nullptr) {
      if (std::strcmp(value, "everything") == 0) {
        mix.memcached_restarts = mix.clock_skew = mix.save_path_changes = mix.round_robin = true;
      } else if (std::strcmp(value, "tolerated") != 0) {
        std::fprintf(stderr, "cluster_sim: --mix tolerated|everything\n");
        return 2;
      }
    } else {
      std::fprintf(stderr,
                   "usage: cluster_sim [--seeds N (0 = no end)] [--from S] [--length L] "
                   "[--mix tolerated|everything] [--seal [encrypt|authenticate]] [--outsiders] "
                   "[--strict] [--no-shrink] [--keep-going] | --replay FILE\n");
      return 2;
    }
    ++i;
  }
  if (mix.seal || mix.outsiders) {
    std::printf("sealing: %s; outsiders: %s\n",
                mix.seal ? std::string(clustered::seal_mode_name(*mix.seal)).c_str() : "off",
                mix.outsiders ? "on" : "off");
  }
  const auto started = std::chrono::steady_clock::now();
  std::uint64_t ran = 0;
  std::map<std::string, std::vector<std::uint64_t>> expected;  // class -> seeds
  std::uint64_t expected_total = 0;
  std::vector<std::uint64_t> failed;  // --keep-going: seeds with an unexplained violation
  // CLUSTER_SIM_ALL_SEEDS: every seed of a class, to compare two builds' runs.
  const std::size_t listed = std::getenv("CLUSTER_SIM_ALL_SEEDS") != nullptr ? SIZE_MAX : 10;
  const auto print_expected = [&] {
    for (const auto& [reason, seen] : expected) {
      std::printf("expected failure x%zu (seeds", seen.size());
      for (std::size_t k = 0; k < seen.size() && k < listed; ++k) {
        std::printf(" %llu", static_cast<unsigned long long>(seen[k]));
      }
      std::printf("%s): %s\n", seen.size() > listed ? " ..." : "", reason.c_str());
    }
  };
  for (std::uint64_t seed = from; seeds == 0 || seed < from + seeds; ++seed) {
    const History history = generate_history(seed, mix, length);
    const HistoryResult result = run_history(history);
    ++ran;
    if (const auto reason = known_issue(result); reason && !strict) {
      expected[*reason].push_back(seed);
      ++expected_total;
    } else if (!result.clean()) {
      const std::string kind = result.violations.front().kind;
      std::printf("seed %llu: %s: %s\n", static_cast<unsigned long long>(seed), kind.c_str(),
                  result.violations.front().detail.c_str());
      if (keep_going) {
        failed.push_back(seed);
        std::fflush(stdout);
        continue;
      }
      const History shortest = no_shrink ? history : shrink(history, [&](const HistoryResult& r) {
        return !r.clean() && r.violations.front().kind == kind && (strict || !known_issue(r));
      });
      std::printf("shortest history that fails the same way (cluster_sim --replay FILE):\n%s\n%s",
                  shortest.str().c_str(), run_history(shortest).report().c_str());
      print_expected();
      return 1;
    }
    if (ran % 100 == 0) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::printf("%llu histories, %.0f per minute, %llu expected failures, %s\n",
                  static_cast<unsigned long long>(ran), 60.0 * static_cast<double>(ran) / seconds,
                  static_cast<unsigned long long>(expected_total),
                  failed.empty() ? "none failed otherwise"
                                 : (std::to_string(failed.size()) + " failed otherwise").c_str());
      std::fflush(stdout);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::string otherwise = "none failed otherwise";
  if (!failed.empty()) {
    otherwise = std::to_string(failed.size()) + " failed otherwise (seeds";
    for (const std::uint64_t seed : failed) otherwise += " " + std::to_string(seed);
    otherwise += ")";
  }
  std::printf("%llu histories in %.1f s (%.0f per minute), %llu expected failures, %s\n",
              static_cast<unsigned long long>(ran), seconds,
              60.0 * static_cast<double>(ran) / seconds,
              static_cast<unsigned long long>(expected_total), otherwise.c_str());
  print_expected();
  return failed.empty() ? 0 : 1;
}
