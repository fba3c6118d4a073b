#include "ingest/gb28181/sip_server.h"

#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include "common/clock.h"

namespace xl::gb28181 {

namespace {

Peer PeerOf(GSocketAddress* address, const std::string& transport) {
  Peer p;
  p.transport = transport;
  if (G_IS_INET_SOCKET_ADDRESS(address)) {
    GInetSocketAddress* in = G_INET_SOCKET_ADDRESS(address);
    gst::CharPtr host(g_inet_address_to_string(g_inet_socket_address_get_address(in)));
    p.host = host ? host.get() : "";
    p.port = g_inet_socket_address_get_port(in);
  }
  return p;
}

}  // namespace

struct SipServer::Connection {
  uint64_t id = 0;
  gst::GObjectPtr<GSocketConnection> connection;
  gst::SourcePtr source;    // declared after: detached before the connection goes
  gst::SourcePtr writable;  // while `outbox` is not empty
  Peer peer;
  SipStream stream;
  std::string outbox;  // bytes not yet taken by the socket
  int64_t last_active_ms = 0;
  SipServer* server = nullptr;
  ~Connection() {
    source.reset();
    writable.reset();
    if (connection) g_io_stream_close(G_IO_STREAM(connection.get()), nullptr, nullptr);
  }
};

SipServer::SipServer(GbConfig config, EventHandler on_event)
    : registrar_(std::move(config)), on_event_(std::move(on_event)) {}

Result<std::unique_ptr<SipServer>> SipServer::Start(GbConfig config, EventHandler on_event) {
  std::unique_ptr<SipServer> s(new SipServer(config, std::move(on_event)));
  const std::string where = config.bind + ":" + std::to_string(config.port);
  gst::GObjectPtr<GInetAddress> ip(g_inet_address_new_from_string(config.bind.c_str()));
  if (!ip) return Error{"gb28181: bind address '" + config.bind + "' is not an IP address"};
  gst::GObjectPtr<GSocketAddress> address(g_inet_socket_address_new(ip.get(), guint16(config.port)));
  GError* err = nullptr;
  s->udp_.reset(g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &err));
  if (s->udp_ && !g_socket_bind(s->udp_.get(), address.get(), TRUE, &err)) s->udp_.reset();
  if (!s->udp_) {
    const std::string reason = err ? err->message : "socket";
    g_clear_error(&err);
    return Error{"gb28181: cannot listen on UDP " + where + ": " + reason};
  }
  g_socket_set_blocking(s->udp_.get(), FALSE);
  // Thousands of devices registering at once after a power cut arrive in one burst.
  g_socket_set_option(s->udp_.get(), SOL_SOCKET, SO_RCVBUF, 8 << 20, nullptr);
  gst::GObjectPtr<GSocketAddress> bound(g_socket_get_local_address(s->udp_.get(), nullptr));
  s->port_ = bound ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get())) : config.port;

  s->tcp_.reset(g_socket_service_new());
  gst::GObjectPtr<GSocketAddress> tcp_address(g_inet_socket_address_new(ip.get(), guint16(s->port_)));
  const gboolean listening =
      g_socket_listener_add_address(G_SOCKET_LISTENER(s->tcp_.get()), tcp_address.get(), G_SOCKET_TYPE_STREAM,
                                    G_SOCKET_PROTOCOL_TCP, nullptr, nullptr, &err);
  if (!listening) {
    const std::string reason = err ? err->message : "listen";
    g_clear_error(&err);
    return Error{"gb28181: cannot listen on TCP " + config.bind + ":" + std::to_string(s->port_) + ": " + reason};
  }
  g_signal_connect(s->tcp_.get(), "incoming", G_CALLBACK(&SipServer::OnIncoming), s.get());
  g_socket_service_start(s->tcp_.get());

  s->local_ =
      (config.bind == "0.0.0.0" ? std::string(g_get_host_name()) : config.bind) + ":" + std::to_string(s->port_);
  s->udp_source_.reset(g_socket_create_source(s->udp_.get(), G_IO_IN, nullptr));
  g_source_set_callback(s->udp_source_.get(), G_SOURCE_FUNC(&SipServer::OnUdp), s.get(), nullptr);
  g_source_attach(s->udp_source_.get(), g_main_context_get_thread_default());
  s->tick_ = g_timeout_add(guint(kTickMs), &SipServer::OnTick, s.get());
  return s;
}

SipServer::~SipServer() {
  if (tick_) g_source_remove(tick_);
  connections_.clear();
  if (tcp_) {
    g_socket_service_stop(tcp_.get());
    g_socket_listener_close(G_SOCKET_LISTENER(tcp_.get()));
  }
  udp_source_.reset();
  if (udp_) g_socket_close(udp_.get(), nullptr);
}

gboolean SipServer::OnUdp(GSocket* socket, GIOCondition, gpointer self) {
  auto* s = static_cast<SipServer*>(self);
  char buf[65536];
  // A bounded number per turn, so a flood cannot keep the loop (heartbeats, RTP) waiting.
  for (int i = 0; i < kDatagramsPerTurn; ++i) {
    GSocketAddress* raw_from = nullptr;
    const gssize n = g_socket_receive_from(socket, &raw_from, buf, sizeof buf, nullptr, nullptr);
    gst::GObjectPtr<GSocketAddress> from(raw_from);
    if (n < 0) break;  // would block (or an ICMP error): wait for more
    Peer peer = PeerOf(from.get(), "udp");
    peer.local = s->local_;
    if (n > 0) s->Handle(std::string(buf, size_t(n)), peer);
  }
  return G_SOURCE_CONTINUE;
}

gboolean SipServer::OnIncoming(GSocketService*, GSocketConnection* connection, GObject*, gpointer self) {
  auto* s = static_cast<SipServer*>(self);
  if (s->connections_.size() >= kMaxTcpConnections) {
    if (++s->counters_.refused_tcp % 100 == 1) {
      spdlog::warn("gb28181: refused a SIP/TCP connection: {} open already ({} refused)", kMaxTcpConnections,
                   s->counters_.refused_tcp);
    }
    g_io_stream_close(G_IO_STREAM(connection), nullptr, nullptr);
    return TRUE;
  }
  auto c = std::make_unique<Connection>();
  c->last_active_ms = MonotonicMs();
  c->id = s->next_connection_++;
  c->connection.reset(G_SOCKET_CONNECTION(g_object_ref(connection)));
  c->server = s;
  GSocket* socket = g_socket_connection_get_socket(connection);
  gst::GObjectPtr<GSocketAddress> remote(g_socket_get_remote_address(socket, nullptr));
  c->peer = PeerOf(remote.get(), "tcp");
  c->peer.connection = c->id;
  c->peer.local = s->local_;
  g_socket_set_blocking(socket, FALSE);
  // A fixed kernel send buffer: without it Linux grows it up to 4 MiB per connection for a
  // peer that never reads, which both hides that peer from kMaxOutbox for thousands of replies
  // and lets 4,096 such peers pin gigabytes of kernel memory. SIP replies are small.
  g_socket_set_option(socket, SOL_SOCKET, SO_SNDBUF, kTcpSendBuffer, nullptr);
  c->source.reset(g_socket_create_source(socket, GIOCondition(G_IO_IN | G_IO_HUP | G_IO_ERR), nullptr));
  g_source_set_callback(c->source.get(), G_SOURCE_FUNC(&SipServer::OnTcp), c.get(), nullptr);
  g_source_attach(c->source.get(), g_main_context_get_thread_default());
  s->connections_[c->id] = std::move(c);
  return TRUE;
}

gboolean SipServer::OnTcp(GSocket* socket, GIOCondition, gpointer data) {
  auto* c = static_cast<Connection*>(data);
  SipServer* s = c->server;
  const uint64_t id = c->id;
  char buf[16384];
  const gssize n = g_socket_receive(socket, buf, sizeof buf, nullptr, nullptr);
  if (n == 0 || (n < 0 && !g_socket_condition_check(socket, G_IO_IN))) {
    // Closed by the peer (or broken). Destroying the source inside its own callback is
    // allowed; returning REMOVE afterwards is then harmless.
    s->Close(id);
    return G_SOURCE_REMOVE;
  }
  if (n < 0) return G_SOURCE_CONTINUE;
  c->last_active_ms = MonotonicMs();
  c->stream.Append(std::string_view(buf, size_t(n)));
  std::string message;
  for (SipStream::Step step; (step = c->stream.Take(&message)) != SipStream::Step::kMore;) {
    if (step == SipStream::Step::kBroken) {
      ++s->counters_.malformed;
      s->Close(id);
      return G_SOURCE_REMOVE;
    }
    const Peer peer = c->peer;
    s->Handle(message, peer);
    if (!s->connections_.count(id)) return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

void SipServer::Close(uint64_t id) { connections_.erase(id); }

void SipServer::Handle(const std::string& bytes, const Peer& peer) {
  auto parsed = SipMessage::Parse(bytes);
  if (!parsed.ok()) {
    ++counters_.malformed;
    return;
  }
  ++counters_.received;
  Deliver(registrar_.OnMessage(parsed.value(), peer, clock_.Now()));
}

void SipServer::Deliver(Registrar::Output out) {
  for (const auto& [peer, bytes] : out.sends) Send(peer, bytes);
  for (const CallEvent& e : out.calls) {
    auto it = calls_.find(e.call_id);
    if (it == calls_.end()) continue;
    CallHandler handler = it->second;
    if (e.kind == CallEvent::kFailed || e.kind == CallEvent::kEnded) calls_.erase(it);
    handler(e);
  }
  for (const RecordsResult& r : out.records) {
    auto it = record_queries_.find(r.query);
    if (it == record_queries_.end()) continue;
    RecordsHandler done = std::move(it->second);
    record_queries_.erase(it);
    done(r);
  }
  for (const GbEvent& e : out.events) {
    auto it = registrar_.devices().find(e.device_id);
    GbDevice fallback;
    fallback.id = e.device_id;
    if (on_event_) on_event_(e, it == registrar_.devices().end() ? fallback : it->second);
  }
}

void SipServer::Send(const Peer& peer, const std::string& bytes) {
  if (peer.transport == "tcp") {
    auto it = connections_.find(peer.connection);
    if (it == connections_.end()) return;  // the device reconnects and registers again
    Connection& c = *it->second;
    if (c.outbox.size() + bytes.size() > kMaxOutbox) {
      ++counters_.slow_closed;
      spdlog::warn("gb28181: closed SIP/TCP connection from {}:{}: it does not read what we send ({} KiB waiting)",
                   c.peer.host, c.peer.port, c.outbox.size() >> 10);
      Close(peer.connection);
      return;
    }
    c.outbox += bytes;
    if (!Flush(c)) return;
  } else {
    gst::GObjectPtr<GSocketAddress> to(g_inet_socket_address_new_from_string(peer.host.c_str(), guint(peer.port)));
    if (!to) return;
    g_socket_send_to(udp_.get(), to.get(), bytes.data(), bytes.size(), nullptr, nullptr);
  }
  ++counters_.sent;
}

bool SipServer::Flush(Connection& c) {
  GSocket* socket = g_socket_connection_get_socket(c.connection.get());
  while (!c.outbox.empty()) {
    GError* err = nullptr;
    const gssize n = g_socket_send(socket, c.outbox.data(), c.outbox.size(), nullptr, &err);
    if (n < 0 && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_clear_error(&err);
      break;
    }
    g_clear_error(&err);
    if (n <= 0) {
      Close(c.id);
      return false;
    }
    c.outbox.erase(0, size_t(n));
  }
  if (c.outbox.empty()) {
    c.writable.reset();
  } else if (!c.writable) {
    c.writable.reset(g_socket_create_source(socket, G_IO_OUT, nullptr));
    g_source_set_callback(c.writable.get(), G_SOURCE_FUNC(&SipServer::OnWritable), &c, nullptr);
    g_source_attach(c.writable.get(), g_main_context_get_thread_default());
  }
  return true;
}

gboolean SipServer::OnWritable(GSocket*, GIOCondition, gpointer data) {
  auto* c = static_cast<Connection*>(data);
  // Flush may drop the source (sent all) or the whole connection: either way this source is
  // destroyed inside its own callback, which GLib allows; REMOVE is then harmless.
  const bool open = c->server->Flush(*c);
  return open && c->writable ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

Status SipServer::Ptz(const std::string& device_id, const std::string& channel_id, const std::string& ptz_cmd) {
  auto out = registrar_.Ptz(device_id, channel_id, ptz_cmd);
  if (!out.ok()) return out.error();
  Deliver(std::move(out.value()));
  return Status::Ok();
}

Status SipServer::Info(const std::string& call_id, const MansRtsp& control) {
  auto out = registrar_.Info(call_id, control);
  if (!out.ok()) return out.error();
  Deliver(std::move(out.value()));
  return Status::Ok();
}

Status SipServer::QueryRecords(const std::string& device_id, const std::string& channel_id, int64_t from_ms,
                               int64_t to_ms, RecordsHandler done) {
  long query = 0;
  auto out = registrar_.QueryRecords(device_id, channel_id, from_ms, to_ms, Now(), &query);
  if (!out.ok()) return out.error();
  record_queries_[query] = std::move(done);
  Deliver(std::move(out.value()));
  return Status::Ok();
}

namespace {

// The local address the kernel would send from towards `host` (no packet is sent).
std::string LocalAddressTowards(const std::string& host, int port) {
  gst::GObjectPtr<GSocket> probe(
      g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, nullptr));
  gst::GObjectPtr<GSocketAddress> to(g_inet_socket_address_new_from_string(host.c_str(), guint(port)));
  if (!probe || !to || !g_socket_connect(probe.get(), to.get(), nullptr, nullptr)) return "";
  gst::GObjectPtr<GSocketAddress> local(g_socket_get_local_address(probe.get(), nullptr));
  if (!local) return "";
  gst::CharPtr ip(g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(local.get()))));
  return ip ? ip.get() : "";
}

}  // namespace

Result<std::string> SipServer::Invite(CallRequest request, CallHandler on_call, bool watched) {
  if (request.media_ip.empty()) {
    request.media_ip = config().media_ip;
    auto device = registrar_.devices().find(request.device_id);
    if (request.media_ip.empty() && device != registrar_.devices().end()) {
      request.media_ip = LocalAddressTowards(device->second.peer.host, device->second.peer.port);
    }
    if (request.media_ip.empty() && config().bind != "0.0.0.0") request.media_ip = config().bind;
  }
  std::string call_id;
  auto out = registrar_.Invite(request, clock_.Now(), &call_id, watched);
  if (!out.ok()) return out.error();
  calls_[call_id] = std::move(on_call);
  Deliver(std::move(out.value()));
  return call_id;
}

void SipServer::Bye(const std::string& call_id) {
  calls_.erase(call_id);
  Deliver(registrar_.Bye(call_id, clock_.Now()));
}

void SipServer::SetWatched(const std::string& call_id, bool watched) {
  Deliver(registrar_.SetWatched(call_id, watched, clock_.Now()));
}

gboolean SipServer::OnTick(gpointer self) {
  auto* s = static_cast<SipServer*>(self);
  s->Deliver(s->registrar_.Tick(s->clock_.Now()));
  if (s->clock_.holds() != s->holds_logged_) {
    spdlog::warn(
        "gb28181: the worker's loop was held up ({} times, {:.1f} s in all since the last): SIP deadlines "
        "(answers, registrations, keepalives) are counted without it",
        s->clock_.holds() - s->holds_logged_, double(s->clock_.held_ms() - s->held_logged_ms_) / 1000.0);
    s->holds_logged_ = s->clock_.holds();
    s->held_logged_ms_ = s->clock_.held_ms();
  }
  const int64_t now = MonotonicMs();
  for (auto it = s->connections_.begin(); it != s->connections_.end();) {
    if (now - it->second->last_active_ms > kIdleTcpMs) {
      ++s->counters_.idle_closed;
      it = s->connections_.erase(it);
    } else {
      ++it;
    }
  }
  return G_SOURCE_CONTINUE;
}

}  // namespace xl::gb28181
