#include "router/desk/login_throttle.h"

#include <algorithm>

namespace xl::router {

namespace {
constexpr size_t kMaxRecords = 10000;  // beyond this, the table starts over (bounded memory)

}  // namespace

int64_t LoginThrottle::WaitMs(const std::string& user, const std::string& address, int64_t now_ms) const {
  int64_t until = 0;
  if (auto u = by_user_.find(user); u != by_user_.end()) until = std::max(until, u->second.until_ms);
  if (auto a = by_address_.find(address); a != by_address_.end()) until = std::max(until, a->second.until_ms);
  return std::max<int64_t>(0, until - now_ms);
}

bool LoginThrottle::Count(std::map<std::string, Record>& records, const std::string& key, int64_t now_ms) {
  if (records.size() >= kMaxRecords && !records.count(key)) records.clear();
  Record& r = records[key];
  ++r.failures;
  if (r.failures < kFreeFailures) return false;
  const int doublings = std::min(r.failures - kFreeFailures, 20);
  r.until_ms = now_ms + std::min<int64_t>(int64_t(1000) << doublings, kMaxWaitMs);
  return true;
}

bool LoginThrottle::Failed(const std::string& user, const std::string& address, int64_t now_ms) {
  const bool by_user = Count(by_user_, user, now_ms);
  const bool by_address = Count(by_address_, address, now_ms);
  return by_user || by_address;
}

void LoginThrottle::Succeeded(const std::string& user, const std::string& address) {
  by_user_.erase(user);
  by_address_.erase(address);
}

}  // namespace xl::router
