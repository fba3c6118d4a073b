// The router's GB/T 28181 upward link (下级平台), on the router's loop: its SIP socket toward
// the upper platform (UDP connected to it, so nothing else is heard; or TCP, connected again
// every kReconnectMs while down), driving a LowerPlatform (router/gb_upward/lower_platform.h).
//   - the catalog: the router's cameras, here and below (UpperCatalog), looked at every second;
//   - live calls: each a viewer of the relay (PsSender), so one copy of a camera comes up
//     the cascade however many watch it; a call whose camera left the catalog is hung up;
//   - PTZ from the upper goes to the router (down to the camera's worker or child router);
//   - alerts go up as Alarm notifies.
// One log line per change of the link's state and per call.
// Thread: the router's loop thread only (its GLib context is the thread-default one).
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/gst_handles.h"
#include "common/status.h"
#include "router/gb_upward/lower_platform.h"
#include "router/gb_upward/ps_sender.h"
#include "router/gb_upward/upper_config.h"
#include "router/live/live_relay.h"

namespace xl::router {

class GbUpward {
 public:
  static constexpr int64_t kReconnectMs = 5000;
  static constexpr int64_t kCatalogEveryMs = 1000;

  struct Hooks {
    std::function<std::vector<wire::Camera>()> cameras;  // every camera here and below
    std::function<Status(const wire::PtzCommand&)> ptz;  // passes a PTZ command on
  };

  // Opens the SIP socket (UDP bound and connected; TCP connecting in the background) and
  // starts registering on the next Pump. `relay` must outlive this. Error for an upper
  // address that is not an IP address or a socket that cannot be opened.
  static Result<std::unique_ptr<GbUpward>> Start(GbUpperConfig config, LiveRelay& relay,
                                                 std::map<std::string, std::string> region_names, Hooks hooks);
  ~GbUpward();
  GbUpward(const GbUpward&) = delete;
  GbUpward& operator=(const GbUpward&) = delete;

  // Call every loop turn: timers, the catalog, calls whose media failed.
  void Pump(int64_t now_ms);
  // A logged alert (any phase; the upper hears of starts).
  void OnAlert(const wire::Alert& alert, int64_t now_ms);

  // The link as GET /api/links shows it ("gb_upper").
  nlohmann::json Json(int64_t now_ms) const;
  const LowerPlatform& platform() const { return platform_; }

 private:
  GbUpward(GbUpperConfig config, LiveRelay& relay, std::map<std::string, std::string> region_names, Hooks hooks);
  Status OpenUdp();
  void ConnectTcp(int64_t now_ms);
  static void OnTcpConnected(GObject* client, GAsyncResult* result, gpointer self);
  static gboolean OnReadable(GSocket* socket, GIOCondition condition, gpointer self);
  void TcpLost(const std::string& why);
  void Handle(std::string_view bytes);
  void Deliver(LowerPlatform::Output out);
  void Send(const std::string& bytes);
  void OpenCall(const MediaOrder& order);
  void EndCall(const std::string& call_id);
  std::string MediaIp() const;

  GbUpperConfig config_;
  LiveRelay& relay_;
  std::map<std::string, std::string> region_names_;
  Hooks hooks_;
  LowerPlatform platform_;
  gst::GObjectPtr<GSocketAddress> upper_;
  gst::GObjectPtr<GSocket> socket_;  // UDP, or the TCP connection's
  gst::GObjectPtr<GSocketConnection> tcp_;
  gst::GObjectPtr<GCancellable> cancel_;
  gst::SourcePtr source_;
  gb28181::SipStream stream_;  // TCP framing
  bool connecting_ = false;
  int64_t next_connect_ms_ = 0;
  std::string local_;  // our "host:port" toward the upper
  int64_t now_ms_ = 0;
  int64_t next_catalog_ms_ = 0;
  std::map<std::string, std::unique_ptr<PsSender>> calls_;  // by Call-ID
  std::map<std::string, std::string> failed_;               // calls whose media failed → why
  uint64_t malformed_ = 0;
};

}  // namespace xl::router
