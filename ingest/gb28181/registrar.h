// The platform side of GB/T 28181 signalling, as pure logic (no sockets; timers run on the
// `now_ms` given, the Date header on the wall clock): devices
// register with MD5 digest authentication, keep alive, and report their catalog and device
// info. Feed it every parsed SIP message and a tick now and then; it answers with the
// messages to send and the events to report. Not thread-safe: one thread drives it.
//
//   REGISTER (no Authorization)   → 401 + WWW-Authenticate: Digest realm, nonce
//   REGISTER (right digest)       → 200 + Date; registered, online; Catalog + DeviceInfo queries
//   REGISTER (wrong digest)       → 403 (refused event once until a success)
//   REGISTER Expires: 0           → 200; unregistered
//   MESSAGE Keepalive             → 200; online again if it was offline
//   MESSAGE Catalog response(s)   → 200; items gathered until SumNum are in: catalog event
//   no keepalive for keepalive_s × keepalive_misses → offline event
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ingest/gb28181/gb_config.h"
#include "ingest/gb28181/manscdp.h"
#include "ingest/gb28181/sip_message.h"

namespace xl::gb28181 {

// Where a message came from, or goes to.
struct Peer {
  std::string transport;  // "udp" or "tcp"
  std::string host;
  int port = 0;
  uint64_t connection = 0;  // tcp: the connection it arrived on
  std::string local;        // our "host:port" it reached (for the Via of our requests)
  std::string ToString() const { return transport + " " + host + ":" + std::to_string(port); }
};

struct GbEvent {
  enum Kind { kRegistered, kUnregistered, kRefused, kOnline, kOffline, kCatalog, kDeviceInfo };
  Kind kind;
  std::string device_id;
  std::string detail;  // for the log: the reason, the count, the model
};

struct GbDevice {
  std::string id;
  Peer peer;
  std::string platform_address;     // host:port the device reached us at (Peer::local)
  bool registered = false;
  bool online = false;
  int64_t expires_at_ms = 0;
  int64_t last_heard_ms = 0;        // register or keepalive
  std::string nonce;                // the challenge outstanding
  long catalog_sn = -1;
  long catalog_sum = -1;
  std::map<std::string, CatalogItem> catalog;  // by channel ID
  bool catalog_complete = false;
  int64_t catalog_asked_ms = 0;     // when the catalog was last asked for
  std::string name, manufacturer, model, firmware;
};

class Registrar {
 public:
  explicit Registrar(GbConfig config);

  struct Output {
    std::vector<std::pair<Peer, std::string>> sends;
    std::vector<GbEvent> events;
  };
  // One message from `peer` at `now_ms` (monotonic).
  Output OnMessage(const SipMessage& message, const Peer& peer, int64_t now_ms);
  // Keepalive and registration timeouts as of `now_ms`.
  Output Tick(int64_t now_ms);
  // A DeviceControl MESSAGE with `ptz_cmd` (see ptz.h) for `channel_id` of `device_id`.
  // Error when the device is not registered and online.
  Result<Output> Ptz(const std::string& device_id, const std::string& channel_id, const std::string& ptz_cmd);

  const std::map<std::string, GbDevice>& devices() const { return devices_; }
  const GbConfig& config() const { return config_; }

 private:
  void OnRegister(const SipMessage& m, const Peer& peer, int64_t now_ms, Output& out);
  void OnMessageRequest(const SipMessage& m, const Peer& peer, int64_t now_ms, Output& out);
  // A MESSAGE request with a MANSCDP `body` to `to_id` (the device or one of its channels).
  void SendMessage(GbDevice& device, const std::string& to_id, const Manscdp& body, Output& out);
  void Query(GbDevice& device, const std::string& cmd_type, long sn, Output& out);
  // Starts collecting the device's catalog afresh and asks for it.
  void AskCatalog(GbDevice& device, int64_t now_ms, Output& out);
  void SetOnline(GbDevice& device, bool online, const std::string& why, Output& out);
  const std::string& PasswordOf(const std::string& device_id) const;

  GbConfig config_;
  std::map<std::string, GbDevice> devices_;
  std::set<std::string> refused_;  // refusals reported, until the device gets in
  long cseq_ = 1;
  long sn_ = 1;
};

// The platform's Date header value: local time "YYYY-MM-DDTHH:MM:SS.mmm" (GB/T 28181 §9.1).
std::string GbDate(int64_t wall_ms);

}  // namespace xl::gb28181
