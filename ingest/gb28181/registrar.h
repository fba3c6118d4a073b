// The platform side of GB/T 28181 signalling, as pure logic (no sockets; timers run on the
// `now_ms` given, the Date header on the wall clock): devices
// register with MD5 digest authentication, keep alive, and report their catalog and device
// info. Feed it every parsed SIP message and a tick now and then; it answers with the
// messages to send and the events to report. Not thread-safe: one thread drives it.
//
//   REGISTER (no Authorization)   → 401 + WWW-Authenticate: Digest realm, nonce
//   REGISTER (right digest)       → 200 + Date; registered, online; Catalog + DeviceInfo queries
//                                   (paced: at most kMaxQueriesInFlight devices asked at once)
//   REGISTER (wrong digest)       → 403 (refused event once until a success)
//   REGISTER Expires: 0           → 200; unregistered
//   MESSAGE Keepalive             → 200; online again if it was offline
//   MESSAGE Catalog response(s)   → 200; items gathered until SumNum are in: catalog event
//   MESSAGE Notify Alarm          → 200; alarm event (a device's, or a lower platform's alert)
//   MESSAGE RecordInfo response(s)→ 200; records gathered until SumNum are in (or none came
//                                   for kCatalogQuietMs): a records result (QueryRecords)
//   no keepalive for keepalive_s × keepalive_misses → offline event
//
// Strangers change nothing: a device exists here only once its digest succeeded (challenges
// are stateless — an HMAC of the device ID and source address with a time — so no table
// fills up and no request resets another's challenge); wrong answers for one device from
// one address are refused unchecked after kMaxDigestFailures a minute; MESSAGEs, BYEs and
// INVITE responses count only from the transport and address the device registered from
// (a device that moves re-registers); a catalog holds at most kMaxCatalogItems channels.
//
// Live video (§9.2): Invite() offers the platform's receive port for one channel (over UDP
// sent again while the device says nothing, from kInviteResendMs, doubling); the
// device's 200 gets an ACK and an answered call event with its SDP (again for every later
// dialog of the same call); a final failure, no answer within 10 s, or the device's BYE end
// the call with a call event. Bye() hangs up. Recordings (§9.8, §9.9) are calls too
// (CallRequest::session "Playback" or "Download"): Info() steers an answered Playback with
// MANSRTSP (PLAY, PAUSE, Scale, Range); the device's MediaStatus 121 (in the call's dialog, or
// naming the channel of its one recording call) is a kFinished call event.
//
// Calls per device are limited (GbConfig::max_calls, per device device_max_calls): beyond
// the limit a call waits (Waiting() says why) and is INVITEd when a call of the device ends,
// watched calls first, then the oldest. A watched call waiting for a device whose calls are
// all unwatched takes the place of the unwatched call answered first: that one is hung up
// and waits again (no call event: the call goes on, in a new dialog later). A device that
// answers nothing (not even 100 Trying) to an INVITE for kIgnoredInviteMs, or 486 Busy Here,
// while it runs N answered calls is taken to allow N at a time (a call-limit event) until it
// registers anew, and that call waits.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ingest/gb28181/gb_config.h"
#include "proto/gb28181/manscdp.h"
#include "proto/gb28181/mansrtsp.h"
#include "proto/gb28181/sdp.h"
#include "proto/gb28181/sip_message.h"

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
  enum Kind {
    kRegistered,
    kUnregistered,
    kRefused,
    kOnline,
    kOffline,
    kCatalog,
    kDeviceInfo,
    kCallLimit,
    kMoved,
    kAlarm
  };
  Kind kind;
  std::string device_id;
  std::string detail;  // for the log: the reason, the count, the model
};

struct GbDevice {
  std::string id;
  Peer peer;
  std::string platform_address;  // host:port the device reached us at (Peer::local)
  bool registered = false;
  bool online = false;
  int64_t expires_at_ms = 0;
  int64_t last_heard_ms = 0;  // register or keepalive
  int keepalive_port = 0;     // the other port of its host keepalives came from (logged once per port)
  long catalog_sn = -1;
  long catalog_sum = -1;
  std::map<std::string, CatalogItem> catalog;    // the last complete catalog, by channel ID
  std::map<std::string, CatalogItem> gathering;  // catalog_sn's items so far
  long catalog_received = 0;                     // items received for catalog_sn, duplicates too
  bool catalog_complete = false;
  int64_t catalog_asked_ms = 0;  // when the catalog was last asked for
  int64_t catalog_heard_ms = 0;  // when the last part of the catalog came
  int max_calls = 4;             // configured; learned lower when the device shows its limit
  bool calls_learned = false;    // max_calls is what the device showed
  std::string name, manufacturer, model, firmware;
  uint64_t alarms = 0;                    // Notify/Alarm messages received
  std::deque<std::string> recent_alarms;  // the last kRecentAlarms, as logged
};

// What the platform offers a channel: its live video, or one of its recordings.
struct CallRequest {
  std::string device_id;
  std::string channel_id;
  std::string media_ip;  // where the platform receives
  int media_port = 0;
  std::string transport = "udp";     // or "tcp" (the platform listens: setup passive)
  std::string ssrc;                  // 10 digits (GbSsrc; history calls start with "1")
  std::string session = "Play";      // "Play" (live), "Playback" (steered by Info) or "Download"
  int64_t start_ms = 0, end_ms = 0;  // Playback, Download: the recording's range (wall clock)
  int download_speed = 0;            // Download: times real time (0: the device's own pace)
};

// The answer to QueryRecords: the device's recordings of a channel in a range.
struct RecordsResult {
  long query = 0;                 // QueryRecords' ID
  std::vector<RecordItem> items;  // oldest first, duplicates left out
  bool complete = false;          // every item SumNum promised came
  std::string detail;             // when not complete: why ("no answer in 10 s", "3 of SumNum 5")
};

struct CallEvent {
  // kFinished: a Playback or Download call's device says it sent the whole recording
  // (MediaStatus 121); the call stays up until Bye.
  enum Kind { kAnswered, kFailed, kEnded, kFinished };
  Kind kind;
  std::string call_id;      // the call (Invite's ID)
  std::string detail;       // failures and ends: why, for the log
  MediaDescription answer;  // kAnswered: the device's SDP
};

class Registrar {
 public:
  static constexpr int kMaxDigestFailures = 5;       // per device and address, a minute
  static constexpr size_t kRecentAlarms = 20;        // alarms kept per device (GbDevice::recent_alarms)
  static constexpr size_t kMaxCatalogItems = 10000;  // channels kept per device
  // Devices whose catalog is being asked for at once. Thousands of devices registering after
  // a power cut would otherwise answer all at once, overflow our UDP receive buffer and lose
  // catalogs (then asked again only 10 s later).
  static constexpr size_t kMaxQueriesInFlight = 64;
  // A registration is kept this long past its Expires: a re-REGISTER delayed by the network,
  // by a device that refreshes at the last moment or by a busy worker does not take the device
  // offline (seen: a device refreshing every 2 s of 4 lost while the worker's loop was held up).
  static constexpr int64_t kRegistrationGraceMs = 10000;
  static constexpr int64_t kQueryTimeoutMs = 3000;  // a catalog not complete by then frees its place
  // A catalog whose parts stopped coming this long ago is complete, whatever its SumNum said
  // (devices count duplicates, groups, or channels they then leave out).
  static constexpr int64_t kCatalogQuietMs = 2000;
  static constexpr int64_t kInviteTimeoutMs = 10000;  // no final answer: the call failed
  // No answer at all while other calls of the device run: the device ignores it (one-call devices).
  static constexpr int64_t kIgnoredInviteMs = 4000;
  // Over UDP an INVITE unanswered this long is sent again, then at twice the interval (to 4 s).
  static constexpr int64_t kInviteResendMs = 500;

  explicit Registrar(GbConfig config);

  struct Output {
    std::vector<std::pair<Peer, std::string>> sends;
    std::vector<GbEvent> events;
    std::vector<CallEvent> calls;
    std::vector<RecordsResult> records;
  };
  // One message from `peer` at `now_ms` (monotonic).
  Output OnMessage(const SipMessage& message, const Peer& peer, int64_t now_ms);
  // Keepalive and registration timeouts as of `now_ms`.
  Output Tick(int64_t now_ms);
  // A DeviceControl MESSAGE with `ptz_cmd` (proto/gb28181/ptz.h) for `channel_id` of `device_id`.
  // Error when the device is not registered and online.
  Result<Output> Ptz(const std::string& device_id, const std::string& channel_id, const std::string& ptz_cmd);

  // Asks `device_id` for the recordings of `channel_id` between the wall-clock times (a
  // RecordInfo query); its ID in `query`. The answer comes as one RecordsResult, after the
  // last part (SumNum), kCatalogQuietMs after the last part heard, or kRecordQueryTimeoutMs
  // after asking when nothing came. Error when the device is not registered and online or has
  // no such channel.
  Result<Output> QueryRecords(const std::string& device_id, const std::string& channel_id, int64_t from_ms,
                              int64_t to_ms, int64_t now_ms, long* query);
  static constexpr int64_t kRecordQueryTimeoutMs = 10000;
  static constexpr size_t kMaxRecordItems = 10000;  // per query

  // Places a call for `request` (INVITE now, or when the device has room) and returns its ID
  // in `call_id` (the Call-ID of its first INVITE). Error when the device is not registered
  // and online or has no such channel. `watched`: someone is watching the channel.
  Result<Output> Invite(const CallRequest& request, int64_t now_ms, std::string* call_id, bool watched = false);
  // Sends `control` (its CSeq filled in) as an INFO in the dialog of answered call `call_id`.
  // Error when the call is unknown, not answered yet, or not a Playback.
  Result<Output> Info(const std::string& call_id, MansRtsp control);
  // Hangs up the call (BYE when it was answered; forgotten either way). No call events; a
  // waiting call of the device may be INVITEd.
  Output Bye(std::string call_id, int64_t now_ms = 0);  // a copy: callers may pass a key of calls_
  // Someone started or stopped watching the call's channel (its place in the device's queue).
  Output SetWatched(const std::string& call_id, bool watched, int64_t now_ms);
  // Why the call waits for its device ("waiting for the device: ..."), or nullopt when it is
  // INVITEd, answered, or unknown.
  std::optional<std::string> Waiting(const std::string& call_id) const;
  size_t calls() const { return calls_.size(); }
  // Calls of `device_id` INVITEd or answered, and waiting.
  int ActiveCalls(const std::string& device_id) const;
  int WaitingCalls(const std::string& device_id) const;
  int AnsweredCalls(const std::string& device_id) const;

  const std::map<std::string, GbDevice>& devices() const { return devices_; }
  const GbConfig& config() const { return config_; }

 private:
  void OnRegister(const SipMessage& m, const Peer& peer, int64_t now_ms, Output& out);
  void OnMessageRequest(const SipMessage& m, const Peer& peer, int64_t now_ms, Output& out);
  void OnInviteResponse(const SipMessage& m, const Peer& peer, int64_t now_ms, Output& out);
  void OnBye(const SipMessage& m, const Peer& peer, Output& out);
  // Registered device `device_id`, online, with channel `channel_id` (or the device itself);
  // else why not.
  Result<GbDevice*> OnlineDevice(const std::string& device_id, const std::string& channel_id);
  // The common headers of a request to `device` addressed to `to_id`.
  RequestHeaders HeadersTo(const GbDevice& device, const std::string& to_id);
  std::string UriOf(const GbDevice& device, const std::string& to_id) const;
  // A MESSAGE request with a MANSCDP `body` to `to_id` (the device or one of its channels).
  void SendMessage(GbDevice& device, const std::string& to_id, const Manscdp& body, Output& out);
  void Query(GbDevice& device, const std::string& cmd_type, long sn, Output& out);
  // Starts collecting the device's catalog afresh and asks for it.
  void AskCatalog(GbDevice& device, int64_t now_ms, Output& out);
  // Queues device `id` for its catalog (and device info when `with_info`); asks the queued
  // while fewer than kMaxQueriesInFlight catalogs are outstanding.
  void QueueQueries(const std::string& id, bool with_info, int64_t now_ms, Output& out);
  void PumpQueries(int64_t now_ms, Output& out);
  void SetOnline(GbDevice& device, bool online, const std::string& why, Output& out);
  // Takes the catalog gathered so far as the device's whole catalog.
  void CompleteCatalog(GbDevice& device, const std::string& why, int64_t now_ms, Output& out);
  struct Call;
  // INVITEs waiting calls of `device_id` while it has room, watched first; then lets a waiting
  // watched call take the place of an answered unwatched one.
  void PumpCalls(const std::string& device_id, int64_t now_ms, Output& out);
  void SendInvite(const std::string& call_id, Call& call, int64_t now_ms, Output& out);
  // Ends the call's dialog (BYE when answered) and makes it wait again.
  void Requeue(Call& call, const std::string& why, int64_t now_ms, Output& out);
  // The device shows it takes only `limit` calls at a time.
  void LearnCallLimit(GbDevice& device, int limit, const std::string& how, Output& out);
  void SendBye(const Call& call, const std::string& dialog, Output& out);
  const std::string& PasswordOf(const std::string& device_id) const;

  // A fresh challenge for device `id` asking from `host`; and whether `nonce` is one we made
  // for them within the last kNonceLifeMs.
  std::string Nonce(const std::string& id, const std::string& host, int64_t now_ms) const;
  bool NonceValid(const std::string& nonce, const std::string& id, const std::string& host, int64_t now_ms) const;
  // True when `peer` is where registered device `d` speaks from.
  static bool FromDevice(const GbDevice& d, const Peer& peer);
  // True when `peer` is another port (or TCP connection) of the host `d` registered from.
  static bool FromNewPortOfDevice(const GbDevice& d, const Peer& peer);

  GbConfig config_;
  std::string nonce_key_;  // random per start: the HMAC key of our challenges
  struct Failures {
    int count = 0;
    int64_t since_ms = 0;
  };
  std::map<std::string, Failures> failures_;  // wrong digests by "device|address", bounded
  std::map<std::string, GbDevice> devices_;
  std::set<std::string> refused_;       // refusals reported, until the device gets in
  std::map<std::string, bool> queued_;  // device ID → with device info; waiting to be asked
  std::deque<std::string> queue_;       // the same IDs, oldest first
  std::set<std::string> querying_;      // asked, not complete yet (since GbDevice::catalog_asked_ms)
  struct Call {
    CallRequest request;
    enum State { kWaiting, kInviting, kAnswered } state = kWaiting;
    std::string dialog;            // Call-ID of the current INVITE ("" while waiting)
    std::string from_tag, to_tag;  // ours; the device's, from its 200
    long cseq = 0;                 // of the INVITE
    long dialog_cseq = 0;          // the last CSeq we used in the dialog (INVITE, INFOs)
    long control_cseq = 0;         // MANSRTSP's own CSeq, per call
    bool heard = false;            // the device answered something (1xx) to the INVITE
    bool watched = false;
    int64_t asked_ms = 0;  // kInviting: when INVITEd
    int64_t since_ms = 0;  // kWaiting: since when; kAnswered: since when
    std::string waiting;   // kWaiting: why
    int dialogs = 0;       // INVITEs sent so far
    std::string invite;    // kInviting: the INVITE as sent, for resending over UDP
    int64_t resend_at_ms = 0, resend_every_ms = 0;
  };
  struct RecordQuery {
    std::string device_id;
    int64_t asked_ms = 0, heard_ms = 0;
    long sum = -1;
    long received = 0;                        // items, duplicates too
    std::map<std::string, RecordItem> items;  // by start, end and file path
  };
  std::map<long, RecordQuery> record_queries_;  // by SN (the query's ID)
  void FinishRecords(long sn, bool complete, const std::string& detail, Output& out);
  std::map<std::string, Call> calls_;           // by call ID
  std::map<std::string, std::string> dialogs_;  // SIP Call-ID of an INVITE → call ID
  std::set<std::string> pump_;                  // devices with a call slot freed: INVITE on Tick
  long cseq_ = 1;
  long sn_ = 1;
};

}  // namespace xl::gb28181
