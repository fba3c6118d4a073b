#include "router/system_problems.h"

#include <algorithm>
#include <vector>

namespace xl::router {

SystemProblems::Change SystemProblems::Raise(const std::string& key, const std::string& text, int64_t now_ms) {
  auto [it, added] = problems_.try_emplace(key, Problem{text, now_ms});
  if (added) return Change::kNew;
  if (it->second.text == text) return Change::kSame;
  it->second.text = text;
  return Change::kTextChanged;
}

bool SystemProblems::Clear(const std::string& key) { return problems_.erase(key) > 0; }

nlohmann::json SystemProblems::Json() const {
  std::vector<std::pair<std::string, const Problem*>> sorted;
  for (const auto& [key, p] : problems_) sorted.emplace_back(key, &p);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second->since_ms < b.second->since_ms; });
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [key, p] : sorted) out.push_back({{"key", key}, {"text", p->text}, {"since_ms", p->since_ms}});
  return out;
}

}  // namespace xl::router
