#include "common/http_client.h"

#include <libsoup/soup.h>

#include <memory>

namespace xl {

namespace {

// The reply of a finished call (takes `reply` and `err`).
Result<HttpReply> ReplyOf(const std::string& url, SoupMessage* msg, GBytes* reply, GError* err) {
  if (!reply) {
    Error e{url + ": " + (err ? err->message : "no reply")};
    if (err) g_error_free(err);
    return e;
  }
  HttpReply r;
  r.status = int(soup_message_get_status(msg));
  const char* type = soup_message_headers_get_content_type(soup_message_get_response_headers(msg), nullptr);
  r.content_type = type ? type : "";
  SoupMessageHeadersIter it;
  soup_message_headers_iter_init(&it, soup_message_get_response_headers(msg));
  const char *name = nullptr, *value = nullptr;
  while (soup_message_headers_iter_next(&it, &name, &value)) r.headers.emplace_back(name, value ? value : "");
  gsize size = 0;
  const char* data = static_cast<const char*>(g_bytes_get_data(reply, &size));
  r.body.assign(data ? data : "", size);
  g_bytes_unref(reply);
  return r;
}

}  // namespace

Result<HttpReply> HttpCall(const std::string& method, const std::string& url, const std::string& body,
                           const std::string& content_type, int timeout_s,
                           const std::vector<std::pair<std::string, std::string>>& headers) {
  SoupMessage* msg = soup_message_new(method.c_str(), url.c_str());
  if (!msg) return Error{"'" + url + "' is not a valid URL"};
  for (const auto& [name, value] : headers) {
    soup_message_headers_append(soup_message_get_request_headers(msg), name.c_str(), value.c_str());
  }
  if (!body.empty()) {
    GBytes* bytes = g_bytes_new(body.data(), body.size());
    soup_message_set_request_body_from_bytes(msg, content_type.c_str(), bytes);
    g_bytes_unref(bytes);
  }
  SoupSession* session = soup_session_new_with_options("timeout", guint(timeout_s), nullptr);
  GError* err = nullptr;
  GBytes* reply = soup_session_send_and_read(session, msg, nullptr, &err);
  Result<HttpReply> out = ReplyOf(url, msg, reply, err);
  g_object_unref(session);
  g_object_unref(msg);
  return out;
}

HttpFetcher::HttpFetcher(int timeout_s)
    : session_(soup_session_new_with_options("timeout", guint(timeout_s), nullptr)), cancel_(g_cancellable_new()) {}

HttpFetcher::~HttpFetcher() {
  g_cancellable_cancel(cancel_);
  g_object_unref(cancel_);
  g_object_unref(session_);
}

void HttpFetcher::Send(const char* method, const std::string& url, Done done,
                       const std::vector<std::pair<std::string, std::string>>& headers) {
  SoupMessage* msg = soup_message_new(method, url.c_str());
  if (!msg) return done(Error{"'" + url + "' is not a valid URL"});
  for (const auto& [name, value] : headers) {
    soup_message_headers_replace(soup_message_get_request_headers(msg), name.c_str(), value.c_str());
  }
  struct Call {
    std::string url;
    SoupMessage* msg;
    Done done;
  };
  auto* call = new Call{url, msg, std::move(done)};
  soup_session_send_and_read_async(
      session_, msg, G_PRIORITY_DEFAULT, cancel_,
      [](GObject* session, GAsyncResult* result, gpointer data) {
        std::unique_ptr<Call> call(static_cast<Call*>(data));
        GError* err = nullptr;
        GBytes* reply = soup_session_send_and_read_finish(SOUP_SESSION(session), result, &err);
        call->done(ReplyOf(call->url, call->msg, reply, err));
        g_object_unref(call->msg);
      },
      call);
}

}  // namespace xl
