// JSON as text for replies, feeds and logs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace xl {

// `value` serialised compactly. Never throws: a string that is not valid UTF-8 (a GBK
// region name, bytes from a device) has its invalid bytes replaced by U+FFFD.
inline std::string JsonText(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace xl
