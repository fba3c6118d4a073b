#include "common/http_server.h"

#include "common/loopback.h"

#include <cctype>

#include <gio/gio.h>
#include <libsoup/soup.h>

namespace xl {

namespace {
constexpr const char* kBodyKey = "xl-body";

// A request's body as it arrives, kept up to its route's bound.
struct BodyBuffer {
  size_t limit = HttpServer::kDefaultMaxBody;
  std::string bytes;
  bool too_large = false;
};

// The value of the longest key of `by_prefix` that `path` starts with; nullptr for none.
template <typename Value>
const Value* LongestPrefix(const std::map<std::string, Value>& by_prefix, const std::string& path) {
  const Value* best = nullptr;
  size_t best_len = 0;
  for (const auto& [prefix, value] : by_prefix) {
    if (path.starts_with(prefix) && prefix.size() >= best_len) {
      best = &value;
      best_len = prefix.size();
    }
  }
  return best;
}

std::string TooLargeJson(size_t limit) {
  return "{\"error\":\"the request body is too large: at most " + std::to_string(limit) + " bytes here\"}";
}
}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Listen(const std::string& address, int port, const TlsFiles& tls) {
  std::unique_ptr<HttpServer> s(new HttpServer());
  s->server_ = soup_server_new("server-header", "xueliang", nullptr);
  if (tls.enabled()) {
    GError* tls_err = nullptr;
    s->tls_ = g_tls_certificate_new_from_files(tls.cert_file.c_str(), tls.key_file.c_str(), &tls_err);
    if (!s->tls_) {
      std::string msg = tls_err ? tls_err->message : "unknown error";
      g_clear_error(&tls_err);
      return Error{"HTTP: cannot use the TLS certificate " + tls.cert_file + " with key " + tls.key_file + ": " + msg};
    }
  }
  g_signal_connect(s->server_, "request-started", G_CALLBACK(&HttpServer::OnStarted), s.get());
  // No permessage-deflate: WebSockets here carry compressed video (and small JSON); with it,
  // zlib took a third of the router's CPU for a 16-tile wall and gained nothing.
  soup_server_remove_websocket_extension(s->server_, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  GInetAddress* inet = g_inet_address_new_from_string(address.c_str());
  if (!inet) return Error{"HTTP: '" + address + "' is not an IP address"};
  GSocketAddress* addr = g_inet_socket_address_new(inet, guint16(port));
  g_object_unref(inet);
  // We accept, libsoup speaks HTTP on what we accepted: libsoup 3.2's own listener (Debian 12)
  // never frees the socket object of a connection it accepted (~340 bytes per request, found
  // by bench/soak and heaptrack); a connection handed in as a stream is freed whole.
  s->listener_ = g_socket_service_new();
  GSocketAddress* bound = nullptr;
  GError* err = nullptr;
  gboolean ok = g_socket_listener_add_address(G_SOCKET_LISTENER(s->listener_), addr, G_SOCKET_TYPE_STREAM,
                                              G_SOCKET_PROTOCOL_TCP, nullptr, &bound, &err);
  g_object_unref(addr);
  if (!ok) {
    std::string msg = err ? err->message : "unknown error";
    if (err) g_error_free(err);
    return Error{"HTTP: cannot listen on " + address + ":" + std::to_string(port) + ": " + msg};
  }
  s->port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_object_unref(bound);
  g_signal_connect(s->listener_, "incoming", G_CALLBACK(&HttpServer::OnIncoming), s.get());
  g_socket_service_start(s->listener_);
  soup_server_add_handler(s->server_, nullptr, reinterpret_cast<SoupServerCallback>(&HttpServer::OnRequest), s.get(),
                          nullptr);
  return s;
}

HttpServer::~HttpServer() {
  if (listener_) {
    g_signal_handlers_disconnect_by_data(listener_, this);
    g_socket_service_stop(listener_);
    g_socket_listener_close(G_SOCKET_LISTENER(listener_));
    g_object_unref(listener_);
  }
  if (server_) {
    soup_server_disconnect(server_);
    g_object_unref(server_);
  }
  if (tls_) g_object_unref(tls_);
}

int HttpServer::OnIncoming(void*, void* raw_connection, void*, void* self) {
  auto* server = static_cast<HttpServer*>(self);
  auto* connection = static_cast<GSocketConnection*>(raw_connection);
  GError* err = nullptr;
  GIOStream* stream = G_IO_STREAM(g_object_ref(connection));
  if (server->tls_) {
    // The handshake happens on the first read, on the loop: nothing blocks here.
    GIOStream* tls = g_tls_server_connection_new(stream, server->tls_, &err);
    g_object_unref(stream);
    if (!tls) {
      g_clear_error(&err);
      return TRUE;  // dropped: the connection closes
    }
    stream = tls;
  }
  GSocketAddress* local = g_socket_connection_get_local_address(connection, nullptr);
  GSocketAddress* remote = g_socket_connection_get_remote_address(connection, nullptr);
  if (local && remote) soup_server_accept_iostream(server->server_, stream, local, remote, &err);
  g_clear_error(&err);
  if (local) g_object_unref(local);
  if (remote) g_object_unref(remote);
  g_object_unref(stream);
  return TRUE;
}

namespace {

// True when the browser's `origin` ("http://host[:port]") is the server the request came to
// (its Host header). Case-insensitive; "null" and other schemes are never the same.
bool SameOrigin(const std::string& origin, const std::string& host) {
  std::string rest;
  if (origin.rfind("http://", 0) == 0) rest = origin.substr(7);
  else if (origin.rfind("https://", 0) == 0) rest = origin.substr(8);
  else return false;
  return !host.empty() && g_ascii_strcasecmp(rest.c_str(), host.c_str()) == 0;
}

// The cookies of a request's Cookie header ("a=1; b=2").
std::map<std::string, std::string> CookiesOf(SoupMessageHeaders* headers) {
  std::map<std::string, std::string> out;
  const char* cookie = soup_message_headers_get_one(headers, "Cookie");
  if (!cookie) return out;
  GHashTable* pairs = soup_header_parse_semi_param_list(cookie);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, pairs);
  while (g_hash_table_iter_next(&it, &k, &v)) out[static_cast<char*>(k)] = v ? static_cast<char*>(v) : "";
  soup_header_free_param_list(pairs);
  return out;
}

}  // namespace

std::string HttpRequest::header(const std::string& name) const {
  std::string key = name;
  for (char& c : key) c = char(std::tolower(static_cast<unsigned char>(c)));
  auto it = headers.find(key);
  return it == headers.end() ? "" : it->second;
}

void HttpServer::Route(const std::string& prefix, Handler handler) { routes_[prefix] = {std::move(handler), nullptr}; }

void HttpServer::RouteAsync(const std::string& prefix, AsyncHandler handler) {
  routes_[prefix] = {nullptr, std::move(handler)};
}

void HttpServer::WebSocket(const std::string& prefix, WebSocketHandler on_open) {
  auto& slot = websockets_[prefix];
  slot = std::make_unique<WebSocketHandler>(std::move(on_open));
  soup_server_add_websocket_handler(
      server_, prefix.c_str(), nullptr, nullptr,
      [](SoupServer*, SoupServerMessage* msg, const char* path, SoupWebsocketConnection* conn, gpointer data) {
        // A page of another site may not open our sockets with the user's cookies: a browser
        // names its page's origin, which must be this server (clients that are no browser
        // send no Origin).
        SoupMessageHeaders* headers = soup_server_message_get_request_headers(msg);
        const char* origin = soup_message_headers_get_one(headers, "Origin");
        const char* host = soup_message_headers_get_one(headers, "Host");
        if (origin && !SameOrigin(origin, host ? host : "")) {
          soup_websocket_connection_close(conn, 4403, "cross-origin");
          return;
        }
        g_object_ref(conn);
        (*static_cast<WebSocketHandler*>(data))(path ? path : "",
                                                CookiesOf(soup_server_message_get_request_headers(msg)), conn);
      },
      slot.get(), nullptr);
}

void HttpServer::OnRequest(SoupServer*, void* raw_msg, const char* path, void* raw_query, void* self) {
  auto* server = static_cast<HttpServer*>(self);
  auto* msg = static_cast<SoupServerMessage*>(raw_msg);
  HttpRequest req;
  req.method = soup_server_message_get_method(msg);
  req.path = path ? path : "/";
  if (auto* query = static_cast<GHashTable*>(raw_query)) {
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, query);
    while (g_hash_table_iter_next(&it, &k, &v)) req.query[static_cast<char*>(k)] = v ? static_cast<char*>(v) : "";
  }
  SoupMessageHeaders* in = soup_server_message_get_request_headers(msg);
  SoupMessageHeadersIter hi;
  soup_message_headers_iter_init(&hi, in);
  const char *name = nullptr, *value = nullptr;
  while (soup_message_headers_iter_next(&hi, &name, &value)) {
    std::string key = name;
    for (char& c : key) c = char(std::tolower(static_cast<unsigned char>(c)));
    req.headers[key] = value ? value : "";
  }
  req.cookies = CookiesOf(in);
  if (const char* remote = soup_server_message_get_remote_host(msg)) req.peer = remote;
  // A proxy on this host (and only there) may say the browser spoke HTTPS to it.
  req.secure = server->tls_ != nullptr || (IsLoopbackAddress(req.peer) && req.header("x-forwarded-proto") == "https");
  if (auto* buffer = static_cast<BodyBuffer*>(g_object_get_data(G_OBJECT(msg), kBodyKey))) {
    if (buffer->too_large) return SetReply(msg, {413, "application/json", TooLargeJson(buffer->limit)});
    req.body = std::move(buffer->bytes);
  }
  const Routed* best = LongestPrefix(server->routes_, req.path);
  if (!best) return SetReply(msg, {404, "application/json", "{\"error\":\"no such endpoint\"}"});
  if (best->handler) return SetReply(msg, best->handler(req));
  // Answered later: the message waits, paused, holding a reference until the reply comes.
  struct Pending {
    SoupServerMessage* msg;
    bool answered = false;
    ~Pending() {
      if (!answered) Answer({503, "application/json", "{\"error\":\"the request was dropped\"}"});
      g_object_unref(msg);
    }
    void Answer(const HttpReply& reply) {
      answered = true;
      SetReply(msg, reply);
      soup_server_message_unpause(msg);
    }
  };
  soup_server_message_pause(msg);
  std::shared_ptr<Pending> pending(new Pending{static_cast<SoupServerMessage*>(g_object_ref(msg))});
  best->async_handler(req, [pending](HttpReply reply) {
    if (!pending->answered) pending->Answer(reply);
  });
}

size_t HttpServer::BodyLimit(const std::string& path) const {
  const size_t* limit = LongestPrefix(body_limits_, path);
  return limit ? *limit : kDefaultMaxBody;
}

void HttpServer::OnStarted(SoupServer*, void* raw_msg, void* self) {
  auto* msg = static_cast<SoupServerMessage*>(raw_msg);
  // libsoup keeps nothing of the body; OnChunk keeps what the route allows.
  soup_message_body_set_accumulate(soup_server_message_get_request_body(msg), FALSE);
  g_object_set_data_full(G_OBJECT(msg), kBodyKey, new BodyBuffer(),
                         [](gpointer p) { delete static_cast<BodyBuffer*>(p); });
  g_signal_connect(msg, "got-headers", G_CALLBACK(&HttpServer::OnHeaders), self);
  g_signal_connect(msg, "got-chunk", G_CALLBACK(&HttpServer::OnChunk), self);
}

void HttpServer::OnHeaders(void* raw_msg, void* self) {
  auto* msg = static_cast<SoupServerMessage*>(raw_msg);
  auto* buffer = static_cast<BodyBuffer*>(g_object_get_data(G_OBJECT(msg), kBodyKey));
  GUri* uri = soup_server_message_get_uri(msg);
  if (!buffer || !uri) return;
  buffer->limit = static_cast<HttpServer*>(self)->BodyLimit(g_uri_get_path(uri));
  SoupMessageHeaders* in = soup_server_message_get_request_headers(msg);
  if (soup_message_headers_get_encoding(in) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length(in) > goffset(buffer->limit)) {
    // Answered now: libsoup reads the body and drops it (we keep nothing), calls no handler.
    buffer->too_large = true;
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection", "close");
    SetReply(msg, {413, "application/json", TooLargeJson(buffer->limit)});
  }
}

void HttpServer::OnChunk(void* raw_msg, void* raw_chunk, void*) {
  auto* buffer = static_cast<BodyBuffer*>(g_object_get_data(G_OBJECT(raw_msg), kBodyKey));
  if (!buffer || buffer->too_large) return;
  gsize size = 0;
  const char* data = static_cast<const char*>(g_bytes_get_data(static_cast<GBytes*>(raw_chunk), &size));
  if (buffer->bytes.size() + size > buffer->limit) {
    buffer->too_large = true;
    std::string().swap(buffer->bytes);
    return;
  }
  buffer->bytes.append(data ? data : "", size);
}

void HttpServer::SetReply(void* raw_msg, const HttpReply& reply) {
  auto* msg = static_cast<SoupServerMessage*>(raw_msg);
  soup_server_message_set_status(msg, guint(reply.status), nullptr);
  SoupMessageHeaders* out = soup_server_message_get_response_headers(msg);
  // One request per connection: libsoup 3.2 (Debian 12) never closes a kept-alive connection
  // its client has closed (fixed upstream in 3.3.0, commit d20c6601), so every scrape, curl or
  // closed browser tab left a socket in CLOSE-WAIT for good (found by bench/soak: 1,500 in
  // minutes). Closed after the reply, nothing idles. WebSockets are not replies: unaffected.
  soup_message_headers_replace(out, "Connection", "close");
  for (const auto& [name, value] : reply.headers) soup_message_headers_append(out, name.c_str(), value.c_str());
  soup_server_message_set_response(msg, reply.content_type.c_str(), SOUP_MEMORY_COPY, reply.body.data(),
                                   reply.body.size());
}

}  // namespace xl
