// Failed desk logins, per user name and per source address, with exponential back-off: after
// kFreeFailures failures in a row, the next login of that user (or from that address) waits
// 1 s, then 2 s, 4 s, … up to kMaxWaitMs, without its password being checked — so guessing
// is slow and costs the router no password hashing. A success clears both records.
// Thread: the router's one loop thread only; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace xl::router {

class LoginThrottle {
 public:
  static constexpr int kFreeFailures = 5;
  static constexpr int64_t kMaxWaitMs = 5 * 60 * 1000;

  // How long a login of `user` from `address` must still wait; 0 when it may be checked now.
  int64_t WaitMs(const std::string& user, const std::string& address, int64_t now_ms) const;
  // Records a failure; true when it starts (or lengthens) a back-off.
  bool Failed(const std::string& user, const std::string& address, int64_t now_ms);
  void Succeeded(const std::string& user, const std::string& address);

 private:
  struct Record {
    int failures = 0;
    int64_t until_ms = 0;
  };
  // Counts a failure in `records` under `key`; true when a back-off applies.
  static bool Count(std::map<std::string, Record>& records, const std::string& key, int64_t now_ms);
  std::map<std::string, Record> by_user_, by_address_;
};

}  // namespace xl::router
