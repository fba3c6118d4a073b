// A bounded shutdown. Once a process's main loop has returned (SIGTERM, SIGINT), its teardown
// may wait on things it does not control: a peer that never reads, a pipeline stuck in a
// camera that stopped answering. Called then, this ends the process `limit` later if the
// teardown has not ended it first: logs a warning naming `who` and exits with status 0 (the
// stop was asked for; what was acknowledged is on disk already).
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

namespace xl {

inline void ExitIfStillRunningAfter(std::chrono::milliseconds limit, std::string who) {
  std::thread([limit, who = std::move(who)] {
    std::this_thread::sleep_for(limit);
    spdlog::warn("{}: shutdown took longer than {} ms; exiting now", who, limit.count());
    spdlog::default_logger()->flush();
    std::fflush(nullptr);
    _exit(0);
  }).detach();
}

}  // namespace xl
