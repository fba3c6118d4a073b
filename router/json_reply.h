// JSON replies of the router's REST API: a body with a status, and errors as
// {"error": "reason"}.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/http_replies.h"

namespace xl::router {

inline HttpReply JsonFault(int status, const std::string& reason) {
  return JsonReply(status, nlohmann::json{{"error", reason}});
}
// An error as a reply: its kind decides the status (HttpStatusOf).
inline HttpReply JsonFault(const Error& error) { return JsonFault(HttpStatusOf(error.code), error.message); }

}  // namespace xl::router
