// A blocking HTTP call (libsoup-3), for command-line tools and tests.
#pragma once

#include <string>

#include "xl/http_server.h"
#include "xl/status.h"

namespace xl {

// Sends `method` `url` with `body` (when not empty, as `content_type`) and `headers`, and
// waits up to `timeout_s` for the whole reply (its headers in HttpReply::headers). Error
// only when no HTTP reply came (refused, timeout).
Result<HttpReply> HttpCall(const std::string& method, const std::string& url, const std::string& body = "",
                           const std::string& content_type = "application/json", int timeout_s = 60,
                           const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace xl
