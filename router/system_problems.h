// What is wrong with the router itself, for the people who must act on it: the desk's banner
// (/api/desk/system and the desk feed) and /metrics. A problem is keyed by what it is
// ("alert_log_disk_full"), with a sentence for operators and since when it holds. Raised when
// it starts, cleared when it is over; nothing else keeps it.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace xl::router {

class SystemProblems {
 public:
  struct Problem {
    std::string text;      // e.g. "alert log: disk full — workers keep their alerts until there is room"
    int64_t since_ms = 0;  // wall clock
  };

  enum class Change { kNew, kTextChanged, kSame };
  // Raises `key`, or updates its text when it holds already (keeping its `since`).
  Change Raise(const std::string& key, const std::string& text, int64_t now_ms);
  // True when `key` was raised (and now is not).
  bool Clear(const std::string& key);
  bool Has(const std::string& key) const { return problems_.count(key) > 0; }
  const std::map<std::string, Problem>& all() const { return problems_; }
  // [{"key", "text", "since_ms"}], oldest first.
  nlohmann::json Json() const;

 private:
  std::map<std::string, Problem> problems_;
};

}  // namespace xl::router
