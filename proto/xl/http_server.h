// A small HTTP server (libsoup-3) on the thread-default GLib main context: routes by method
// and path prefix to handlers that return a status, a content type and a body. Requests are
// answered on the context's thread, so handlers may touch that thread's state freely.
#pragma once

#include <functional>
#include <memory>
#include <map>
#include <string>

#include "xl/status.h"

typedef struct _SoupServer SoupServer;

namespace xl {

struct HttpRequest {
  std::string method;                        // "GET", "POST", ...
  std::string path;                          // "/api/cameras/123"
  std::map<std::string, std::string> query;  // decoded query parameters
  std::string body;
};

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpReply(const HttpRequest&)>;

  // Listens on `address`:`port` ("127.0.0.1" or "0.0.0.0"); port 0 picks a free one.
  static Result<std::unique_ptr<HttpServer>> Listen(const std::string& address, int port);
  ~HttpServer();

  // Requests whose path starts with `prefix` go to `handler` (longest prefix wins).
  void Route(const std::string& prefix, Handler handler);
  int port() const { return port_; }

 private:
  HttpServer() = default;
  static void OnRequest(SoupServer*, void* msg, const char* path, void* query, void* self);

  SoupServer* server_ = nullptr;
  int port_ = 0;
  std::map<std::string, Handler> routes_;
};

}  // namespace xl
