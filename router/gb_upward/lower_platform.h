// This router as a lower platform (下级平台) of a GB/T 28181 upper platform, as pure logic
// (no sockets; timers run on the `now_ms` given): feed it every SIP message from the upper
// and a tick now and then; it answers with the messages to send and what to do.
//
//   → REGISTER, Expires (no credentials)    ← 401 challenge   → REGISTER with the digest
//   ← 200: registered; refreshed at half its Expires; keepalive MESSAGEs every keepalive_s;
//     keepalive_misses unanswered in a row (or a refresh refused): registration lost,
//     register again (every kRetryMs while refused or unanswered)
//   ← MESSAGE Query Catalog       → 200, then the catalog (router/gb_upward/upper_catalog.h)
//                                   in MESSAGEs of catalog_page items, each with SumNum = all
//                                   items, paced kMessagesPerTick per Tick; sent again unasked
//                                   when cameras are added or removed and nobody subscribed
//   ← MESSAGE Query DeviceInfo / DeviceStatus (the platform or a channel) → 200 and the answer
//   ← MESSAGE Query RecordInfo    → 200 and SumNum 0 (recordings are not served upward)
//   ← MESSAGE Control DeviceControl with PTZCmd for a channel → 200, a PtzOrder; 404 for an
//     unknown channel, 400 for a PTZCmd that is not one
//   ← SUBSCRIBE Catalog / Alarm   → 200 with Expires; catalog changes then go as NOTIFY
//                                   (Event ADD, DEL, UPDATE, ON, OFF) until it expires
//   ← INVITE (s=Play) for a channel → 100 Trying, and a MediaOrder: the caller opens the media
//     socket and calls Answer (200 with our SDP: our address and port, the SSRC asked for,
//     setup the opposite of the offer's) or Reject; ← ACK: the call starts (Started)
//   ← BYE, CANCEL                 → 200 (CANCEL: 487 for its INVITE); the call ends (Ended)
//   HangUp                        → BYE in the call's dialog (the camera went, media failed)
//   Alarm                         → MESSAGE Notify/Alarm, when the upper subscribed to alarms
//                                   or alarms_always
//
// Strict in what it sends, liberal in what it takes: a challenge's realm and algorithm as the
// upper gives them, channel IDs from the request URI or else the To header, a missing Expires.
// Every request from elsewhere than the upper platform's SIP ID is answered 403.
// Not thread-safe: one thread drives it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "proto/gb28181/manscdp.h"
#include "proto/gb28181/ptz.h"
#include "proto/gb28181/sdp.h"
#include "proto/gb28181/sip_message.h"
#include "router/gb_upward/upper_config.h"
#include "xueliang.pb.h"

namespace xl::router {

// A live call the upper asks for: open its media, then Answer or Reject it.
struct MediaOrder {
  std::string call_id;  // the INVITE's Call-ID: the call's name from now on
  std::string camera;
  gb28181::MediaDescription offer;  // where to send (ip, port, transport, setup) and the SSRC
};

struct PtzOrder {
  std::string camera;
  gb28181::PtzRequest request;
};

class LowerPlatform {
 public:
  enum class State { kRegistering, kRegistered, kRefused };
  static const char* StateName(State s);

  static constexpr int64_t kRetryMs = 10000;      // a refused or unanswered REGISTER: again after this
  static constexpr int64_t kAnswerWaitMs = 4000;  // no answer to a REGISTER this long: sent again
  static constexpr int64_t kAckWaitMs = 8000;     // a 200 to INVITE sent again each second until ACKed
  static constexpr size_t kMessagesPerTick = 8;   // catalog and notify MESSAGEs sent per Tick
  static constexpr size_t kMaxQueued = 20000;     // messages waiting to be paced out, at most
  // Cameras added or removed, and no catalog subscription: the whole catalog goes up again
  // (an unasked Catalog response, as NVRs send) once nothing changed for this long.
  static constexpr int64_t kCatalogPushMs = 3000;

  struct Output {
    std::vector<std::string> sends;    // to the upper platform, in order
    std::vector<MediaOrder> invites;   // open media for these, then Answer or Reject
    std::vector<std::string> started;  // calls ACKed: send video
    std::vector<std::string> ended;    // calls over (BYE, CANCEL, no ACK): stop sending
    std::vector<PtzOrder> ptz;         // pass these down to the cameras
    std::vector<std::string> log;      // one line per state change, for the operator
  };

  // `local` is our "host:port" (Via, Contact); `transport` "udp" or "tcp" as configured.
  LowerPlatform(GbUpperConfig config, std::string local);

  // Our "host:port" changed (a new TCP connection): Via and Contact name it from now on.
  void SetLocal(std::string local) { local_ = std::move(local); }
  // Registration, keepalives, unACKed answers and paced messages as of `now_ms` (monotonic).
  Output Tick(int64_t now_ms);
  // One message from the upper platform (`wall_ms`: DeviceStatus's DeviceTime).
  Output OnMessage(const gb28181::SipMessage& m, int64_t now_ms, int64_t wall_ms);
  // The link to the upper broke (TCP closed): registration starts again at once.
  Output Reset(int64_t now_ms, const std::string& why);

  // The catalog as it is now (UpperCatalog). Subscribers get what changed as NOTIFYs; calls
  // of cameras no longer in it are hung up (BYE, and `ended`).
  Output SetCatalog(std::vector<gb28181::CatalogItem> items, int64_t now_ms);
  // Answers the call's INVITE with `ours` (our ip, port, transport, setup; the SSRC is the
  // offer's). Error when the call is unknown or over.
  Output Answer(const std::string& call_id, gb28181::MediaDescription ours, int64_t now_ms);
  // Refuses the call's INVITE (486 Busy Here, 488, 500, ...) with `why` as a Warning.
  Output Reject(const std::string& call_id, int code, const std::string& reason, const std::string& why);
  // Ends a call from our side (BYE in its dialog, or a final error while still unanswered).
  Output HangUp(const std::string& call_id, const std::string& why);
  // An alert for the upper: Notify/Alarm of its camera when alarms are wanted (START only).
  // `wall_ms` dates it when the alert has no start time.
  Output Alarm(const wire::Alert& alert, int64_t now_ms, int64_t wall_ms);

  State state() const { return state_; }
  int64_t since_ms() const { return since_ms_; }
  size_t calls() const { return calls_.size(); }
  // Cameras in the catalog (not groups).
  size_t cameras() const;
  // Every call, answered or not: Call-ID → camera.
  std::map<std::string, std::string> Calls() const {
    std::map<std::string, std::string> out;
    for (const auto& [id, c] : calls_) out[id] = c.camera;
    return out;
  }
  bool catalog_subscribed(int64_t now_ms) const { return catalog_sub_.Active(now_ms); }
  bool alarms_wanted(int64_t now_ms) const { return config_.alarms_always || alarm_sub_.Active(now_ms); }
  const GbUpperConfig& config() const { return config_; }

  struct Stats {
    uint64_t registrations = 0;  // 200s to REGISTER
    uint64_t catalogs = 0;       // catalog queries answered
    uint64_t alarms = 0;         // Alarm notifies sent
    uint64_t notifies = 0;       // catalog changes notified
    uint64_t ptz = 0;            // PTZ commands passed down
    uint64_t invites = 0;        // INVITEs answered 200
    uint64_t refused = 0;        // requests refused (403, 404, 486, 488, ...)
    uint64_t dropped = 0;        // paced messages dropped: the queue was full
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Subscription {
    std::string call_id, upper_tag, our_tag, event;
    long cseq = 0;
    int64_t until_ms = 0;
    bool Active(int64_t now_ms) const { return until_ms > now_ms; }
  };
  struct Call {
    std::string camera;
    std::string upper_tag, our_tag;  // From of the INVITE; To of our answer
    long invite_cseq = 0;
    std::optional<gb28181::SipMessage> invite;  // the INVITE, for its final answer
    std::string ssrc;                           // the offer's
    std::string answer;                         // our 200, sent again until ACKed
    bool acked = false;
    int64_t answered_ms = 0, resend_ms = 0;
  };

  // Sends a REGISTER: a new one, or (with `challenge`) its answer to the upper's 401.
  void Register(const gb28181::DigestCredentials* challenge, int64_t now_ms, Output& out);
  void OnResponse(const gb28181::SipMessage& m, int64_t now_ms, Output& out);
  void OnMessageRequest(const gb28181::SipMessage& m, int64_t wall_ms, Output& out);
  void OnSubscribe(const gb28181::SipMessage& m, int64_t now_ms, Output& out);
  void OnInvite(const gb28181::SipMessage& m, Output& out);
  void SetState(State s, const std::string& why, int64_t now_ms, Output& out);
  // A request to the upper platform (To: it; for REGISTER, us), its common headers filled in;
  // within a dialog (a subscription's NOTIFY, a call's BYE) with both tags.
  gb28181::SipMessage Request(const std::string& method, const std::string& call_id, long cseq,
                              const std::string& our_tag = "", const std::string& upper_tag = "");
  // A MESSAGE with `body` to the upper, sent now or (`paced`) queued for Tick.
  void SendMessage(const gb28181::Manscdp& body, bool paced, Output& out);
  void Queue(std::string bytes);
  // The whole catalog as Response/Catalog MESSAGEs of catalog_page items (paced), SN `sn`;
  // logged with `why`.
  void SendCatalog(long sn, const std::string& why, Output& out);
  // A NOTIFY in `sub`'s dialog with `body`.
  void Notify(Subscription& sub, const gb28181::Manscdp& body, int64_t now_ms);
  std::string ChannelOf(const gb28181::SipMessage& m) const;
  const gb28181::CatalogItem* Item(const std::string& id) const;
  std::string Uri(const std::string& id) const { return "sip:" + id + "@" + config_.upper_domain; }

  GbUpperConfig config_;
  std::string local_;
  State state_ = State::kRegistering;
  int64_t since_ms_ = 0;
  std::string register_call_id_;
  long register_cseq_ = 0;
  bool register_pending_ = false;  // a REGISTER is out, unanswered
  int64_t register_sent_ms_ = 0;
  int64_t next_register_ms_ = 0;  // when to register (again)
  std::string tried_nonce_;       // the nonce our last credentials answered
  bool started_ = false;
  int64_t next_keepalive_ms_ = 0;
  std::set<std::string> keepalive_call_ids_;  // sent, unanswered (since the last answer)
  long cseq_ = 1;
  long sn_ = 1;
  std::vector<gb28181::CatalogItem> catalog_;
  std::map<std::string, size_t> index_;  // item ID → position in catalog_
  std::deque<std::string> queued_;       // paced messages
  std::set<std::string> sent_ids_;       // the items of the catalog last sent whole
  int64_t push_at_ms_ = -1;              // when to send the whole catalog unasked; -1: not due
  Subscription catalog_sub_, alarm_sub_;
  std::map<std::string, Call> calls_;  // by Call-ID
  Stats stats_;
};

}  // namespace xl::router
