// A small HTTP server (libsoup-3) on the thread-default GLib main context: routes by method
// and path prefix to handlers that return a status, a content type and a body. Requests are
// answered on the context's thread, so handlers may touch that thread's state freely.
//
// Request bodies are bounded before they are kept: kDefaultMaxBody unless a prefix was given
// more (LimitBody). A larger Content-Length is answered 413 when the headers arrive; a chunked
// body is kept only up to the bound and then answered 413, the rest read and dropped.
// With a certificate (TlsFiles) the server speaks only HTTPS (libsoup's TLS, glib-networking).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

typedef struct _SoupServer SoupServer;
typedef struct _SoupWebsocketConnection SoupWebsocketConnection;
typedef struct _GSocketService GSocketService;
typedef struct _GTlsCertificate GTlsCertificate;

namespace xl {

struct HttpRequest {
  std::string method;                        // "GET", "POST", ...
  std::string path;                          // "/api/cameras/123"
  std::map<std::string, std::string> query;  // decoded query parameters
  std::string body;
  std::map<std::string, std::string> cookies;  // from the Cookie header
  std::map<std::string, std::string> headers;  // names in lower case
  std::string peer;                            // the client's IP address
  bool secure = false;                         // it came over TLS, or through a proxy on this host that says it did

  // The value of header `name` (any case); "" when absent.
  std::string header(const std::string& name) const;
};

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers = {};  // added to the response (Set-Cookie, ...)
};

// The one place an error's kind becomes an HTTP status.
constexpr int HttpStatusOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kResourceExhausted:
      return 507;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

// A certificate chain and its private key, PEM files; both empty for plain HTTP.
struct TlsFiles {
  std::string cert_file, key_file;
  bool enabled() const { return !cert_file.empty(); }
};

class HttpServer {
 public:
  using Handler = std::function<HttpReply(const HttpRequest&)>;
  static constexpr size_t kDefaultMaxBody = 64 * 1024;

  // Listens on `address`:`port` ("127.0.0.1" or "0.0.0.0"); port 0 picks a free one. With
  // `tls` enabled, HTTPS only; error when the files cannot be read or do not match.
  static Result<std::unique_ptr<HttpServer>> Listen(const std::string& address, int port, const TlsFiles& tls = {});
  ~HttpServer();
  bool tls() const { return tls_ != nullptr; }

  // Request bodies on paths under `prefix` may be up to `max_bytes` (longest prefix wins).
  void LimitBody(const std::string& prefix, size_t max_bytes) { body_limits_[prefix] = max_bytes; }

  // Requests whose path starts with `prefix` go to `handler` (longest prefix wins).
  void Route(const std::string& prefix, Handler handler);

  // The reply to a request answered later: call it once, on the server's thread. Dropped
  // without a call, the request is answered 503.
  using Responder = std::function<void(HttpReply)>;
  using AsyncHandler = std::function<void(const HttpRequest&, Responder)>;
  // Like Route, for handlers that answer later (e.g. after a call of their own): the request
  // waits, the loop runs on.
  void RouteAsync(const std::string& prefix, AsyncHandler handler);

  // WebSocket upgrades on paths under `prefix` go to `on_open` with the full path, the
  // request's cookies and the connection (a new reference, the callee's).
  using WebSocketHandler = std::function<void(
      const std::string& path, const std::map<std::string, std::string>& cookies, SoupWebsocketConnection*)>;
  void WebSocket(const std::string& prefix, WebSocketHandler on_open);
  int port() const { return port_; }

 private:
  HttpServer() = default;
  // A connection accepted by our listener, handed to libsoup (see Listen).
  static int OnIncoming(void* service, void* connection, void* source, void* self);
  static void OnRequest(SoupServer*, void* msg, const char* path, void* query, void* self);
  static void SetReply(void* msg, const HttpReply& reply);  // msg: a SoupServerMessage
  // Body bounding (see the top): per request, from request-started to the handler.
  static void OnStarted(SoupServer*, void* msg, void* self);
  static void OnHeaders(void* msg, void* self);
  static void OnChunk(void* msg, void* chunk, void* self);
  size_t BodyLimit(const std::string& path) const;

  SoupServer* server_ = nullptr;
  GSocketService* listener_ = nullptr;
  int port_ = 0;
  GTlsCertificate* tls_ = nullptr;  // set: every connection speaks TLS
  std::map<std::string, size_t> body_limits_;
  struct Routed {
    Handler handler;             // either this,
    AsyncHandler async_handler;  // or this
  };
  std::map<std::string, Routed> routes_;
  std::map<std::string, std::unique_ptr<WebSocketHandler>> websockets_;
};

}  // namespace xl
