#include "router/live/websocket_out.h"

#include <libsoup/soup.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/clock.h"

namespace xl::router {

namespace {
constexpr gint kCloseNoSession = 4401;
constexpr gint kCloseUnknownCamera = 4404;
constexpr gint kCloseRefused = 4429;  // the relay's admission said no (a link's live budget)
}  // namespace

class WebSocketOut::Peer : public LiveViewer {
 public:
  Peer(SoupWebsocketConnection* conn, std::shared_ptr<Fmp4Muxer> mux) : conn_(conn), mux_(std::move(mux)) {
    GOutputStream* out = g_io_stream_get_output_stream(soup_websocket_connection_get_io_stream(conn));
    if (G_IS_POLLABLE_OUTPUT_STREAM(out) && g_pollable_output_stream_can_poll(G_POLLABLE_OUTPUT_STREAM(out))) {
      out_ = G_POLLABLE_OUTPUT_STREAM(out);
    }
  }
  ~Peer() override {
    g_signal_handlers_disconnect_matched(conn_, G_SIGNAL_MATCH_ID, g_signal_lookup("closed", G_OBJECT_TYPE(conn_)), 0,
                                         nullptr, nullptr, nullptr);
    if (soup_websocket_connection_get_state(conn_) == SOUP_WEBSOCKET_STATE_OPEN) {
      soup_websocket_connection_close(conn_, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, nullptr);
    }
    g_object_unref(conn_);
  }

  // Ends the connection (its "closed" signal then removes the peer).
  void End(gint code, const char* reason) {
    if (soup_websocket_connection_get_state(conn_) == SOUP_WEBSOCKET_STATE_OPEN) {
      soup_websocket_connection_close(conn_, code, reason);
    }
  }

  bool Offer(const LiveFramePtr& frame) override {
    if (soup_websocket_connection_get_state(conn_) != SOUP_WEBSOCKET_STATE_OPEN) return false;
    // The kernel's send buffer is full: the browser is not keeping up.
    if (out_ && !g_pollable_output_stream_is_writable(out_)) return false;
    if (!started_) {
      if (!frame->video.keyframe() || !mux_->Learn(*frame)) return false;
      soup_websocket_connection_send_text(conn_, mux_->mime().c_str());
      const std::string& init = mux_->init_segment();
      soup_websocket_connection_send_binary(conn_, init.data(), init.size());
      started_ = true;
    }
    auto fragment = mux_->Fragment(frame);
    soup_websocket_connection_send_binary(conn_, fragment->data(), fragment->size());
    return true;
  }
  std::string camera;
  std::map<std::string, std::string> cookies;  // its grant, checked again every second

 private:
  SoupWebsocketConnection* conn_;
  GPollableOutputStream* out_ = nullptr;  // the connection's (borrowed: conn_ keeps it)
  std::shared_ptr<Fmp4Muxer> mux_;
  bool started_ = false;
};

WebSocketOut::WebSocketOut(HttpServer& http, LiveRelay& relay, std::function<std::string(const std::string&)> codec_of,
                           AllowFn allowed)
    : relay_(relay), codec_of_(std::move(codec_of)), allowed_(std::move(allowed)) {
  check_ = g_timeout_add(500, &WebSocketOut::OnCheck, this);
  http.WebSocket("/live", [this](const std::string& path, const std::map<std::string, std::string>& cookies,
                                 SoupWebsocketConnection* conn) { Open(path, cookies, conn); });
}

WebSocketOut::~WebSocketOut() {
  if (check_) g_source_remove(check_);
  for (auto& [raw, peer] : peers_) relay_.Remove(raw, 0);
}

void WebSocketOut::Open(const std::string& path, const std::map<std::string, std::string>& cookies,
                        SoupWebsocketConnection* conn) {
  const std::string camera = path.rfind("/live/", 0) == 0 ? path.substr(6) : "";
  if (!allowed_(cookies, camera)) {
    soup_websocket_connection_send_text(conn, "{\"error\":\"log in first (POST /api/login)\"}");
    soup_websocket_connection_close(conn, kCloseNoSession, "no session");
    g_object_unref(conn);
    return;
  }
  const std::string codec = camera.empty() ? "" : codec_of_(camera);
  soup_websocket_connection_set_max_incoming_payload_size(conn, 64 * 1024);
  if (codec.empty()) {
    const std::string reason = camera.empty() ? "use /live/<camera-id>" : "no live camera " + camera;
    soup_websocket_connection_send_text(conn, ("{\"error\":\"" + reason + "\"}").c_str());
    soup_websocket_connection_close(conn, kCloseUnknownCamera, reason.c_str());
    g_object_unref(conn);
    return;
  }
  auto& mux = muxers_[camera];
  if (!mux) mux = std::make_shared<Fmp4Muxer>(codec);
  auto peer = std::make_unique<Peer>(conn, mux);
  peer->camera = camera;
  peer->cookies = cookies;
  Peer* raw = peer.get();
  struct Link {
    WebSocketOut* out;
    Peer* peer;
  };
  // Handled from an idle callback, not inside the signal: Closed() destroys the connection's
  // owner. Closed() only looks the peer up, so a stale pointer is harmless.
  g_signal_connect_data(
      conn, "closed", G_CALLBACK(+[](SoupWebsocketConnection*, gpointer p) {
        auto* link = new Link(*static_cast<Link*>(p));
        g_idle_add_full(
            G_PRIORITY_DEFAULT,
            [](gpointer q) -> gboolean {
              auto* l = static_cast<Link*>(q);
              l->out->Closed(l->peer);
              return G_SOURCE_REMOVE;
            },
            link, [](gpointer q) { delete static_cast<Link*>(q); });
      }),
      new Link{this, raw}, [](gpointer p, GClosure*) { delete static_cast<Link*>(p); }, GConnectFlags(0));
  peers_[raw] = std::move(peer);
  if (auto why = relay_.Add(camera, raw, "websocket", MonotonicMs())) {  // {"error"} before the close
    soup_websocket_connection_send_text(conn, nlohmann::json{{"error", *why}, {"refused", true}}.dump().c_str());
    raw->End(kCloseRefused, "refused");  // its "closed" signal removes it, once the close is sent
  }
}

gboolean WebSocketOut::OnCheck(gpointer self) {
  auto* out = static_cast<WebSocketOut*>(self);
  for (auto& [raw, peer] : out->peers_) {
    if (!out->allowed_(peer->cookies, peer->camera)) peer->End(kCloseNoSession, "session ended");
  }
  return G_SOURCE_CONTINUE;
}

void WebSocketOut::Closed(Peer* peer) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  const std::string camera = peer->camera;
  relay_.Remove(peer, MonotonicMs());
  peers_.erase(it);
  bool still = false;
  for (const auto& [raw, p] : peers_) still = still || p->camera == camera;
  if (!still) muxers_.erase(camera);  // a new muxer (fresh timeline) for the next viewer
}

}  // namespace xl::router
