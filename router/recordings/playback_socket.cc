#include "router/recordings/playback_socket.h"

#include <libsoup/soup.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "proto/media/fmp4_reader.h"

namespace xl::router {
namespace {

constexpr gint kCloseBadRequest = 4400;
constexpr gint kCloseNoSession = 4401;
constexpr int64_t kWindowBeforeMs = 2 * 60 * 1000;  // segments asked of the workers around the position
constexpr int64_t kWindowAfterMs = 30 * 60 * 1000;
constexpr int64_t kMaxChunkMs = 29 * 60 * 1000;  // a worker answers at most 30 minutes at once

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

  // Steering by the player.
  bool started = false;
  int speed = 1;
  uint64_t generation = 0;  // bumped by every seek: answers for an older one are dropped
  int64_t player_ms = 0;    // where the player stands (wall clock)
  // Where the next chunk starts: at the keyframe at or before `next_ms` (a seek), just after
  // the keyframe at `next_ms` (it ended the last chunk), or at the first segment starting at or
  // after `next_ms` (the last chunk ended with the known recording).
  enum class Next { kSeek, kAfterKeyframe, kFirstSegment } next = Next::kSeek;
  int64_t next_ms = 0;

  // What is known of the recording around next_ms.
  std::vector<WorkerSegment> segments;
  int64_t known_from = 0, known_to = 0;
  bool stale = true;  // ask the workers again before the next chunk
  bool busy = false;  // a request to the workers is in flight
  bool told_end = false;
  int64_t retry_at = 0;  // monotonic: nothing new before then

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
  const std::string camera = path.rfind("/playback/", 0) == 0 ? path.substr(10) : "";
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
          const int speed = j.value("speed", s.speed);
          if (!j["seek"].is_number_integer() || j["seek"].get<int64_t>() < 0 ||
              (speed != 1 && speed != 2 && speed != 4 && speed != 8 && speed != 16)) {
            return s.End(kCloseBadRequest, "seek: wall-clock ms; speed: 1, 2, 4, 8 or 16");
          }
          s.started = true;
          s.speed = speed;
          ++s.generation;
          s.player_ms = s.next_ms = j["seek"].get<int64_t>();
          s.next = Session::Next::kSeek;
          s.stale = true;
          s.busy = false;  // what is in flight belongs to the old generation
          s.told_end = false;
          s.retry_at = 0;
          s.Send({{"type", "seeked"}, {"at_ms", s.player_ms}, {"speed", s.speed}});
        } else if (j.contains("at") && j["at"].is_number_integer()) {
          s.player_ms = j["at"].get<int64_t>();
        } else {
          return s.End(kCloseBadRequest, "send {\"seek\": MS, \"speed\": N} or {\"at\": MS}");
        }
        l->socket->Pump(s);
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
  spdlog::info("playback: camera {} opened", camera);
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
    p->Pump(*s);
  }
  return G_SOURCE_CONTINUE;
}

void PlaybackSocket::Refresh(Session& s) {
  s.busy = true;
  const int64_t from = std::max<int64_t>(0, s.next_ms - kWindowBeforeMs), to = s.next_ms + kWindowAfterMs;
  recordings_.FetchSegments(
      s.camera, from, to,
      [this, alive = std::weak_ptr<int>(alive_), raw = &s, serial = s.serial, generation = s.generation, from, to](
          std::vector<WorkerSegment> segments, nlohmann::json) {
        if (alive.expired()) return;
        auto it = sessions_.find(raw);
        if (it == sessions_.end() || it->second->serial != serial || it->second->generation != generation) return;
        Session& s = *it->second;
        s.busy = false;
        std::sort(segments.begin(), segments.end(),
                  [](const WorkerSegment& a, const WorkerSegment& b) { return a.start_ms < b.start_ms; });
        s.segments = std::move(segments);
        s.known_from = from;
        s.known_to = to;
        s.stale = false;
        Pump(s);
      });
}

void PlaybackSocket::Pump(Session& s) {
  const int64_t now = MonotonicMs();
  if (!s.started || s.busy || now < s.retry_at || !s.writable()) return;
  if (s.next_ms > s.player_ms + kLookaheadS * 1000 * s.speed) return;  // far enough ahead of the player
  if (s.stale || s.next_ms < s.known_from || s.next_ms >= s.known_to - kMaxChunkMs / 2) return Refresh(s);

  // The segment the next chunk starts in, and where exactly.
  const WorkerSegment* seg = nullptr;
  int64_t from = s.next_ms;
  for (const WorkerSegment& w : s.segments) {
    const bool fits = s.next == Session::Next::kFirstSegment ? w.start_ms >= s.next_ms : w.end_ms > s.next_ms;
    if (!fits) continue;
    seg = &w;
    if (w.start_ms > s.next_ms || s.next == Session::Next::kFirstSegment) {
      from = w.start_ms;  // its first frame, a keyframe
    } else if (s.next == Session::Next::kAfterKeyframe) {
      from = s.next_ms + 1;  // the keyframe at next_ms starts it (the last chunk ended before it)
    }
    break;
  }
  if (!seg) {  // nothing recorded after it (yet): say so once, and look again now and then
    if (!s.told_end) s.Send({{"type", "end"}, {"at_ms", s.next_ms}});
    s.told_end = true;
    s.stale = true;
    s.retry_at = now + 3000;
    return;
  }
  // Where it ends: at the first keyframe a chunk's length on, of the same worker's recording.
  const int64_t chunk_ms = kChunkS * 1000 * s.speed;
  std::vector<int64_t> keyframes;
  int64_t last_end = seg->end_ms;
  bool live = false;
  for (const WorkerSegment& w : s.segments) {
    if (w.worker != seg->worker || w.end_ms < seg->start_ms) continue;
    keyframes.insert(keyframes.end(), w.keyframes_ms.begin(), w.keyframes_ms.end());
    last_end = std::max(last_end, w.end_ms);
    live = live || w.open;
  }
  std::sort(keyframes.begin(), keyframes.end());
  int64_t to = 0;
  Session::Next next = Session::Next::kAfterKeyframe;
  auto boundary = std::lower_bound(keyframes.begin(), keyframes.end(), from + chunk_ms);
  if (boundary != keyframes.end()) {
    to = *boundary;
  } else if (live) {  // at the live edge: up to its last keyframe, once there is one after `from`
    if (keyframes.empty() || keyframes.back() <= from) {
      s.stale = true;
      s.retry_at = now + 1000;
      return;
    }
    to = keyframes.back();
  } else {
    to = last_end + 1;
    next = Session::Next::kFirstSegment;
  }
  to = std::min(to, from + kMaxChunkMs);
  const bool keyframes_only = s.speed >= 8;
  s.busy = true;
  recordings_.FetchMp4From(
      seg->worker, s.camera, from, to, keyframes_only,
      [this, alive = std::weak_ptr<int>(alive_), raw = &s, serial = s.serial, generation = s.generation, to, next,
       keyframes_only](Result<RecordingDesk::Mp4> got) {
        if (alive.expired()) return;
        auto it = sessions_.find(raw);
        if (it == sessions_.end() || it->second->serial != serial || it->second->generation != generation) return;
        Session& s = *it->second;
        s.busy = false;
        if (!got.ok() && got.error().code != ErrorCode::kNotFound) {
          s.Send({{"type", "error"}, {"error", got.error().message}});
          s.retry_at = MonotonicMs() + 3000;
          s.stale = true;
          return;
        }
        s.next = next;
        s.next_ms = to;
        if (got.ok()) {
          s.told_end = false;
          s.Send({{"type", "chunk"},
                  {"start_ms", got->start_ms},
                  {"end_ms", to},
                  {"speed", s.speed},
                  {"keyframes_only", keyframes_only},
                  {"mime", MimeOf(got->body)}});
          s.SendBinary(got->body);
        }
        Pump(s);
      });
}

}  // namespace xl::router
