// HTTP calls (libsoup-3): a blocking one for command-line tools and tests, and HttpFetcher
// for a server's own calls on its GLib main loop.
#pragma once

#include <functional>
#include <string>

#include "common/http_server.h"
#include "common/status.h"

typedef struct _SoupSession SoupSession;
typedef struct _GCancellable GCancellable;

namespace xl {

// Sends `method` `url` with `body` (when not empty, as `content_type`) and `headers`, and
// waits up to `timeout_s` for the whole reply (its headers in HttpReply::headers). Error
// only when no HTTP reply came (refused, timeout).
Result<HttpReply> HttpCall(const std::string& method, const std::string& url, const std::string& body = "",
                           const std::string& content_type = "application/json", int timeout_s = 60,
                           const std::vector<std::pair<std::string, std::string>>& headers = {});

// Calls that do not block: each reply comes back on the thread-default GLib main context of
// the caller. Destroying the fetcher cancels what is under way (those callbacks may still
// run later, told "cancelled").
class HttpFetcher {
 public:
  using Done = std::function<void(Result<HttpReply>)>;
  explicit HttpFetcher(int timeout_s);
  ~HttpFetcher();
  HttpFetcher(const HttpFetcher&) = delete;
  HttpFetcher& operator=(const HttpFetcher&) = delete;

  // GETs `url` with `headers`; `done` gets the reply, or an error when none came (refused, timeout).
  void Get(const std::string& url, Done done, const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    Send("GET", url, std::move(done), headers);
  }
  // The same with another method, without a body (POST with its parameters in the URL).
  void Send(const char* method, const std::string& url, Done done,
            const std::vector<std::pair<std::string, std::string>>& headers = {});

 private:
  SoupSession* session_;
  GCancellable* cancel_;
};

}  // namespace xl
