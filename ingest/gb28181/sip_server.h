// The platform's SIP endpoint: UDP and TCP on one port, on the thread-default GLib main
// context, driving a Registrar. TCP messages are framed by Content-Length (RFC 3261 §18.3).
// Unparseable input is counted and dropped (there is no Via to answer to); a parseable
// request with a bad body is answered 400 by the Registrar. A TCP connection that sends
// more than 64 KiB without a complete message is closed.
#pragma once

#include <gio/gio.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "ingest/gb28181/registrar.h"
#include "ingest/gst_handles.h"
#include "xl/status.h"

namespace xl::gb28181 {

class SipServer {
 public:
  using EventHandler = std::function<void(const GbEvent&, const GbDevice&)>;

  // Listens on config.bind:config.port (UDP and TCP). `on_event` runs on the main context.
  static Result<std::unique_ptr<SipServer>> Start(GbConfig config, EventHandler on_event);
  ~SipServer();
  SipServer(const SipServer&) = delete;
  SipServer& operator=(const SipServer&) = delete;

  const Registrar& registrar() const { return registrar_; }
  // Sends a PTZ command (ptz.h) to a channel of a registered, online device.
  Status Ptz(const std::string& device_id, const std::string& channel_id, const std::string& ptz_cmd);
  int port() const { return port_; }

  struct Counters {
    uint64_t received = 0;   // messages parsed
    uint64_t malformed = 0;  // datagrams / TCP messages libosip2 refused
    uint64_t sent = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  struct Connection;
  explicit SipServer(GbConfig config, EventHandler on_event);
  static gboolean OnUdp(GSocket* socket, GIOCondition, gpointer self);
  static gboolean OnIncoming(GSocketService*, GSocketConnection* connection, GObject*, gpointer self);
  static gboolean OnTcp(GSocket* socket, GIOCondition, gpointer data);
  static gboolean OnTick(gpointer self);
  void Handle(const std::string& bytes, const Peer& peer);
  void Deliver(Registrar::Output out);
  void Send(const Peer& peer, const std::string& bytes);
  void Close(uint64_t id);

  Registrar registrar_;
  EventHandler on_event_;
  std::string local_;  // "host:port" for our Via
  int port_ = 0;
  gst::GObjectPtr<GSocket> udp_;
  gst::SourcePtr udp_source_;
  gst::GObjectPtr<GSocketService> tcp_;
  guint tick_ = 0;
  uint64_t next_connection_ = 1;
  std::map<uint64_t, std::unique_ptr<Connection>> connections_;
  Counters counters_;
};

}  // namespace xl::gb28181
