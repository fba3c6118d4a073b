#include "tests/support/process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace xl::test {

Process::Process(std::vector<std::string> argv, std::string log_path) : log_path_(std::move(log_path)) {
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    setpgid(0, 0);
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
}

Process::~Process() {
  Stop();
  // A sanitizer's report (deploy/setup.sh --asan) fails the test that ran the process,
  // whatever else the test saw.
  const std::string out = Output();
  for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", ": runtime error: "}) {
    if (const size_t at = out.find(marker); at != std::string::npos) {
      ADD_FAILURE() << log_path_ << ": sanitizer report:\n" << out.substr(out.rfind('\n', at) + 1, 4000);
      break;
    }
  }
}

bool Process::running() {
  if (pid_ <= 0) return false;
  pid_t r = waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

int Process::Wait(std::chrono::milliseconds timeout) {
  if (!WaitUntil([&] { return !running(); }, timeout)) {
    Kill();
    return -1;
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
}

int Process::Stop(std::chrono::milliseconds grace) {
  if (!running()) return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  kill(pid_, SIGTERM);
  if (!WaitUntil([&] { return !running(); }, grace)) Kill();
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
}

void Process::Kill() {
  if (!running()) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, &status_, 0);
  pid_ = -1;
}

std::string Process::Output() const {
  std::ifstream in(log_path_, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Process::Lines() const {
  std::vector<std::string> lines;
  std::istringstream in(Output());
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= end) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string Numbered(const std::string& prefix, int n) { return std::string(prefix).append(std::to_string(n)); }

int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

namespace {
// True when `port` on 127.0.0.1 can be bound now for `type` (SOCK_STREAM or SOCK_DGRAM).
bool Bindable(int port, int type) {
  const int fd = socket(AF_INET, type, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(uint16_t(port));
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}
}  // namespace

int FreePort() {
  // Below the kernel's ephemeral range (32768 and up): a port from there could be taken by
  // any process's outgoing connection between this check and the bind of the process it is
  // for. Each test process walks its own stretch (by pid), so tests running in parallel do
  // not pick the same ports; a port in use (TCP or UDP: SIP takes both) is skipped. A stretch
  // holds 30 ports: two systems of a test (a cascade: village and town) take about 20.
  constexpr int kFirst = 20000, kEnd = 32768, kStretch = 30;
  static int next = kFirst + int(getpid() % ((kEnd - kFirst) / kStretch)) * kStretch;
  for (int tries = 0; tries < kEnd - kFirst; ++tries) {
    const int port = next;
    next = next + 1 >= kEnd ? kFirst : next + 1;
    if (Bindable(port, SOCK_STREAM) && Bindable(port, SOCK_DGRAM)) return port;
  }
  return 0;
}

std::string TempDir(const std::string& name) {
  std::filesystem::path dir = std::filesystem::path(XL_BINARY_DIR) / "test-output" / name;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) {
    // A filesystem a killed test left mounted in it (tests/support/small_disk.h): detached first.
    std::ifstream mounts("/proc/self/mounts");
    for (std::string device, point, rest; mounts >> device >> point && std::getline(mounts, rest);) {
      if (point.rfind(dir.string() + "/", 0) == 0) umount2(point.c_str(), MNT_DETACH);
    }
    std::filesystem::remove_all(dir);
  }
  std::filesystem::create_directories(dir);
  return dir.string();
}

int64_t RssBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/statm");
  int64_t size = 0, resident = 0;
  if (!(in >> size >> resident)) return -1;
  return resident * sysconf(_SC_PAGESIZE);
}

namespace {

// Field `n` (1-based, as proc(5) numbers them) of a /proc stat file; "" if it cannot be read.
std::string StatField(const std::string& path, int n) {
  std::ifstream in(path);
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');  // the name (field 2) may hold spaces and parentheses
  if (close == std::string::npos || n < 3) return "";
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= n && fields >> field; ++i) {
    if (i == n) return field;
  }
  return "";
}

}  // namespace

double CpuSeconds(pid_t pid) {
  const std::string stat = "/proc/" + std::to_string(pid) + "/stat";
  const std::string utime = StatField(stat, 14), stime = StatField(stat, 15);
  if (utime.empty() || stime.empty()) return -1;
  return double(std::stoull(utime) + std::stoull(stime)) / double(sysconf(_SC_CLK_TCK));
}

std::map<pid_t, int> ThreadNiceness(pid_t pid) {
  std::map<pid_t, int> out;
  std::error_code ec;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
    const std::string nice = StatField(task.path().string() + "/stat", 19);
    if (!nice.empty()) out[pid_t(std::stol(task.path().filename().string()))] = std::stoi(nice);
  }
  return out;
}

double CoresOver(pid_t pid, std::chrono::seconds span) {
  const double cpu0 = CpuSeconds(pid);
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(span);
  const double used = CpuSeconds(pid) - cpu0;
  return used / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string Binary(const std::string& relative) { return std::string(XL_BINARY_DIR) + "/" + relative; }

int CountOf(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t p = text.find(what); !what.empty() && p != std::string::npos; p = text.find(what, p + what.size())) ++n;
  return n;
}

}  // namespace xl::test
