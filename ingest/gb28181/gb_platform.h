// The worker's GB/T 28181 platform: its SIP server (registrar, calls), what devices tell it
// (one log line per device state change; catalogs reported to the router as cameras pinned
// to this worker, again every minute), and its HTTP endpoints (device list, PTZ). Main
// loop thread only, like the worker.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/http_server.h"
#include "common/status.h"
#include "ingest/gb28181/gb_config.h"
#include "ingest/gb28181/sip_server.h"
#include "xueliang.pb.h"

namespace xl::gb28181 {

class GbPlatform {
 public:
  // What the platform needs from its worker.
  struct Hooks {
    // A device's catalog as cameras pinned to this worker, for the router.
    std::function<void(const wire::GbChannels&)> report_channels;
    // Device `device_id` came back (`back`: its cameras retry now) or went away (they end
    // their calls as failed, for `reason`).
    std::function<void(const std::string& device_id, bool back, const std::string& reason)> device_changed;
  };

  // Listens as config says (UDP and TCP). Requires a GLib main context on this thread.
  static Result<std::unique_ptr<GbPlatform>> Start(std::string worker_id, const GbConfig& config, Hooks hooks);

  // Places and ends the live-video calls of the worker's gb28181:// cameras.
  SipServer& sip() { return *sip_; }

  // Reports every registered device's complete catalog again (call every minute: a router
  // that restarted, or missed one, learns the channels).
  void ReportCatalogs();

  // Sends PTZ `action` (proto/gb28181/ptz.h) to a channel of a device (`channel` "": the device itself) and
  // logs it; returns the PTZCmd sent. kInvalidArgument for an unknown action or value, kNotFound
  // when the device is not registered and online.
  Result<std::string> Ptz(const std::string& device, const std::string& channel, const std::string& action, int speed,
                          int preset);

  // GET /gb28181/devices: the devices registered here, their state and catalog (`platform`
  // null: GB28181 is off on this worker, an empty list).
  static HttpReply Devices(const GbPlatform* platform);
  // POST /gb28181/ptz {"device", "channel", "action", "speed", "preset"}.
  static HttpReply PtzRequest(GbPlatform* platform, const HttpRequest& request);

 private:
  GbPlatform(std::string worker_id, Hooks hooks) : worker_id_(std::move(worker_id)), hooks_(std::move(hooks)) {}
  void OnEvent(const GbEvent& event, const GbDevice& device);
  void ReportChannels(const GbDevice& device);

  std::string worker_id_;
  Hooks hooks_;
  std::unique_ptr<SipServer> sip_;
};

}  // namespace xl::gb28181
