// Command-line helpers shared by the xl-* programs.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace xl {

// The whole of `text` as a decimal integer in [min, max], or nullopt (empty, trailing
// characters, out of range). Never throws.
inline std::optional<int64_t> ParseIntArg(std::string_view text, int64_t min, int64_t max) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value < min || value > max) return std::nullopt;
  return value;
}

}  // namespace xl
