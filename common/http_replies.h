// Replies of the processes' HTTP APIs (the router's desk API, the worker's endpoints for the
// router): JSON that never throws, plain text, and integer query parameters.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/cli.h"
#include "common/http_server.h"
#include "common/json_text.h"
#include "common/text.h"

namespace xl {

// `body` as JSON (JsonText: bytes that are not UTF-8 are replaced, never thrown on).
inline HttpReply JsonReply(int status, const nlohmann::json& body) {
  return {status, "application/json", JsonText(body)};
}

// `text` and a newline, as text/plain.
inline HttpReply TextReply(int status, const std::string& text) { return {status, "text/plain", text + "\n"}; }

// The value of header `name` (any letter case) of a reply received; "" when absent.
inline std::string ReplyHeader(const HttpReply& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (EqualsNoCase(n, name)) return v;
  }
  return "";
}

// Query parameter `name` as an integer in [min, max]; nullopt when absent or not one.
inline std::optional<int64_t> QueryInt(const HttpRequest& r, const std::string& name, int64_t min, int64_t max) {
  auto it = r.query.find(name);
  return it == r.query.end() ? std::nullopt : ParseIntArg(it->second, min, max);
}

}  // namespace xl
