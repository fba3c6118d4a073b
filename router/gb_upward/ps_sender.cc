#include "router/gb_upward/ps_sender.h"

#include <algorithm>

#include "proto/media/ps_muxer.h"

namespace xl::router {

namespace {

std::string ErrorText(GError* err, const char* fallback) {
  std::string text = err ? err->message : fallback;
  if (err) g_error_free(err);
  return text;
}

// A GB SSRC is 10 decimal digits; a 32-bit value read from them (wrapping as devices do).
uint32_t SsrcValue(const std::string& digits) {
  uint64_t v = 0;
  for (char c : digits) v = v * 10 + uint64_t(c - '0');
  return uint32_t(v);
}

}  // namespace

PsSender::PsSender(gb28181::MediaDescription offer, std::string local_ip, Failed on_failed)
    : offer_(std::move(offer)),
      local_ip_(std::move(local_ip)),
      on_failed_(std::move(on_failed)),
      rtp_(SsrcValue(offer_.ssrc)),
      cancel_(g_cancellable_new()) {}

Result<std::unique_ptr<PsSender>> PsSender::Open(const gb28181::MediaDescription& offer, const std::string& local_ip,
                                                 Failed on_failed) {
  std::unique_ptr<PsSender> s(new PsSender(offer, local_ip, std::move(on_failed)));
  s->to_.reset(g_inet_socket_address_new_from_string(offer.ip.c_str(), guint(offer.port)));
  if (!s->to_ || offer.port <= 0)
    return Error{"the offer's address " + offer.ip + ":" + std::to_string(offer.port) + " is not one"};
  Status opened = offer.transport == "tcp" ? (offer.setup == "active" ? s->Listen() : Status::Ok()) : s->OpenUdp();
  if (!opened.ok()) return Error{opened.message()};
  return s;
}

PsSender::~PsSender() {
  g_cancellable_cancel(cancel_.get());
  if (accept_timer_) g_source_remove(accept_timer_);
  write_source_.reset();
  accept_source_.reset();
  if (tcp_socket_) g_socket_close(tcp_socket_.get(), nullptr);
  if (listener_) g_socket_close(listener_.get(), nullptr);
}

Status PsSender::OpenUdp() {
  GError* err = nullptr;
  udp_.reset(g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &err));
  gst::GObjectPtr<GSocketAddress> local(g_inet_socket_address_new_from_string(local_ip_.c_str(), 0));
  if (!udp_ || !local || !g_socket_bind(udp_.get(), local.get(), FALSE, &err)) {
    udp_.reset();
    return Error{"cannot open a UDP media socket on " + local_ip_ + ": " + ErrorText(err, "bad address")};
  }
  g_socket_set_blocking(udp_.get(), FALSE);
  gst::GObjectPtr<GSocketAddress> bound(g_socket_get_local_address(udp_.get(), nullptr));
  port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get()));
  return Status::Ok();
}

Status PsSender::Listen() {
  GError* err = nullptr;
  listener_.reset(g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &err));
  gst::GObjectPtr<GSocketAddress> local(g_inet_socket_address_new_from_string(local_ip_.c_str(), 0));
  if (!listener_ || !local || !g_socket_bind(listener_.get(), local.get(), FALSE, &err) ||
      !g_socket_listen(listener_.get(), &err)) {
    listener_.reset();
    return Error{"cannot listen for media on " + local_ip_ + ": " + ErrorText(err, "bad address")};
  }
  g_socket_set_blocking(listener_.get(), FALSE);
  gst::GObjectPtr<GSocketAddress> bound(g_socket_get_local_address(listener_.get(), nullptr));
  port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get()));
  accept_source_.reset(g_socket_create_source(listener_.get(), G_IO_IN, nullptr));
  g_source_set_callback(accept_source_.get(), G_SOURCE_FUNC(&PsSender::OnAccept), this, nullptr);
  g_source_attach(accept_source_.get(), g_main_context_get_thread_default());
  accept_timer_ = g_timeout_add(guint(kAcceptWaitMs), &PsSender::OnAcceptTimeout, this);
  return Status::Ok();
}

gb28181::MediaDescription PsSender::Ours() const {
  gb28181::MediaDescription d;
  d.ip = local_ip_;
  d.port = port_;
  d.transport = offer_.transport;
  if (offer_.transport == "tcp") d.setup = offer_.setup == "active" ? "passive" : "active";
  return d;
}

void PsSender::Start() {
  if (started_) return;
  started_ = true;
  if (offer_.transport == "tcp" && offer_.setup != "active") Connect();
  Flush();
}

void PsSender::Connect() {
  gst::GObjectPtr<GSocketClient> client(g_socket_client_new());
  g_socket_client_set_timeout(client.get(), 10);
  g_socket_client_connect_async(client.get(), G_SOCKET_CONNECTABLE(to_.get()), cancel_.get(), &PsSender::OnConnected,
                                this);
}

void PsSender::OnConnected(GObject* client, GAsyncResult* result, gpointer self) {
  GError* err = nullptr;
  GSocketConnection* c = g_socket_client_connect_finish(G_SOCKET_CLIENT(client), result, &err);
  if (!c) {
    // Cancelled: the sender is gone; do not touch it.
    if (err && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_error_free(err);
      return;
    }
    auto* s = static_cast<PsSender*>(self);
    s->Fail("cannot connect to the upper platform's media port " + s->offer_.ip + ":" + std::to_string(s->offer_.port) +
            ": " + ErrorText(err, "connect"));
    return;
  }
  auto* s = static_cast<PsSender*>(self);
  s->connection_.reset(c);
  s->Connected(g_socket_connection_get_socket(c));
}

gboolean PsSender::OnAccept(GSocket* listener, GIOCondition, gpointer self) {
  auto* s = static_cast<PsSender*>(self);
  GSocket* accepted = g_socket_accept(listener, nullptr, nullptr);
  if (!accepted) return G_SOURCE_CONTINUE;
  // Only the upper platform's media address may take the stream (its SDP's c= line).
  gst::GObjectPtr<GSocketAddress> remote(g_socket_get_remote_address(accepted, nullptr));
  gst::CharPtr host(
      remote ? g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote.get())))
             : nullptr);
  if (!host || s->offer_.ip != host.get()) {
    g_socket_close(accepted, nullptr);
    g_object_unref(accepted);
    return G_SOURCE_CONTINUE;
  }
  if (s->accept_timer_) g_source_remove(s->accept_timer_);
  s->accept_timer_ = 0;
  s->Connected(accepted);
  g_object_unref(accepted);   // Connected took its own reference
  s->accept_source_.reset();  // destroying a source from its own callback is allowed
  return G_SOURCE_REMOVE;
}

gboolean PsSender::OnAcceptTimeout(gpointer self) {
  auto* s = static_cast<PsSender*>(self);
  s->accept_timer_ = 0;
  s->Fail("the upper platform never connected to our media port " + std::to_string(s->port_) + " (setup:active)");
  return G_SOURCE_REMOVE;
}

void PsSender::Connected(GSocket* socket) {
  tcp_socket_.reset(G_SOCKET(g_object_ref(socket)));
  g_socket_set_blocking(socket, FALSE);
  Flush();
}

void PsSender::Flush() {
  if (!Ready()) return;
  std::vector<LiveFramePtr> frames = std::move(waiting_);
  waiting_.clear();
  for (const LiveFramePtr& f : frames) {
    if (!Send(*f)) break;  // the rest waits for the next keyframe (the relay's)
  }
}

bool PsSender::Offer(const LiveFramePtr& frame) {
  if (failed_) return false;
  if (!Ready()) {
    if (frame->video.keyframe()) waiting_.clear();
    if (waiting_.empty() && !frame->video.keyframe()) return true;  // nothing to build on yet
    if (waiting_.size() >= kMaxWaiting) waiting_.clear();
    waiting_.push_back(frame);
    return true;
  }
  if (!Send(*frame)) {
    ++stats_.refused;
    return false;
  }
  return true;
}

bool PsSender::Send(const LiveFrame& frame) {
  if (tcp_socket_ && outbox_.size() > kMaxQueued) return false;
  const wire::VideoFrame& v = frame.video;
  const uint64_t pts = uint64_t(std::max<int64_t>(v.pts_us(), 0)) * 9 / 100;
  const uint64_t dts = v.dts_us() > 0 ? uint64_t(v.dts_us()) * 9 / 100 : pts;
  const std::string pack = ps::MuxPsPack(v.data(), v.keyframe(), v.codec(), pts, std::min(dts, pts));
  rtp_.Packetize(pack, uint32_t(pts), [&](std::string&& packet) { SendBytes(packet); });
  ++stats_.frames;
  stats_.bytes += pack.size();
  if (tcp_socket_) FlushTcp();
  return !failed_;
}

void PsSender::SendBytes(std::string_view packet) {
  if (udp_) {
    // A datagram the kernel cannot take now is lost, as on the network.
    g_socket_send_to(udp_.get(), to_.get(), packet.data(), packet.size(), nullptr, nullptr);
    return;
  }
  outbox_ += rtp::Rfc4571Frame(packet);
}

bool PsSender::FlushTcp() {
  while (!outbox_.empty()) {
    GError* err = nullptr;
    const gssize n = g_socket_send(tcp_socket_.get(), outbox_.data(), outbox_.size(), nullptr, &err);
    if (n > 0) {
      outbox_.erase(0, size_t(n));
      continue;
    }
    if (err && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_error_free(err);
      if (!write_source_) {
        write_source_.reset(g_socket_create_source(tcp_socket_.get(), G_IO_OUT, nullptr));
        g_source_set_callback(write_source_.get(), G_SOURCE_FUNC(&PsSender::OnWritable), this, nullptr);
        g_source_attach(write_source_.get(), g_main_context_get_thread_default());
      }
      return true;
    }
    Fail("the upper platform's media connection broke: " + ErrorText(err, "closed"));
    return false;
  }
  write_source_.reset();
  return true;
}

gboolean PsSender::OnWritable(GSocket*, GIOCondition, gpointer self) {
  auto* s = static_cast<PsSender*>(self);
  if (s->FlushTcp() && !s->outbox_.empty()) return G_SOURCE_CONTINUE;
  s->write_source_.reset();  // destroying a source from its own callback is allowed
  return G_SOURCE_REMOVE;
}

void PsSender::Fail(const std::string& why) {
  if (failed_) return;
  failed_ = true;
  outbox_.clear();
  if (on_failed_) on_failed_(why);
}

}  // namespace xl::router
