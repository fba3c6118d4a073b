// A small filesystem of its own for a test to fill up: a tmpfs of `size_mb` mounted at
// `path` (needs root, or CAP_SYS_ADMIN; where it cannot mount, mounted() is false and why()
// says so, for the test to skip that part with a clear message). Unmounted on destruction.
#pragma once

#include <string>

namespace xl::test {

class SmallDisk {
 public:
  SmallDisk(const std::string& path, int size_mb);
  ~SmallDisk();
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }
  const std::string& path() const { return path_; }

  // Writes a filler file until the filesystem is full; the bytes written.
  size_t Fill();
  // Removes the filler: room again.
  void Free();

 private:
  std::string path_;
  bool mounted_ = false;
  std::string why_;
};

}  // namespace xl::test
