// The platform's SIP endpoint: UDP and TCP on one port, on the thread-default GLib main
// context, driving a Registrar. TCP messages are framed by Content-Length (RFC 3261 §18.3).
// Unparseable input is counted and dropped (there is no Via to answer to); a parseable
// request with a bad body is answered 400 by the Registrar. A TCP connection that sends
// more than 64 KiB without a complete message is closed.
//
// No peer can stall the main loop: TCP sends never block (each connection has a bounded
// output buffer and a fixed kernel send buffer; a peer that does not read is closed, logged
// and counted), at most
// kDatagramsPerTurn UDP datagrams are handled per loop turn, connections idle for longer than
// kIdleTcpMs are closed, and at most kMaxTcpConnections are open at once.
#pragma once

#include <gio/gio.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/gst_handles.h"
#include "common/loop_clock.h"
#include "common/status.h"
#include "ingest/gb28181/registrar.h"
#include "proto/media/rtp_packet.h"

namespace xl::gb28181 {

class SipServer {
 public:
  using EventHandler = std::function<void(const GbEvent&, const GbDevice&)>;
  using CallHandler = std::function<void(const CallEvent&)>;
  using RecordsHandler = std::function<void(const RecordsResult&)>;

  // Listens on config.bind:config.port (UDP and TCP). `on_event` runs on the main context.
  static Result<std::unique_ptr<SipServer>> Start(GbConfig config, EventHandler on_event);
  ~SipServer();
  SipServer(const SipServer&) = delete;
  SipServer& operator=(const SipServer&) = delete;

  const Registrar& registrar() const { return registrar_; }
  // Now on the registrar's clock (its times are on it), in ms.
  int64_t Now() { return clock_.Now(); }
  // Sends a PTZ command (proto/gb28181/ptz.h) to a channel of a registered, online device.
  Status Ptz(const std::string& device_id, const std::string& channel_id, const std::string& ptz_cmd);
  // Asks a device for a channel's recordings in [from_ms, to_ms] (Registrar::QueryRecords);
  // `done` runs once on the main context with what came. Error (and no call) when the device
  // cannot be asked.
  Status QueryRecords(const std::string& device_id, const std::string& channel_id, int64_t from_ms, int64_t to_ms,
                      RecordsHandler done);
  int port() const { return port_; }
  const GbConfig& config() const { return registrar_.config(); }

  // Offers live video of `request.channel_id`, or a recording of it (fills in media_ip when empty: config
  // media_ip, else our address that routes to the device), now or when the device has room
  // (Registrar). `on_call` runs on the main context for the call's events until it fails or
  // ends, or until Bye. Returns the call's ID.
  Result<std::string> Invite(CallRequest request, CallHandler on_call, bool watched = false);
  // Steers an answered Playback call (Registrar::Info).
  Status Info(const std::string& call_id, const MansRtsp& control);
  // Hangs up; `on_call` is not called again. Unknown IDs are ignored.
  void Bye(const std::string& call_id);
  // Someone watches the call's channel, or no longer does (it goes first at its device).
  void SetWatched(const std::string& call_id, bool watched);
  // Why the call waits for its device, or nullopt (Registrar::Waiting).
  std::optional<std::string> Waiting(const std::string& call_id) const { return registrar_.Waiting(call_id); }
  // A fresh 10-digit SSRC for a live call, or a `history` one (GbSsrc with a serial that
  // cycles per server).
  std::string NewSsrc(bool history = false) { return GbSsrc(config().realm, ++ssrc_serial_, history); }

  struct Counters {
    uint64_t received = 0;   // messages parsed
    uint64_t malformed = 0;  // datagrams / TCP messages libosip2 refused
    uint64_t sent = 0;
    uint64_t slow_closed = 0;  // TCP peers closed for not reading what we sent
    uint64_t idle_closed = 0;  // TCP connections closed for silence
    uint64_t refused_tcp = 0;  // TCP connections refused: too many open
  };
  static constexpr int kDatagramsPerTurn = 64;
  static constexpr size_t kMaxOutbox = 256 << 10;  // unsent bytes per TCP connection
  static constexpr int kTcpSendBuffer = 64 << 10;  // SO_SNDBUF per TCP connection
  static constexpr int64_t kIdleTcpMs = 180 * 1000;
  static constexpr size_t kMaxTcpConnections = 4096;
  const Counters& counters() const { return counters_; }

 private:
  struct Connection;
  explicit SipServer(GbConfig config, EventHandler on_event);
  static gboolean OnUdp(GSocket* socket, GIOCondition, gpointer self);
  static gboolean OnIncoming(GSocketService*, GSocketConnection* connection, GObject*, gpointer self);
  static gboolean OnTcp(GSocket* socket, GIOCondition, gpointer data);
  static gboolean OnWritable(GSocket* socket, GIOCondition, gpointer data);
  // Writes what `c` can take now; the rest waits for G_IO_OUT. False when `c` was closed.
  bool Flush(Connection& c);
  static gboolean OnTick(gpointer self);
  void Handle(const std::string& bytes, const Peer& peer);
  void Deliver(Registrar::Output out);
  void Send(const Peer& peer, const std::string& bytes);
  void Close(uint64_t id);

  static constexpr int64_t kTickMs = 1000;  // OnTick: the registrar's deadlines, idle connections
  Registrar registrar_;
  // The registrar's time: deadlines do not pass while the worker's loop is held up (a busy
  // machine), when answers may be waiting unread in the socket.
  LoopClock clock_{kTickMs, 2500};
  uint64_t holds_logged_ = 0;  // clock_.holds() and held_ms() as last logged
  int64_t held_logged_ms_ = 0;
  EventHandler on_event_;
  std::string local_;  // "host:port" for our Via
  int port_ = 0;
  gst::GObjectPtr<GSocket> udp_;
  gst::SourcePtr udp_source_;
  gst::GObjectPtr<GSocketService> tcp_;
  guint tick_ = 0;
  uint64_t next_connection_ = 1;
  std::map<uint64_t, std::unique_ptr<Connection>> connections_;
  std::map<std::string, CallHandler> calls_;       // by Call-ID
  std::map<long, RecordsHandler> record_queries_;  // by query ID
  uint32_t ssrc_serial_ = 0;
  Counters counters_;
};

}  // namespace xl::gb28181
