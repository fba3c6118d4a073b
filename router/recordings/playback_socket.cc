#include "router/recordings/playback_socket.h"

#include <libsoup/soup.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "proto/media/fmp4_reader.h"
#include "router/recordings/device_playback_cursor.h"

namespace xl::router {
namespace {

constexpr gint kCloseBadRequest = 4400;
constexpr gint kCloseNoSession = 4401;

// The MSE type of a recording's fMP4 ("video/mp4; codecs=\"avc1.64001f\""); "" when unreadable.
std::string MimeOf(const std::string& mp4) {
  auto file = fmp4::Fmp4File::Parse(mp4);
  if (!file.ok()) return "";
  const h26x::ParameterSets ps = h26x::FindParameterSets(file->codec(), file->parameter_sets());
  const auto codec = h26x::CodecString(file->codec(), ps);
  return codec ? "video/mp4; codecs=\"" + *codec + "\"" : "";
}

}  // namespace

class PlaybackSocket::Session {
 public:
  explicit Session(SoupWebsocketConnection* conn, uint64_t serial) : serial(serial), conn_(conn) {
    GOutputStream* out = g_io_stream_get_output_stream(soup_websocket_connection_get_io_stream(conn));
    if (G_IS_POLLABLE_OUTPUT_STREAM(out) && g_pollable_output_stream_can_poll(G_POLLABLE_OUTPUT_STREAM(out))) {
      out_ = G_POLLABLE_OUTPUT_STREAM(out);
    }
  }
  ~Session() {
    if (link_) g_signal_handlers_disconnect_matched(conn_, G_SIGNAL_MATCH_DATA, 0, 0, nullptr, nullptr, link_);
    if (open()) soup_websocket_connection_close(conn_, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, nullptr);
    g_object_unref(conn_);
  }
  bool open() const { return soup_websocket_connection_get_state(conn_) == SOUP_WEBSOCKET_STATE_OPEN; }
  // The kernel's send buffer has room: the player is taking what was sent.
  bool writable() const { return open() && (!out_ || g_pollable_output_stream_is_writable(out_)); }
  void Send(const nlohmann::json& message) {
    if (open()) soup_websocket_connection_send_text(conn_, message.dump().c_str());
  }
  void SendBinary(const std::string& bytes) {
    if (open()) soup_websocket_connection_send_binary(conn_, bytes.data(), bytes.size());
  }
  void End(gint code, const std::string& why) {
    Send({{"type", "error"}, {"error", why}});
    if (open()) soup_websocket_connection_close(conn_, code, why.c_str());
  }
  SoupWebsocketConnection* conn() const { return conn_; }
  void set_link(gpointer link) { link_ = link; }

  const uint64_t serial;
  bool refused = false;  // closed at once (no session, no right): only waits for its close to go out
  std::string camera;
  std::map<std::string, std::string> cookies;  // its grant, checked again every second

  std::unique_ptr<PlaybackSteering> cursor;  // made once the session is let in

 private:
  SoupWebsocketConnection* conn_;
  GPollableOutputStream* out_ = nullptr;  // the connection's (borrowed)
  gpointer link_ = nullptr;
};

namespace {
struct Link {
  PlaybackSocket* socket;
  void* session;
  uint64_t serial;
};
}  // namespace

PlaybackSocket::PlaybackSocket(HttpServer& http, RecordingDesk& recordings, AllowFn allowed)
    : recordings_(recordings), allowed_(std::move(allowed)) {
  tick_ = g_timeout_add(250, &PlaybackSocket::OnTick, this);
  http.WebSocket("/playback", [this](const std::string& path, const std::map<std::string, std::string>& cookies,
                                     SoupWebsocketConnection* conn) { Open(path, cookies, conn); });
}

PlaybackSocket::~PlaybackSocket() {
  if (tick_) g_source_remove(tick_);
}

void PlaybackSocket::Open(const std::string& path, const std::map<std::string, std::string>& cookies,
                          SoupWebsocketConnection* conn) {
  std::string camera = path.rfind("/playback/", 0) == 0 ? path.substr(10) : "";
  const bool device = camera.ends_with("/device");  // what the camera's GB/T 28181 device keeps
  if (device) camera.resize(camera.size() - 7);
  auto session = std::make_unique<Session>(conn, ++serials_);
  // Refused, the session stays until the connection has closed (its "closed" signal), so the
  // close frame with the reason goes out before the connection is let go.
  const bool refused = camera.empty() || !allowed_(cookies, camera);
  session->refused = refused;
  soup_websocket_connection_set_max_incoming_payload_size(conn, 4096);
  session->camera = camera;
  session->cookies = cookies;
  Session* raw = session.get();
  auto* link = new Link{this, raw, raw->serial};
  raw->set_link(link);
  g_signal_connect_data(
      conn, "message", G_CALLBACK(+[](SoupWebsocketConnection*, gint type, GBytes* message, gpointer p) {
        auto* l = static_cast<Link*>(p);
        auto it = l->socket->sessions_.find(static_cast<Session*>(l->session));
        if (it == l->socket->sessions_.end() || it->second->serial != l->serial || it->second->refused) {
          return;
        }
        Session& s = *it->second;
        gsize size = 0;
        const char* data = static_cast<const char*>(g_bytes_get_data(message, &size));
        const auto j = nlohmann::json::parse(std::string(data ? data : "", size), nullptr, false);
        if (type != SOUP_WEBSOCKET_DATA_TEXT || !j.is_object()) {
          return s.End(kCloseBadRequest, "send JSON: {\"seek\": MS, \"speed\": N} or {\"at\": MS}");
        }
        if (j.contains("seek")) {
          const int speed = j.value("speed", s.cursor->speed());
          if (!j["seek"].is_number_integer() || j["seek"].get<int64_t>() < 0 || !PlaybackCursor::ValidSpeed(speed)) {
            return s.End(kCloseBadRequest, "seek: wall-clock ms; speed: 1, 2, 4, 8 or 16");
          }
          const int64_t at = j["seek"].get<int64_t>();
          s.cursor->Seek(at, speed);
          s.Send({{"type", "seeked"}, {"at_ms", at}, {"speed", speed}});
        } else if (j.contains("at") && j["at"].is_number_integer()) {
          s.cursor->At(j["at"].get<int64_t>());
        } else {
          return s.End(kCloseBadRequest, "send {\"seek\": MS, \"speed\": N} or {\"at\": MS}");
        }
        s.cursor->Pump();
      }),
      link, nullptr, GConnectFlags(0));
  g_signal_connect_data(
      conn, "closed", G_CALLBACK(+[](SoupWebsocketConnection*, gpointer p) {
        // Handled from an idle callback, not inside the signal: Closed() destroys the connection's owner.
        auto* copy = new Link(*static_cast<Link*>(p));
        g_idle_add_full(
            G_PRIORITY_DEFAULT,
            [](gpointer q) -> gboolean {
              auto* l = static_cast<Link*>(q);
              l->socket->Closed(static_cast<Session*>(l->session));
              return G_SOURCE_REMOVE;
            },
            copy, [](gpointer q) { delete static_cast<Link*>(q); });
      }),
      link, [](gpointer p, GClosure*) { delete static_cast<Link*>(p); }, GConnectFlags(0));
  sessions_[raw] = std::move(session);
  if (refused) {
    raw->End(kCloseNoSession,
             camera.empty() ? "use /playback/<camera-id>" : "log in first, as a user who may see camera " + camera);
    return;
  }
  PlaybackCursor::Listener listener;
  listener.chunk = [raw](PlaybackCursor::Chunk c) {
    raw->Send({{"type", "chunk"},
               {"start_ms", c.start_ms},
               {"end_ms", c.end_ms},
               {"speed", c.speed},
               {"keyframes_only", c.keyframes_only},
               {"mime", MimeOf(c.mp4)}});
    raw->SendBinary(c.mp4);
  };
  listener.end = [raw](int64_t at_ms) { raw->Send({{"type", "end"}, {"at_ms", at_ms}}); };
  listener.error = [raw](const std::string& why) { raw->Send({{"type", "error"}, {"error", why}}); };
  listener.ready = [raw] { return raw->writable(); };
  if (device) {
    raw->cursor = std::make_unique<DevicePlaybackCursor>(recordings_, camera, std::move(listener));
  } else {
    raw->cursor = std::make_unique<PlaybackCursor>(recordings_, camera, std::move(listener));
  }
  spdlog::info("playback: camera {} opened{}", camera, device ? " (its device's recording)" : "");
}

void PlaybackSocket::Closed(Session* session) { sessions_.erase(session); }

gboolean PlaybackSocket::OnTick(gpointer self) {
  auto* p = static_cast<PlaybackSocket*>(self);
  const bool check = ++p->ticks_ % 4 == 0;
  for (auto& [raw, s] : p->sessions_) {
    if (s->refused) continue;
    if (check && !p->allowed_(s->cookies, s->camera)) {
      s->End(kCloseNoSession, "session ended");
      continue;
    }
    s->cursor->Pump();
  }
  return G_SOURCE_CONTINUE;
}

}  // namespace xl::router
