// Fuzz inputs read as scripts: steps split by lines "---", each a letter saying what to do
// and the bytes after it (a message, or numbers picking what it acts on).
#pragma once

#include <cstddef>
#include <string>

namespace xl::fuzz {

// One step: its letter, the text after it, and byte i of that text (0 past its end).
struct Step {
  char kind;
  std::string rest;
  unsigned char byte(size_t i) const { return i < rest.size() ? static_cast<unsigned char>(rest[i]) : 0; }
};

// Calls `on_step` for each non-empty step of `script`, in order.
template <typename F>
void ForEachStep(const std::string& script, F on_step) {
  for (size_t at = 0; at <= script.size();) {
    size_t end = script.find("\n---\n", at);
    if (end == std::string::npos) end = script.size();
    const std::string step = script.substr(at, end - at);
    at = end + 5;
    if (!step.empty()) on_step(Step{step[0], step.substr(1)});
  }
}

// `text` with every `from` replaced by `to`.
inline std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size())
    text.replace(at, from.size(), to);
  return text;
}

}  // namespace xl::fuzz
