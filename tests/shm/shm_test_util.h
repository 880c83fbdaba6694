// SPDX-License-Identifier: BSD-3-Clause
// Helpers shared by the shared-memory tests: an anonymous shared mapping (what
// MINIT makes before the server forks), and waiting for forked children.
#pragma once

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace clustered::testing {

class SharedMapping {
 public:
  explicit SharedMapping(std::size_t size) : size_(size) {
    memory_ = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory_ == MAP_FAILED) throw std::runtime_error("mmap failed");
  }
  ~SharedMapping() { munmap(memory_, size_); }
  SharedMapping(const SharedMapping&) = delete;
  SharedMapping& operator=(const SharedMapping&) = delete;

  void* get() const { return memory_; }
  std::size_t size() const { return size_; }

 private:
  std::size_t size_;
  void* memory_;
};

// Waits for `child`; returns its exit code, or 128 + signal when it was killed.
inline int wait_for(pid_t child) {
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace clustered::testing
