#include "tests/support/small_disk.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace xl::test {

SmallDisk::SmallDisk(const std::string& path, int size_mb) : path_(path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  const std::string options = "size=" + std::to_string(size_mb) + "m,mode=0755";
  if (mount("xl-small-disk", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0) {
    mounted_ = true;
  } else {
    why_ = "cannot mount a " + std::to_string(size_mb) + " MB tmpfs at " + path + ": " + std::strerror(errno) +
           " (needs root or CAP_SYS_ADMIN)";
  }
}

SmallDisk::~SmallDisk() {
  if (mounted_) umount2(path_.c_str(), MNT_DETACH);
}

size_t SmallDisk::Fill() {
  const std::string filler = path_ + "/filler";
  const int fd = open(filler.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return 0;
  std::vector<char> chunk(64 * 1024, 'x');
  size_t written = 0;
  for (size_t size = chunk.size(); size > 0;) {
    const ssize_t n = write(fd, chunk.data(), size);
    if (n > 0) {
      written += size_t(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      size /= 2;  // the last pages: smaller writes until not a byte fits
    }
  }
  close(fd);
  return written;
}

void SmallDisk::Free() {
  std::error_code ec;
  std::filesystem::remove(path_ + "/filler", ec);
}

}  // namespace xl::test
