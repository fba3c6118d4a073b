#include "router/gb_upward/gb_upward.h"

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "router/gb_upward/upper_catalog.h"

namespace xl::router {

namespace {

std::string AddressText(GSocketAddress* address) {
  if (!address) return "";
  auto* inet = G_INET_SOCKET_ADDRESS(address);
  gst::CharPtr host(g_inet_address_to_string(g_inet_socket_address_get_address(inet)));
  return std::string(host.get()) + ":" + std::to_string(g_inet_socket_address_get_port(inet));
}

}  // namespace

GbUpward::GbUpward(GbUpperConfig config, LiveRelay& relay, std::map<std::string, std::string> region_names, Hooks hooks)
    : config_(config),
      relay_(relay),
      region_names_(std::move(region_names)),
      hooks_(std::move(hooks)),
      platform_(std::move(config), ""),
      cancel_(g_cancellable_new()) {}

Result<std::unique_ptr<GbUpward>> GbUpward::Start(GbUpperConfig config, LiveRelay& relay,
                                                  std::map<std::string, std::string> region_names, Hooks hooks) {
  std::unique_ptr<GbUpward> g(new GbUpward(std::move(config), relay, std::move(region_names), std::move(hooks)));
  const GbUpperConfig& c = g->config_;
  g->upper_.reset(g_inet_socket_address_new_from_string(c.upper_host.c_str(), guint(c.upper_port)));
  if (!g->upper_) return Error{"gb_upper: upper_host " + c.upper_host + " is not an IP address"};
  if (c.transport == "udp") {
    if (Status s = g->OpenUdp(); !s.ok()) return Error{s.message()};
  }
  spdlog::info("gb upward: lower platform {} ({}) for upper platform {} at {}:{} over {}{}", c.platform_id, c.name,
               c.upper_id, c.upper_host, c.upper_port, c.transport, g->local_.empty() ? "" : " from " + g->local_);
  return g;
}

GbUpward::~GbUpward() {
  g_cancellable_cancel(cancel_.get());
  for (auto& [id, sender] : calls_) relay_.Remove(sender.get(), now_ms_);
  source_.reset();
  if (tcp_) g_io_stream_close(G_IO_STREAM(tcp_.get()), nullptr, nullptr);
}

Status GbUpward::OpenUdp() {
  GError* err = nullptr;
  socket_.reset(g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &err));
  gst::GObjectPtr<GSocketAddress> local(
      g_inet_socket_address_new_from_string(config_.bind.c_str(), guint(config_.port)));
  // Connected: the kernel takes datagrams from the upper platform's address only.
  const bool ok = socket_ && local && g_socket_bind(socket_.get(), local.get(), FALSE, &err) &&
                  g_socket_connect(socket_.get(), upper_.get(), nullptr, &err);
  if (!ok) {
    std::string why = err ? err->message : "bad bind address";
    g_clear_error(&err);
    return Error{"gb_upper: cannot open the SIP socket on " + config_.bind + ":" + std::to_string(config_.port) + ": " +
                 why};
  }
  g_socket_set_blocking(socket_.get(), FALSE);
  gst::GObjectPtr<GSocketAddress> bound(g_socket_get_local_address(socket_.get(), nullptr));
  local_ = AddressText(bound.get());
  platform_.SetLocal(local_);
  source_.reset(g_socket_create_source(socket_.get(), G_IO_IN, nullptr));
  g_source_set_callback(source_.get(), G_SOURCE_FUNC(&GbUpward::OnReadable), this, nullptr);
  g_source_attach(source_.get(), g_main_context_get_thread_default());
  return Status::Ok();
}

void GbUpward::ConnectTcp(int64_t now_ms) {
  connecting_ = true;
  next_connect_ms_ = now_ms + kReconnectMs;
  gst::GObjectPtr<GSocketClient> client(g_socket_client_new());
  g_socket_client_set_timeout(client.get(), 10);
  if (config_.bind != "0.0.0.0") {
    gst::GObjectPtr<GSocketAddress> local(
        g_inet_socket_address_new_from_string(config_.bind.c_str(), guint(config_.port)));
    g_socket_client_set_local_address(client.get(), local.get());
  }
  g_socket_client_connect_async(client.get(), G_SOCKET_CONNECTABLE(upper_.get()), cancel_.get(),
                                &GbUpward::OnTcpConnected, this);
}

void GbUpward::OnTcpConnected(GObject* client, GAsyncResult* result, gpointer self) {
  GError* err = nullptr;
  GSocketConnection* c = g_socket_client_connect_finish(G_SOCKET_CLIENT(client), result, &err);
  if (!c && err && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_error_free(err);
    return;  // we are gone
  }
  auto* g = static_cast<GbUpward*>(self);
  g->connecting_ = false;
  if (!c) {
    const std::string why = err ? err->message : "connect";
    g_clear_error(&err);
    spdlog::warn("gb upward: cannot connect to upper platform {} at {}:{}: {}; again in {} s", g->config_.upper_id,
                 g->config_.upper_host, g->config_.upper_port, why, kReconnectMs / 1000);
    return;
  }
  g->tcp_.reset(c);
  g->socket_.reset(G_SOCKET(g_object_ref(g_socket_connection_get_socket(c))));
  g_socket_set_blocking(g->socket_.get(), FALSE);
  gst::GObjectPtr<GSocketAddress> bound(g_socket_get_local_address(g->socket_.get(), nullptr));
  g->local_ = AddressText(bound.get());
  g->platform_.SetLocal(g->local_);
  g->stream_ = gb28181::SipStream();
  g->source_.reset(g_socket_create_source(g->socket_.get(), GIOCondition(G_IO_IN | G_IO_HUP | G_IO_ERR), nullptr));
  g_source_set_callback(g->source_.get(), G_SOURCE_FUNC(&GbUpward::OnReadable), g, nullptr);
  g_source_attach(g->source_.get(), g_main_context_get_thread_default());
  spdlog::info("gb upward: connected to upper platform {} from {}", g->config_.upper_id, g->local_);
  g->Deliver(g->platform_.Reset(g->now_ms_, "connected anew"));
}

void GbUpward::TcpLost(const std::string& why) {
  spdlog::warn("gb upward: connection to upper platform {} lost: {}", config_.upper_id, why);
  source_.reset();
  if (tcp_) g_io_stream_close(G_IO_STREAM(tcp_.get()), nullptr, nullptr);
  tcp_.reset();
  socket_.reset();
  Deliver(platform_.Reset(now_ms_, "connection lost: " + why));
}

gboolean GbUpward::OnReadable(GSocket* socket, GIOCondition, gpointer self) {
  auto* g = static_cast<GbUpward*>(self);
  char buf[65536];
  for (int i = 0; i < 64; ++i) {
    GError* err = nullptr;
    const gssize n = g_socket_receive(socket, buf, sizeof buf, nullptr, &err);
    const bool would_block = err && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
    const std::string why = err ? err->message : "closed by the upper platform";
    g_clear_error(&err);
    if (n < 0 && would_block) break;
    if (!g->tcp_) {
      if (n > 0) g->Handle(std::string_view(buf, size_t(n)));
      if (n < 0) break;  // e.g. ICMP port unreachable: the upper is not there yet
      continue;
    }
    if (n <= 0) {
      g->TcpLost(why);
      return G_SOURCE_REMOVE;
    }
    g->stream_.Append(std::string_view(buf, size_t(n)));
    std::string message;
    for (gb28181::SipStream::Step step; (step = g->stream_.Take(&message)) != gb28181::SipStream::Step::kMore;) {
      if (step == gb28181::SipStream::Step::kBroken) {
        g->TcpLost("bytes that are not SIP");
        return G_SOURCE_REMOVE;
      }
      g->Handle(message);
    }
  }
  return G_SOURCE_CONTINUE;
}

void GbUpward::Handle(std::string_view bytes) {
  auto m = gb28181::SipMessage::Parse(bytes);
  if (!m.ok()) {
    if (++malformed_ % 100 == 1) {
      spdlog::warn("gb upward: dropped a malformed message from the upper platform ({}; {} so far)", m.error().message,
                   malformed_);
    }
    return;
  }
  Deliver(platform_.OnMessage(m.value(), now_ms_, NowMs()));
}

void GbUpward::Send(const std::string& bytes) {
  if (!socket_) return;  // TCP down: registration starts again once connected
  if (!tcp_) {
    g_socket_send(socket_.get(), bytes.data(), bytes.size(), nullptr, nullptr);
    return;
  }
  // Signalling is small; a connection that cannot take it now is as good as lost.
  GError* err = nullptr;
  const gssize n = g_socket_send(socket_.get(), bytes.data(), bytes.size(), nullptr, &err);
  if (n != gssize(bytes.size())) {
    const std::string why = err ? err->message : "the upper platform does not read";
    g_clear_error(&err);
    TcpLost(why);
  }
}

std::string GbUpward::MediaIp() const {
  if (!config_.media_ip.empty()) return config_.media_ip;
  return local_.substr(0, local_.rfind(':'));
}

void GbUpward::Deliver(LowerPlatform::Output out) {
  for (const std::string& line : out.log) spdlog::info("gb upward: {}", line);
  for (const std::string& bytes : out.sends) Send(bytes);
  for (const MediaOrder& order : out.invites) OpenCall(order);
  for (const std::string& id : out.started) {
    if (auto it = calls_.find(id); it != calls_.end()) it->second->Start();
  }
  for (const std::string& id : out.ended) EndCall(id);
  for (const PtzOrder& p : out.ptz) {
    wire::PtzCommand c;
    c.set_camera_id(p.camera);
    c.set_action(p.request.action);
    c.set_speed(uint32_t(p.request.speed));
    c.set_preset(uint32_t(p.request.preset));
    const Status s = hooks_.ptz(c);
    if (s.ok()) spdlog::info("gb upward: PTZ {} from the upper platform for {}", p.request.action, p.camera);
    else
      spdlog::warn("gb upward: PTZ {} from the upper platform for {} not sent: {}", p.request.action, p.camera,
                   s.message());
  }
}

void GbUpward::OpenCall(const MediaOrder& order) {
  const std::string call_id = order.call_id;
  auto sender = PsSender::Open(order.offer, MediaIp(), [this, call_id](const std::string& why) {
    failed_.emplace(call_id, why);  // ended on the next Pump: not from inside the sender
  });
  if (!sender.ok()) {
    Deliver(platform_.Reject(call_id, 488, "Not Acceptable Here", sender.error().message));
    return;
  }
  if (auto refused = relay_.Add(order.camera, sender.value().get(), "gb28181", now_ms_)) {
    Deliver(platform_.Reject(call_id, 486, "Busy Here", *refused));
    return;
  }
  const gb28181::MediaDescription ours = sender.value()->Ours();
  calls_[call_id] = std::move(sender.value());
  Deliver(platform_.Answer(call_id, ours, now_ms_));
}

void GbUpward::EndCall(const std::string& call_id) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return;
  relay_.Remove(it->second.get(), now_ms_);
  spdlog::info("gb upward: call {} over: {} frames, {} bytes sent up", call_id, it->second->stats().frames,
               it->second->stats().bytes);
  calls_.erase(it);
  failed_.erase(call_id);
}

void GbUpward::Pump(int64_t now_ms) {
  now_ms_ = now_ms;
  if (config_.transport == "tcp" && !tcp_ && !connecting_ && now_ms >= next_connect_ms_) ConnectTcp(now_ms);
  if (now_ms >= next_catalog_ms_) {
    next_catalog_ms_ = now_ms + kCatalogEveryMs;
    // Calls of cameras no longer in it are hung up there (their `ended` ends them here).
    Deliver(
        platform_.SetCatalog(UpperCatalog(config_.platform_id, config_.name, hooks_.cameras(), region_names_), now_ms));
  }
  if (socket_) Deliver(platform_.Tick(now_ms));
  while (!failed_.empty()) {
    const auto [id, why] = *failed_.begin();
    failed_.erase(failed_.begin());
    Deliver(platform_.HangUp(id, why));
    EndCall(id);
  }
}

void GbUpward::OnAlert(const wire::Alert& alert, int64_t now_ms) {
  now_ms_ = now_ms;
  Deliver(platform_.Alarm(alert, now_ms, NowMs()));
}

nlohmann::json GbUpward::Json(int64_t now_ms) const {
  const LowerPlatform::Stats& s = platform_.stats();
  uint64_t frames = 0, bytes = 0;
  for (const auto& [id, call] : calls_) {
    frames += call->stats().frames;
    bytes += call->stats().bytes;
  }
  double kbps = 0;
  for (const auto& [id, camera] : platform_.Calls()) kbps += relay_.Kbps(camera);
  return {
      {"upper_id", config_.upper_id},
      {"address", config_.upper_host + ":" + std::to_string(config_.upper_port)},
      {"transport", config_.transport},
      {"platform_id", config_.platform_id},
      {"state", LowerPlatform::StateName(platform_.state())},
      {"for_s", platform_.since_ms() > 0 && now_ms > platform_.since_ms() ? (now_ms - platform_.since_ms()) / 1000 : 0},
      {"catalog_cameras", platform_.cameras()},
      {"live_streams", calls_.size()},
      {"live_kbps", int64_t(kbps)},
      {"video_frames", frames},
      {"video_bytes", bytes},
      {"catalog_subscribed", platform_.catalog_subscribed(now_ms)},
      {"alarms", platform_.alarms_wanted(now_ms) ? "sent" : "not subscribed"},
      {"registrations", s.registrations},
      {"catalogs", s.catalogs},
      {"alarms_sent", s.alarms},
      {"notifies", s.notifies},
      {"ptz", s.ptz},
      {"invites", s.invites},
      {"refused", s.refused}};
}

}  // namespace xl::router
