#include "tools/camsim/gb28181_media.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "proto/media/ps_muxer.h"
#include "proto/media/ps_rtp.h"
#include "proto/media/rtp_packet.h"

namespace xl::camsim {

Result<std::unique_ptr<GbMediaSender>> GbMediaSender::Open(const EncodedClip& clip, GbMediaOptions options) {
  if (clip.units.empty()) return Error{"the clip has no video"};
  std::unique_ptr<GbMediaSender> s(new GbMediaSender(clip, std::move(options)));
  if (s->o_.recording) {
    // Timestamps count from 20 s before the start: the keyframe at or before it is not negative.
    s->origin_ns_ = s->o_.recording->from_ns - 20 * int64_t(1000000000);
    s->scale_ = s->o_.recording->scale > 0 ? s->o_.recording->scale : 1;
    s->MoveTo(s->o_.recording->from_ns);
  }
  s->to_.reset(g_inet_socket_address_new_from_string(s->o_.ip.c_str(), guint(s->o_.port)));
  if (!s->to_) return Error{"bad media address " + s->o_.ip + ":" + std::to_string(s->o_.port)};
  if (s->o_.transport == "udp") {
    GError* err = nullptr;
    s->udp_.reset(g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &err));
    gst::GObjectPtr<GInetAddress> any(g_inet_address_new_any(G_SOCKET_FAMILY_IPV4));
    gst::GObjectPtr<GSocketAddress> local(g_inet_socket_address_new(any.get(), 0));
    if (!s->udp_ || !g_socket_bind(s->udp_.get(), local.get(), FALSE, &err)) {
      const std::string reason = err ? err->message : "socket";
      g_clear_error(&err);
      return Error{"cannot open a UDP socket for media: " + reason};
    }
    gst::GObjectPtr<GSocketAddress> bound(g_socket_get_local_address(s->udp_.get(), nullptr));
    s->local_port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get()));
  }
  return s;
}

GbMediaSender::~GbMediaSender() {
  if (timer_) g_source_remove(timer_);
  if (tcp_) g_io_stream_close(G_IO_STREAM(tcp_.get()), nullptr, nullptr);
}

Status GbMediaSender::Start() {
  if (o_.transport == "tcp") {
    GError* err = nullptr;
    gst::GObjectPtr<GSocketClient> client(g_socket_client_new());
    tcp_.reset(g_socket_client_connect(client.get(), G_SOCKET_CONNECTABLE(to_.get()), nullptr, &err));
    if (!tcp_) {
      const std::string reason = err ? err->message : "connect";
      g_clear_error(&err);
      return Error{"cannot connect to " + o_.ip + ":" + std::to_string(o_.port) + ": " + reason};
    }
  }
  started_us_ = last_us_ = g_get_monotonic_time();
  timer_ = g_timeout_add(10, &GbMediaSender::OnTick, this);
  return Status::Ok();
}

void GbMediaSender::Resume(double scale) {
  paused_ = false;
  if (scale > 0) scale_ = scale;
}

void GbMediaSender::Seek(int64_t offset_ns) {
  if (!o_.recording) return;
  finished_ = false;
  MoveTo(o_.recording->from_ns + std::max<int64_t>(0, offset_ns));
}

void GbMediaSender::MoveTo(int64_t t_ns) {
  const int64_t loop = LoopNs();
  loop_ = std::max<int64_t>(0, t_ns / loop);
  next_ = 0;
  if (Missing(loop_)) {
    while (Missing(loop_)) ++loop_;
  } else {
    for (size_t i = 0; i < clip_.units.size(); ++i) {
      if (loop_ * loop + clip_.units[i].dts_ns > t_ns) break;
      if (clip_.units[i].keyframe) next_ = i;
    }
  }
  clock_ns_ = loop_ * loop + clip_.units[next_].dts_ns;
  if (o_.recording && clock_ns_ >= o_.recording->to_ns) finished_ = true;
}

void GbMediaSender::Advance() {
  if (++next_ < clip_.units.size()) return;
  next_ = 0;
  ++loop_;
  while (Missing(loop_)) {
    ++loop_;
    clock_ns_ += LoopNs();  // nothing to wait for in a file that is not there
  }
}

// Sends every unit that is due by now on the clock, looping the clip (or going through the
// recording to its end).
gboolean GbMediaSender::OnTick(gpointer self) {
  auto* s = static_cast<GbMediaSender*>(self);
  const int64_t now_us = g_get_monotonic_time();
  const int64_t elapsed_ns = (now_us - s->started_us_) * 1000;
  if (s->broken_ || (s->o_.stall_after_s > 0 && elapsed_ns > int64_t(s->o_.stall_after_s) * 1000000000)) {
    s->timer_ = 0;
    return G_SOURCE_REMOVE;
  }
  if (!s->paused_) s->clock_ns_ += int64_t(double(now_us - s->last_us_) * 1000 * s->scale_);
  s->last_us_ = now_us;
  const auto& rec = s->o_.recording;
  const bool keyframes_only = rec && !rec->download && s->scale_ > 4;
  for (int burst = 0; burst < 100 && !s->finished_; ++burst) {
    const AccessUnit& unit = s->clip_.units[s->next_];
    const int64_t base = s->loop_ * s->LoopNs();
    const int64_t due_ns = base + unit.dts_ns;
    if (rec && due_ns >= rec->to_ns) {
      s->finished_ = true;
      if (s->o_.on_finished) s->o_.on_finished();  // may destroy this sender: return at once
      return G_SOURCE_CONTINUE;
    }
    if (due_ns > s->clock_ns_) break;
    // 90 kHz, with a 0.2 s start offset so that PTS − DTS never goes below zero.
    const auto ticks = [s](int64_t ns) { return uint64_t((ns - s->origin_ns_ + 200000000) * 9 / 100000); };
    if (!keyframes_only || unit.keyframe) s->SendUnit(unit, ticks(base + unit.pts_ns), ticks(due_ns));
    s->Advance();
  }
  return G_SOURCE_CONTINUE;
}

void GbMediaSender::SendUnit(const AccessUnit& unit, uint64_t pts_90k, uint64_t dts_90k) {
  ps::PackExtras extras;
  extras.stream_map = o_.stream_map;
  // G.711 at 8 kHz: the samples of one frame interval (a 25 fps clip: 320), silence.
  const int64_t frame_ns = clip_.duration_ns / int64_t(std::max<size_t>(clip_.units.size(), 1));
  if (o_.audio) extras.g711a.assign(size_t(std::clamp<int64_t>(frame_ns / 125000, 80, 1600)), '\xd5');
  const std::string pack =
      ps::MuxPsPack(std::string_view(reinterpret_cast<const char*>(unit.bytes.data()), unit.bytes.size()),
                    unit.keyframe, clip_.codec, pts_90k, dts_90k, extras);
  uint32_t timestamp = uint32_t(pts_90k);
  if (o_.slow_clock) timestamp = uint32_t(units_sent_ * 40);
  // Just short of the wrap at the start, then a jump of a quarter of the range every 5 s.
  if (o_.ts_jumps) timestamp += 0xFFFF0000u + uint32_t(pts_90k / 450000) * 0x40000000u;
  ++units_sent_;
  rtp_.Packetize(pack, timestamp, [&](std::string&& packet) {
    SendPacket(packet);
    if (o_.garbage && rtp_.packets() % 50 == 1) {
      auto stranger = rtp::ParseRtp(packet);
      std::string foreign;
      if (stranger.ok()) {
        rtp::RtpPacket p = stranger.value();
        p.ssrc = o_.ssrc ^ 0x5a5a5a5a;
        rtp::AppendRtp(foreign, p);
        SendPacket(foreign);
      }
      SendPacket(packet.substr(0, 5));  // not even a header
    }
  });
}

void GbMediaSender::SendPacket(const std::string& packet) {
  if (udp_) {
    g_socket_send_to(udp_.get(), to_.get(), packet.data(), packet.size(), nullptr, nullptr);
    return;
  }
  const std::string framed = rtp::Rfc4571Frame(packet);
  GSocket* socket = g_socket_connection_get_socket(tcp_.get());
  size_t done = 0;
  while (done < framed.size()) {
    const gssize n = g_socket_send(socket, framed.data() + done, framed.size() - done, nullptr, nullptr);
    if (n <= 0) {
      if (!broken_) spdlog::warn("camsim: the platform closed the media connection (SSRC {})", o_.ssrc);
      broken_ = true;
      return;
    }
    done += size_t(n);
  }
}

}  // namespace xl::camsim
