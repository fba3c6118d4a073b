// Real processes for end-to-end tests: start a binary with its output in a file, read that
// output as it grows, stop it. The destructor always stops the process (TERM, then KILL), and
// fails the running test when the output holds a sanitizer's report.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace xl::test {

class Process {
 public:
  // Starts `argv[0]` with arguments; stdout and stderr go to `log_path`.
  Process(std::vector<std::string> argv, std::string log_path);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // SIGTERM, then SIGKILL if still running after `grace`; returns the exit status.
  int Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  void Kill();  // SIGKILL, no grace: a crash or a pulled plug
  bool running();
  // Waits for the process to exit by itself; its exit code, or -1 on timeout (then killed).
  int Wait(std::chrono::milliseconds timeout);

  std::string Output() const;  // everything written so far
  std::vector<std::string> Lines() const;
  const std::string& log_path() const { return log_path_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  std::string log_path_;
};

// Polls `done` every 100 ms until it returns true or `timeout` passes; returns its last value.
bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);

// A port on 127.0.0.1, free for TCP and UDP a moment ago, below the ephemeral range and in
// a stretch of its own per test process (so parallel tests and outgoing connections do not
// take it first).
int FreePort();

// How many times `what` occurs in `text` (log lines counted by a marker).
int CountOf(const std::string& text, const std::string& what);

// `prefix` followed by `n` ("c7"). (Written out, not as "c" + std::to_string(n), which GCC 12
// wrongly warns about with -Wrestrict.)
std::string Numbered(const std::string& prefix, int n);

// A TCP connection to 127.0.0.1:`port` (a file descriptor the caller closes), or -1.
int ConnectLoopback(int port);

// A fresh empty directory under the build tree for one test's files.
std::string TempDir(const std::string& name);

// Path of a binary built by this project ("ingest/xl-ingest").
std::string Binary(const std::string& relative);

// CPU time (user + system) a running process has used so far, in seconds; -1 if unknown.
double CpuSeconds(pid_t pid);

// The niceness of each thread of a running process, by thread ID (the main thread's is `pid`).
std::map<pid_t, int> ThreadNiceness(pid_t pid);

// Resident memory of a running process, in bytes; -1 if unknown.
int64_t RssBytes(pid_t pid);

// Sleeps for `span` and returns the CPU the process used meanwhile, in cores (1.0 = one core
// busy all along).
double CoresOver(pid_t pid, std::chrono::seconds span);

}  // namespace xl::test
